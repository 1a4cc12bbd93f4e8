/** @file Shared machinery for passes: rebuild a graph node by node, and recurse into Scan bodies. */
import { InternalError } from '../diagnostics.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { Op, type ScanAttrs } from '../ir/ops.js';

/** A pass: a pure function from a graph to a graph, saying whether anything changed. */
export type Pass = (g: Graph) => PassResult;

/** What a pass returns. */
export interface PassResult {
  readonly graph: Graph;
  readonly changed: boolean;
}

/**
 * Rebuilds `g`: inputs kept with their names; each node goes through `visit`, which returns
 * the values replacing its outputs, or `undefined` to copy the node. Outputs follow the map.
 */
export function rebuild(
  g: Graph, visit: (b: GraphBuilder, n: Node, ins: Value[], index: number, get: (id: number) => Value) => Value[] | undefined, asBody = false,
): Graph {
  const b = new GraphBuilder();
  const env = new Map<number, Value>();
  const get = (id: number): Value => env.get(id) ?? fail(`%${id} is used before it is defined`);
  g.inputs.forEach((p) => env.set(p.id, b.input(p.name, g.values[p.id]!.dtype, g.values[p.id]!.shape)));
  g.nodes.forEach((n, i) => {
    const ins = n.inputs.map(get);
    const outs = visit(b, n, ins, i, get) ?? b.emit(n.op, ins, n.attrs);
    n.outputs.forEach((o, k) => env.set(o, outs[k]!));
  });
  g.outputs.forEach((p) => b.output(p.name, env.get(p.id)!));
  return asBody ? b.buildBody() : b.build();
}

/** Applies `pass` to the body of every Scan node (bottom-up); reports whether any body changed. */
export function mapBodies(g: Graph, pass: Pass): PassResult {
  return mapScans(g, (body) => pass(body));
}

/** Like `mapBodies`, for passes that need the Scan's attributes (directions, roles of the body's params). */
export function mapScans(g: Graph, pass: (body: Graph, attrs: ScanAttrs) => PassResult): PassResult {
  let changed = false;
  const nodes = g.nodes.map((n): Node => {
    if (n.op !== Op.Scan) return n;
    const r = pass(n.attrs.body, n.attrs);
    changed ||= r.changed;
    // A pass may merge body outputs or forward a param: re-protect them with Identity.
    return r.changed ? { ...n, attrs: { ...n.attrs, body: rebuild(r.graph, () => undefined, true) } } : n;
  });
  return { graph: changed ? { ...g, nodes } : g, changed };
}

function fail(msg: string): never {
  throw new InternalError(`rebuild: ${msg}`);
}
