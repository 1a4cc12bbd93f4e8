/** @file Gradient test cases for every op, in a registry typed as total over `Op`. */
import type { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import type { Value } from '../../../src/compiler/ir/graph.js';
import { Op } from '../../../src/compiler/ir/ops.js';
import type { InputSpec } from './check.js';

/** A small graph using the op, with its random inputs; the gradient is checked w.r.t. all inputs. */
export interface OpCase {
  readonly name: string;
  readonly inputs: Readonly<Record<string, InputSpec>>;
  readonly build: (b: GraphBuilder, x: Readonly<Record<string, Value>>) => Value;
}

const m23 = { shape: [2, 3] }, v3 = { shape: [3] }, pos23 = { shape: [2, 3], positive: true };
const unaryCase = (name: string, f: (b: GraphBuilder, x: Value) => Value, spec: InputSpec = m23): OpCase[] => [
  { name, inputs: { x: spec }, build: (b, { x }) => f(b, x!) },
];

/** A one-step-at-a-time tanh RNN over [T,B,2] used by the Scan cases. */
function rnn(b: GraphBuilder, x: Readonly<Record<string, Value>>, reverse: boolean): Value {
  const r = b.scan({ carries: [x.h0!], scanned: [x.xs!], invariants: [x.w!, x.u!], inputReverse: [reverse] }, (s, p) => {
    const h = s.tanh(s.add(s.matmul(p.slices[0]!, p.invariants[0]!), s.matmul(p.carries[0]!, p.invariants[1]!)));
    return { carries: [h], outputs: [s.mul(h, p.slices[0]!)] };
  });
  return b.add(b.reduceSum(r.outputs[0]!, [0]), r.carries[0]!);
}
const rnnInputs = { xs: { shape: [3, 2, 2], decl: ['T', 'B', 2] }, h0: { shape: [2, 2], decl: ['B', 2] }, w: { shape: [2, 2] }, u: { shape: [2, 2] } };

/** Per-op gradient cases; `tsc` refuses a missing op. */
export const opCases: { readonly [K in Op]: readonly OpCase[] } = {
  [Op.Add]: [
    { name: 'broadcast [2,3] + [3]', inputs: { a: m23, b: v3 }, build: (b, x) => b.add(x.a!, x.b!) },
    { name: 'broadcast [2,1] + [1,3]', inputs: { a: { shape: [2, 1] }, b: { shape: [1, 3] } }, build: (b, x) => b.add(x.a!, x.b!) },
  ],
  [Op.Sub]: [{ name: 'broadcast [2,3] - [2,1]', inputs: { a: m23, b: { shape: [2, 1] } }, build: (b, x) => b.sub(x.a!, x.b!) }],
  [Op.Mul]: [{ name: 'broadcast [2,3] * [3]', inputs: { a: m23, b: v3 }, build: (b, x) => b.mul(x.a!, x.b!) }],
  [Op.Div]: [{ name: 'broadcast [2,3] / [3]', inputs: { a: m23, b: { shape: [3], positive: true } }, build: (b, x) => b.div(x.a!, x.b!) }],
  [Op.Neg]: unaryCase('neg', (b, x) => b.neg(x)),
  [Op.Exp]: unaryCase('exp', (b, x) => b.exp(x)),
  [Op.Log]: unaryCase('log', (b, x) => b.log(x), pos23),
  [Op.Tanh]: unaryCase('tanh', (b, x) => b.tanh(x)),
  [Op.Sigmoid]: unaryCase('sigmoid', (b, x) => b.sigmoid(x)),
  [Op.Relu]: unaryCase('relu', (b, x) => b.relu(x)),
  [Op.Softplus]: unaryCase('softplus', (b, x) => b.softplus(x)),
  [Op.Abs]: unaryCase('abs', (b, x) => b.abs(x)),
  [Op.Sqrt]: unaryCase('sqrt', (b, x) => b.sqrt(x), pos23),
  [Op.Square]: unaryCase('square', (b, x) => b.square(x)),
  [Op.Max]: [{ name: 'broadcast max', inputs: { a: m23, b: v3 }, build: (b, x) => b.max(x.a!, x.b!) }],
  [Op.Min]: [{ name: 'broadcast min', inputs: { a: m23, b: v3 }, build: (b, x) => b.min(x.a!, x.b!) }],
  [Op.Greater]: [{ name: 'where(a > b, a², b)', inputs: { a: m23, b: m23 }, build: (b, x) => b.where(b.greater(x.a!, x.b!), b.square(x.a!), x.b!) }],
  [Op.GreaterOrEqual]: [{ name: 'where(a ≥ b, a, 3b)', inputs: { a: m23, b: v3 }, build: (b, x) => b.where(b.greaterOrEqual(x.a!, x.b!), x.a!, b.mul(x.b!, b.constant(3))) }],
  [Op.Where]: [{
    name: 'where(c > 0, a, b) broadcast; c gets no gradient', inputs: { c: m23, a: v3, b: { shape: [2, 1] } },
    build: (b, x) => b.where(b.greater(x.c!, b.constant(0)), x.a!, x.b!),
  }],
  [Op.MatMul]: [
    { name: '[2,3] x [3,4]', inputs: { a: m23, b: { shape: [3, 4] } }, build: (b, x) => b.matmul(x.a!, x.b!) },
    { name: 'batched [2,2,3] x [3,4] (deferred weight gradient)', inputs: { a: { shape: [2, 2, 3] }, b: { shape: [3, 4] } }, build: (b, x) => b.matmul(x.a!, x.b!) },
    { name: 'broadcast [2,3] x [2,3,4]', inputs: { a: m23, b: { shape: [2, 3, 4] } }, build: (b, x) => b.matmul(x.a!, x.b!) },
    // B̄ = Aᵀ G written as (Gᵀ A)ᵀ, the form that transposes the small operands
    { name: '[2,5,4] x [2,4,1] (weight gradient as (Gᵀ A)ᵀ)', inputs: { a: { shape: [2, 5, 4] }, b: { shape: [2, 4, 1] } }, build: (b, x) => b.matmul(x.a!, x.b!) },
    { name: 'broadcast [1,8,4] x [2,4,1] ((Gᵀ A)ᵀ, then summed over the batch)', inputs: { a: { shape: [1, 8, 4] }, b: { shape: [2, 4, 1] } }, build: (b, x) => b.matmul(x.a!, x.b!) },
    { name: 'symbolic [3,B,4] x [3,4,1] ((Gᵀ A)ᵀ chosen with B symbolic)', inputs: { a: { shape: [3, 5, 4], decl: [3, 'B', 4] }, b: { shape: [3, 4, 1] } }, build: (b, x) => b.matmul(x.a!, x.b!) },
  ],
  [Op.Transpose]: [{ name: 'perm [2,0,1]', inputs: { x: { shape: [2, 3, 4] } }, build: (b, x) => b.transpose(x.x!, [2, 0, 1]) }],
  [Op.Reshape]: [{ name: '[T,B,3] -> [T*B,3]', inputs: { x: { shape: [2, 4, 3], decl: ['T', 'B', 3] } }, build: (b, x) => b.reshape(x.x!, ['T*B', 3]) }],
  [Op.Concat]: [
    { name: 'axis 1 of [2,3],[2,1]', inputs: { a: m23, b: { shape: [2, 1] } }, build: (b, x) => b.concat([x.a!, x.b!], 1) },
    { name: 'shift in time: concat([0], x[0:T-1]) on a symbolic axis', inputs: { x: { shape: [4, 2], decl: ['T', 2] } }, build: (b, x) => b.mul(b.concat([b.full([1, 2], 0), b.slice(x.x!, 0, 0, -1)], 0), x.x!) },
  ],
  [Op.Slice]: [
    { name: 'axis 0 [1,3)', inputs: { x: { shape: [4, 3] } }, build: (b, x) => b.slice(x.x!, 0, 1, 3) },
    { name: 'symbolic axis from -2 to the end', inputs: { x: { shape: [3, 5], decl: [3, 'D'] } }, build: (b, x) => b.slice(x.x!, 1, -2, null) },
  ],
  [Op.ReduceSum]: [
    { name: 'axis 1', inputs: { x: m23 }, build: (b, x) => b.reduceSum(x.x!, [1]) },
    { name: 'axes [0,2] keepdims', inputs: { x: { shape: [2, 3, 2] } }, build: (b, x) => b.reduceSum(x.x!, [0, 2], true) },
  ],
  [Op.ReduceMax]: [
    { name: 'axis 1', inputs: { x: m23 }, build: (b, x) => b.reduceMax(x.x!, [1]) },
    { name: 'axes [0] keepdims', inputs: { x: m23 }, build: (b, x) => b.reduceMax(x.x!, [0], true) },
  ],
  [Op.LogSumExp]: [
    { name: 'axis -1', inputs: { x: m23 }, build: (b, x) => b.logSumExp(x.x!, -1) },
    { name: 'axis 0 keepdims', inputs: { x: m23 }, build: (b, x) => b.logSumExp(x.x!, 0, true) },
  ],
  [Op.Expand]: [
    { name: '[2,1] -> [2,3]', inputs: { x: { shape: [2, 1] } }, build: (b, x) => b.expand(x.x!, [2, 3]) },
    { name: '[3] -> [B,3]', inputs: { x: v3, y: { shape: [2, 3], decl: ['B', 3] } }, build: (b, x) => b.mul(b.expand(x.x!, ['B', 3]), x.y!) },
  ],
  [Op.Constant]: [{ name: 'x * [1,2,3]', inputs: { x: m23 }, build: (b, x) => b.mul(x.x!, b.constant([1, 2, 3], [3])) }],
  [Op.Identity]: [{ name: 'identity(x) * x', inputs: { x: m23 }, build: (b, x) => b.mul(b.identity(x.x!), x.x!) }],
  [Op.Cast]: [{ name: 'cast(x > 0) * x', inputs: { x: m23 }, build: (b, x) => b.mul(b.cast(b.greater(x.x!, b.constant(0)), 'float64'), x.x!) }],
  [Op.CumSum]: [false, true].flatMap((reverse) => [false, true].map((exclusive) => ({
    name: `cumsum axis 0${reverse ? ' reverse' : ''}${exclusive ? ' exclusive' : ''} (times x, so the cotangent varies)`,
    inputs: { x: { shape: [3, 2] } }, build: (b: GraphBuilder, x: Readonly<Record<string, Value>>) => b.mul(b.cumSum(x.x!, 0, reverse, exclusive), x.x!),
  }))).concat([{ name: 'cumsum axis -1', inputs: { x: m23 }, build: (b, x) => b.mul(b.cumSum(x.x!, -1), x.x!) }]),
  [Op.GatherElements]: [{
    name: 'gather rows [2,0,2,1] along axis 0 (repeated indices accumulate)', inputs: { x: { shape: [3, 2] } },
    build: (b, x) => b.square(b.gatherElements(x.x!, b.constant([2, 0, 0, 0, 2, 1, 1, 2], [4, 2], 'int64'), 0)),
  }],
  [Op.ScatterAddElements]: [{
    name: 'scatter-add [4,2] updates into [3,2] along axis 0', inputs: { d: { shape: [3, 2] }, u: { shape: [4, 2] } },
    build: (b, x) => b.square(b.scatterAddElements(x.d!, b.constant([2, 0, 0, 0, 2, 1, 1, 2], [4, 2], 'int64'), x.u!, 0)),
  }],
  [Op.Scan]: [
    { name: 'forward tanh RNN', inputs: rnnInputs, build: (b, x) => rnn(b, x, false) },
    { name: 'reverse tanh RNN', inputs: rnnInputs, build: (b, x) => rnn(b, x, true) },
  ],
};
