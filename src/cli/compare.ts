/** @file `seqc compare A.seq B.seq ...`: train several models on the same data and budget, then print one table and draw one SVG. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareModels } from '../runtime/compare.js';
import { Exit, UsageError, type Terminal } from './io.js';
import { configFrom, type TrainCliOptions } from './train.js';
import { table } from './use.js';

/** Options of `seqc compare`: the training options, plus the evaluation's K and the output directory. */
export interface CompareCliOptions extends TrainCliOptions {
  iwaeEval?: string;
}

/** Runs `seqc compare`; returns the exit code. */
export async function runCompare(files: readonly string[], o: CompareCliOptions, term: Terminal): Promise<number> {
  if (files.length < 2) throw new UsageError('compare needs two or more model files');
  if (o.resume !== undefined) throw new UsageError('compare starts fresh runs; --resume is for `seqc train`');
  if (o.timeLimit === undefined && o.steps === undefined && o.epochs === undefined) throw new UsageError('compare needs a budget: --time-limit S (the same for every model), or --steps N or --epochs N');
  for (const f of files) if (!existsSync(f)) throw new UsageError(`${f}: no such model file`);
  const out = resolve(o.out ?? 'runs/compare');
  if (existsSync(out)) throw new UsageError(`${out} already exists`, 'choose another --out, or remove it');
  const k = o.iwaeEval !== undefined ? Number(o.iwaeEval) : 100;
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--eval-k expects an integer ≥ 1, got '${o.iwaeEval}'`);
  // One shared configuration: same data, seed (initialization stream, shuffles, batches) and budget.
  const cfg = configFrom(files[0]!, { ...o, patience: o.patience ?? '0' });
  const signal = { stop: false };
  const onInt = (): void => { if (signal.stop) process.exit(130); signal.stop = true; term.err('\nseqc: interrupted: finishing the current model'); };
  process.on('SIGINT', onInt);
  let rows;
  try {
    rows = await compareModels(files.map((f) => resolve(f)), cfg, out, { k, batch: Math.max(1, Math.floor(256 / k)) }, {
      info: (l) => term.out(l), warn: (l) => term.err(`seqc: ${l}`), stream: term.progress ?? process.stderr,
    }, signal);
  } finally {
    process.off('SIGINT', onInt);
  }
  const budget = cfg.timeLimit !== null ? `${cfg.timeLimit} s` : cfg.steps !== null ? `${cfg.steps} steps` : `${cfg.epochs} epochs`;
  term.out(`\ncomparison on ${cfg.data ?? 'the built-in speech data'} (test split, nats per time step in data units; budget ${budget} each, seed ${cfg.seed}):`);
  term.out(table([
    ['model', 'ELBO', `log p(x) estimate`, 'parameters', 'steps', 'seconds', 'best valid ELBO'],
    ...rows.map((r) => [r.model, r.elboPerStep.toFixed(3), `${r.iwaePerStep.toFixed(3)} ${r.exact ? '(exact)' : `(IWAE-${r.k})`}`, r.params.toLocaleString('en-US'),
      String(r.steps), r.seconds.toFixed(0), r.bestValid === null ? '-' : r.bestValid.toFixed(3)]),
  ]).map((l) => `  ${l}`).join('\n'));
  term.out(`validation curves: ${join(out, 'compare.svg')}; rows: ${join(out, 'compare.json')}; runs: ${out}/<model>/`);
  return signal.stop ? 130 : Exit.ok;
}
