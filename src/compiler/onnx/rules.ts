/**
 * @file The IR → ONNX lowering table: one rule per IR op, total over `Op` so a missing rule
 * fails `tsc`. Rules target opset 17 (valid for opset 15–18; opset-dependent spellings are
 * chosen by `cx.opset`). ONNX op names appear only in this directory.
 */
import type { Dim } from '../ir/dim.js';
import type { NodeOf, ValueType } from '../ir/graph.js';
import { Op, type OpAttrs } from '../ir/ops.js';
import { dataTypeOf, type Tape } from './builder.js';
import { InternalError } from '../diagnostics.js';

/** What a rule can use besides its inputs: the tape, the opset and runtime shape tensors. */
export interface EmitCtx {
  readonly tape: Tape;
  readonly opset: number;
  /** An int64[rank] tensor holding `dims`; symbolic dims are computed from graph inputs' shapes. */
  shapeTensor(dims: readonly Dim[]): string;
  /** Lowers a Scan node (its body is a graph: emitted by the emitter, which owns recursion). */
  scan(node: NodeOf<Op.Scan>, inputs: readonly string[]): string[];
}

/** Types of a node's inputs and outputs, for rules that need shapes or dtypes. */
export interface NodeTypes {
  readonly ins: readonly ValueType[];
  readonly outs: readonly ValueType[];
}

/** Lowers one IR node: ONNX input names in, ONNX output names out. */
export type OnnxRule<K extends Op> = (
  cx: EmitCtx, ins: readonly string[], attrs: OpAttrs[K], types: NodeTypes, node: NodeOf<K>,
) => string[];

/** A rule that is a single ONNX op with the same inputs. */
const same = (onnxOp: string): OnnxRule<Op> => (cx, ins) => [cx.tape.op(onnxOp, ins)];

/** int64[n] constant. */
const ints = (cx: EmitCtx, xs: readonly number[]): string => cx.tape.constant('int64', [xs.length], xs);

/**
 * A reduction over `axes`. ReduceSum takes axes as an input since opset 13; ReduceMax only
 * since opset 18 (an attribute before).
 */
function reduce(cx: EmitCtx, onnxOp: 'ReduceSum' | 'ReduceMax', x: string, axes: readonly number[], keepdims: boolean): string {
  const axesAsInput = onnxOp === 'ReduceSum' ? cx.opset >= 13 : cx.opset >= 18;
  const kd = keepdims ? 1 : 0;
  if (axesAsInput) return cx.tape.op(onnxOp, [x, ints(cx, axes)], { keepdims: kd });
  return cx.tape.op(onnxOp, [x], { axes: [...axes], keepdims: kd });
}

/** Index past any end, for open-ended slices (ONNX clamps ends to the dim). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

/**
 * The shape operand of Reshape: a target dim equal to the input's dim at the same index is
 * copied (`0`), one remaining symbolic dim is inferred (`-1`); only further symbolic dims need
 * runtime shape arithmetic. A literal 0 in the target turns copying off (`allowzero=1`).
 */
function reshapeOperand(cx: EmitCtx, from: readonly Dim[], to: readonly Dim[]): { shape: string; allowzero: boolean } {
  const allowzero = to.some((d) => d === 0);
  const key = (d: Dim): string => JSON.stringify(typeof d === 'number' ? d : [...d.terms]);
  const dims: Dim[] = to.map((d, i) => (typeof d !== 'number' && !allowzero && from[i] !== undefined && key(from[i]!) === key(d) ? 0 : d));
  const symbolic = dims.filter((d) => typeof d !== 'number');
  if (symbolic.length === 1) dims[dims.indexOf(symbolic[0]!)] = -1;
  const concrete = dims.every((d): d is number => typeof d === 'number');
  return { shape: concrete ? ints(cx, dims) : cx.shapeTensor(dims), allowzero };
}

/** The lowering rule of every IR op. */
export const onnxRules: { readonly [K in Op]: OnnxRule<K> } = {
  [Op.Add]: same('Add'),
  [Op.Sub]: same('Sub'),
  [Op.Mul]: same('Mul'),
  [Op.Div]: same('Div'),
  [Op.Neg]: same('Neg'),
  [Op.Exp]: same('Exp'),
  [Op.Log]: same('Log'),
  [Op.Tanh]: same('Tanh'),
  [Op.Sigmoid]: same('Sigmoid'),
  [Op.Relu]: same('Relu'),
  // softplus(x) = max(x, 0) + log(1 + exp(-|x|)): no float64 Softplus kernel in onnxruntime CPU
  [Op.Softplus]: (cx, [x], _a, { ins }) => [cx.tape.softplus(x!, ins[0]!.dtype)],
  [Op.Abs]: same('Abs'),
  [Op.Sqrt]: same('Sqrt'),
  // x² = x · x (exact, unlike Pow)
  [Op.Square]: (cx, [x]) => [cx.tape.op('Mul', [x!, x!])],
  [Op.Max]: same('Max'),
  [Op.Min]: same('Min'),
  [Op.Greater]: same('Greater'),
  [Op.GreaterOrEqual]: same('GreaterOrEqual'),
  [Op.Where]: same('Where'),
  [Op.MatMul]: same('MatMul'),
  [Op.Transpose]: (cx, [x], { perm }) => [cx.tape.op('Transpose', [x!], { perm: [...perm] })],
  [Op.Reshape]: (cx, [x], { shape }, { ins }) => {
    const r = reshapeOperand(cx, ins[0]!.shape, shape);
    return [cx.tape.op('Reshape', [x!, r.shape], r.allowzero ? { allowzero: 1 } : {})];
  },
  [Op.Concat]: (cx, ins, { axis }) => [cx.tape.op('Concat', ins, { axis })],
  // x[start:end] along axis; negative indices count from the end in ONNX too
  [Op.Slice]: (cx, [x], { axis, start, end }) =>
    [cx.tape.op('Slice', [x!, ints(cx, [start]), ints(cx, [end ?? OPEN_END]), ints(cx, [axis])])],
  [Op.ReduceSum]: (cx, [x], { axes, keepdims }) => [reduce(cx, 'ReduceSum', x!, axes, keepdims)],
  [Op.ReduceMax]: (cx, [x], { axes, keepdims }) => [reduce(cx, 'ReduceMax', x!, axes, keepdims)],
  // lse(x) = log Σ exp(x - m) + m with m = max x (taken as 0 where infinite, as in ir/eval)
  [Op.LogSumExp]: (cx, [x], { axis, keepdims }, { ins }) => {
    const t = cx.tape;
    const m = reduce(cx, 'ReduceMax', x!, [axis], true);
    const mf = t.op('Where', [t.op('IsInf', [m]), t.scalar(ins[0]!.dtype, 0), m]);
    const s = reduce(cx, 'ReduceSum', t.op('Exp', [t.op('Sub', [x!, mf])]), [axis], keepdims);
    const mk = keepdims ? mf : t.op('Squeeze', [mf, ints(cx, [axis])]);
    return [t.op('Add', [t.op('Log', [s]), mk])];
  },
  // Expand broadcasts: a target dim already present in the input can be given as 1
  [Op.Expand]: (cx, [x], { shape }, { ins }) => {
    const from = ins[0]!.shape;
    const off = shape.length - from.length;
    const key = (d: Dim | undefined): string => JSON.stringify(typeof d === 'object' ? [...d.terms] : d);
    const dims = shape.map((d, i) => (typeof d !== 'number' && key(from[i - off]) === key(d) ? 1 : d));
    return [cx.tape.op('Expand', [x!, cx.shapeTensor(dims)])];
  },
  [Op.Constant]: (cx, _ins, { dtype, shape, value }) => [cx.tape.constant(dtype, shape, value)],
  [Op.Identity]: same('Identity'),
  [Op.Cast]: (cx, [x], { to }) => [cx.tape.op('Cast', [x!], { to: dataTypeOf(to) })],
  [Op.CumSum]: (cx, [x], { axis, reverse, exclusive }) => [cx.tape.op('CumSum', [x!, cx.tape.constant('int64', [], [axis])], { reverse: reverse ? 1 : 0, exclusive: exclusive ? 1 : 0 })],
  [Op.GatherElements]: (cx, [x, idx], { axis }) => [cx.tape.op('GatherElements', [x!, idx!], { axis })],
  // reduction = add needs opset 16
  [Op.ScatterAddElements]: (cx, [data, idx, upd], { axis }) => [cx.opset < 16 ? unsupported('ScatterElements with reduction add', 16) : cx.tape.op('ScatterElements', [data!, idx!, upd!], { axis, reduction: 'add' })],
  [Op.Scan]: (cx, ins, _a, _t, node) => cx.scan(node, ins),
};

/** A rule that needs a newer opset than the one requested. */
function unsupported(what: string, opset: number): never {
  throw new InternalError(`${what} needs opset ≥ ${opset}`);
}
