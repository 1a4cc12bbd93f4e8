/**
 * @file Sampling from a trained model: ancestral sampling from the prior, or continuing given
 * prefixes (observations over the prefix are the given ones and the latents there are inferred
 * by the guide: the PrefixContinuation handler); results denormalized back to data units and written as NPY/JSON plus the natural
 * picture or sound: piano rolls as SVG and MIDI, handwriting strokes as SVG, waveforms as WAV and SVG.
 */
import { makeDirectory } from './safefs.js';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { denormalize, encodeNpy, encodeWav16, makeBatch, pianoRollToMidi, type Sequence } from './data/index.js';
import { lineChartSvg, pianoRollSvg, strokesSvg, waveformSvg } from './plot.js';
import { Rng } from './rng.js';
import { RunError, writeFileAtomic } from './run.js';
import { graphFeeds } from './feeds.js';
import type { Trained } from './trained.js';
import type { InputSpec } from '../inference/handler.js';
import type { Graph } from '../compiler/ir/graph.js';
import { EVAL_MEMORY_BUDGET, evalChunks } from './evaluate.js';

/** Continue prefixes with a particle filter of `particles` particles: the graph of `filterArtifact` and its input specs. */
export interface FilterOptions {
  readonly particles: number;
  readonly inputs: readonly InputSpec[];
  /** The filter graph's IR, to size its runs (without it the sequences run as one). */
  readonly ir?: Graph;
}

/** Sampled values per variable, time-major [T, N, w], in data units. */
export interface Samples {
  readonly steps: number;
  readonly num: number;
  readonly values: Map<string, { width: number; data: Float32Array }>;
}

/**
 * Draws `num` sequences of `steps` steps; `prefix` (normalized) sequences are continued. The
 * sequences run in groups whose footprint (`graphBytes`, as for evaluation) fits `budget`
 * (default `EVAL_MEMORY_BUDGET`): a long prefix filtered with many particles holds
 * T × K × N positions, so it is split over its sequences, which are independent; each group
 * draws its own noise, in order, so a group of one sequence draws what a run of it alone does.
 */
export async function drawSamples(t: Pick<Trained, 'compiled' | 'spec' | 'store' | 'stats'>, session: ort.InferenceSession,
  opts: { num: number; steps: number; seed: number; prefix?: readonly Sequence[]; filter?: FilterOptions; budget?: number }): Promise<Samples> {
  const c = t.compiled;
  const rng = new Rng(opts.seed);
  const inputs = t.spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'input');
  if (inputs.length && !opts.prefix) throw new RunError(`this model reads control inputs (${inputs.map((v) => v.name).join(', ')}); pass --prefix DATA that contains them`);
  const N = opts.prefix ? opts.prefix.length : opts.num;
  const longest = opts.prefix ? Math.max(0, ...opts.prefix.map((s) => s.length)) : 0;
  const T = Math.max(opts.steps, longest);
  if (inputs.length && opts.prefix && opts.prefix.some((s) => s.length < T)) {
    throw new RunError(`this model reads control inputs (${inputs.map((v) => v.name).join(', ')}) at every step: each --prefix sequence must supply them for all ${T} steps`);
  }
  const K = opts.filter?.particles ?? 1;
  const ir = opts.filter ? opts.filter.ir : c.sample.ir;
  const per = ir ? evalChunks(ir, T, N, K, opts.budget ?? EVAL_MEMORY_BUDGET).seqs : N;
  const parts: Map<string, { width: number; data: Float32Array }>[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < N; i += per) {
    const n = Math.min(per, N - i);
    parts.push(await drawGroup(t, session, rng, T, n, opts.prefix?.slice(i, i + n), opts.filter));
    sizes.push(n);
  }
  return { steps: T, num: N, values: parts.length === 1 ? parts[0]! : joinGroups(parts, sizes, T, N) };
}

/** One run of the sample (or filter) graph over `n` sequences (or the `prefix` group) of T steps. */
async function drawGroup(t: Pick<Trained, 'compiled' | 'spec' | 'store' | 'stats'>, session: ort.InferenceSession, rng: Rng, T: number, n: number,
  prefix: readonly Sequence[] | undefined, filter: FilterOptions | undefined): Promise<Map<string, { width: number; data: Float32Array }>> {
  const c = t.compiled;
  const prefixBatch = prefix ? makeBatch(prefix, t.spec, Float32Array) : null;
  const rows = (a: Float32Array | undefined, width: number): Float32Array | undefined => (a ? padTime(a, prefixBatch!.steps, T, n * width) : undefined);
  const widthOf = (v: string): number => t.spec.find((x) => x.name === v)!.width;
  // The filtered continuation (`filterArtifact`): its own inputs, and outputs with K·n rows.
  const K = filter?.particles ?? 1;
  const feeds = graphFeeds(filter?.inputs ?? c.manifest.graphs.sample.inputs, {
    store: t.store, T, B: n, K, noise: rng, scalars: {},
    values: (v) => rows(prefixBatch?.values.get(v), widthOf(v)),
    ...(prefixBatch ? { mask: padTime(prefixBatch.mask, prefixBatch.steps, T, n) } : {}),
  });
  const out = await session.run(feeds);
  // One particle per sequence, drawn with probability ∝ its final weight.
  const chosen = filter ? pickParticles(out['logw']!.data as Float32Array, K, n, rng) : null;
  const values = new Map<string, { width: number; data: Float32Array }>();
  for (const v of c.manifest.variables) {
    const o = out[`sample.${v.name}`];
    if (!o) continue;
    const data = chosen ? selectRows(o.data as Float32Array, T, K, n, v.width, chosen) : Float32Array.from(o.data as Float32Array);
    values.set(v.name, { width: v.width, data: v.role === 'observe' && v.elem === 'real' ? denormalize(v.name, data, t.stats) : data });
  }
  return values;
}

/** Groups of [T, n_g, w] values side by side as [T, N, w], in group order. */
function joinGroups(parts: readonly Map<string, { width: number; data: Float32Array }>[], sizes: readonly number[], T: number, N: number): Map<string, { width: number; data: Float32Array }> {
  const out = new Map<string, { width: number; data: Float32Array }>();
  for (const [name, { width: w }] of parts[0]!) {
    const data = new Float32Array(T * N * w);
    let first = 0;
    parts.forEach((p, g) => {
      const n = sizes[g]!, src = p.get(name)!.data;
      for (let t = 0; t < T; t++) data.set(src.subarray(t * n * w, (t + 1) * n * w), (t * N + first) * w);
      first += n;
    });
    out.set(name, { width: w, data });
  }
  return out;
}

/** For each of N sequences, a particle k drawn with probability ∝ exp(logw[k·N + n]). */
export function pickParticles(logw: Float32Array, K: number, N: number, rng: Rng): number[] {
  return Array.from({ length: N }, (_, n) => {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, logw[k * N + n]!);
    const w = Array.from({ length: K }, (_, k) => Math.exp(logw[k * N + n]! - max));
    let u = rng.uniform() * w.reduce((a, x) => a + x, 0);
    for (let k = 0; k < K; k++) if ((u -= w[k]!) < 0) return k;
    return K - 1;
  });
}

/** The rows of the chosen particles from a [T, K·N, w] array, as [T, N, w]. */
function selectRows(a: Float32Array, T: number, K: number, N: number, w: number, chosen: readonly number[]): Float32Array {
  const out = new Float32Array(T * N * w);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) out.set(a.subarray((t * K * N + chosen[n]! * N + n) * w, (t * K * N + chosen[n]! * N + n + 1) * w), (t * N + n) * w);
  return out;
}

/** A [T0, rows] time-major array extended with zeros to T steps. */
function padTime(a: Float32Array | undefined, t0: number, T: number, rows: number): Float32Array {
  const out = new Float32Array(T * rows);
  if (a) out.set(a.subarray(0, Math.min(t0, T) * rows));
  return out;
}

/** One sequence's frames of one variable, [T][w]. */
function frames(s: Samples, name: string, n: number): number[][] {
  const v = s.values.get(name)!;
  return Array.from({ length: s.steps }, (_, t) => Array.from(v.data.subarray((t * s.num + n) * v.width, (t * s.num + n + 1) * v.width)));
}

/** Writes samples and pictures into `out`; returns the files written. */
export function writeSamples(t: Pick<Trained, 'compiled'>, s: Samples, out: string, sampleRate: number | null): string[] {
  makeDirectory(out);
  const written: string[] = [];
  const put = (file: string, data: string | Uint8Array): void => {
    writeFileAtomic(join(out, file), data);
    written.push(join(out, file));
  };
  const observed = t.compiled.manifest.variables.filter((v) => v.role === 'observe');
  const json: Record<string, number[][][]> = {};
  for (const v of [...observed, ...t.compiled.manifest.variables.filter((x) => x.role === 'latent')]) {
    json[v.name] = Array.from({ length: s.num }, (_, n) => frames(s, v.name, n));
    const nt = new Float32Array(s.num * s.steps * v.width);
    for (let n = 0; n < s.num; n++) for (let k = 0; k < s.steps; k++) nt.set(s.values.get(v.name)!.data.subarray((k * s.num + n) * v.width, (k * s.num + n + 1) * v.width), (n * s.steps + k) * v.width);
    put(`${v.name}.npy`, encodeNpy([s.num, s.steps, v.width], '<f4', nt));
  }
  put('samples.json', JSON.stringify({ model: t.compiled.manifest.model, steps: s.steps, sequences: s.num, variables: json }) + '\n');
  for (const f of samplePictures(t, s, sampleRate)) put(f.file, f.data);
  return written;
}

/** How a model's samples are shown: piano rolls (88 binary keys), pen strokes, sound, or line plots. */
export type PictureKind = 'pianoRoll' | 'strokes' | 'audio' | 'lines';

/** The natural picture of a model's observations (the rule `seqc sample` and the run report share). */
export function pictureKind(t: Pick<Trained, 'compiled'>, sampleRate: number | null): PictureKind {
  const observed = t.compiled.manifest.variables.filter((v) => v.role === 'observe');
  if (observed.some((v) => v.elem === 'binary' && v.width === 88)) return 'pianoRoll';
  if (observed.some((v) => v.elem === 'binary' && v.width === 1) && observed.some((v) => v.elem === 'real' && v.width === 2)) return 'strokes';
  if (observed.length === 1 && observed[0]!.elem === 'real' && sampleRate) return 'audio';
  return 'lines';
}

/** The pictures, sounds and MIDI files of the first four sampled sequences (`sample-N.svg|wav|mid`): file names and contents. */
export function samplePictures(t: Pick<Trained, 'compiled'>, s: Samples, sampleRate: number | null): { file: string; data: string | Uint8Array }[] {
  const out: { file: string; data: string | Uint8Array }[] = [];
  const observed = t.compiled.manifest.variables.filter((v) => v.role === 'observe');
  const title = (n: number): { title: string } => ({ title: `${t.compiled.manifest.model}: sample ${n}` });
  const kind = pictureKind(t, sampleRate);
  for (let n = 0; n < Math.min(s.num, 4); n++) {
    switch (kind) {
      case 'pianoRoll': {
        const roll = frames(s, observed.find((v) => v.elem === 'binary' && v.width === 88)!.name, n);
        out.push({ file: `sample-${n}.svg`, data: pianoRollSvg(roll, title(n)) }, { file: `sample-${n}.mid`, data: pianoRollToMidi(roll, title(n)) });
        break;
      }
      case 'strokes': {
        const p = frames(s, observed.find((v) => v.elem === 'binary' && v.width === 1)!.name, n);
        const d = frames(s, observed.find((v) => v.elem === 'real' && v.width === 2)!.name, n);
        out.push({ file: `sample-${n}.svg`, data: strokesSvg(d.map((f, k) => [f[0]!, f[1]!, p[k]![0]! > 0.5] as const), title(n)) });
        break;
      }
      case 'audio': {
        const wave = Float32Array.from(frames(s, observed[0]!.name, n).flat());
        out.push({ file: `sample-${n}.wav`, data: encodeWav16(wave, sampleRate!) }, { file: `sample-${n}.svg`, data: waveformSvg(wave, sampleRate!, title(n)) });
        break;
      }
      case 'lines': {
        const v = observed[0]!;
        const f = frames(s, v.name, n);
        const series = Array.from({ length: Math.min(4, v.width) }, (_, d) => ({ name: `${v.name}[${d}]`, points: f.map((row, k) => [k, row[d]!] as [number, number]) }));
        out.push({ file: `sample-${n}.svg`, data: lineChartSvg({ ...title(n), xLabel: 't', yLabel: v.name, series }) });
        break;
      }
    }
  }
  return out;
}
