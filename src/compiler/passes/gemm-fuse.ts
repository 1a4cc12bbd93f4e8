/**
 * @file GEMM fusion in Scan bodies. A sum of products by loop-invariant matrices,
 * `concat(a, b) W + c + h U`, is regrouped by what the loop must do:
 *
 *   - a product of a concatenation is split by rows of the weight, `concat(a, b) W = a W₁ + b W₂`,
 *     so the part whose operand does not depend on a carry (`a W₁`, e.g. the input projection of
 *     phi_x(x[t])) can leave the loop with the other carry-independent terms (scan-split hoists it
 *     as one [T·B] product);
 *   - the products that must stay become one GEMM, `b W₂ + h U = concat(b, h) · concat(W₂; U)`
 *     (an LSTM's gates from its input and its state; in a reverse scan, the carry cotangent
 *     gathered from several uses).
 *
 * The weights' slices and concatenations are loop invariants (hoisted by scan-split too).
 */
import type { GraphBuilder } from '../ir/builder.js';
import { dimEq, dimToString, shapeEq } from '../ir/dim.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { Op, type ScanAttrs } from '../ir/ops.js';
import { mapScans, rebuild, type PassResult } from './rewrite.js';
import { placeBody, type Placement } from './scan-split.js';

/** One addend of a sum: a product `x · w` by an invariant matrix (rows `[start, end)` of it), or any other value. */
type Term =
  | { readonly kind: 'product'; readonly x: number; readonly w: number; readonly rows: readonly [number, number] | null }
  | { readonly kind: 'other'; readonly v: number };

/** Fuses the GEMMs of every Scan body (nested ones too). */
export function gemmFuse(g: Graph): PassResult {
  return mapScans(g, (body, attrs) => {
    const inner = gemmFuse(body);
    const r = fuseBody(inner.graph, attrs);
    return { graph: r ?? inner.graph, changed: inner.changed || r !== null };
  });
}

/** The rewritten body, or null when no sum benefits. */
function fuseBody(body: Graph, attrs: ScanAttrs): Graph | null {
  const where = placeBody(body, attrs);
  const producer = new Map<number, Node>();
  body.nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, n)));
  const uses = new Map<number, number>();
  const use = (id: number): void => { uses.set(id, (uses.get(id) ?? 0) + 1); };
  body.nodes.forEach((n) => n.inputs.forEach(use));
  body.outputs.forEach((p) => use(p.id));
  const absorbed = (id: number): boolean => producer.get(id)?.op === Op.Add && uses.get(id) === 1;
  // An Add whose only use is another Add belongs to that one's sum.
  const inner = new Set<number>();
  body.nodes.forEach((n) => { if (n.op === Op.Add) n.inputs.forEach((i) => { if (absorbed(i)) inner.add(i); }); });

  const plans = new Map<Node, Term[]>();
  for (const n of body.nodes) {
    if (n.op !== Op.Add || inner.has(n.outputs[0]!) || where[n.outputs[0]!] !== 'loop') continue;
    const terms = termsOf(body, n, inner, producer, where);
    if (terms !== null) plans.set(n, terms);
  }
  if (plans.size === 0) return null;
  return rebuild(body, (b, n, _ins, _k, get) => {
    const terms = plans.get(n);
    return terms === undefined ? undefined : [emitSum(b, terms, body.values[n.outputs[0]!]!.shape, where, get)];
  }, true);
}

/** The addends of the sum rooted at `root`, when regrouping them helps (else null). */
function termsOf(body: Graph, root: Node, inner: ReadonlySet<number>, producer: ReadonlyMap<number, Node>, where: readonly Placement[]): Term[] | null {
  const out = body.values[root.outputs[0]!]!.shape;
  const leaves: number[] = [];
  const walk = (id: number): void => {
    const p = producer.get(id);
    if (p !== undefined && (p === root || inner.has(id))) p.inputs.forEach(walk);
    else leaves.push(id);
  };
  walk(root.outputs[0]!);
  const terms: Term[] = [];
  let loopProducts = 0, split = false;
  for (const id of leaves) {
    const p = producer.get(id);
    const [x, w] = p?.op === Op.MatMul ? p.inputs : [-1, -1];
    const wt = body.values[w!];
    const fits = p?.op === Op.MatMul && where[w!] === 'inv' && wt!.shape.length === 2 && shapeEq(body.values[id]!.shape, out) &&
      dimEq(wt!.shape[1]!, out[out.length - 1]!);
    if (!fits) { terms.push({ kind: 'other', v: id }); continue; }
    const cat = producer.get(x!);
    const xt = body.values[x!]!;
    const parts = cat?.op === Op.Concat && (cat.attrs.axis === -1 || cat.attrs.axis === xt.shape.length - 1) ? cat.inputs : [x!];
    const splitHere = parts.some((q) => where[q] !== 'loop') && parts.some((q) => where[q] === 'loop');
    if (!splitHere) {
      terms.push({ kind: 'product', x: x!, w: w!, rows: null });
      if (where[x!] === 'loop') loopProducts++;
      continue;
    }
    split = true;
    let row = 0;
    for (const q of parts) {
      const width = body.values[q]!.shape[body.values[q]!.shape.length - 1]!;
      if (typeof width !== 'number') return null;
      terms.push({ kind: 'product', x: q, w: w!, rows: [row, row + width] });
      row += width;
      if (where[q] === 'loop') loopProducts++;
    }
  }
  return split || loopProducts >= 2 ? terms : null;
}

/** Σ carry-independent terms + (Σ other loop terms + one product for all loop products). */
function emitSum(b: GraphBuilder, terms: readonly Term[], shape: Value['shape'], where: readonly Placement[], get: (id: number) => Value): Value {
  const product = (t: Extract<Term, { kind: 'product' }>): { x: Value; w: Value } => {
    const w = get(t.w);
    return { x: get(t.x), w: t.rows === null ? w : b.slice(w, 0, t.rows[0], t.rows[1]) };
  };
  const isLoop = (t: Term): boolean => where[t.kind === 'product' ? t.x : t.v] === 'loop';
  const sum = (vs: readonly Value[]): Value | null => (vs.length === 0 ? null : vs.reduce((acc, v) => b.add(acc, v)));
  const valueOf = (t: Term): Value => {
    if (t.kind === 'other') return get(t.v);
    const p = product(t);
    return b.matmul(p.x, p.w);
  };
  const hoistable = sum(terms.filter((t) => !isLoop(t)).map(valueOf));
  const loopProducts = terms.filter((t): t is Extract<Term, { kind: 'product' }> => t.kind === 'product' && isLoop(t)).map(product);
  const lead = (v: Value): string => v.shape.slice(0, -1).map(dimToString).join(',');
  const fusable = loopProducts.length > 1 && loopProducts.every((p) => lead(p.x) === lead(loopProducts[0]!.x) && p.x.shape.length === loopProducts[0]!.x.shape.length);
  const fused = loopProducts.length === 0 ? [] : fusable
    ? [b.matmul(b.concat(loopProducts.map((p) => p.x), -1), b.concat(loopProducts.map((p) => p.w), 0))]
    : loopProducts.map((p) => b.matmul(p.x, p.w));
  const loop = sum([...terms.filter((t) => t.kind === 'other' && isLoop(t)).map(valueOf), ...fused]);
  const total = hoistable === null ? loop! : loop === null ? hoistable : b.add(hoistable, loop);
  return shapeEq(total.shape, shape) ? total : b.expand(total, shape);
}
