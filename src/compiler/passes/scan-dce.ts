/**
 * @file Dead-code elimination with a rule for Scan (JAX's `_scan_dce_rule`): a stacked output
 * nobody reads is dropped; a carry is dropped when its final value is unused and no live part of
 * the body reads it (found as a fixed point: a live carry keeps alive what its update reads);
 * scanned inputs and invariants the remaining body does not read are dropped. Other dead nodes
 * go too, inside bodies as well (`dce.ts` does that part for graphs without Scans).
 */
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, NodeOf, Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { mapBodies, type PassResult } from './rewrite.js';

/** Which parts of a Scan survive. */
interface ScanKeep {
  readonly carries: readonly boolean[];
  readonly scanned: readonly boolean[];
  readonly invariants: readonly boolean[];
  readonly stacked: readonly boolean[];
  /** Live body values (ids). */
  readonly live: ReadonlySet<number>;
}

/** Values of `body` needed for the outputs `outs` (ids), nested Scans taken whole. */
function liveValues(body: Graph, outs: readonly number[]): Set<number> {
  const live = new Set(outs);
  for (let k = body.nodes.length - 1; k >= 0; k--) {
    const n = body.nodes[k]!;
    if (n.outputs.some((o) => live.has(o))) n.inputs.forEach((i) => live.add(i));
  }
  return live;
}

/** What of Scan `n` is needed when only its outputs `liveOut` are read. */
function scanKeep(n: NodeOf<Op.Scan>, liveOut: readonly boolean[]): ScanKeep {
  const { body, numCarry: nc, numScanned: ns } = n.attrs;
  const carries = liveOut.slice(0, nc);
  const stacked = liveOut.slice(nc);
  let live: Set<number>;
  for (;;) {
    live = liveValues(body, body.outputs.filter((_, i) => (i < nc ? carries[i] : stacked[i - nc])).map((p) => p.id));
    const grow = carries.map((c, i) => c || live.has(body.inputs[i]!.id));
    if (grow.every((c, i) => c === carries[i])) break;
    grow.forEach((c, i) => { carries[i] = c; });
  }
  const used = body.inputs.map((p) => live.has(p.id));
  const scanned = used.slice(nc, nc + ns);
  if (!scanned.some((s) => s)) scanned[0] = true; // a Scan needs a scanned input to know its length
  return { carries, scanned, invariants: used.slice(nc + ns), stacked, live };
}

/** The pruned Scan emitted into `b`; returns the node's outputs (dead ones undefined). */
function emitPruned(b: GraphBuilder, n: NodeOf<Op.Scan>, ins: readonly Value[], keep: ScanKeep): (Value | undefined)[] {
  const { body } = n.attrs;
  const inMask = [...keep.carries, ...keep.scanned, ...keep.invariants];
  const outMask = [...keep.carries, ...keep.stacked];
  const bb = new GraphBuilder();
  const env = new Map<number, Value>();
  body.inputs.forEach((p, i) => { if (inMask[i]) env.set(p.id, bb.input(p.name, body.values[p.id]!.dtype, body.values[p.id]!.shape)); });
  for (const nd of body.nodes) {
    if (!nd.outputs.some((o) => keep.live.has(o))) continue;
    const outs = bb.emit(nd.op, nd.inputs.map((id) => env.get(id)!), nd.attrs);
    nd.outputs.forEach((o, k) => env.set(o, outs[k]!));
  }
  body.outputs.forEach((p, i) => { if (outMask[i]) bb.output(p.name, env.get(p.id)!); });
  const attrs = {
    body: bb.buildBody(),
    numCarry: keep.carries.filter(Boolean).length,
    numScanned: keep.scanned.filter(Boolean).length,
    inputReverse: n.attrs.inputReverse.filter((_, i) => keep.scanned[i]),
    outputReverse: n.attrs.outputReverse.filter((_, j) => keep.stacked[j]),
  };
  const outs = b.emit(Op.Scan, ins.filter((_, i) => inMask[i]), attrs);
  let k = 0;
  return outMask.map((m) => (m ? outs[k++] : undefined));
}

/** Removes dead nodes, and dead outputs, carries and inputs of Scans. */
export function scanDce(g: Graph): PassResult {
  const inner = mapBodies(g, scanDce);
  const graph = inner.graph;
  const live = new Set(graph.outputs.map((p) => p.id));
  const keeps = new Map<number, ScanKeep>();
  let changed = inner.changed;
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k]!;
    const liveOut = n.outputs.map((o) => live.has(o));
    if (!liveOut.some((l) => l)) { changed = true; continue; }
    if (n.op !== Op.Scan) { n.inputs.forEach((i) => live.add(i)); continue; }
    const keep = scanKeep(n, liveOut);
    const inMask = [...keep.carries, ...keep.scanned, ...keep.invariants];
    n.inputs.forEach((id, i) => { if (inMask[i]) live.add(id); });
    if (![...inMask, ...keep.stacked].every(Boolean)) { keeps.set(k, keep); changed = true; }
  }
  if (!changed) return inner;
  const b = new GraphBuilder();
  const env = new Map<number, Value>();
  graph.inputs.forEach((p) => env.set(p.id, b.input(p.name, graph.values[p.id]!.dtype, graph.values[p.id]!.shape)));
  graph.nodes.forEach((n, k) => {
    if (!n.outputs.some((o) => live.has(o))) return;
    const ins = n.inputs.map((id) => env.get(id)!);
    const keep = keeps.get(k);
    const outs = keep !== undefined && n.op === Op.Scan ? emitPruned(b, n, ins, keep) : b.emit(n.op, ins, n.attrs);
    n.outputs.forEach((o, i) => { const v = outs[i]; if (v !== undefined) env.set(o, v); });
  });
  graph.outputs.forEach((p) => b.output(p.name, env.get(p.id)!));
  return { graph: b.build(), changed: true };
}
