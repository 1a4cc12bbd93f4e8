/** @file Concrete float64 tensors and the plain kernels the reference interpreter is made of. */
import type { DType } from './ops.js';

/** A concrete row-major tensor; every dtype is stored as float64 (bool as 0/1). */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A tensor from values. */
export function tensor(shape: readonly number[], data: ArrayLike<number>, dtype: DType = 'float64'): Tensor {
  const n = size(shape);
  if (data.length !== n) throw new Error(`tensor: ${data.length} values for shape [${shape.join(',')}]`);
  return { dtype, shape: [...shape], data: Float64Array.from(data) };
}

/** Number of elements of a shape. */
export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

/** For each flat index of `out`, the flat index of the broadcast source `inShape`. */
function broadcastMap(out: readonly number[], inShape: readonly number[]): Int32Array {
  const n = size(out), r = out.length, off = r - inShape.length;
  const os = strides(out), is = strides(inShape);
  const map = new Int32Array(n);
  for (let f = 0; f < n; f++) {
    let src = 0;
    for (let a = off; a < r; a++) {
      const idx = Math.floor(f / os[a]!) % out[a]!;
      if (inShape[a - off] !== 1) src += idx * is[a - off]!;
    }
    map[f] = src;
  }
  return map;
}

/** numpy broadcast shape of concrete shapes. */
export function broadcastConcrete(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return [...Array(n).keys()].map((i) => {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`eval: cannot broadcast [${a}] with [${b}]`);
    return x === 1 ? y : x;
  });
}

/** Elementwise map of one tensor. */
export function map1(x: Tensor, f: (v: number) => number, dtype: DType = x.dtype): Tensor {
  return { dtype, shape: x.shape, data: x.data.map(f) };
}

/** Elementwise map of broadcast tensors. */
export function mapN(xs: readonly Tensor[], f: (...v: number[]) => number, dtype: DType): Tensor {
  const shape = xs.map((x) => x.shape).reduce(broadcastConcrete);
  const maps = xs.map((x) => broadcastMap(shape, x.shape));
  const data = new Float64Array(size(shape));
  const args = new Array<number>(xs.length);
  for (let i = 0; i < data.length; i++) {
    for (let k = 0; k < xs.length; k++) args[k] = xs[k]!.data[maps[k]![i]!]!;
    data[i] = f(...args);
  }
  return { dtype, shape, data };
}

/** Broadcast `x` to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const m = broadcastMap(shape, x.shape);
  return { dtype: x.dtype, shape: [...shape], data: Float64Array.from(m, (i) => x.data[i]!) };
}

/** Permute axes. */
export function transposeT(x: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]!);
  const xs = strides(x.shape), os = strides(shape);
  const data = new Float64Array(x.data.length);
  for (let f = 0; f < data.length; f++) {
    let src = 0;
    for (let a = 0; a < shape.length; a++) src += (Math.floor(f / os[a]!) % shape[a]!) * xs[perm[a]!]!;
    data[f] = x.data[src]!;
  }
  return { dtype: x.dtype, shape, data };
}

/** numpy matmul of rank ≥ 2 tensors with broadcast batch dims. */
export function matmulT(a: Tensor, b: Tensor): Tensor {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batch = broadcastConcrete(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ia = broadcastMap(batch, a.shape.slice(0, -2)), ib = broadcastMap(batch, b.shape.slice(0, -2));
  const data = new Float64Array(size(batch) * m * n);
  for (let t = 0; t < size(batch); t++) {
    const oa = ia[t]! * m * k, ob = ib[t]! * k * n, oc = t * m * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a.data[oa + i * k + q]! * b.data[ob + q * n + j]!;
      data[oc + i * n + j] = s;
    }
  }
  return { dtype: a.dtype, shape: [...batch, m, n], data };
}

/** Reduce over axes with a fold `f` starting from `init`. */
export function reduceT(x: Tensor, axes: readonly number[], keepdims: boolean, init: number, f: (acc: number, v: number) => number): Tensor {
  const ax = new Set(axes);
  const kept = x.shape.map((d, i) => (ax.has(i) ? 1 : d));
  const out = new Float64Array(size(kept)).fill(init);
  const m = broadcastMap(x.shape, kept);
  for (let i = 0; i < x.data.length; i++) out[m[i]!] = f(out[m[i]!]!, x.data[i]!);
  return { dtype: x.dtype, shape: keepdims ? kept : x.shape.filter((_, i) => !ax.has(i)), data: out };
}

/** Join along an axis. */
export function concatT(xs: readonly Tensor[], axis: number): Tensor {
  const outer = size(xs[0]!.shape.slice(0, axis));
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const data = new Float64Array(size(shape));
  let p = 0;
  for (let o = 0; o < outer; o++) for (const x of xs) {
    const chunk = size(x.shape.slice(axis));
    data.set(x.data.subarray(o * chunk, (o + 1) * chunk), p);
    p += chunk;
  }
  return { dtype: xs[0]!.dtype, shape, data };
}

/** Elements `[start, end)` along an axis (concrete, already resolved). */
export function sliceT(x: Tensor, axis: number, start: number, end: number): Tensor {
  const outer = size(x.shape.slice(0, axis)), inner = size(x.shape.slice(axis + 1));
  const shape = [...x.shape];
  shape[axis] = end - start;
  const data = new Float64Array(size(shape));
  const len = (end - start) * inner;
  for (let o = 0; o < outer; o++) data.set(x.data.subarray((o * x.shape[axis]! + start) * inner, (o * x.shape[axis]! + start) * inner + len), o * len);
  return { dtype: x.dtype, shape, data };
}

/** Splits flat index f of `shape` around `axis`: (outer, position along axis, inner). */
function around(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  return { outer: size(shape.slice(0, axis)), len: shape[axis]!, inner: size(shape.slice(axis + 1)) };
}

/** Running sums along an axis (inclusive or exclusive; from the end when `reverse`). */
export function cumSumT(x: Tensor, axis: number, reverse: boolean, exclusive: boolean): Tensor {
  const { outer, len, inner } = around(x.shape, axis);
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let s = 0; s < len; s++) {
        const k = reverse ? len - 1 - s : s;
        const f = (o * len + k) * inner + i;
        if (exclusive) { out[f] = acc; acc += x.data[f]!; } else { acc += x.data[f]!; out[f] = acc; }
      }
    }
  }
  return { dtype: x.dtype, shape: x.shape, data: out };
}

/** The index along `axis` stored at flat position f of an int64 tensor, checked against the bound. */
function indexAt(idx: Tensor, f: number, bound: number): number {
  const j = idx.data[f]!;
  if (!Number.isInteger(j) || j < 0 || j >= bound) throw new Error(`eval: index ${j} out of range [0, ${bound})`);
  return j;
}

/** out[…, i, …] = x[…, idx[…, i, …], …] along `axis` (ONNX GatherElements). */
export function gatherT(x: Tensor, idx: Tensor, axis: number): Tensor {
  const { outer, len, inner } = around(idx.shape, axis);
  const xl = x.shape[axis]!;
  const out = new Float64Array(idx.data.length);
  for (let o = 0; o < outer; o++) for (let s = 0; s < len; s++) for (let i = 0; i < inner; i++) {
    const f = (o * len + s) * inner + i;
    out[f] = x.data[(o * xl + indexAt(idx, f, xl)) * inner + i]!;
  }
  return { dtype: x.dtype, shape: idx.shape, data: out };
}

/** data with upd added at the indices along `axis` (ONNX ScatterElements, reduction add). */
export function scatterAddT(data: Tensor, idx: Tensor, upd: Tensor, axis: number): Tensor {
  const { outer, len, inner } = around(idx.shape, axis);
  const dl = data.shape[axis]!;
  const out = Float64Array.from(data.data);
  for (let o = 0; o < outer; o++) for (let s = 0; s < len; s++) for (let i = 0; i < inner; i++) {
    const f = (o * len + s) * inner + i;
    out[(o * dl + indexAt(idx, f, dl)) * inner + i] += upd.data[f]!;
  }
  return { dtype: data.dtype, shape: data.shape, data: out };
}
