/** @file `seqc lsp`: the language server over stdin/stdout (for editors; see docs/editors.md). */
import { parseOverrides } from '../compiler/check/dims.js';
import { startServer } from '../lsp/server.js';
import { Exit } from './io.js';

/** Runs the language server until the client exits; returns the exit code. */
export async function runLsp(opts: { set?: string[] }, version: string): Promise<number> {
  await startServer({ input: process.stdin, output: process.stdout, overrides: parseOverrides(opts.set ?? []), version });
  return Exit.ok;
}
