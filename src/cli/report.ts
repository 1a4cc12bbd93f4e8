/** @file `seqc report RUN [--serve]`: rebuild a run's report.html; serve it with live reload. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rebuildReport } from '../runtime/report/live.js';
import { serveReport } from '../runtime/report/serve.js';
import { RunError } from '../runtime/run.js';
import { Exit, UsageError, type Terminal } from './io.js';

/** Default port of `--serve`. */
export const DEFAULT_PORT = 8765;

/** Runs `seqc report`; with `--serve`, until Ctrl-C (or `stop` resolves, for tests). */
export async function runReport(run: string, opts: { serve?: boolean; port?: string }, term: Terminal, stop?: Promise<void>): Promise<number> {
  if (!existsSync(join(run, 'metrics.jsonl'))) throw new RunError(`${run} is not a training run (it has no metrics.jsonl)`);
  const port = opts.port === undefined ? DEFAULT_PORT : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port expects a port number (0-65535), got '${opts.port}'`);
  const file = await rebuildReport(run);
  term.out(`wrote ${file} (and ${join(run, 'curves.svg')})`);
  if (!opts.serve) return Exit.ok;
  const server = await serveReport(run, port);
  term.out(`serving ${file} at ${server.url} — the page reloads whenever training rewrites it (Ctrl-C to stop)`);
  await (stop ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())));
  await server.close();
  return Exit.ok;
}
