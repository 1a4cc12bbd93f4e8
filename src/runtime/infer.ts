/**
 * @file Posterior inference over a data split (`seqc infer`): for every sequence and step, the
 * guide's location, scale and one sample of each continuous latent, and for a discrete latent
 * its filtered and smoothed marginals and the most likely path (Viterbi), computed in float64
 * from the per-step log transition matrices and log evidence that the infer graph reports
 * (the forward–backward recursions of Rabiner 1989, in log space). Written as NPY arrays
 * [N, T, ·] padded with NaN after each sequence's end, plus one SVG per latent.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { inferArtifact, onnxBytes, type Artifact } from '../compiler/pipeline.js';
import { encodeNpy, makeBatch, type Sequence } from './data/index.js';
import { graphFeeds } from './feeds.js';
import { lineChartSvg } from './plot.js';
import { marginalsSvg } from './plot-posterior.js';
import { Rng } from './rng.js';
import { writeFileAtomic } from './run.js';
import type { Trained } from './trained.js';

/** One latent's posterior for a split: arrays [N][T·w] per quantity (sequence n has lengths[n] steps). */
export interface LatentPosterior {
  readonly name: string;
  readonly kind: 'continuous' | 'discrete';
  readonly width: number;
  /** continuous: loc, scale, sample; discrete: filtered, smoothed (probabilities) and viterbi (indices, width 1). */
  readonly arrays: Map<string, Float64Array[]>;
}

/** The posterior of every latent for a split. */
export interface Posterior {
  readonly ids: string[];
  readonly lengths: number[];
  readonly latents: LatentPosterior[];
}

/** The graph that `infer` runs, compiled from the trained model, and its bytes. */
export function inferGraph(t: Trained): { artifact: Artifact; bytes: Uint8Array } {
  const artifact = inferArtifact(t.compiled);
  return { artifact, bytes: onnxBytes(artifact) };
}

const lse = (xs: ArrayLike<number>): number => {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, xs[i]!);
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
};

/**
 * Forward–backward and Viterbi for one sequence of L steps over K values: `logtrans(t, j, k)` is
 * log p(s_t = k | s_{t-1} = j) (any j at t = 0), `evidence(t, k)` the log evidence of s_t = k.
 * Returns filtered and smoothed marginals [L·K] and the most likely path [L].
 */
export function forwardBackward(logtrans: (t: number, j: number, k: number) => number, evidence: (t: number, k: number) => number, L: number, K: number): { filtered: Float64Array; smoothed: Float64Array; viterbi: Float64Array; logLik: number } {
  const alpha = new Float64Array(L * K), beta = new Float64Array(L * K), delta = new Float64Array(L * K);
  const back = new Int32Array(L * K);
  const filtered = new Float64Array(L * K), smoothed = new Float64Array(L * K), viterbi = new Float64Array(L);
  const terms = new Float64Array(K);
  for (let t = 0; t < L; t++) {
    for (let k = 0; k < K; k++) {
      if (t === 0) {
        alpha[k] = delta[k] = logtrans(0, 0, k) + evidence(0, k);
        continue;
      }
      let best = -Infinity, arg = 0;
      for (let j = 0; j < K; j++) {
        terms[j] = alpha[(t - 1) * K + j]! + logtrans(t, j, k);
        const d = delta[(t - 1) * K + j]! + logtrans(t, j, k);
        if (d > best) [best, arg] = [d, j];
      }
      alpha[t * K + k] = lse(terms) + evidence(t, k);
      delta[t * K + k] = best + evidence(t, k);
      back[t * K + k] = arg;
    }
    const z = lse(alpha.subarray(t * K, (t + 1) * K));
    for (let k = 0; k < K; k++) filtered[t * K + k] = Math.exp(alpha[t * K + k]! - z);
  }
  for (let t = L - 2; t >= 0; t--) {
    for (let j = 0; j < K; j++) {
      for (let k = 0; k < K; k++) terms[k] = logtrans(t + 1, j, k) + evidence(t + 1, k) + beta[(t + 1) * K + k]!;
      beta[t * K + j] = lse(terms);
    }
  }
  const logLik = L ? lse(alpha.subarray((L - 1) * K, L * K)) : 0;
  for (let t = 0; t < L; t++) {
    for (let k = 0; k < K; k++) terms[k] = alpha[t * K + k]! + beta[t * K + k]!;
    const z = lse(terms);
    for (let k = 0; k < K; k++) smoothed[t * K + k] = Math.exp(terms[k]! - z);
  }
  if (L) {
    let arg = 0;
    for (let k = 1; k < K; k++) if (delta[(L - 1) * K + k]! > delta[(L - 1) * K + arg]!) arg = k;
    for (let t = L - 1; t >= 0; t--) {
      viterbi[t] = arg;
      arg = back[t * K + arg]!;
    }
  }
  return { filtered, smoothed, viterbi, logLik };
}

/** Runs the infer graph over normalized sequences, `batch` at a time. */
export async function inferSplit(t: Trained, graph: Artifact, session: ort.InferenceSession, seqs: readonly Sequence[], opts: { batch: number; seed: number }): Promise<Posterior> {
  const c = t.compiled;
  const inputs = graph.inputs;
  const rng = new Rng(opts.seed);
  const latents = [...c.model.vars.values()].filter((v) => v.role === 'latent');
  const out: LatentPosterior[] = latents.map((v) => ({ name: v.name, kind: v.elem === 'cat' ? 'discrete' : 'continuous', width: v.width, arrays: new Map() }));
  const push = (lp: LatentPosterior, key: string, a: Float64Array): void => { lp.arrays.set(key, [...(lp.arrays.get(key) ?? []), a]); };
  for (let i = 0; i < seqs.length; i += opts.batch) {
    const group = seqs.slice(i, i + opts.batch);
    const batch = makeBatch(group, t.spec, Float32Array);
    const B = group.length, T = batch.steps;
    const r = await session.run(graphFeeds(inputs, { store: t.store, T, B, values: (v) => batch.values.get(v), mask: batch.mask, noise: rng, scalars: {} }));
    const get = (name: string): Float32Array => r[name]!.data as Float32Array;
    for (const lp of out) {
      const w = lp.width;
      group.forEach((s, b) => {
        const L = s.length;
        const rows = (name: string, width: number): Float64Array => {
          const d = get(name), a = new Float64Array(L * width);
          for (let s2 = 0; s2 < L; s2++) for (let k = 0; k < width; k++) a[s2 * width + k] = d[(s2 * B + b) * width + k]!;
          return a;
        };
        if (lp.kind === 'continuous') {
          for (const q of ['loc', 'scale', 'sample']) if (r[`posterior.${lp.name}.${q}`]) push(lp, q, rows(`posterior.${lp.name}.${q}`, w));
          return;
        }
        const tr = get(`posterior.${lp.name}.logtrans`), ev = get(`posterior.${lp.name}.evidence`);
        const fb = forwardBackward((s2, j, k) => tr[((s2 * B + b) * w + j) * w + k]!, (s2, k) => ev[(s2 * B + b) * w + k]!, L, w);
        push(lp, 'filtered', fb.filtered);
        push(lp, 'smoothed', fb.smoothed);
        push(lp, 'viterbi', fb.viterbi);
      });
    }
  }
  return { ids: seqs.map((s) => s.id), lengths: seqs.map((s) => s.length), latents: out };
}

/** Writes `<latent>.<quantity>.npy` ([N, T, w], NaN-padded), `lengths.npy`, `ids.json` and `<latent>.svg`; returns the files. */
export function writePosterior(p: Posterior, out: string): string[] {
  mkdirSync(out, { recursive: true });
  const N = p.lengths.length, T = Math.max(0, ...p.lengths);
  const files: string[] = [];
  const write = (name: string, data: Uint8Array | string): void => { writeFileAtomic(join(out, name), data); files.push(name); };
  write('lengths.npy', encodeNpy([N], '<f4', p.lengths));
  write('ids.json', JSON.stringify(p.ids, null, 1) + '\n');
  for (const lp of p.latents) {
    for (const [q, rows] of lp.arrays) {
      const w = q === 'viterbi' ? 1 : lp.width;
      const a = new Float32Array(N * T * w).fill(NaN);
      rows.forEach((r, n) => a.set(Float32Array.from(r), n * T * w));
      write(`${lp.name}.${q}.npy`, encodeNpy([N, T, w], '<f4', a));
    }
    const L = p.lengths[0] ?? 0;
    if (lp.kind === 'discrete') {
      write(`${lp.name}.svg`, marginalsSvg(lp.arrays.get('smoothed')![0]!, lp.arrays.get('viterbi')![0]!, L, lp.width, `${lp.name}: smoothed marginals and the Viterbi path, sequence ${p.ids[0] ?? 0}`));
    } else {
      const loc = lp.arrays.get('loc')?.[0] ?? lp.arrays.get('sample')![0]!;
      const series = Array.from({ length: Math.min(lp.width, 8) }, (_, k) => ({ name: `${lp.name}[${k}]`, points: Array.from({ length: L }, (_, s) => [s, loc[s * lp.width + k]!] as const) }));
      write(`${lp.name}.svg`, lineChartSvg({ title: `${lp.name}: guide mean per step, sequence ${p.ids[0] ?? 0}`, xLabel: 'time step', yLabel: 'posterior mean', series }));
    }
  }
  return files;
}
