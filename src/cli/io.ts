/** @file The CLI's terminal I/O and error conventions: exit codes, usage errors, internal errors. */
import { InternalError } from '../compiler/diagnostics.js';
import { OverrideError } from '../compiler/check/dims.js';
import { DataError } from '../runtime/data/errors.js';
import { ColumnsError } from '../runtime/data/columns.js';
import { CheckpointError } from '../runtime/checkpoint.js';
import { RunError } from '../runtime/run.js';
import { DeviceError } from '../runtime/session.js';

/** Exit codes of every seqc command. */
export const Exit = { ok: 0, modelErrors: 1, usage: 2, internal: 3, data: 4, runtime: 5 } as const;

/** A problem with how seqc was invoked (bad flag, missing file): exit 2, no stack trace. */
export { UsageError } from '../runtime/run.js';
import { UsageError } from '../runtime/run.js';

/** Where commands write; tests pass a capturing implementation. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout/stderr. */
export const processTerminal: Terminal = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

/** Maps an exception escaping a command to an exit code and a message; never prints a stack for user errors. */
export function reportFailure(e: unknown, term: Terminal): number {
  if (e instanceof UsageError || e instanceof OverrideError || e instanceof ColumnsError) {
    term.err(`seqc: ${e.message}`);
    return Exit.usage;
  }
  if (e instanceof RunError || e instanceof CheckpointError || e instanceof DeviceError) {
    term.err(`seqc: ${e.message}`);
    return Exit.runtime;
  }
  if (e instanceof DataError) {
    term.err(`seqc: bad data: ${e.message}`);
    return Exit.data;
  }
  const detail = e instanceof Error ? (e instanceof InternalError ? e.message : `${e.message}\n${e.stack ?? ''}`) : String(e);
  term.err(`seqc: internal error: this is a bug in seqc, not in your model.\n` +
    `Please report it with the model file and the command you ran.\n${detail}`);
  return Exit.internal;
}
