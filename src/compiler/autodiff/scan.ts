/**
 * @file VJP of Scan. The body is differentiated into a joint forward+backward graph, which is
 * split: the forward scan also outputs the per-step residuals the backward half reads, and the
 * backward half becomes a Scan in the opposite direction whose carry holds the carry cotangents.
 * Invariant (parameter) cotangents are per-step outputs reduced after the loop; MatMul weight
 * cotangents are stacked as (input, output-cotangent) pairs and formed as one product.
 */
import { InternalError } from '../diagnostics.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph, NodeOf, Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { batchNode } from '../ir/batch.js';
import { sumCts, zerosLike, type Ct } from './cotangent.js';
import { chooseResiduals } from './residuals.js';
import type { CtOut, Driver, InvOut, NodeView, ScanPlan, StackSrc, VjpCtx } from './rule.js';

const range = (n: number): number[] => [...Array(n).keys()];

/** Emits the residual-saving forward Scan for `n` (inputs `ins`) and plans its backward scan. */
export function scanForward(
  b: GraphBuilder, n: NodeOf<Op.Scan>, ins: readonly Value[], wantIn: readonly boolean[], activeOut: readonly boolean[], driver: Driver,
): { outputs: Value[]; plan: ScanPlan } {
  const { activity, copyForward, reverseSweep } = driver;
  const { body, numCarry: nc, numScanned: ns } = n.attrs;
  const nOut = body.outputs.length - nc;
  const ty = (id: number) => body.values[id]!;
  const role = (i: number): 'carry' | 'scanned' | 'inv' => (i < nc ? 'carry' : i < nc + ns ? 'scanned' : 'inv');

  // 1. Joint graph: body params, cotangent params, forward copy, then the reverse sweep.
  const jb = new GraphBuilder();
  const params = body.inputs.map((p) => jb.input(p.name, ty(p.id).dtype, ty(p.id).shape));
  const ctCarry = range(nc).map((i) => jb.input(`ct_carry${i}`, ty(body.inputs[i]!.id).dtype, ty(body.inputs[i]!.id).shape));
  const ctYs = range(nOut).filter((j) => activeOut[nc + j]);
  const ctY = ctYs.map((j) => jb.input(`ct_y${j}`, ty(body.outputs[nc + j]!.id).dtype, ty(body.outputs[nc + j]!.id).shape));
  const seeds = new Map<number, Value>();
  range(nc).forEach((i) => seeds.set(body.outputs[i]!.id, ctCarry[i]!));
  ctYs.forEach((j, k) => seeds.set(body.outputs[nc + j]!.id, ctY[k]!));
  const wrt = body.inputs.filter((_, i) => i < nc || wantIn[i]).map((p) => p.id);
  const act = activity(body, wrt, [...seeds.keys()]);
  const fwd = copyForward(jb, body, params, act);
  const nF = jb.nodeCount;
  const contrib = reverseSweep(jb, body, fwd, seeds, wrt, act);
  const ctOf = (i: number): readonly Ct[] => contrib.get(body.inputs[i]!.id) ?? [];
  const ctCarryOut = range(nc).map((i) => sumCts(jb, ctOf(i)));
  const ctX = range(ns).map((i) => (wantIn[nc + i] ? sumCts(jb, ctOf(nc + i)) : null));
  const invCts = range(ins.length - nc - ns).map((k) => (wantIn[nc + ns + k] ? ctOf(nc + ns + k) : []));
  const joint = jb.build();

  // 2. Classify forward values the backward half reads.
  const paramIdx = new Map(params.map((p, i) => [p.id, i]));
  const producer = new Map<number, number>();
  joint.nodes.forEach((nd, idx) => nd.outputs.forEach((o) => producer.set(o, idx)));
  const isFwd = (id: number): boolean => paramIdx.has(id) || (producer.get(id) ?? Infinity) < nF;
  const invOnly = new Set(params.filter((_, i) => role(i) === 'inv').map((p) => p.id));
  joint.nodes.slice(0, nF).forEach((nd) => { if (nd.inputs.every((i) => invOnly.has(i))) nd.outputs.forEach((o) => invOnly.add(o)); });
  const needed = new Set<number>();
  const need = (v: Value): void => { if (isFwd(v.id)) needed.add(v.id); };
  joint.nodes.slice(nF).forEach((nd) => nd.inputs.forEach((i) => { if (isFwd(i)) needed.add(i); }));
  const bwdOuts: Value[] = [...ctCarryOut, ...ctX].filter((v): v is Value => v !== null);
  const outerStacked = new Set<number>();
  invCts.flat().forEach((c) => {
    if (c.kind === 'dense') {
      bwdOuts.push(c.v);
      return;
    }
    bwdOuts.push(c.g);
    const pi = paramIdx.get(c.a.id);
    if (pi !== undefined && role(pi) === 'scanned') return;
    if (isFwd(c.a.id) && pi === undefined && !invOnly.has(c.a.id)) outerStacked.add(c.a.id);
    else bwdOuts.push(c.a);
  });
  bwdOuts.forEach(need);
  const stackIds = new Set<number>(outerStacked), clones = new Set<number>();
  const scannedRes = new Set<number>(), invRes = new Set<number>();
  const classify = (id: number): void => {
    const pi = paramIdx.get(id);
    if (pi !== undefined) {
      const r = role(pi);
      (r === 'carry' ? stackIds.add(id) : r === 'scanned' ? scannedRes.add(pi - nc) : invRes.add(pi - nc - ns));
    } else if (invOnly.has(id)) {
      if (clones.has(id)) return;
      clones.add(id);
      joint.nodes[producer.get(id)!]!.inputs.forEach(classify);
    } else stackIds.add(id);
  };
  [...needed].sort((x, y) => x - y).forEach(classify);
  if (stackIds.size + scannedRes.size + ctYs.length === 0) scannedRes.add(0); // a Scan needs a scanned input
  const stackList = [...stackIds].sort((x, y) => x - y);
  const scannedList = [...scannedRes].sort((x, y) => x - y), invList = [...invRes].sort((x, y) => x - y);

  // 3. The forward scan saves some residuals as extra stacked outputs; the others are derived
  //    after it, batched (residuals.ts); a residual equal to a primal stacked output reuses it.
  const carryParamOf = new Map(range(nc).map((i) => [fwd.env[body.outputs[i]!.id]!.id, params[i]!.id] as const));
  const freeOutside = (id: number): boolean => {
    const pi = paramIdx.get(id);
    return invOnly.has(id) || (pi !== undefined && (role(pi) === 'inv' || (role(pi) === 'scanned' && !n.attrs.inputReverse[pi - nc])));
  };
  const choice = chooseResiduals({ joint, nF, stacked: stackIds, free: freeOutside, oldCarry: (id) => carryParamOf.get(id) });
  const rootOf = (id: number): number => { const nd = joint.nodes[producer.get(id) ?? -1]; return nd?.op === Op.Identity && (producer.get(id)! < nF) ? rootOf(nd.inputs[0]!) : id; };
  const primalOf = new Map<number, number>();
  range(nOut).forEach((j) => { if (!n.attrs.outputReverse[j]) primalOf.set(rootOf(fwd.env[body.outputs[nc + j]!.id]!.id), j); });
  const savedList = [...choice.saved].filter((id) => !primalOf.has(rootOf(id))).sort((x, y) => x - y);
  const fb = new GraphBuilder();
  const fmap = new Map<number, Value>();
  body.inputs.forEach((p, i) => fmap.set(params[i]!.id, fb.input(p.name, ty(p.id).dtype, ty(p.id).shape)));
  copyNodes(fb, joint, range(nF), fmap);
  body.outputs.forEach((p) => fb.output(p.name, fmap.get(fwd.env[p.id]!.id)!));
  savedList.forEach((id, k) => fb.output(`res${k}`, fmap.get(id)!));
  const fAttrs = { ...n.attrs, body: fb.buildBody(), outputReverse: [...n.attrs.outputReverse, ...savedList.map(() => false)] };
  const fOuts = b.emit(Op.Scan, ins, fAttrs);
  const T = ins[nc]!.shape[0]!;
  const outside = new Map<number, { v: Value; batched: boolean }>();
  savedList.forEach((id, k) => outside.set(id, { v: fOuts[nc + nOut + k]!, batched: true }));
  const valueOutside = (id: number): { v: Value; batched: boolean } => {
    const known = outside.get(id);
    if (known) return known;
    const pi = paramIdx.get(id);
    let r: { v: Value; batched: boolean };
    if (primalOf.has(rootOf(id))) r = { v: fOuts[nc + primalOf.get(rootOf(id))!]!, batched: true };
    else if (pi !== undefined && role(pi) !== 'carry') r = { v: ins[pi]!, batched: role(pi) === 'scanned' };
    else if (choice.shifted.has(id)) {
      const i = params.findIndex((q) => q.id === choice.shifted.get(id));
      const final = fOuts[i]!;
      r = { v: b.concat([b.slice(valueOutside(choice.shifted.get(id)!).v, 0, 1, null), b.reshape(final, [1, ...final.shape])], 0), batched: true };
    } else {
      const nd = joint.nodes[producer.get(id) ?? fail(`residual %${id} has no producer`)]!;
      const xs = nd.inputs.map(valueOutside);
      const outs = xs.some((x) => x.batched)
        ? batchNode(b, T, nd.op, xs, nd.attrs, { ins: nd.inputs.map((i) => joint.values[i]!), outs: nd.outputs.map((o) => joint.values[o]!) })
        : b.emit(nd.op, xs.map((x) => x.v), nd.attrs);
      nd.outputs.forEach((o, k) => outside.set(o, { v: outs[k]!, batched: xs.some((x) => x.batched) }));
      return outside.get(id)!;
    }
    outside.set(id, r);
    return r;
  };
  const stackValues = stackList.map((id) => valueOutside(id).v);

  // 4. The backward body: carry cotangents; residuals, scanned inputs and output cotangents; invariants.
  const bb = new GraphBuilder();
  const bmap = new Map<number, Value>();
  const bind = (id: number, name: string): void => { bmap.set(id, bb.input(name, joint.values[id]!.dtype, joint.values[id]!.shape)); };
  ctCarry.forEach((v, i) => bind(v.id, `ct_carry${i}`));
  const inBody = stackList.map((id) => needed.has(id));
  stackList.forEach((id, k) => { if (inBody[k]) bind(id, `res${k}`); });
  scannedList.forEach((i) => bind(params[nc + i]!.id, `x${i}`));
  ctY.forEach((v, k) => bind(v.id, `ct_y${ctYs[k]}`));
  invList.forEach((k) => bind(params[nc + ns + k]!.id, `inv${k}`));
  copyNodes(bb, joint, range(joint.nodes.length).filter((i) => i >= nF || joint.nodes[i]!.outputs.some((o) => clones.has(o))), bmap);
  const get = (v: Value): Value => bmap.get(v.id) ?? fail(`backward body lacks %${v.id}`);
  ctCarryOut.forEach((v, i) => bb.output(`ct_carry_out${i}`, v === null ? zerosLike(bb, params[i]!) : get(v)));
  // Stacked output flags: a forward step k's value lands at slice k, or where scanned input i had it.
  const outputReverse: boolean[] = [];
  const stacked = (v: Value, name: string, reverse = true): number => (bb.output(name, get(v)), outputReverse.push(reverse) - 1);
  const outScanned = range(ns).filter((i) => ctX[i] !== null);
  outScanned.forEach((i) => stacked(ctX[i]!, `ct_x${i}`, !n.attrs.inputReverse[i]));
  const invOuts: InvOut[] = [];
  invCts.forEach((cs, k) => cs.forEach((c, m) => {
    if (c.kind === 'dense') return void invOuts.push({ inv: k, kind: 'dense', out: stacked(c.v, `ct_inv${k}_${m}`) });
    const pi = paramIdx.get(c.a.id) ?? -1;
    if (role(pi) === 'scanned') {
      const i = pi - nc;
      return void invOuts.push({ inv: k, kind: 'outer', a: { input: i }, g: stacked(c.g, `g_inv${k}_${m}`, !n.attrs.inputReverse[i]) });
    }
    const a: StackSrc = outerStacked.has(c.a.id) ? { stack: stackList.indexOf(c.a.id) } : { out: stacked(c.a, `a_inv${k}_${m}`) };
    invOuts.push({ inv: k, kind: 'outer', a, g: stacked(c.g, `g_inv${k}_${m}`) });
  }));
  const plan: ScanPlan = {
    body: bb.buildBody(), stacks: stackValues, inBody, scannedRes: scannedList, ctYs, invRes: invList,
    outScanned, invOuts, outputReverse,
  };
  return { outputs: fOuts.slice(0, nc + nOut), plan };
}

/** Copies nodes `idxs` of `g` into `b`, mapping value ids through `map` (extended with outputs). */
function copyNodes(b: GraphBuilder, g: Graph, idxs: readonly number[], map: Map<number, Value>): void {
  for (const i of idxs) {
    const nd = g.nodes[i]!;
    const outs = b.emit(nd.op, nd.inputs.map((id) => map.get(id) ?? fail(`node ${i} (${nd.op}) input %${id} unmapped`)), nd.attrs);
    nd.outputs.forEach((o, k) => map.set(o, outs[k]!));
  }
}

function fail(msg: string): never {
  throw new InternalError(`scan vjp: ${msg}`);
}

/** VJP of a Scan: the reverse-direction Scan planned by `scanForward`, then invariant reductions. */
export function scanVjp(ctx: VjpCtx, node: NodeView<Op.Scan>, cts: readonly (Value | null)[], _wants: readonly boolean[]): CtOut[] {
  const { b } = ctx;
  const plan = ctx.plans.get(node.index) ?? fail(`no plan for node ${node.index}`);
  const { numCarry: nc, numScanned: ns, inputReverse, outputReverse } = node.attrs;
  const ins = node.inputs;
  const carries = range(nc).map((i) => cts[i] ?? zerosLike(b, ins[i]!));
  const stacks = plan.stacks.filter((_, k) => plan.inBody[k]);
  const scanned = [...stacks, ...plan.scannedRes.map((i) => ins[nc + i]!), ...plan.ctYs.map((j) => cts[nc + j] ?? zerosLike(b, node.outputs[nc + j]!))];
  const reverse = [...stacks.map(() => true), ...plan.scannedRes.map((i) => !inputReverse[i]), ...plan.ctYs.map((j) => !outputReverse[j])];
  const inv = plan.invRes.map((k) => ins[nc + ns + k]!);
  const attrs = { body: plan.body, numCarry: nc, numScanned: scanned.length, inputReverse: reverse, outputReverse: plan.outputReverse };
  const outs = b.emit(Op.Scan, [...carries, ...scanned, ...inv], attrs);
  const ys = outs.slice(nc);
  const res: (Value | Ct[] | null)[] = ins.map(() => null);
  range(nc).forEach((i) => { res[i] = outs[i]!; });
  plan.outScanned.forEach((i, m) => { res[nc + i] = ys[m]!; });
  for (const o of plan.invOuts) {
    const list = (res[nc + ns + o.inv] ??= []) as Ct[];
    if (o.kind === 'dense') list.push({ kind: 'dense', v: b.reduceSum(ys[o.out]!, [0]) });
    else list.push({ kind: 'outer', a: 'stack' in o.a ? plan.stacks[o.a.stack]! : 'input' in o.a ? ins[nc + o.a.input]! : ys[o.a.out]!, g: ys[o.g]! });
  }
  return res;
}
