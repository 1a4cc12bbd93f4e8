/** @file Shape and dtype inference: one total rule table; the only place broadcasting is decided. */
import { dimAdd, dimEq, dimProduct, dimSub, dimToString, shapeEq, shapeToString, type Dim, type Shape } from './dim.js';
import { typeToString, type ValueType } from './graph.js';
import { Op, type OpAttrs } from './ops.js';

/** Infers output types from input types and attributes; throws a message on ill-typed uses. */
export type ShapeRule<K extends Op> = (ins: readonly ValueType[], attrs: OpAttrs[K]) => ValueType[];

/** numpy broadcasting of two shapes (align right; equal dims or a 1 broadcast). */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (dimEq(da, db) || dimEq(db, 1)) out.push(da);
    else if (dimEq(da, 1)) out.push(db);
    else throw new Error(`cannot broadcast ${shapeToString(a)} with ${shapeToString(b)}`);
  }
  return out;
}

/** Normalizes an axis in [-rank, rank) to [0, rank). */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function sameDtype(ins: readonly ValueType[]): void {
  const d = ins[0]!.dtype;
  if (ins.some((t) => t.dtype !== d)) throw new Error(`dtype mismatch: ${ins.map(typeToString).join(', ')}`);
}

function float(t: ValueType): void {
  if (t.dtype === 'bool' || t.dtype === 'int64') throw new Error(`expected a float tensor, got ${typeToString(t)}`);
}

/** Indices for x along `axis`: int64 of x's rank, matching x except along `axis` (`exact`: there too). */
function indicesFor(x: ValueType, idx: ValueType, axis: number, exact: boolean): number {
  if (idx.dtype !== 'int64') throw new Error(`indices must be int64, got ${typeToString(idx)}`);
  if (idx.shape.length !== x.shape.length) throw new Error(`indices ${typeToString(idx)} must have the rank of ${typeToString(x)}`);
  const ax = normAxis(axis, x.shape.length);
  if (x.shape.some((d, i) => (i !== ax || exact) && !dimEq(d, idx.shape[i]!))) throw new Error(`indices ${typeToString(idx)} do not fit ${typeToString(x)} along axis ${axis}`);
  return ax;
}

const unary: ShapeRule<Op> = ([x]) => (float(x!), [x!]);
const binary: ShapeRule<Op> = ([a, b]) => {
  sameDtype([a!, b!]);
  float(a!);
  return [{ dtype: a!.dtype, shape: broadcastShapes(a!.shape, b!.shape) }];
};
const compare: ShapeRule<Op> = (ins) => [{ dtype: 'bool', shape: binary(ins, {})[0]!.shape }];

function reduced(shape: Shape, axes: readonly number[], keepdims: boolean): Shape {
  const ax = new Set(axes.map((a) => normAxis(a, shape.length)));
  if (ax.size !== axes.length) throw new Error(`repeated reduction axes [${axes.join(',')}]`);
  return keepdims ? shape.map((d, i) => (ax.has(i) ? 1 : d)) : shape.filter((_, i) => !ax.has(i));
}

/** Resolves a Slice's `[start, end)` to dims. */
export function sliceBounds(dim: Dim, start: number, end: number | null): [Dim, Dim] {
  const s = start < 0 ? dimAdd(dim, start) : start;
  const e = end === null ? dim : end < 0 ? dimAdd(dim, end) : end;
  if (typeof dim === 'number' && (typeof s !== 'number' || typeof e !== 'number' || s < 0 || e > dim || e < s)) {
    throw new Error(`slice [${start}, ${end}) out of range for dim ${dim}`);
  }
  return [s, e];
}

function scanRule([...ins]: readonly ValueType[], a: OpAttrs[Op.Scan]): ValueType[] {
  const { body, numCarry: nc, numScanned: ns } = a;
  if (ns < 1) throw new Error('scan needs at least one scanned input');
  if (a.inputReverse.length !== ns) throw new Error(`inputReverse has ${a.inputReverse.length} flags for ${ns} scanned inputs`);
  if (body.inputs.length !== ins.length) throw new Error(`body has ${body.inputs.length} params for ${ins.length} inputs`);
  const len = ins[nc]!.shape[0];
  if (len === undefined) throw new Error('scanned input must have rank ≥ 1');
  ins.forEach((t, i) => {
    const scanned = i >= nc && i < nc + ns;
    if (scanned && !dimEq(t.shape[0] ?? -1, len)) throw new Error(`scanned input ${i - nc} has length ${dimToString(t.shape[0] ?? 0)}, expected ${dimToString(len)}`);
    const want = scanned ? { dtype: t.dtype, shape: t.shape.slice(1) } : t;
    const p = body.values[body.inputs[i]!.id]!;
    if (p.dtype !== want.dtype || !shapeEq(p.shape, want.shape)) throw new Error(`body param ${i} is ${typeToString(p)}, input gives ${typeToString(want)}`);
  });
  const outs = body.outputs.map((o) => body.values[o.id]!);
  if (outs.length < nc) throw new Error(`body has ${outs.length} outputs for ${nc} carries`);
  if (a.outputReverse.length !== outs.length - nc) throw new Error(`outputReverse has ${a.outputReverse.length} flags for ${outs.length - nc} stacked outputs`);
  return outs.map((t, i) => {
    if (i >= nc) return { dtype: t.dtype, shape: [len, ...t.shape] };
    if (t.dtype !== ins[i]!.dtype || !shapeEq(t.shape, ins[i]!.shape)) throw new Error(`body carry output ${i} is ${typeToString(t)}, carry is ${typeToString(ins[i]!)}`);
    return t;
  });
}

/** Shape and dtype rule of every op. */
export const shapeRules: { readonly [K in Op]: ShapeRule<K> } = {
  [Op.Add]: binary, [Op.Sub]: binary, [Op.Mul]: binary, [Op.Div]: binary,
  [Op.Max]: binary, [Op.Min]: binary,
  [Op.Greater]: compare, [Op.GreaterOrEqual]: compare,
  [Op.Neg]: unary, [Op.Exp]: unary, [Op.Log]: unary, [Op.Tanh]: unary, [Op.Sigmoid]: unary,
  [Op.Relu]: unary, [Op.Softplus]: unary, [Op.Abs]: unary, [Op.Sqrt]: unary, [Op.Square]: unary,
  [Op.Identity]: ([x]) => [x!],
  [Op.Cast]: ([x], { to }) => [{ dtype: to, shape: x!.shape }],
  // where(c, a, b): c bool; all three broadcast together.
  [Op.Where]: ([c, a, b]) => {
    if (c!.dtype !== 'bool') throw new Error(`where condition must be bool, got ${typeToString(c!)}`);
    const ab = binary([a!, b!], {})[0]!;
    return [{ dtype: ab.dtype, shape: broadcastShapes(c!.shape, ab.shape) }];
  },
  // [..., M, K] x [..., K, N] -> [..., M, N], batch dims broadcast.
  [Op.MatMul]: ([a, b]) => {
    sameDtype([a!, b!]);
    float(a!);
    const [sa, sb] = [a!.shape, b!.shape];
    if (sa.length < 2 || sb.length < 2) throw new Error(`matmul needs rank ≥ 2, got ${shapeToString(sa)} x ${shapeToString(sb)}`);
    if (!dimEq(sa[sa.length - 1]!, sb[sb.length - 2]!)) throw new Error(`matmul inner dims differ: ${shapeToString(sa)} x ${shapeToString(sb)}`);
    const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
    return [{ dtype: a!.dtype, shape: [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!] }];
  },
  [Op.Transpose]: ([x], { perm }) => {
    const r = x!.shape.length;
    if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) throw new Error(`bad perm [${perm.join(',')}] for rank ${r}`);
    return [{ dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) }];
  },
  [Op.Reshape]: ([x], { shape }) => {
    if (!dimEq(dimProduct(x!.shape), dimProduct(shape))) throw new Error(`cannot reshape ${shapeToString(x!.shape)} to ${shapeToString(shape)}`);
    return [{ dtype: x!.dtype, shape }];
  },
  [Op.Concat]: (ins, { axis }) => {
    sameDtype(ins);
    const r = ins[0]!.shape.length;
    const ax = normAxis(axis, r);
    let total: Dim = 0;
    for (const t of ins) {
      if (t.shape.length !== r || t.shape.some((d, i) => i !== ax && !dimEq(d, ins[0]!.shape[i]!))) throw new Error(`concat axis ${axis}: incompatible ${ins.map(typeToString).join(', ')}`);
      total = dimAdd(total, t.shape[ax]!);
    }
    return [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape.map((d, i) => (i === ax ? total : d)) }];
  },
  [Op.Slice]: ([x], { axis, start, end }) => {
    const ax = normAxis(axis, x!.shape.length);
    const [s, e] = sliceBounds(x!.shape[ax]!, start, end);
    return [{ dtype: x!.dtype, shape: x!.shape.map((d, i) => (i === ax ? dimSub(e, s) : d)) }];
  },
  [Op.ReduceSum]: ([x], { axes, keepdims }) => (float(x!), [{ dtype: x!.dtype, shape: reduced(x!.shape, axes, keepdims) }]),
  [Op.ReduceMax]: ([x], { axes, keepdims }) => (float(x!), [{ dtype: x!.dtype, shape: reduced(x!.shape, axes, keepdims) }]),
  [Op.LogSumExp]: ([x], { axis, keepdims }) => (float(x!), [{ dtype: x!.dtype, shape: reduced(x!.shape, [axis], keepdims) }]),
  [Op.Expand]: ([x], { shape }) => {
    if (!shapeEq(broadcastShapes(x!.shape, shape), shape)) throw new Error(`cannot expand ${shapeToString(x!.shape)} to ${shapeToString(shape)}`);
    return [{ dtype: x!.dtype, shape }];
  },
  [Op.Constant]: (_, { dtype, shape, value }) => {
    if (value.length !== shape.reduce((p, d) => p * d, 1)) throw new Error(`constant has ${value.length} values for shape ${shapeToString(shape)}`);
    return [{ dtype, shape }];
  },
  [Op.CumSum]: ([x], { axis }) => (float(x!), normAxis(axis, x!.shape.length), [x!]),
  [Op.GatherElements]: ([x, idx], { axis }) => (float(x!), indicesFor(x!, idx!, axis, false), [{ dtype: x!.dtype, shape: idx!.shape }]),
  [Op.ScatterAddElements]: ([data, idx, upd], { axis }) => {
    float(data!);
    sameDtype([data!, upd!]);
    indicesFor(data!, idx!, axis, false);
    if (!shapeEq(idx!.shape, upd!.shape)) throw new Error(`updates ${typeToString(upd!)} must have the shape of the indices ${typeToString(idx!)}`);
    return [data!];
  },
  [Op.Scan]: scanRule,
};

/** Applies the shape rule of `op`, prefixing errors with the op name. */
export function inferTypes<K extends Op>(op: K, ins: readonly ValueType[], attrs: OpAttrs[K]): ValueType[] {
  return (shapeRules[op] as ShapeRule<K>)(ins, attrs);
}
