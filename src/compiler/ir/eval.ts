/** @file The Float64 reference interpreter: one total table of evaluation rules; Scan is a real loop. */
import { evalDim, singleSymbol, dimToString } from './dim.js';
import type { Graph } from './graph.js';
import { Op, type OpAttrs } from './ops.js';
import { sliceBounds } from './shape.js';
import { InternalError } from '../diagnostics.js';
import {
  broadcastConcrete, broadcastTo, concatT, cumSumT, gatherT, map1, mapN, matmulT, reduceT, scatterAddT, sliceT, transposeT, size,
  type Tensor,
} from './tensor.js';

/** Symbol values (`B`, `T`, …) bound from the graph inputs' shapes. */
export type DimEnv = Map<string, number>;

/** Evaluates one op on concrete tensors. */
export type EvalRule<K extends Op> = (ins: readonly Tensor[], attrs: OpAttrs[K], env: DimEnv) => Tensor[];

const un = (f: (x: number) => number): EvalRule<Op> => ([x]) => [map1(x!, f)];
const bin = (f: (a: number, b: number) => number): EvalRule<Op> => ([a, b]) => [mapN([a!, b!], f, a!.dtype)];
const cmp = (f: (a: number, b: number) => boolean): EvalRule<Op> => ([a, b]) => [mapN([a!, b!], (x, y) => (f(x, y) ? 1 : 0), 'bool')];
const axisOf = (a: number, r: number): number => (a < 0 ? a + r : a);

function logSumExp(x: Tensor, axis: number, keepdims: boolean): Tensor {
  const m = reduceT(x, [axis], true, -Infinity, Math.max);
  const mf = map1(m, (v) => (Number.isFinite(v) ? v : 0));
  const s = reduceT(mapN([x, mf], (v, c) => Math.exp(v - c), x.dtype), [axis], true, 0, (p, v) => p + v);
  const out = mapN([s, mf], (v, c) => Math.log(v) + c, x.dtype);
  return keepdims ? out : { ...out, shape: x.shape.filter((_, i) => i !== axis) };
}

/** Evaluation rule of every op. */
export const evalRules: { readonly [K in Op]: EvalRule<K> } = {
  [Op.Add]: bin((a, b) => a + b),
  [Op.Sub]: bin((a, b) => a - b),
  [Op.Mul]: bin((a, b) => a * b),
  [Op.Div]: bin((a, b) => a / b),
  [Op.Max]: bin(Math.max),
  [Op.Min]: bin(Math.min),
  [Op.Greater]: cmp((a, b) => a > b),
  [Op.GreaterOrEqual]: cmp((a, b) => a >= b),
  [Op.Neg]: un((x) => -x),
  [Op.Exp]: un(Math.exp),
  [Op.Log]: un(Math.log),
  [Op.Tanh]: un(Math.tanh),
  [Op.Sigmoid]: un((x) => 1 / (1 + Math.exp(-x))),
  [Op.Relu]: un((x) => Math.max(x, 0)),
  [Op.Softplus]: un((x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))),
  [Op.Abs]: un(Math.abs),
  [Op.Sqrt]: un(Math.sqrt),
  [Op.Square]: un((x) => x * x),
  [Op.Identity]: ([x]) => [x!],
  [Op.Cast]: ([x], { to }) => [map1(x!, to === 'bool' ? (v) => (v !== 0 ? 1 : 0) : to === 'float32' ? Math.fround : to === 'int64' ? Math.trunc : (v) => v, to)],
  [Op.CumSum]: ([x], { axis, reverse, exclusive }) => [cumSumT(x!, axisOf(axis, x!.shape.length), reverse, exclusive)],
  [Op.GatherElements]: ([x, idx], { axis }) => [gatherT(x!, idx!, axisOf(axis, x!.shape.length))],
  [Op.ScatterAddElements]: ([data, idx, upd], { axis }) => [scatterAddT(data!, idx!, upd!, axisOf(axis, data!.shape.length))],
  [Op.Where]: ([c, a, b]) => [mapN([c!, a!, b!], (p, x, y) => (p !== 0 ? x : y), a!.dtype)],
  [Op.MatMul]: ([a, b]) => [matmulT(a!, b!)],
  [Op.Transpose]: ([x], { perm }) => [transposeT(x!, perm)],
  [Op.Reshape]: ([x], { shape }, env) => {
    const s = shape.map((d) => evalDim(d, env));
    if (size(s) !== x!.data.length) throw new Error(`eval: reshape [${x!.shape}] to [${s}]`);
    return [{ ...x!, shape: s }];
  },
  [Op.Concat]: (xs, { axis }) => [concatT(xs, axisOf(axis, xs[0]!.shape.length))],
  [Op.Slice]: ([x], { axis, start, end }) => {
    const ax = axisOf(axis, x!.shape.length);
    const [s, e] = sliceBounds(x!.shape[ax]!, start, end) as [number, number];
    return [sliceT(x!, ax, s, e)];
  },
  [Op.ReduceSum]: ([x], { axes, keepdims }) => [reduceT(x!, axes.map((a) => axisOf(a, x!.shape.length)), keepdims, 0, (p, v) => p + v)],
  [Op.ReduceMax]: ([x], { axes, keepdims }) => [reduceT(x!, axes.map((a) => axisOf(a, x!.shape.length)), keepdims, -Infinity, Math.max)],
  [Op.LogSumExp]: ([x], { axis, keepdims }) => [logSumExp(x!, axisOf(axis, x!.shape.length), keepdims)],
  [Op.Expand]: ([x], { shape }, env) => {
    const s = shape.map((d) => evalDim(d, env));
    return [broadcastTo(x!, broadcastConcrete(x!.shape, s))];
  },
  [Op.Constant]: (_, { dtype, shape, value }) => [{ dtype, shape, data: Float64Array.from(value) }],
  [Op.Scan]: (ins, attrs, env) => evalScan(ins, attrs, env),
};

/** Runs a Scan as a loop over axis 0 of its scanned inputs. */
function evalScan(ins: readonly Tensor[], a: OpAttrs[Op.Scan], env: DimEnv): Tensor[] {
  const { body, numCarry: nc, numScanned: ns } = a;
  const len = ins[nc]!.shape[0]!;
  let carries = ins.slice(0, nc);
  const scanned = ins.slice(nc, nc + ns), inv = ins.slice(nc + ns);
  const nOut = body.outputs.length - nc;
  const steps: Tensor[][] = [...Array(nOut)].map(() => new Array<Tensor>(len));
  for (let k = 0; k < len; k++) {
    const slices = scanned.map((x, i) => {
      const p = a.inputReverse[i] ? len - 1 - k : k;
      const s = sliceT(x, 0, p, p + 1);
      return { ...s, shape: s.shape.slice(1) };
    });
    const outs = runGraph(body, [...carries, ...slices, ...inv], env);
    carries = outs.slice(0, nc);
    outs.slice(nc).forEach((y, j) => { steps[j]![a.outputReverse[j] ? len - 1 - k : k] = y; });
  }
  const stacked = steps.map((ys, j) => {
    const t = body.values[body.outputs[nc + j]!.id]!;
    if (len === 0) return { dtype: t.dtype, shape: [0, ...t.shape.map((d) => evalDim(d, env))], data: new Float64Array(0) };
    return concatT(ys.map((y) => ({ ...y, shape: [1, ...y.shape] })), 0);
  });
  return [...carries, ...stacked];
}

/** Binds symbols from input shapes into `env` and checks every declared dim against the actual one. */
export function bindDims(g: Graph, ins: readonly Tensor[], env: DimEnv): void {
  g.inputs.forEach((p, i) => {
    const decl = g.values[p.id]!.shape, got = ins[i]!.shape;
    if (decl.length !== got.length) throw new Error(`eval: input '${p.name}' has rank ${got.length}, expected ${decl.length}`);
    decl.forEach((d, j) => { const s = singleSymbol(d); if (s !== undefined && !env.has(s)) env.set(s, got[j]!); });
  });
  g.inputs.forEach((p, i) => {
    g.values[p.id]!.shape.forEach((d, j) => {
      if (evalDim(d, env) !== ins[i]!.shape[j]) throw new Error(`eval: input '${p.name}' axis ${j} is ${ins[i]!.shape[j]}, expected ${dimToString(d)} = ${evalDim(d, env)}`);
    });
  });
}

/** Evaluates a graph on positional inputs; returns positional outputs. */
export function runGraph(g: Graph, ins: readonly Tensor[], env: DimEnv = new Map()): Tensor[] {
  if (ins.length !== g.inputs.length) throw new Error(`eval: ${ins.length} inputs for ${g.inputs.length} params`);
  bindDims(g, ins, env);
  const vals = new Array<Tensor | undefined>(g.values.length);
  g.inputs.forEach((p, i) => { vals[p.id] = ins[i]; });
  g.nodes.forEach((n, idx) => {
    const args = n.inputs.map((id) => vals[id]!);
    const outs = (evalRules[n.op] as EvalRule<Op>)(args, n.attrs, env);
    if (outs.length !== n.outputs.length) throw new InternalError(`node ${idx} (${n.op}) produced ${outs.length} outputs`);
    n.outputs.forEach((id, k) => { vals[id] = outs[k]; });
  });
  return g.outputs.map((p) => vals[p.id]!);
}

/** Evaluates a graph on named inputs; returns named outputs. */
export function evaluate(g: Graph, inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const ins = g.inputs.map((p) => {
    const t = inputs[p.name];
    if (t === undefined) throw new Error(`eval: missing input '${p.name}'`);
    return t;
  });
  const outs = runGraph(g, ins);
  return Object.fromEntries(g.outputs.map((p, i) => [p.name, outs[i]!]));
}
