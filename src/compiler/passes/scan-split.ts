/**
 * @file Scan splitting: what a Scan body computes is moved to where it is cheapest. Work that
 * reads only loop invariants runs once before the loop; work that does not depend on a carry
 * runs before the loop for all steps at once, batched over a leading `T` axis (`ir/batch.ts`),
 * and enters the loop as a scanned input; work that depends on a carry but feeds no carry (it
 * only feeds stacked outputs) runs after the loop, batched, from stacked copies of the carried
 * values it reads. What is left in the body is the recurrence itself. For a VRNN's stochastic
 * scan this moves the prior net, the decoder, the emission density and the KL out of the loop;
 * for a reverse (VJP) scan it moves the input cotangents and the parameter-cotangent pieces.
 */
import { InternalError } from '../diagnostics.js';
import { batchable, batchNode } from '../ir/batch.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, NodeOf, Value } from '../ir/graph.js';
import { Op, type ScanAttrs } from '../ir/ops.js';
import { mapBodies, rebuild, type PassResult } from './rewrite.js';

/** Where a body value can be computed: once before the loop, for all steps before the loop, or only in it. */
export type Placement = 'inv' | 'pre' | 'loop';

/** The direction shared by every scanned input and stacked output, or null when they differ. */
export function orientation(a: ScanAttrs): boolean | null {
  const flags = [...a.inputReverse, ...a.outputReverse];
  return flags.every((f) => f === flags[0]) ? flags[0]! : null;
}

/**
 * The placement of every body value (by id): `inv` reads only invariants and constants, `pre`
 * also reads scanned inputs (and has a batched form; only when all directions agree), `loop`
 * reads a carry (or cannot be batched).
 */
export function placeBody(body: Graph, a: ScanAttrs): Placement[] {
  const where = new Array<Placement>(body.values.length).fill('loop');
  const uniform = orientation(a) !== null;
  body.inputs.forEach((p, i) => {
    where[p.id] = i < a.numCarry ? 'loop' : i < a.numCarry + a.numScanned ? (uniform ? 'pre' : 'loop') : 'inv';
  });
  for (const n of body.nodes) {
    const ks = n.inputs.map((i) => where[i]!);
    const w: Placement = ks.every((k) => k === 'inv') ? 'inv' : ks.every((k) => k !== 'loop') && batchable(n.op) ? 'pre' : 'loop';
    for (const o of n.outputs) where[o] = w;
  }
  return where;
}

/** Moves invariant, carry-independent and carry-output-free work out of every Scan (bodies first). */
export function scanSplit(g: Graph): PassResult {
  const inner = mapBodies(g, scanSplit);
  let changed = inner.changed;
  const graph = rebuild(inner.graph, (b, n, ins) => {
    if (n.op !== Op.Scan) return undefined;
    const r = splitScan(b, n, ins);
    if (r !== null) changed = true;
    return r ?? undefined;
  });
  return { graph: changed ? graph : g, changed };
}

/** Emits the split form of one Scan node into `b`; null when nothing can move. */
function splitScan(b: GraphBuilder, n: NodeOf<Op.Scan>, ins: readonly Value[]): Value[] | null {
  const { body, numCarry: nc, numScanned: ns } = n.attrs;
  const where = placeBody(body, n.attrs);
  const dir = orientation(n.attrs);
  const producer = new Map<number, number>();
  body.nodes.forEach((nd, k) => nd.outputs.forEach((o) => producer.set(o, k)));
  const carryOuts = body.outputs.slice(0, nc).map((p) => p.id);
  const stackedOuts = body.outputs.slice(nc).map((p) => p.id);
  const placeOf = (k: number): Placement => where[body.nodes[k]!.outputs[0]!]!;

  // 1. Nodes that stay in the body: the carries' cone of loop work, work with no batched form
  //    (or all of it when directions differ), and copies that re-protect a body output.
  const inBody = new Array<boolean>(body.nodes.length).fill(false);
  const work: number[] = [];
  const keep = (k: number | undefined): void => { if (k !== undefined && !inBody[k]) { inBody[k] = true; work.push(k); } };
  const needLoop = (id: number): void => { if (where[id] === 'loop') keep(producer.get(id)); };
  carryOuts.forEach(needLoop);
  body.nodes.forEach((nd, k) => { if (placeOf(k) === 'loop' && (dir === null || !batchable(nd.op))) keep(k); });
  for (let k = work.pop(); k !== undefined; k = work.pop()) body.nodes[k]!.inputs.forEach(needLoop);
  const staysLoop = (id: number): boolean => where[id] === 'loop' && (producer.get(id) === undefined || inBody[producer.get(id)!]!);
  body.nodes.forEach((nd, k) => {
    // An Identity protecting an output gains nothing by moving (it would be re-inserted).
    if (nd.op !== Op.Identity) return;
    if ((placeOf(k) === 'loop' && staysLoop(nd.inputs[0]!)) || (placeOf(k) !== 'loop' && carryOuts.includes(nd.outputs[0]!))) inBody[k] = true;
  });
  const isPost = (k: number): boolean => placeOf(k) === 'loop' && !inBody[k];
  const keptInside = (id: number): boolean => staysLoop(id) || (producer.get(id) !== undefined && inBody[producer.get(id)!]!);
  const keptStacked = stackedOuts.map((id, j) => (keptInside(id) ? j : -1)).filter((j) => j >= 0);
  if (body.nodes.every((nd, k) => inBody[k] || nd.op === Op.Constant) && keptStacked.length === stackedOuts.length) return null;

  // 2. Before the loop: invariant work once, carry-independent work batched over T.
  const T = ins[nc]!.shape[0]!;
  const outer = new Map<number, Value>();
  body.inputs.forEach((p, i) => { if (i >= nc) outer.set(p.id, ins[i]!); });
  const typesOf = (k: number) => ({ ins: body.nodes[k]!.inputs.map((i) => body.values[i]!), outs: body.nodes[k]!.outputs.map((o) => body.values[o]!) });
  const emitOutside = (k: number): void => {
    const nd = body.nodes[k]!;
    const xs = nd.inputs.map((id) => ({ v: outer.get(id) ?? fail(`%${id} is not available outside`), batched: where[id] !== 'inv' }));
    const outs = placeOf(k) === 'inv' ? b.emit(nd.op, xs.map((x) => x.v), nd.attrs) : batchNode(b, T, nd.op, xs, nd.attrs, typesOf(k));
    nd.outputs.forEach((o, j) => outer.set(o, outs[j]!));
  };
  body.nodes.forEach((_, k) => { if (placeOf(k) !== 'loop') emitOutside(k); });

  // 3. The new body: staying nodes; moved values they read become scanned or invariant inputs.
  for (let k = 0; k < body.nodes.length; k++) {
    const nd = body.nodes[k]!;
    if (inBody[k] && nd.op !== Op.Constant) nd.inputs.forEach((id) => { const p = producer.get(id); if (p !== undefined && body.nodes[p]!.op === Op.Constant) inBody[p] = true; });
  }
  const bb = new GraphBuilder();
  const inside = new Map<number, Value>();
  const param = (id: number, name: string): void => { inside.set(id, bb.input(name, body.values[id]!.dtype, body.values[id]!.shape)); };
  const read = new Set<number>();
  body.nodes.forEach((nd, k) => { if (inBody[k]) nd.inputs.forEach((id) => read.add(id)); });
  carryOuts.forEach((id) => read.add(id));
  keptStacked.forEach((j) => read.add(stackedOuts[j]!));
  const newIn = [...read].filter((id) => where[id] !== 'loop' && producer.get(id) !== undefined && !inBody[producer.get(id)!]).sort((x, y) => x - y);
  const newPre = newIn.filter((id) => where[id] === 'pre'), newInv = newIn.filter((id) => where[id] === 'inv');
  body.inputs.slice(0, nc + ns).forEach((p) => param(p.id, p.name));
  const taken = new Set(body.inputs.map((p) => p.name));
  const fresh = (stem: string): string => { let k = 0; while (taken.has(`${stem}${k}`)) k++; taken.add(`${stem}${k}`); return `${stem}${k}`; };
  newPre.forEach((id) => param(id, fresh('pre')));
  body.inputs.slice(nc + ns).forEach((p) => param(p.id, p.name));
  newInv.forEach((id) => param(id, fresh('hoisted')));
  body.nodes.forEach((nd, k) => {
    if (!inBody[k]) return;
    const outs = bb.emit(nd.op, nd.inputs.map((id) => inside.get(id) ?? fail(`%${id} is not available in the body`)), nd.attrs);
    nd.outputs.forEach((o, j) => inside.set(o, outs[j]!));
  });
  carryOuts.forEach((id, i) => bb.output(`carry_out${i}`, inside.get(id)!));
  keptStacked.forEach((j) => bb.output(`y${j}`, inside.get(stackedOuts[j]!)!));
  // Loop values that work after the loop reads, stacked.
  const stackFor: number[] = [];
  body.nodes.forEach((nd, k) => { if (isPost(k)) nd.inputs.forEach((id) => { if (where[id] === 'loop' && inside.has(id) && !stackFor.includes(id)) stackFor.push(id); }); });
  stackFor.forEach((id, i) => bb.output(`stack${i}`, inside.get(id)!));
  const attrs: ScanAttrs = {
    body: bb.buildBody(), numCarry: nc, numScanned: ns + newPre.length,
    inputReverse: [...n.attrs.inputReverse, ...newPre.map(() => dir ?? false)],
    outputReverse: [...keptStacked.map((j) => n.attrs.outputReverse[j]!), ...stackFor.map(() => dir ?? false)],
  };
  const scanIns = [...ins.slice(0, nc + ns), ...newPre.map((id) => outer.get(id)!), ...ins.slice(nc + ns), ...newInv.map((id) => outer.get(id)!)];
  const outs = b.emit(Op.Scan, scanIns, attrs);
  keptStacked.forEach((j, i) => outer.set(stackedOuts[j]!, outs[nc + i]!));
  const stacks = new Map(stackFor.map((id, i) => [id, outs[nc + keptStacked.length + i]!] as const));

  // 4. After the loop: work no carry needs, batched, reading the stacks.
  body.nodes.forEach((nd, k) => {
    if (!isPost(k)) return;
    const xs = nd.inputs.map((id) => {
      const s = stacks.get(id);
      if (s !== undefined) return { v: s, batched: true };
      return { v: outer.get(id) ?? fail(`%${id} is not available after the loop`), batched: where[id] !== 'inv' };
    });
    const res = batchNode(b, T, nd.op, xs, nd.attrs, typesOf(k));
    nd.outputs.forEach((o, j) => outer.set(o, res[j]!));
  });
  const result = outs.slice(0, nc);
  stackedOuts.forEach((id, j) => {
    if (keptStacked.includes(j)) return void result.push(outer.get(id)!);
    const v = outer.get(id) ?? fail(`stacked output ${j} (%${id}) was not computed`);
    result.push(where[id] === 'inv' ? b.expand(v, [T, ...body.values[id]!.shape]) : v);
  });
  return result;
}

function fail(msg: string): never {
  throw new InternalError(`scan split: ${msg}`);
}
