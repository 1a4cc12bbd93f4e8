/**
 * @file Shuffling, cropping and batching sequences into time-major padded tensors.
 *
 * A batch of B sequences holds, per variable of width w, a `[T, B, w]` tensor (T the longest
 * length in the batch; element (t, b, d) at `(t * B + b) * w + d`) and a `[T, B]` mask that is
 * 1 where step t of sequence b exists. Sequences start at t = 0; padding is at the end and 0.
 */
import type { Sequence, VarSpec } from './types.js';

/** A source of uniform [0, 1) draws; the caller owns its seed and state (checkpoints save it). */
export interface Uniform {
  uniform(): number;
}

/** A float array constructor: `Float32Array` or `Float64Array`. */
export type FloatArrayOf<A extends Float32Array | Float64Array> = new (length: number) => A;

/** One padded time-major batch. */
export interface Batch<A extends Float32Array | Float64Array = Float32Array> {
  /** Ids of the batch's sequences, in batch order. */
  readonly ids: readonly string[];
  /** True length of each sequence. */
  readonly lengths: readonly number[];
  /** T: the longest length. */
  readonly steps: number;
  /** B: the number of sequences. */
  readonly size: number;
  /** Per variable, `[T, B, w]` row-major, zero-padded. */
  readonly values: ReadonlyMap<string, A>;
  /** `[T, B]`: 1 for real steps, 0 for padding. */
  readonly mask: A;
}

/** How an epoch is cut into batches. */
export interface BatchOptions<A extends Float32Array | Float64Array = Float32Array> {
  readonly batchSize: number;
  /** Tensor type; Float32Array by default. */
  readonly dtype?: FloatArrayOf<A>;
  /** Drop a last batch smaller than batchSize (default false: keep it). */
  readonly dropLast?: boolean;
  /** Crop sequences into windows of at most this many steps first (see {@link cropSequences}). */
  readonly maxLen?: number;
  /** Where the windows of a long sequence begin: at its start (default), or at a new random offset each epoch. */
  readonly crop?: Crop;
}

/**
 * How `maxLen` windows are placed in a sequence longer than `maxLen`: `start` cuts it at steps
 * 0, L, 2L, … (the same windows every epoch); `random` draws an offset o in [0, L) per sequence
 * per epoch and cuts at 0, o, o + L, …, so each epoch sees windows with other boundaries (and
 * other steps right after the zero initial state), and every step still once.
 */
export type Crop = 'start' | 'random';

/** A shuffled copy of `items` (Fisher–Yates, one draw per position from the end). */
export function shuffled<T>(items: readonly T[], rng: Uniform): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng.uniform() * (i + 1)));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Cuts each sequence longer than `maxLen` into consecutive non-overlapping windows of
 * `maxLen` steps from its start, the last window holding the remainder (ids `id@start`);
 * shorter sequences pass through. Windows share memory with the originals. With `offsets`
 * (random crops, see {@link Crop}), each long sequence draws one offset o in [0, maxLen) from it,
 * in sequence order: steps 0..o-1 are a window of their own and the others start at o.
 */
export function cropSequences(seqs: readonly Sequence[], maxLen: number, offsets?: Uniform): Sequence[] {
  if (!(Number.isInteger(maxLen) && maxLen >= 1)) throw new RangeError(`maxLen must be a positive integer, got ${maxLen}`);
  return seqs.flatMap((s) => {
    if (s.length <= maxLen) return [s];
    const first = offsets ? Math.min(maxLen - 1, Math.floor(offsets.uniform() * maxLen)) : 0;
    const out: Sequence[] = first > 0 ? [sliceSequence(s, 0, first)] : [];
    for (let start = first; start < s.length; start += maxLen) out.push(sliceSequence(s, start, Math.min(maxLen, s.length - start)));
    return out;
  });
}

/**
 * Cuts each sequence into windows of exactly `steps` steps starting every `hop` steps
 * (ids `id@start`); a tail shorter than a window is dropped, so a sequence shorter than
 * `steps` gives none. Windows share memory with the originals.
 */
export function windowSequences(seqs: readonly Sequence[], steps: number, hop: number): Sequence[] {
  for (const [name, n] of [['steps', steps], ['hop', hop]] as const) {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`window ${name} must be a positive integer, got ${n}`);
  }
  return seqs.flatMap((s) => {
    const out: Sequence[] = [];
    for (let start = 0; start + steps <= s.length; start += hop) out.push(sliceSequence(s, start, steps));
    return out;
  });
}

/** Steps `start .. start + len` of `s` as a sequence with id `id@start`, sharing memory. */
function sliceSequence(s: Sequence, start: number, len: number): Sequence {
  const values = new Map<string, Float64Array>();
  for (const [name, x] of s.values) {
    const w = x.length / s.length;
    values.set(name, x.subarray(start * w, (start + len) * w));
  }
  return { id: `${s.id}@${start}`, length: len, values };
}

/** Pads `seqs` into one time-major batch of the spec's variables. */
export function makeBatch<A extends Float32Array | Float64Array = Float32Array>(seqs: readonly Sequence[], spec: readonly VarSpec[], dtype?: FloatArrayOf<A>): Batch<A> {
  const make = dtype ?? (Float32Array as unknown as FloatArrayOf<A>);
  const B = seqs.length, T = Math.max(0, ...seqs.map((s) => s.length));
  const mask = new make(T * B);
  seqs.forEach((s, b) => { for (let t = 0; t < s.length; t++) mask[t * B + b] = 1; });
  const values = new Map<string, A>();
  for (const v of spec) {
    const w = v.width, out = new make(T * B * w);
    seqs.forEach((s, b) => {
      const x = s.values.get(v.name)!;
      for (let t = 0; t < s.length; t++) out.set(x.subarray(t * w, (t + 1) * w), (t * B + b) * w);
    });
    values.set(v.name, out);
  }
  return { ids: seqs.map((s) => s.id), lengths: seqs.map((s) => s.length), steps: T, size: B, values, mask };
}

/** Number of batches one epoch of `count` sequences (after cropping) yields. */
export function batchesPerEpoch(count: number, opts: Pick<BatchOptions, 'batchSize' | 'dropLast'>): number {
  return opts.dropLast ? Math.floor(count / opts.batchSize) : Math.ceil(count / opts.batchSize);
}

/** One epoch's windows in their shuffled order: crop (random offsets drawn first) and shuffle with `rng`. */
function epochOrder(seqs: readonly Sequence[], opts: Pick<BatchOptions, 'maxLen' | 'crop'>, rng: Uniform): Sequence[] {
  return shuffled(opts.maxLen === undefined ? seqs : cropSequences(seqs, opts.maxLen, opts.crop === 'random' ? rng : undefined), rng);
}

/**
 * The number of batches of each of `count` epochs that start from the shuffle state `rng`
 * (consumed as the epochs would consume it). Constant with crops at the start; with random
 * crops an epoch has up to one more window per long sequence than the next.
 */
export function epochLengths(seqs: readonly Sequence[], opts: Pick<BatchOptions, 'batchSize' | 'dropLast' | 'maxLen' | 'crop'>, rng: Uniform, count: number): number[] {
  if (opts.crop !== 'random' || opts.maxLen === undefined) {
    return Array<number>(count).fill(batchesPerEpoch(opts.maxLen === undefined ? seqs.length : cropSequences(seqs, opts.maxLen).length, opts));
  }
  return Array.from({ length: count }, () => batchesPerEpoch(epochOrder(seqs, opts, rng).length, opts));
}

/**
 * One epoch: crop (if maxLen) and shuffle with `rng` now, then lazily yield consecutive
 * batches; every sequence (or window) appears exactly once.
 */
export function epochBatches<A extends Float32Array | Float64Array = Float32Array>(
  seqs: readonly Sequence[], spec: readonly VarSpec[], opts: BatchOptions<A>, rng: Uniform,
): Generator<Batch<A>> {
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
  const order = epochOrder(seqs, opts, rng);
  const n = batchesPerEpoch(order.length, opts);
  return (function* () {
    for (let k = 0; k < n; k++) yield makeBatch(order.slice(k * opts.batchSize, (k + 1) * opts.batchSize), spec, opts.dtype);
  })();
}

/** Epochs 0, 1, … (`count` of them, or without end), each shuffled with `rng` when the epoch is reached. */
export function* epochs<A extends Float32Array | Float64Array = Float32Array>(
  seqs: readonly Sequence[], spec: readonly VarSpec[], opts: BatchOptions<A>, rng: Uniform, count = Infinity,
): Generator<{ readonly epoch: number; readonly batches: Generator<Batch<A>> }> {
  for (let epoch = 0; epoch < count; epoch++) yield { epoch, batches: epochBatches(seqs, spec, opts, rng) };
}
