/**
 * @file Evaluation: the ELBO and the importance-sampled log-likelihood (IWAE, K samples) of a
 * split, per sequence and per time step, in nats of the data as given (the normalization's
 * change of variables is undone). The evaluation graph takes K particles per sequence at run time
 * and forms both the K-averaged ELBO and log (1/K) Σ_k w_k itself.
 */
import type * as ort from 'onnxruntime-node';
import type { Compiled } from '../compiler/pipeline.js';
import { makeBatch, type NormStats, type Sequence, type VarSpec } from './data/index.js';
import type { ParamStore } from './params.js';
import { Rng } from './rng.js';
import { graphFeeds } from './feeds.js';

/** Per-sequence and per-step results of one split. */
export interface EvalResult {
  readonly k: number;
  readonly lengths: number[];
  readonly elboPerSeq: number[];
  readonly iwaePerSeq: number[];
  readonly elboPerStep: number;
  readonly iwaePerStep: number;
}

/**
 * log |d normalized / d data| per time step: Σ over real observed dims of -log std. Adding it to a
 * log-density of normalized data gives the log-density of the data as given.
 */
export function logJacobian(spec: readonly VarSpec[], stats: NormStats): number {
  let j = 0;
  for (const v of spec) {
    const s = stats.get(v.name);
    if (v.elem === 'real' && s) for (const sd of s.std) j -= Math.log(sd);
  }
  return j;
}

/** Evaluates normalized sequences with the parameters in `opts.store`; K importance samples per sequence. */
export async function evaluateSplit(c: Compiled, session: ort.InferenceSession, seqs: readonly Sequence[], spec: readonly VarSpec[],
  stats: NormStats, opts: { batch: number; k: number; seed: number; store: ParamStore }): Promise<EvalResult> {
  const store = opts.store;
  const observed = spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe');
  const jac = logJacobian(observed, stats);
  const K = opts.k;
  const rng = new Rng(opts.seed);
  const lengths: number[] = [];
  const elbo: number[] = [];
  const iwae: number[] = [];
  for (let i = 0; i < seqs.length; i += opts.batch) {
    const group = seqs.slice(i, i + opts.batch);
    const batch = makeBatch(group, spec, Float32Array);
    const feeds = graphFeeds(c.manifest.graphs.evaluate.inputs, {
      store, T: batch.steps, B: batch.size, K, values: (v) => batch.values.get(v), mask: batch.mask, noise: rng, scalars: {},
    });
    const out = await session.run(feeds);
    const e = out['elbo']!.data as Float32Array;
    const iw = out['iwae']!.data as Float32Array;
    group.forEach((s, b) => {
      lengths.push(s.length);
      elbo.push(e[b]! + s.length * jac);
      iwae.push(iw[b]! + s.length * jac);
    });
  }
  const steps = lengths.reduce((a, b) => a + b, 0);
  return {
    k: K, lengths, elboPerSeq: elbo, iwaePerSeq: iwae,
    elboPerStep: elbo.reduce((a, b) => a + b, 0) / steps, iwaePerStep: iwae.reduce((a, b) => a + b, 0) / steps,
  };
}

/** FIVO per sequence and per step, and how often the particle filter resampled. */
export interface FivoResult {
  readonly k: number;
  readonly fivoPerSeq: number[];
  readonly fivoPerStep: number;
  /** Resampling events per valid step, over the whole split. */
  readonly resamplingRate: number;
}

/** The FIVO bound of normalized sequences with K particles (evaluate_fivo.onnx). */
export async function evaluateFivo(c: Compiled, session: ort.InferenceSession, seqs: readonly Sequence[], spec: readonly VarSpec[],
  stats: NormStats, opts: { batch: number; k: number; seed: number; store: ParamStore }): Promise<FivoResult> {
  const observed = spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe');
  const jac = logJacobian(observed, stats);
  const rng = new Rng(opts.seed);
  const fivo: number[] = [];
  let resampled = 0;
  let steps = 0;
  for (let i = 0; i < seqs.length; i += opts.batch) {
    const group = seqs.slice(i, i + opts.batch);
    const batch = makeBatch(group, spec, Float32Array);
    const out = await session.run(graphFeeds(c.manifest.graphs.evaluate_fivo.inputs, {
      store: opts.store, T: batch.steps, B: batch.size, K: opts.k, values: (v) => batch.values.get(v), mask: batch.mask, noise: rng, scalars: {},
    }));
    const f = out['fivo']!.data as Float32Array;
    const r = out['resampled']!.data as Float32Array;
    group.forEach((s, b) => {
      fivo.push(f[b]! + s.length * jac);
      resampled += r[b]!;
      steps += s.length;
    });
  }
  return { k: opts.k, fivoPerSeq: fivo, fivoPerStep: fivo.reduce((a, b) => a + b, 0) / steps, resamplingRate: resampled / steps };
}
