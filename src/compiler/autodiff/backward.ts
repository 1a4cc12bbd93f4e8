/** @file Reverse mode as a graph-to-graph transform: copy the forward graph, then walk it backwards. */
import { GraphBuilder } from '../ir/builder.js';
import { shapeEq, shapeToString } from '../ir/dim.js';
import { inputNamed, outputNamed, type Graph, type Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { InternalError } from '../diagnostics.js';
import { ctShape, sumCts, unbroadcast, dense, zerosLike, type Ct } from './cotangent.js';
import { asCts, type Driver, type Forward, type ScanPlan, type VjpRule } from './rule.js';
import { scanForward } from './scan.js';
import { vjpRules } from './vjp.js';

/** Which values carry a derivative: depend on a `wrt` value and reach a seeded value. */
export function activity(g: Graph, wrt: readonly number[], seeds: readonly number[]): boolean[] {
  const fwd = new Array<boolean>(g.values.length).fill(false);
  const bwd = new Array<boolean>(g.values.length).fill(false);
  for (const id of wrt) fwd[id] = true;
  for (const id of seeds) bwd[id] = true;
  for (const n of g.nodes) {
    if (n.inputs.some((i) => fwd[i])) for (const o of n.outputs) fwd[o] = g.values[o]!.dtype !== 'bool' && g.values[o]!.dtype !== 'int64';
  }
  for (const n of [...g.nodes].reverse()) {
    if (n.outputs.some((o) => bwd[o] && fwd[o])) for (const i of n.inputs) bwd[i] = true;
  }
  return fwd.map((f, i) => f && bwd[i]!);
}

/** Whether node `n` of `g` needs a VJP (some active input and some active output). */
export function isActiveNode(n: Graph['nodes'][number], active: readonly boolean[]): boolean {
  return n.inputs.some((i) => active[i]) && n.outputs.some((o) => active[o]);
}

export type { Forward } from './rule.js';

/** Copies `src`'s nodes into `b` (params given), replacing active Scans by residual-saving ones. */
export function copyForward(b: GraphBuilder, src: Graph, params: readonly Value[], active: readonly boolean[]): Forward {
  const env: Value[] = [];
  const plans = new Map<number, ScanPlan>();
  src.inputs.forEach((p, i) => { env[p.id] = params[i]!; });
  src.nodes.forEach((n, idx) => {
    const ins = n.inputs.map((i) => env[i]!);
    let outs: Value[];
    if (n.op === Op.Scan && isActiveNode(n, active)) {
      const r = scanForward(b, n, ins, n.inputs.map((i) => active[i]!), n.outputs.map((o) => active[o]!), driver);
      plans.set(idx, r.plan);
      outs = r.outputs;
    } else {
      outs = b.emit(n.op, ins, n.attrs);
    }
    n.outputs.forEach((o, k) => { env[o] = outs[k]!; });
  });
  return { env, plans };
}

/**
 * Walks `src` backwards from `seeds` (source id → cotangent in `b`), applying the VJP rules to
 * the copies in `fwd`. Returns every contribution to each `wrt` id, unsummed.
 */
export function reverseSweep(
  b: GraphBuilder, src: Graph, fwd: Forward, seeds: ReadonlyMap<number, Value>, wrt: readonly number[], active: readonly boolean[],
): Map<number, Ct[]> {
  const acc = new Map<number, Ct[]>();
  const push = (id: number, cs: readonly Ct[]): void => { acc.set(id, [...(acc.get(id) ?? []), ...cs]); };
  for (const [id, v] of seeds) push(id, [dense(v)]);
  for (let idx = src.nodes.length - 1; idx >= 0; idx--) {
    const n = src.nodes[idx]!;
    if (!isActiveNode(n, active)) continue;
    const cts = n.outputs.map((o) => (active[o] ? sumCts(b, acc.get(o)) : null));
    if (cts.every((c) => c === null)) continue;
    const wants = n.inputs.map((i) => active[i]!);
    const view = { index: idx, inputs: n.inputs.map((i) => fwd.env[i]!), outputs: n.outputs.map((o) => fwd.env[o]!), attrs: n.attrs };
    const res = (vjpRules[n.op] as VjpRule<Op>)({ b, plans: fwd.plans, driver }, view, cts, wants);
    if (res.length !== n.inputs.length) {
      throw new InternalError(`vjp of node ${idx} (${n.op}) returned ${res.length} cotangents for ${n.inputs.length} inputs`);
    }
    n.inputs.forEach((id, k) => {
      if (!wants[k]) return;
      const primal = src.values[id]!;
      const r = res[k];
      if (r === undefined) throw new InternalError(`vjp of node ${idx} (${n.op}) left the cotangent of input ${k} undefined`);
      const cs = asCts(r).map((c) => (c.kind === 'dense' ? dense(unbroadcast(b, c.v, primal.shape)) : c));
      for (const c of cs) {
        if (!shapeEq(ctShape(c), primal.shape)) {
          throw new InternalError(`vjp of node ${idx} (${n.op}) gives input ${k} a cotangent ${shapeToString(ctShape(c))}, primal is ${shapeToString(primal.shape)}`);
        }
      }
      push(id, cs);
    });
  }
  return new Map(wrt.map((id) => [id, acc.get(id) ?? []]));
}

/** The driver as rules and Scan's forward copy see it (they call back through it, not by import). */
const driver: Driver = { activity, copyForward, reverseSweep };

/** Options of `grad`. */
export interface GradOptions {
  /** Name of the output to differentiate. */
  readonly of: string;
  /** Names of the inputs to differentiate with respect to. */
  readonly wrt: readonly string[];
  /** 'ones' (default) seeds with 1s; 'input' adds an input `ct_<of>` holding the output cotangent. */
  readonly seed?: 'ones' | 'input';
  /** Name of the gradient output for an input (default `grad_<name>`). */
  readonly gradName?: (input: string) => string;
}

/**
 * Reverse-mode gradient: returns a graph with the same inputs (plus the seed input if asked),
 * the original outputs, then one output per `wrt` input holding d(of)/d(input) (Jᵀ·seed).
 */
export function grad(g: Graph, opts: GradOptions): Graph {
  const b = new GraphBuilder();
  const params = g.inputs.map((p) => b.input(p.name, g.values[p.id]!.dtype, g.values[p.id]!.shape));
  const out = outputNamed(g, opts.of);
  const wrt = opts.wrt.map((n) => inputNamed(g, n).id);
  const active = activity(g, wrt, [out.id]);
  const fwd = copyForward(b, g, params, active);
  g.outputs.forEach((p) => b.output(p.name, fwd.env[p.id]!));
  const ot = g.values[out.id]!;
  const seed = opts.seed === 'input' ? b.input(`ct_${opts.of}`, ot.dtype, ot.shape) : b.full(ot.shape, 1, ot.dtype);
  const cts = reverseSweep(b, g, fwd, new Map([[out.id, seed]]), wrt, active);
  opts.wrt.forEach((name, i) => {
    const v = sumCts(b, cts.get(wrt[i]!)) ?? zerosLike(b, g.values[wrt[i]!]!);
    b.output((opts.gradName ?? ((n) => `grad_${n}`))(name), v);
  });
  return b.build();
}
