/**
 * @file Evaluation: the ELBO and the importance-sampled log-likelihood (IWAE, K samples) of a
 * split, per sequence and per time step, in nats of the data as given (the normalization's
 * change of variables is undone). The evaluation graph takes K particles per sequence at run time
 * and forms both the K-averaged ELBO and log (1/K) Σ_k w_k itself.
 *
 * Memory: one run holds tensors of T × K × B positions (a NADE emission alone is 88 × H values
 * per position), so a long song with K = 100 can need tens of GiB. Each group of sequences is
 * therefore split, before it runs, into runs whose footprint — every value of the evaluation
 * graph at those sizes, an upper bound since onnxruntime reuses buffers — fits
 * `EVAL_MEMORY_BUDGET`: first fewer sequences per run, then fewer particles per run, whose
 * bounds combine exactly (log-mean-exp of the chunks' IWAE, weighted by their particle counts).
 * The split depends only on the graph and the sequence lengths, never on the machine, so the
 * numbers are the same everywhere; groups that fit run as one, exactly as before.
 */
import type * as ort from 'onnxruntime-node';
import { dimAdd, dimMul, dimProduct, evalDim, type Dim } from '../compiler/ir/dim.js';
import type { Graph } from '../compiler/ir/graph.js';
import { Op } from '../compiler/ir/ops.js';
import { leanFivoArtifact, type Compiled } from '../compiler/pipeline.js';
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

/** The largest estimated footprint of one evaluation run, in bytes (see the file comment). */
export const EVAL_MEMORY_BUDGET = 2 * 1024 ** 3;

const dtypeBytes = { float32: 4, float64: 8, int64: 8, bool: 1 } as const;

/** Each graph's footprint as a polynomial in T, B and K, built once. */
const footprints = new WeakMap<Graph, Dim>();

/**
 * Bytes of all values of graph `g` (Scan bodies count once: they hold one step) at T steps, B
 * sequences and K particles, as if no buffer were reused.
 */
export function graphBytes(g: Graph, T: number, B: number, K: number): number {
  let f = footprints.get(g);
  if (f === undefined) {
    let sum: Dim = 0;
    const visit = (h: Graph): void => {
      for (const v of h.values) sum = dimAdd(sum, dimMul(dimProduct(v.shape), dtypeBytes[v.dtype]));
      for (const n of h.nodes) if (n.op === Op.Scan) visit(n.attrs.body);
    };
    visit(g);
    footprints.set(g, f = sum);
  }
  return evalDim(f, new Map([['T', T], ['B', B], ['K', K]]));
}

/**
 * Sequences and particles per run for a group of `B` sequences of at most `T` steps with `K`
 * particles: the whole group if it fits `budget`, else the most sequences that fit with all K
 * particles, else one sequence with the most particles that fit (at least one: time cannot be
 * split, so a single sequence and particle runs whatever it needs).
 */
export function evalChunks(g: Graph, T: number, B: number, K: number, budget = EVAL_MEMORY_BUDGET): { seqs: number; particles: number } {
  const fits = (b: number, k: number): boolean => graphBytes(g, T, b, k) <= budget;
  const largest = (n: number, ok: (m: number) => boolean): number => {
    let lo = 1, hi = n; // the largest m in [1, n] with ok(m), or 1; footprints grow with m
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (ok(mid)) lo = mid; else hi = mid - 1;
    }
    return lo;
  };
  if (fits(B, K)) return { seqs: B, particles: K };
  if (fits(1, K)) return { seqs: largest(B, (b) => fits(b, K)), particles: K };
  return { seqs: 1, particles: largest(K, (k) => fits(1, k)) };
}

/** The K-particle ELBO from chunks of (k_c particles, their mean ELBO); one chunk is returned as is. */
export function combineElbo(chunks: readonly (readonly [number, number])[], K: number): number {
  if (chunks.length === 1) return chunks[0]![1];
  return chunks.reduce((a, [k, e]) => a + k * e, 0) / K;
}

/** The IWAE-K bound from chunks of (k_c particles, their IWAE-k_c): log Σ_c k_c·e^{IWAE_c} − log K. */
export function combineIwae(chunks: readonly (readonly [number, number])[], K: number): number {
  if (chunks.length === 1) return chunks[0]![1];
  const terms = chunks.map(([k, w]) => w + Math.log(k));
  const m = Math.max(...terms);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(terms.reduce((a, x) => a + Math.exp(x - m), 0)) - Math.log(K);
}

/** Evaluates normalized sequences with the parameters in `opts.store`; K importance samples per sequence. */
export async function evaluateSplit(c: Compiled, session: ort.InferenceSession, seqs: readonly Sequence[], spec: readonly VarSpec[],
  stats: NormStats, opts: { batch: number; k: number; seed: number; store: ParamStore; budget?: number }): Promise<EvalResult> {
  const store = opts.store;
  const observed = spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe');
  const jac = logJacobian(observed, stats);
  const K = opts.k;
  const rng = new Rng(opts.seed);
  const lengths: number[] = [];
  const elbo: number[] = [];
  const iwae: number[] = [];
  /** One run: the K-averaged ELBO and the IWAE-k of each sequence of `group`. */
  const run = async (group: readonly Sequence[], k: number): Promise<{ e: Float32Array; iw: Float32Array }> => {
    const batch = makeBatch(group, spec, Float32Array);
    const feeds = graphFeeds(c.manifest.graphs.evaluate.inputs, {
      store, T: batch.steps, B: batch.size, K: k, values: (v) => batch.values.get(v), mask: batch.mask, noise: rng, scalars: {},
    });
    const out = await session.run(feeds);
    return { e: out['elbo']!.data as Float32Array, iw: out['iwae']!.data as Float32Array };
  };
  for (let i = 0; i < seqs.length; i += opts.batch) {
    const group = seqs.slice(i, i + opts.batch);
    const chunk = evalChunks(c.evaluate.ir, Math.max(...group.map((s) => s.length)), group.length, K, opts.budget);
    for (let j = 0; j < group.length; j += chunk.seqs) {
      const sub = group.slice(j, j + chunk.seqs);
      // Particle chunks: ELBO_K = Σ_c k_c·ELBO_c / K; IWAE_K = log Σ_c k_c·exp(IWAE_c) − log K.
      const chunks: { k: number; e: Float32Array; iw: Float32Array }[] = [];
      for (let k0 = 0; k0 < K; k0 += chunk.particles) {
        const k = Math.min(chunk.particles, K - k0);
        chunks.push({ k, ...(await run(sub, k)) });
      }
      sub.forEach((s, b) => {
        lengths.push(s.length);
        elbo.push(combineElbo(chunks.map((ch) => [ch.k, ch.e[b]!]), K) + s.length * jac);
        iwae.push(combineIwae(chunks.map((ch) => [ch.k, ch.iw[b]!]), K) + s.length * jac);
      });
    }
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

/**
 * The FIVO bound of normalized sequences with K particles (evaluate_fivo.onnx). Its particles
 * are resampled together, so only the sequences of a group are split across runs to fit the
 * memory budget; a single sequence whose K particles still do not fit runs in the lean graph
 * (`leanFivoArtifact`: no batched hoisting, memory per step instead of per sequence) when
 * `opts.lean` opens it.
 */
export async function evaluateFivo(c: Compiled, session: ort.InferenceSession, seqs: readonly Sequence[], spec: readonly VarSpec[],
  stats: NormStats, opts: { batch: number; k: number; seed: number; store: ParamStore; budget?: number; lean?: () => Promise<ort.InferenceSession> }): Promise<FivoResult> {
  const observed = spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe');
  const jac = logJacobian(observed, stats);
  const rng = new Rng(opts.seed);
  const fivo: number[] = [];
  let resampled = 0;
  let steps = 0;
  const budget = opts.budget ?? EVAL_MEMORY_BUDGET;
  const groups: { seqs: Sequence[]; lean: boolean }[] = [];
  for (let i = 0; i < seqs.length; i += opts.batch) {
    const group = seqs.slice(i, i + opts.batch);
    const T = Math.max(...group.map((s) => s.length));
    const lean = opts.lean !== undefined && graphBytes(c.evaluateFivo.ir, T, 1, opts.k) > budget;
    const n = evalChunks(lean ? leanFivoArtifact(c).ir : c.evaluateFivo.ir, T, group.length, opts.k, budget).seqs;
    for (let j = 0; j < group.length; j += n) groups.push({ seqs: group.slice(j, j + n), lean });
  }
  let leanSession: ort.InferenceSession | null = null;
  for (const { seqs: group, lean } of groups) {
    const s = lean ? (leanSession ??= await opts.lean!()) : session;
    const batch = makeBatch(group, spec, Float32Array);
    const out = await s.run(graphFeeds(c.manifest.graphs.evaluate_fivo.inputs, {
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
