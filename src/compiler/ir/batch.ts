/**
 * @file Batching over time: how an op computed once per step becomes one op over a leading `T`
 * axis. One total rule table over `Op`. A batched operand is the per-step value stacked to
 * `[T, ...per-step shape]`; an unbatched operand is the same at every step (a loop invariant or
 * a constant). Rules get both kinds and return the stacked results, or `null` when the op cannot
 * be batched (a nested Scan stays inside its loop).
 */
import { InternalError } from '../diagnostics.js';
import type { GraphBuilder } from './builder.js';
import { shapeEq, shapeToString, type Dim, type Shape } from './dim.js';
import type { Value, ValueType } from './graph.js';
import { Op, type OpAttrs } from './ops.js';
import { normAxis } from './shape.js';

/** An operand of a batched op: its value outside the loop and whether it carries the `T` axis. */
export interface BatchOperand {
  readonly v: Value;
  readonly batched: boolean;
}

/** What a batching rule works with. */
export interface BatchCtx {
  readonly b: GraphBuilder;
  /** The op being batched (rules shared by several ops re-emit it). */
  readonly op: Op;
  /** The length of the new leading axis. */
  readonly T: Dim;
  /** Per-step types of the node's inputs and outputs. */
  readonly ins: readonly ValueType[];
  readonly outs: readonly ValueType[];
}

/** Emits the batched form of one node. */
export type BatchRule<K extends Op> = (cx: BatchCtx, xs: readonly BatchOperand[], attrs: OpAttrs[K]) => Value[];

/**
 * Batched operands as values of rank 1 + `rank`: unit axes go after `T`, so that numpy-style
 * broadcasting (which aligns from the right) lines the per-step axes up and keeps `T` leftmost.
 * Unbatched operands stay as they are (their rank is at most `rank`).
 */
function aligned(cx: BatchCtx, xs: readonly BatchOperand[], rank: number): Value[] {
  return xs.map(({ v, batched }) => {
    if (!batched || v.shape.length === rank + 1) return v;
    const per = v.shape.slice(1);
    return cx.b.reshape(v, [cx.T, ...Array<Dim>(rank - per.length).fill(1), ...per]);
  });
}

/** Elementwise ops (and MatMul, whose batch dims broadcast): the same op on aligned operands. */
const broadcasting: BatchRule<Op> = (cx, xs, attrs) =>
  cx.b.emit(cx.op, aligned(cx, xs, cx.outs[0]!.shape.length), attrs as never);

/** The same op with every per-step axis index shifted by one. */
const shifted = <K extends Op>(f: (attrs: OpAttrs[K], rank: number) => OpAttrs[K]): BatchRule<K> =>
  (cx, [x], attrs) => cx.b.emit(cx.op as K, [x!.v], f(attrs, cx.ins[0]!.shape.length));

/** A batched value to `[T, ...shape]` (an unbatched one is broadcast along the new axis). */
function stacked(cx: BatchCtx, x: BatchOperand, shape: Shape): Value {
  return x.batched ? x.v : cx.b.expand(x.v, [cx.T, ...shape]);
}

/** Batching rule of every op; `null` for an op that has no batched form. */
export const batchRules: { readonly [K in Op]: BatchRule<K> | null } = {
  [Op.Add]: broadcasting, [Op.Sub]: broadcasting, [Op.Mul]: broadcasting, [Op.Div]: broadcasting,
  [Op.Max]: broadcasting, [Op.Min]: broadcasting, [Op.Greater]: broadcasting, [Op.GreaterOrEqual]: broadcasting,
  [Op.Where]: broadcasting,
  [Op.Neg]: broadcasting, [Op.Exp]: broadcasting, [Op.Log]: broadcasting, [Op.Tanh]: broadcasting,
  [Op.Sigmoid]: broadcasting, [Op.Relu]: broadcasting, [Op.Softplus]: broadcasting, [Op.Abs]: broadcasting,
  [Op.Sqrt]: broadcasting, [Op.Square]: broadcasting, [Op.Identity]: broadcasting, [Op.Cast]: broadcasting,
  // [T, ..., M, K] × [..., K, N]: T is one more batch dim (a 2-D right operand makes it one [T·M, K] GEMM)
  [Op.MatMul]: broadcasting,
  // T stays first
  [Op.Transpose]: shifted<Op.Transpose>(({ perm }) => ({ perm: [0, ...perm.map((p) => p + 1)] })),
  [Op.Slice]: shifted<Op.Slice>((a, r) => ({ ...a, axis: normAxis(a.axis, r) + 1 })),
  [Op.ReduceSum]: shifted<Op.ReduceSum>((a, r) => ({ ...a, axes: a.axes.map((x) => normAxis(x, r) + 1) })),
  [Op.ReduceMax]: shifted<Op.ReduceMax>((a, r) => ({ ...a, axes: a.axes.map((x) => normAxis(x, r) + 1) })),
  [Op.LogSumExp]: shifted<Op.LogSumExp>((a, r) => ({ ...a, axis: normAxis(a.axis, r) + 1 })),
  [Op.Reshape]: (cx, [x], { shape }) => [cx.b.reshape(x!.v, [cx.T, ...shape])],
  [Op.Expand]: (cx, xs, { shape }) => [cx.b.expand(aligned(cx, xs, shape.length)[0]!, [cx.T, ...shape])],
  [Op.CumSum]: shifted<Op.CumSum>((a, r) => ({ ...a, axis: normAxis(a.axis, r) + 1 })),
  // data, indices (and updates) must share their leading dims: unbatched ones are broadcast along T
  [Op.GatherElements]: (cx, xs, { axis }) =>
    cx.b.emit(Op.GatherElements, xs.map((x, i) => stacked(cx, x, cx.ins[i]!.shape)), { axis: normAxis(axis, cx.ins[0]!.shape.length) + 1 }),
  [Op.ScatterAddElements]: (cx, xs, { axis }) =>
    cx.b.emit(Op.ScatterAddElements, xs.map((x, i) => stacked(cx, x, cx.ins[i]!.shape)), { axis: normAxis(axis, cx.ins[0]!.shape.length) + 1 }),
  // unbatched parts are broadcast along T first
  [Op.Concat]: (cx, xs, { axis }) =>
    [cx.b.concat(xs.map((x, i) => stacked(cx, x, cx.ins[i]!.shape)), normAxis(axis, cx.ins[0]!.shape.length) + 1)],
  // a constant has no operand to batch: it is the same at every step
  [Op.Constant]: null,
  // a loop inside the loop stays there
  [Op.Scan]: null,
};

/** Whether an op has a batched form. */
export function batchable(op: Op): boolean {
  return batchRules[op] !== null;
}

/** Emits node `op` batched over `T` (see `batchRules`; the op must be `batchable`). */
export function batchNode<K extends Op>(
  b: GraphBuilder, T: Dim, op: K, xs: readonly BatchOperand[], attrs: OpAttrs[K], types: { ins: readonly ValueType[]; outs: readonly ValueType[] },
): Value[] {
  const rule = batchRules[op] as BatchRule<K> | null;
  if (rule === null) throw new InternalError(`${op} has no batched form`);
  if (!xs.some((x) => x.batched)) throw new InternalError(`batching ${op} with no batched operand`);
  const outs = rule({ b, T, ins: types.ins, outs: types.outs, op }, xs, attrs);
  outs.forEach((v, i) => {
    const want = [T, ...types.outs[i]!.shape];
    if (!shapeEq(v.shape, want)) throw new InternalError(`batched ${op} gives ${shapeToString(v.shape)}, expected ${shapeToString(want)}`);
  });
  return outs;
}
