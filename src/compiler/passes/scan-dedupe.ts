/**
 * @file CSE for the interface of Scans: a value fed twice as a scanned input (same direction) or
 * as an invariant is fed once; two stacked outputs of the same body value (looking through the
 * Identity copies that protect body outputs) in the same direction are produced once. Splitting
 * and the Scan VJP both add inputs and outputs, and they often repeat one another (the carried
 * state stacked for work after the loop and again as a residual).
 */
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, NodeOf, Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { mapBodies, rebuild, type PassResult } from './rewrite.js';

/** Merges repeated inputs and outputs of every Scan (bodies first). */
export function scanDedupe(g: Graph): PassResult {
  const inner = mapBodies(g, scanDedupe);
  let changed = inner.changed;
  const graph = rebuild(inner.graph, (b, n, ins) => {
    if (n.op !== Op.Scan) return undefined;
    const r = dedupe(b, n, ins);
    if (r !== null) changed = true;
    return r ?? undefined;
  });
  return { graph: changed ? graph : g, changed };
}

function dedupe(b: GraphBuilder, n: NodeOf<Op.Scan>, ins: readonly Value[]): Value[] | null {
  const { body, numCarry: nc, numScanned: ns } = n.attrs;
  // Inputs: the first of equal (outer value, role, direction) keys is kept.
  const keyIn = (i: number): string | null => (i < nc ? null : i < nc + ns ? `s${ins[i]!.id}:${n.attrs.inputReverse[i - nc]}` : `i${ins[i]!.id}`);
  const firstIn = new Map<string, number>();
  const inTo = body.inputs.map((_, i) => {
    const k = keyIn(i);
    if (k === null) return i;
    if (!firstIn.has(k)) firstIn.set(k, i);
    return firstIn.get(k)!;
  });
  // Outputs: stacked ones with the same source value and direction.
  const producer = new Map<number, NodeOf<Op>>();
  body.nodes.forEach((nd) => nd.outputs.forEach((o) => producer.set(o, nd as NodeOf<Op>)));
  const root = (id: number): number => { const p = producer.get(id); return p?.op === Op.Identity ? root(p.inputs[0]!) : id; };
  const paramRoot = (id: number): number => { const r = root(id); const pi = body.inputs.findIndex((p) => p.id === r); return pi >= 0 ? -1 - inTo[pi]! : r; };
  const firstOut = new Map<string, number>();
  const outTo = body.outputs.map((p, j) => {
    if (j < nc) return j;
    const k = `${paramRoot(p.id)}:${n.attrs.outputReverse[j - nc]}`;
    if (!firstOut.has(k)) firstOut.set(k, j);
    return firstOut.get(k)!;
  });
  if (inTo.every((t, i) => t === i) && outTo.every((t, j) => t === j)) return null;

  const bb = new GraphBuilder();
  const env = new Map<number, Value>();
  body.inputs.forEach((p, i) => { if (inTo[i] === i) env.set(p.id, bb.input(p.name, body.values[p.id]!.dtype, body.values[p.id]!.shape)); });
  body.inputs.forEach((p, i) => { if (inTo[i] !== i) env.set(p.id, env.get(body.inputs[inTo[i]!]!.id)!); });
  for (const nd of body.nodes) {
    const outs = bb.emit(nd.op, nd.inputs.map((id) => env.get(id)!), nd.attrs);
    nd.outputs.forEach((o, k) => env.set(o, outs[k]!));
  }
  body.outputs.forEach((p, j) => { if (outTo[j] === j) bb.output(p.name, env.get(p.id)!); });
  const keptIn = body.inputs.map((_, i) => inTo[i] === i);
  const attrs = {
    body: bb.buildBody(), numCarry: nc, numScanned: keptIn.slice(nc, nc + ns).filter(Boolean).length,
    inputReverse: n.attrs.inputReverse.filter((_, i) => keptIn[nc + i]),
    outputReverse: n.attrs.outputReverse.filter((_, j) => outTo[nc + j] === nc + j),
  };
  const outs = b.emit(Op.Scan, ins.filter((_, i) => keptIn[i]), attrs);
  const at = new Map<number, Value>();
  let k = 0;
  outTo.forEach((t, j) => { if (t === j) at.set(j, outs[k++]!); });
  return outTo.map((t) => at.get(t)!);
}
