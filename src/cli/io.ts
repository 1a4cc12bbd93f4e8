/** @file The CLI's terminal I/O and error conventions: exit codes, the error boundary, shell quoting. */
import { InternalError, SourceError } from '../compiler/diagnostics.js';
import { classify } from './faults.js';

/** Exit codes of every seqc command (signals: 128 + the signal's number, as shells report them). */
export const Exit = { ok: 0, modelErrors: 1, usage: 2, internal: 3, data: 4, runtime: 5 } as const;

/** A problem with how seqc was invoked (bad flag, missing file): exit 2, no stack trace. */
export { UsageError } from '../runtime/errors.js';

/** Where commands write; tests pass a capturing implementation. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** Where training progress goes (default: the process's stderr). */
  readonly progress?: { write(chunk: string): unknown; readonly isTTY?: boolean };
}

/** The process's stdout/stderr. */
export const processTerminal: Terminal = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

/**
 * The error boundary: maps an exception escaping a command to its message and exit code. Faults
 * of the user, the data, the run or the machine print one paragraph and a hint; only a bug in
 * seqc prints a stack trace, as an internal error (exit 3).
 */
export function reportFailure(e: unknown, term: Terminal): number {
  if (e instanceof SourceError) {
    term.err(e.message);
    return Exit.modelErrors;
  }
  const f = classify(e);
  if (f) {
    term.err(`seqc: ${f.message}${f.hint ? `\n  hint: ${f.hint}` : ''}`);
    return f.exit;
  }
  const detail = e instanceof Error ? (e instanceof InternalError ? e.message : `${e.message}\n${e.stack ?? ''}`) : String(e);
  term.err(`seqc: internal error: this is a bug in seqc, not in your model.\n` +
    `Please report it with the model file and the command you ran.\n${detail}`);
  return Exit.internal;
}

/** `arg` quoted for a POSIX shell when it needs it (`runs/a b` → `'runs/a b'`). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line with every argument quoted as needed. */
export function shellCommand(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
