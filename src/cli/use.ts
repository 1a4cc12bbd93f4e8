/** @file `seqc eval`, `seqc sample` and `seqc export`: use a trained run (its own model.seq unless a model file is given). */
import { evaluateFivo, evaluateSplit, type EvalResult } from '../runtime/evaluate.js';
import { exportModels, type ExportOptions } from '../runtime/export.js';
import { DataError, loadDataset, normalize, parseColumns, readSequences, type LoadOptions, type VarSpec } from '../runtime/data/index.js';
import { openGraph } from '../runtime/graphs.js';
import { defaultThreads, type Device } from '../runtime/defaults.js';
import { drawSamples, writeSamples } from '../runtime/sample.js';
import { loadTrained, type Trained } from '../runtime/trained.js';
import { recordEvaluation, type EvalRecord } from '../runtime/report/data.js';
import { rebuildReport } from '../runtime/report/live.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { filterArtifact, leanFivoArtifact, onnxBytes } from '../compiler/pipeline.js';
import { MAX_SEED } from '../runtime/config.js';
import { dataPathOf, RunError } from '../runtime/run.js';
import { Exit, UsageError, type Terminal } from './io.js';

/** Options shared by the commands that use a trained run. */
export interface UseOptions {
  checkpoint?: string; set?: string[]; data?: string; columns?: string; split?: string; iwae?: string; bound?: string; particles?: string; json?: boolean; perSequence?: boolean; batch?: string;
  num?: string; steps?: string; prefix?: string; seed?: string; out?: string; device?: string; threads?: string; which?: string;
  normalization?: string; layout?: string;
}

export function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`${flag} is required`);
  return v;
}

export function int(v: string | undefined, flag: string, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const x = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new UsageError(`${flag} expects an integer ${max < Number.MAX_SAFE_INTEGER ? `between ${min} and ${max}` : `≥ ${min}`}, got '${v}'`);
  }
  return x;
}

export function device(o: UseOptions): { device: Device; threads: number } {
  const d = o.device ?? 'cpu';
  if (d !== 'cpu' && d !== 'cuda') throw new UsageError(`--device must be cpu or cuda, not '${d}'`);
  return { device: d, threads: int(o.threads, '--threads', defaultThreads()) };
}

/** Loads the run named by --checkpoint with the checkpoint --which asks for (best by default); notes a fallback. */
export function trained(model: string | undefined, o: UseOptions, term: Terminal): Trained {
  const w = o.which ?? 'best';
  if (w !== 'best' && w !== 'last') throw new UsageError(`--which must be best or last, not '${w}'`);
  const t = loadTrained(model ?? null, need(o.checkpoint, '--checkpoint'), o.set ?? [], w);
  if (t.choice.note) term.err(`seqc: note: ${t.choice.note}`);
  return t;
}

/** `best.ckpt (best, step 300)`: which checkpoint a command used. */
export function describeCheckpoint(t: Trained): string {
  return `${t.checkpointFile} (${t.choice.which === 'file' ? '' : `${t.choice.which}, `}step ${t.checkpoint.step})`;
}

/** Load options for a --columns mapping (the command's own, else the run's), or none. */
export function loadOptions(o: UseOptions, t: Trained, spec: readonly VarSpec[]): LoadOptions {
  const columns = o.columns ?? t.config?.columns;
  return columns ? { columns: parseColumns(columns, spec) } : {};
}

/** `seqc eval`: ELBO and IWAE-K log-likelihood of a split, per sequence and per step. */
export async function runEval(model: string | undefined, o: UseOptions, term: Terminal): Promise<number> {
  const t = trained(model, o, term);
  const split = o.split ?? 'test';
  if (!['train', 'valid', 'test'].includes(split)) throw new UsageError(`--split must be train, valid or test, not '${split}'`);
  if (o.perSequence && !o.json) throw new UsageError('--per-sequence adds the per-sequence values to --json output; give --json too');
  if (o.iwae !== undefined && o.particles !== undefined) throw new UsageError('--iwae K is a synonym of --particles K: give one of them');
  const bound = o.bound ?? 'iwae';
  if (bound !== 'iwae' && bound !== 'fivo' && bound !== 'elbo') throw new UsageError(`--bound must be elbo, iwae or fivo, not '${bound}'`);
  const K = o.iwae !== undefined ? int(o.iwae, '--iwae', 1) : int(o.particles, '--particles', 1);
  const exact = t.compiled.manifest.exact;
  const dataPath = o.data ?? (t.config ? dataPathOf(t.config) : undefined);
  if (!dataPath) throw new UsageError('--data is required (the checkpoint is not inside a run directory that records its data)');
  const ds = loadDataset(dataPath, t.spec, loadOptions(o, t, t.spec));
  const raw = ds[split as 'test'];
  const seqs = raw.map((s) => normalize(s, t.stats));
  const session = await openGraph('evaluate', onnxBytes(t.compiled.evaluate), device(o));
  const batch = int(o.batch, '--batch', Math.max(1, Math.floor(256 / K)));
  const r = await evaluateSplit(t.compiled, session, seqs, t.spec, t.stats, { batch, k: K, seed: int(o.seed, '--seed', 1, 0, MAX_SEED), store: t.store });
  refuseNonFinite(r, raw.map((s) => s.id), split, t);
  const fv = bound === 'fivo'
    ? await evaluateFivo(t.compiled, await openGraph('evaluate_fivo', onnxBytes(t.compiled.evaluateFivo), device(o)), seqs, t.spec, t.stats, { batch, k: K, seed: int(o.seed, '--seed', 1, 0) + 1, store: t.store, lean: () => openGraph('evaluate_fivo', onnxBytes(leanFivoArtifact(t.compiled)), device(o)) })
    : null;
  const nSteps = r.lengths.reduce((a, b) => a + b, 0);
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const recorded = await recordInRun(t, { split, k: K, checkpoint: t.checkpointFile, checkpoint_step: t.checkpoint.step, n_sequences: seqs.length, n_steps: nSteps,
    elbo_per_seq: mean(r.elboPerSeq), elbo_per_step: r.elboPerStep, iwae_per_seq: mean(r.iwaePerSeq), iwae_per_step: r.iwaePerStep,
    fivo_per_seq: fv ? mean(fv.fivoPerSeq) : null, fivo_per_step: fv ? fv.fivoPerStep : null, exact, time: new Date().toISOString() }, term);
  if (o.json) {
    term.out(JSON.stringify({
      split, n_sequences: seqs.length, n_steps: nSteps, k: K, elbo_per_seq: mean(r.elboPerSeq), elbo_per_step: r.elboPerStep,
      iwae_per_seq: mean(r.iwaePerSeq), iwae_per_step: r.iwaePerStep, exact,
      ...(fv ? { fivo_per_seq: mean(fv.fivoPerSeq), fivo_per_step: fv.fivoPerStep, resampling_rate: fv.resamplingRate } : {}),
      checkpoint: t.checkpointFile, checkpoint_kind: t.choice.which, step: t.checkpoint.step,
      ...(o.perSequence ? { sequences: r.lengths.map((len, i) => ({ index: i, id: raw[i]!.id, length: len, elbo: r.elboPerSeq[i], iwae: r.iwaePerSeq[i], ...(fv ? { fivo: fv.fivoPerSeq[i] } : {}) })) } : {}),
    }));
    return Exit.ok;
  }
  term.out([
    `model ${t.compiled.manifest.model}, checkpoint ${describeCheckpoint(t)}, split '${split}' of ${dataPath}: ${seqs.length} sequences, ${nSteps} steps`,
    ...table([
      ['', 'per sequence', 'per step'],
      ...(exact ? [['log-likelihood, exact (nothing is sampled: every latent is summed out)', mean(r.iwaePerSeq).toFixed(3), r.iwaePerStep.toFixed(3)]] : [
        [`ELBO (lower bound; mean of ${K} one-sample estimate${K === 1 ? '' : 's'})`, mean(r.elboPerSeq).toFixed(3), r.elboPerStep.toFixed(3)],
        [`log-likelihood, importance-sampled, K = ${K}`, mean(r.iwaePerSeq).toFixed(3), r.iwaePerStep.toFixed(3)],
        ...(fv ? [[`FIVO bound, particle filter, K = ${K} (resampled at ${(100 * fv.resamplingRate).toFixed(1)}% of steps)`, mean(fv.fivoPerSeq).toFixed(3), fv.fivoPerStep.toFixed(3)]] : []),
      ]),
    ]).map((l) => `  ${l}`),
    exact ? '  (nats, in the units of the data; the same for every --particles K)'
      : '  (nats, in the units of the data; the IWAE-K and FIVO-K estimates are lower bounds on log p(x) in expectation that tighten as K grows; K = 1 IWAE is a one-sample ELBO)',
    ...(recorded ? [`  recorded in ${recorded} (shown in ${join(t.runDir!, 'report.html')})`] : []),
  ].join('\n'));
  return Exit.ok;
}

/**
 * Records an evaluation of a checkpoint that sits in a run directory and refreshes the run's
 * report; returns the record's path. The evaluation stands without it: a run that cannot be
 * written (a read-only disk) gets a note, not a failure.
 */
async function recordInRun(t: Trained, e: EvalRecord, term: Terminal): Promise<string | null> {
  if (!t.runDir || !existsSync(join(t.runDir, 'metrics.jsonl'))) return null;
  try {
    const path = recordEvaluation(t.runDir, e);
    await rebuildReport(t.runDir, t.choice.which === 'best' ? { trained: t } : {});
    return path;
  } catch (err) {
    term.err(`seqc: note: the evaluation was not recorded in ${t.runDir} (its report is unchanged): ${(err as Error).message}`);
    return null;
  }
}

/** Rows with the first column left-aligned and the others right-aligned, each as wide as its widest cell. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd());
}

/** A diverged checkpoint gives NaN or infinite densities: an error naming the first such sequence, never a table of NaNs. */
function refuseNonFinite(r: EvalResult, ids: readonly string[], split: string, t: Trained): void {
  const i = r.lengths.findIndex((_, k) => !Number.isFinite(r.elboPerSeq[k]!) || !Number.isFinite(r.iwaePerSeq[k]!));
  if (i < 0) return;
  throw new RunError(`the evaluation is not finite: split '${split}', sequence ${i} (id ${JSON.stringify(ids[i])}) has ELBO ${r.elboPerSeq[i]} and IWAE ${r.iwaePerSeq[i]} ` +
    `with ${describeCheckpoint(t)}; the checkpoint's weights do not give this data a finite density (a diverged run, or data far outside the training data's range)`,
    'evaluate another checkpoint (--which best or --which last), or train again with a lower --lr');
}

/** `seqc sample`: draw from the prior or continue prefixes; write arrays and pictures. */
export async function runSample(model: string | undefined, o: UseOptions, term: Terminal): Promise<number> {
  const t = trained(model, o, term);
  const out = need(o.out, '-o/--out');
  if (o.prefix && o.num !== undefined) throw new UsageError('--num cannot be used with --prefix: one sample continues each prefix sequence');
  const prefix = o.prefix ? readSequences(o.prefix, t.spec, loadOptions(o, t, t.spec)).sequences.map((s) => normalize(s, t.stats)) : undefined;
  if (prefix && prefix.length === 0) throw new DataError({ file: o.prefix! }, 'holds no sequences; --prefix needs at least one sequence to continue');
  const longest = prefix ? Math.max(...prefix.map((s) => s.length)) : 0;
  const steps = int(o.steps, '--steps', prefix ? longest * 2 : 40);
  if (prefix && steps < longest) throw new UsageError(`--steps ${steps} is shorter than the longest prefix (${longest} steps)`);
  if (o.particles !== undefined && !prefix) throw new UsageError('--particles filters the latents over a prefix: give --prefix DATA too');
  const particles = o.particles !== undefined ? int(o.particles, '--particles', 1) : undefined;
  const filtered = particles !== undefined ? filterArtifact(t.compiled) : null;
  const session = await openGraph(filtered ? 'sample_filtered' : 'sample', onnxBytes(filtered ?? t.compiled.sample), device(o));
  const s = await drawSamples(t, session, { num: int(o.num, '--num', 4), steps, seed: int(o.seed, '--seed', 1, 0, MAX_SEED), ...(prefix ? { prefix } : {}), ...(filtered ? { filter: { particles: particles!, inputs: filtered.inputs, ir: filtered.ir } } : {}) });
  const files = writeSamples(t, s, out, t.config?.sampleRate ?? null);
  const how = filtered ? ` continuing the given prefixes (latents filtered with ${particles} particles)` : prefix ? ' continuing the given prefixes' : '';
  term.out(`sampled ${s.num} sequence${s.num === 1 ? '' : 's'} of ${s.steps} steps from ${describeCheckpoint(t)}${how}:\n  ${files.join('\n  ')}`);
  return Exit.ok;
}

/** `seqc export`: standalone ONNX models with the trained weights. */
export async function runExport(model: string | undefined, o: UseOptions, term: Terminal): Promise<number> {
  const t = trained(model, o, term);
  const files = exportModels(t, need(o.out, '-o/--out'), { normalization: o.normalization as ExportOptions['normalization'], layout: o.layout as ExportOptions['layout'] });
  term.out(`exported ${t.compiled.manifest.model} from ${describeCheckpoint(t)} with its weights baked in:\n  ${files.join('\n  ')}`);
  return Exit.ok;
}
