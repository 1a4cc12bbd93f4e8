/** @file The closed instruction set of the tensor IR: `enum Op`, its attribute map and arities. */
import type { Dim } from './dim.js';
import type { Graph } from './graph.js';
import { InternalError } from '../diagnostics.js';

/** Element types. `bool` holds comparison results (0/1 in the interpreter); `int64` holds indices. */
export type DType = 'float32' | 'float64' | 'bool' | 'int64';

/** Every IR operation. The printed name of an op is its enum value. */
export enum Op {
  Add = 'add',
  Sub = 'sub',
  Mul = 'mul',
  Div = 'div',
  Neg = 'neg',
  Exp = 'exp',
  Log = 'log',
  Tanh = 'tanh',
  Sigmoid = 'sigmoid',
  Relu = 'relu',
  Softplus = 'softplus',
  Abs = 'abs',
  Sqrt = 'sqrt',
  Square = 'square',
  Max = 'max',
  Min = 'min',
  Greater = 'greater',
  GreaterOrEqual = 'greater_or_equal',
  Where = 'where',
  MatMul = 'matmul',
  Transpose = 'transpose',
  Reshape = 'reshape',
  Concat = 'concat',
  Slice = 'slice',
  ReduceSum = 'reduce_sum',
  ReduceMax = 'reduce_max',
  LogSumExp = 'logsumexp',
  Expand = 'expand',
  Constant = 'constant',
  Identity = 'identity',
  Cast = 'cast',
  CumSum = 'cumsum',
  GatherElements = 'gather_elements',
  ScatterAddElements = 'scatter_add_elements',
  Scan = 'scan',
}

/** No attributes. */
export type NoAttrs = Record<string, never>;

/**
 * Scan, mirroring ONNX Scan (opset 17). Inputs: `numCarry` carried states, then `numScanned`
 * scanned inputs (sliced along axis 0), then the loop-invariant values (explicit captures).
 * Body params are in the same order (a scanned param is one slice). Body outputs: `numCarry`
 * new carries, then per-step outputs, stacked along axis 0 of the node's outputs.
 */
export interface ScanAttrs {
  readonly body: Graph;
  readonly numCarry: number;
  readonly numScanned: number;
  /** Per scanned input: iterate from the last slice to the first. */
  readonly inputReverse: readonly boolean[];
  /** Per stacked output: step k writes slice `T-1-k` instead of `k`. */
  readonly outputReverse: readonly boolean[];
}

/** The attributes of each op. */
export interface OpAttrs {
  [Op.Add]: NoAttrs;
  [Op.Sub]: NoAttrs;
  [Op.Mul]: NoAttrs;
  [Op.Div]: NoAttrs;
  [Op.Neg]: NoAttrs;
  [Op.Exp]: NoAttrs;
  [Op.Log]: NoAttrs;
  [Op.Tanh]: NoAttrs;
  [Op.Sigmoid]: NoAttrs;
  [Op.Relu]: NoAttrs;
  [Op.Softplus]: NoAttrs;
  [Op.Abs]: NoAttrs;
  [Op.Sqrt]: NoAttrs;
  [Op.Square]: NoAttrs;
  [Op.Max]: NoAttrs;
  [Op.Min]: NoAttrs;
  [Op.Greater]: NoAttrs;
  [Op.GreaterOrEqual]: NoAttrs;
  [Op.Where]: NoAttrs;
  /** numpy matmul on rank ≥ 2 operands; batch dims broadcast. */
  [Op.MatMul]: NoAttrs;
  [Op.Transpose]: { readonly perm: readonly number[] };
  /** Target shape; symbolic dims allowed; element counts must agree. */
  [Op.Reshape]: { readonly shape: readonly Dim[] };
  [Op.Concat]: { readonly axis: number };
  /** Elements `[start, end)` along `axis`; negative indices count from the end, `end: null` is the end. */
  [Op.Slice]: { readonly axis: number; readonly start: number; readonly end: number | null };
  [Op.ReduceSum]: { readonly axes: readonly number[]; readonly keepdims: boolean };
  [Op.ReduceMax]: { readonly axes: readonly number[]; readonly keepdims: boolean };
  [Op.LogSumExp]: { readonly axis: number; readonly keepdims: boolean };
  /** numpy broadcast of the input to `shape`. */
  [Op.Expand]: { readonly shape: readonly Dim[] };
  /** A concrete tensor, row-major float64 values (0/1 for bool). */
  [Op.Constant]: { readonly dtype: DType; readonly shape: readonly number[]; readonly value: readonly number[] };
  [Op.Identity]: NoAttrs;
  [Op.Cast]: { readonly to: DType };
  /** Running sums along `axis`: inclusive or exclusive of the element itself, from the start or (`reverse`) the end. */
  [Op.CumSum]: { readonly axis: number; readonly reverse: boolean; readonly exclusive: boolean };
  /** out[…, i, …] = x[…, idx[…, i, …], …] along `axis`; idx is int64 of x's rank, out has idx's shape. */
  [Op.GatherElements]: { readonly axis: number };
  /** data with updates added at the indices along `axis`: out[…, idx[…, i, …], …] += upd[…, i, …]. */
  [Op.ScatterAddElements]: { readonly axis: number };
  [Op.Scan]: ScanAttrs;
}

/** Number of inputs an op takes: exact, or `{min}` for variadic ops. */
export type Arity = number | { readonly min: number };

/** Input arity of every op. */
export const inputArity: { readonly [K in Op]: Arity } = {
  [Op.Add]: 2, [Op.Sub]: 2, [Op.Mul]: 2, [Op.Div]: 2, [Op.Neg]: 1, [Op.Exp]: 1, [Op.Log]: 1,
  [Op.Tanh]: 1, [Op.Sigmoid]: 1, [Op.Relu]: 1, [Op.Softplus]: 1, [Op.Abs]: 1, [Op.Sqrt]: 1,
  [Op.Square]: 1, [Op.Max]: 2, [Op.Min]: 2, [Op.Greater]: 2, [Op.GreaterOrEqual]: 2,
  [Op.Where]: 3, [Op.MatMul]: 2, [Op.Transpose]: 1, [Op.Reshape]: 1, [Op.Concat]: { min: 1 },
  [Op.Slice]: 1, [Op.ReduceSum]: 1, [Op.ReduceMax]: 1, [Op.LogSumExp]: 1, [Op.Expand]: 1,
  [Op.Constant]: 0, [Op.Identity]: 1, [Op.Cast]: 1, [Op.CumSum]: 1, [Op.GatherElements]: 2, [Op.ScatterAddElements]: 3,
  [Op.Scan]: { min: 1 },
};

/** Every op, in declaration order. */
export const allOps: readonly Op[] = Object.values(Op);

/** Ops applied elementwise to one input. */
export const unaryOps = [
  Op.Neg, Op.Exp, Op.Log, Op.Tanh, Op.Sigmoid, Op.Relu, Op.Softplus, Op.Abs, Op.Sqrt, Op.Square,
] as const;

/** Ops applied elementwise to two broadcast inputs. */
export const binaryOps = [
  Op.Add, Op.Sub, Op.Mul, Op.Div, Op.Max, Op.Min, Op.Greater, Op.GreaterOrEqual,
] as const;

/** Marks code that an exhaustive switch makes unreachable. */
export function unreachable(x: never): never {
  throw new InternalError(`unreachable case ${JSON.stringify(x)}`);
}
