/**
 * @file Floating-point operation counts of a graph at concrete sizes: one total rule table over
 * `Op`; a Scan costs its body times its trip count. Also the GEMMs a graph performs, with their
 * shapes, so a benchmark can measure the machine's rate at exactly those products.
 */
import { evalDim } from './dim.js';
import type { Graph, Node } from './graph.js';
import { Op, type OpAttrs } from './ops.js';

/** Symbol values (`T`, `B`, ...) the counts are taken at. */
export type SizeEnv = ReadonlyMap<string, number>;

/** One kind of product `[M, K] × [K, N]`, and how many FLOPs the graph spends on it (2·M·K·N per product). */
export interface GemmShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly flops: number;
}

/** What a rule sees: concrete input and output shapes, and a way to count a subgraph. */
export interface FlopCtx {
  readonly ins: readonly (readonly number[])[];
  readonly outs: readonly (readonly number[])[];
  /** The cost of a subgraph run `times` times (Scan bodies). */
  readonly body: (g: Graph, times: number) => number;
}

/** FLOPs of one node. */
export type FlopRule<K extends Op> = (cx: FlopCtx, attrs: OpAttrs[K]) => number;

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
/** One operation per output element. */
const perOut: FlopRule<Op> = ({ outs }) => size(outs[0]!);
/** One operation per input element (reductions). */
const perIn: FlopRule<Op> = ({ ins }) => size(ins[0]!);
/** Data movement: no arithmetic. */
const none: FlopRule<Op> = () => 0;

/** [..., M, K] × [..., K, N]: 2·K FLOPs per output element (a multiply and an add). */
function matmulFlops({ ins, outs }: FlopCtx): number {
  const a = ins[0]!;
  return 2 * a[a.length - 1]! * size(outs[0]!);
}

/** FLOP rule of every op. Transcendentals count as one operation per element, as is usual. */
export const flopRules: { readonly [K in Op]: FlopRule<K> } = {
  [Op.Add]: perOut, [Op.Sub]: perOut, [Op.Mul]: perOut, [Op.Div]: perOut, [Op.Neg]: perOut,
  [Op.Exp]: perOut, [Op.Log]: perOut, [Op.Tanh]: perOut, [Op.Sigmoid]: perOut, [Op.Relu]: perOut,
  [Op.Softplus]: perOut, [Op.Abs]: perOut, [Op.Sqrt]: perOut, [Op.Square]: perOut,
  [Op.Max]: perOut, [Op.Min]: perOut, [Op.Greater]: perOut, [Op.GreaterOrEqual]: perOut, [Op.Where]: perOut,
  [Op.MatMul]: matmulFlops,
  [Op.Transpose]: none, [Op.Reshape]: none, [Op.Concat]: none, [Op.Slice]: none, [Op.Expand]: none,
  [Op.Constant]: none, [Op.Identity]: none, [Op.Cast]: none, [Op.GatherElements]: none,
  // a running sum: one add per element; a scatter-add: one add per update
  [Op.CumSum]: perOut,
  [Op.ScatterAddElements]: ({ ins }) => size(ins[2]!),
  [Op.ReduceSum]: perIn, [Op.ReduceMax]: perIn,
  // max, subtract, exp, sum, then a log per output
  [Op.LogSumExp]: ({ ins, outs }) => 4 * size(ins[0]!) + size(outs[0]!),
  // the body once per slice of the scanned inputs
  [Op.Scan]: (cx, a) => cx.body(a.body, cx.ins[a.numCarry]![0]!),
};

/** A node's concrete input and output shapes. */
function shapesOf(g: Graph, n: Node, env: SizeEnv): { ins: number[][]; outs: number[][] } {
  const at = (id: number): number[] => g.values[id]!.shape.map((d) => evalDim(d, env));
  return { ins: n.inputs.map(at), outs: n.outputs.map(at) };
}

/** FLOPs of one run of `g` at sizes `env` (Scan bodies counted once per iteration). */
export function graphFlops(g: Graph, env: SizeEnv): number {
  const body = (b: Graph, times: number): number => times * graphFlops(b, env);
  return g.nodes.reduce((sum, n) => sum + (flopRules[n.op] as FlopRule<Op>)({ ...shapesOf(g, n, env), body }, n.attrs), 0);
}

/**
 * The products of one run of `g`, merged by shape. A product inside a Scan body that multiplies
 * by a loop-invariant 2-D matrix is reported with its rows times the trip count (the `[T·B, K]`
 * product it would be if done for all steps at once); other in-loop products keep their shape.
 */
export function gemmShapes(g: Graph, env: SizeEnv): GemmShape[] {
  const acc = new Map<string, GemmShape>();
  const add = (m: number, k: number, n: number, flops: number): void => {
    const key = `${m}x${k}x${n}`;
    const prev = acc.get(key);
    acc.set(key, { m, k, n, flops: (prev?.flops ?? 0) + flops });
  };
  const walk = (h: Graph, times: number, invariants: ReadonlySet<number>): void => {
    const inv = new Set(invariants);
    for (const n of h.nodes) {
      if (n.inputs.length > 0 && n.inputs.every((i) => inv.has(i))) n.outputs.forEach((o) => inv.add(o));
      const { ins, outs } = shapesOf(h, n, env);
      if (n.op === Op.MatMul) {
        const [a, b] = [ins[0]!, ins[1]!];
        const m = a[a.length - 2]!, k = a[a.length - 1]!, nn = b[b.length - 1]!;
        const batch = size(outs[0]!) / (m * nn);
        const flops = times * matmulFlops({ ins, outs, body: () => 0 });
        if (b.length === 2 && (times === 1 || inv.has(n.inputs[1]!))) add(m * batch * times, k, nn, flops);
        else add(m, k, nn, flops);
      } else if (n.op === Op.Scan) {
        const nc = n.attrs.numCarry, ns = n.attrs.numScanned;
        const inv = new Set(n.attrs.body.inputs.slice(nc + ns).map((p) => p.id));
        walk(n.attrs.body, times * ins[nc]![0]!, inv);
      }
    }
  };
  walk(g, 1, new Set());
  return [...acc.values()].sort((x, y) => y.flops - x.flops);
}
