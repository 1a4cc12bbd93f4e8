/** @file `seqc eval`, `seqc sample` and `seqc export`: use a trained run. */
import { createSession, type Device } from '../runtime/session.js';
import { evaluateSplit } from '../runtime/evaluate.js';
import { exportModels } from '../runtime/export.js';
import { DataError, loadDataset, normalize, parseColumns, readSequences, type LoadOptions, type VarSpec } from '../runtime/data/index.js';
import { drawSamples, writeSamples } from '../runtime/sample.js';
import { loadTrained } from '../runtime/trained.js';
import { onnxBytes } from '../compiler/pipeline.js';
import { RunError } from '../runtime/run.js';
import { Exit, UsageError, type Terminal } from './io.js';

/** Options shared by the three commands. */
export interface UseOptions {
  checkpoint?: string; set?: string[]; data?: string; columns?: string; split?: string; iwae?: string; json?: boolean; batch?: string;
  num?: string; steps?: string; prefix?: string; seed?: string; out?: string; device?: string; threads?: string; which?: string;
}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`${flag} is required`);
  return v;
}

function int(v: string | undefined, flag: string, def: number, min = 1): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new UsageError(`${flag} expects an integer ≥ ${min}, got '${v}'`);
  return x;
}

function device(o: UseOptions): { device: Device; threads: number } {
  const d = o.device ?? 'cpu';
  if (d !== 'cpu' && d !== 'cuda') throw new UsageError(`--device must be cpu or cuda, not '${d}'`);
  return { device: d, threads: int(o.threads, '--threads', 1) };
}

function which(o: UseOptions): 'best' | 'last' | 'auto' {
  const w = o.which ?? 'auto';
  if (w !== 'best' && w !== 'last' && w !== 'auto') throw new UsageError(`--which must be best or last, not '${w}'`);
  return w;
}

/** Load options for a --columns mapping (or none). */
function loadOptions(columns: string | null | undefined, spec: readonly VarSpec[]): LoadOptions {
  return columns ? { columns: parseColumns(columns, spec) } : {};
}

/** `seqc eval`: ELBO and IWAE-K log-likelihood of a split, per sequence and per step. */
export async function runEval(model: string, o: UseOptions, term: Terminal): Promise<number> {
  const t = loadTrained(model, need(o.checkpoint, '--checkpoint'), o.set ?? [], which(o));
  const split = o.split ?? 'test';
  if (!['train', 'valid', 'test'].includes(split)) throw new UsageError(`--split must be train, valid or test, not '${split}'`);
  const K = int(o.iwae, '--iwae', 1);
  const dataPath = o.data ?? t.config?.data;
  if (!dataPath) throw new UsageError('--data is required (the checkpoint is not inside a run directory that records its data)');
  const ds = loadDataset(dataPath, t.spec, loadOptions(o.columns ?? t.config?.columns, t.spec));
  const seqs = ds[split as 'test'].map((s) => normalize(s, t.stats));
  const session = await createSession(onnxBytes(t.compiled.evaluate), device(o));
  const batch = int(o.batch, '--batch', Math.max(1, Math.floor(256 / K)));
  const r = await evaluateSplit(t.compiled, session, seqs, t.spec, t.stats, { batch, k: K, seed: int(o.seed, '--seed', 1, 0), store: t.store });
  const nSteps = r.lengths.reduce((a, b) => a + b, 0);
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  if (o.json) {
    term.out(JSON.stringify({ split, n_sequences: seqs.length, n_steps: nSteps, k: K, elbo_per_seq: mean(r.elboPerSeq), elbo_per_step: r.elboPerStep, iwae_per_seq: mean(r.iwaePerSeq), iwae_per_step: r.iwaePerStep }));
    return Exit.ok;
  }
  const f = (x: number): string => x.toFixed(3).padStart(12);
  term.out([
    `model ${t.compiled.manifest.model}, checkpoint ${t.checkpointFile} (step ${t.checkpoint.step}), split '${split}' of ${dataPath}: ${seqs.length} sequences, ${nSteps} steps`,
    `                                                     per sequence      per step   (nats, data units)`,
    `  ELBO (lower bound; mean of ${String(K).padEnd(4)} one-sample estimates)  ${f(mean(r.elboPerSeq))}  ${f(r.elboPerStep)}`,
    `  log-likelihood, importance-sampled, K = ${String(K).padEnd(5)}       ${f(mean(r.iwaePerSeq))}  ${f(r.iwaePerStep)}`,
    `  (the IWAE-K estimate is a lower bound on log p(x) in expectation that tightens as K grows; K = 1 is a one-sample ELBO)`,
  ].join('\n'));
  return Exit.ok;
}

/** `seqc sample`: draw from the prior or continue prefixes; write arrays and pictures. */
export async function runSample(model: string, o: UseOptions, term: Terminal): Promise<number> {
  const t = loadTrained(model, need(o.checkpoint, '--checkpoint'), o.set ?? [], which(o));
  const out = need(o.out, '-o/--out');
  if (o.prefix && o.num !== undefined) throw new UsageError('--num cannot be used with --prefix: one sample continues each prefix sequence');
  const prefix = o.prefix ? readSequences(o.prefix, t.spec, loadOptions(o.columns ?? t.config?.columns, t.spec)).sequences.map((s) => normalize(s, t.stats)) : undefined;
  if (prefix && prefix.length === 0) throw new DataError({ file: o.prefix! }, 'holds no sequences; --prefix needs at least one sequence to continue');
  const longest = prefix ? Math.max(...prefix.map((s) => s.length)) : 0;
  const steps = int(o.steps, '--steps', prefix ? longest * 2 : 40);
  if (prefix && steps < longest) throw new UsageError(`--steps ${steps} is shorter than the longest prefix (${longest} steps)`);
  const session = await createSession(onnxBytes(t.compiled.sample), device(o));
  const s = await drawSamples(t, session, { num: int(o.num, '--num', 4), steps, seed: int(o.seed, '--seed', 1, 0), ...(prefix ? { prefix } : {}) });
  const files = writeSamples(t, s, out, t.config?.sampleRate ?? null);
  term.out(`sampled ${s.num} sequence${s.num === 1 ? '' : 's'} of ${s.steps} steps from ${t.checkpointFile}${prefix ? ' continuing the given prefixes' : ''}:\n  ${files.join('\n  ')}`);
  return Exit.ok;
}

/** `seqc export`: standalone ONNX models with the trained weights. */
export async function runExport(model: string, o: UseOptions, term: Terminal): Promise<number> {
  const t = loadTrained(model, need(o.checkpoint, '--checkpoint'), o.set ?? [], which(o));
  const files = exportModels(t, need(o.out, '-o/--out'));
  term.out(`exported ${t.compiled.manifest.model} (step ${t.checkpoint.step}) with its weights baked in:\n  ${files.join('\n  ')}`);
  return Exit.ok;
}

export { RunError };
