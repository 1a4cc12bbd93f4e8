/**
 * @file Fewer elementwise passes over large tensors and fewer kernels in loops. Elementwise ops
 * are memory-bound: each one reads and writes its whole output, so on a mixture density's
 * `[T, B, K, D]` tensors (VRNN-GMM: 5.1 M elements) every op avoided saves a pass over 20 MB,
 * and in a Scan body every op avoided saves a kernel launch per step. Three rewrites:
 *
 *   - **Expand into broadcast.** `expand(v) ∘ w` for a broadcasting binary op (or Where) is
 *     `v ∘ w` when broadcasting gives the same shape; the VJP of a reduction expands its cotangent
 *     before multiplying it in.
 *   - **Negation into subtraction.** `a + (−b)` is `a − b` and `a − (−b)` is `a + b`.
 *   - **Products regrouped by cost.** A product of three or more factors (Mul nodes whose
 *     intermediate results have no other use) is re-associated so that the factors a Scan body
 *     can compute outside its loop (`placeBody`: invariants and scanned inputs) are multiplied
 *     together first, where scan-split moves them out as one `[T, …]` op, and then the smallest
 *     factors before the large ones: `c · (s · x)` for a scalar c, a `[T, B, K, 1]` s and a
 *     `[T, B, K, D]` x is one pass over x instead of two. A product is rewritten only when the
 *     new grouping costs strictly less, so the pass reaches a fixed point. Products of more than
 *     8 factors are left alone.
 *
 * Regrouping changes float rounding in the last place, as any re-association does.
 */
import { nominalSize, shapeEq, type Shape } from '../ir/dim.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { Op, type ScanAttrs } from '../ir/ops.js';
import { broadcastShapes } from '../ir/shape.js';
import { mapScans, rebuild, type PassResult } from './rewrite.js';
import { placeBody, type Placement } from './scan-split.js';

/** Ops whose inputs broadcast against each other elementwise. */
const broadcasting: ReadonlySet<Op> = new Set([Op.Add, Op.Sub, Op.Mul, Op.Div, Op.Max, Op.Min, Op.Greater, Op.GreaterOrEqual, Op.Where]);

/** Longer products are left as they are (the greedy grouping is cubic in the number of factors). */
const MAX_FACTORS = 8;

/** Kernel launch cost in a loop, in elements (a launch costs about as much as a pass over this many). */
const LAUNCH = 4096;

/** Applies the rewrites at top level and in every Scan body (there with the body's placements). */
export function elementwise(g: Graph): PassResult {
  return run(g, null);
}

function run(g: Graph, attrs: ScanAttrs | null): PassResult {
  const inner = mapScans(g, (body, a) => run(body, a));
  let graph = inner.graph;
  let changed = inner.changed;
  const asBody = attrs !== null;
  const broadcastFree = withoutExpands(graph, asBody);
  if (broadcastFree !== null) { graph = broadcastFree; changed = true; }
  const regrouped = regroupProducts(graph, attrs === null ? null : placeBody(graph, attrs), asBody);
  if (regrouped !== null) { graph = regrouped; changed = true; }
  return { graph: changed ? graph : g, changed };
}

/** Use counts of every value: node inputs and graph outputs. */
function useCounts(g: Graph): number[] {
  const uses = new Array<number>(g.values.length).fill(0);
  g.nodes.forEach((n) => n.inputs.forEach((i) => { uses[i]! += 1; }));
  g.outputs.forEach((p) => { uses[p.id]! += 1; });
  return uses;
}

function producers(g: Graph): Map<number, Node> {
  const m = new Map<number, Node>();
  g.nodes.forEach((n) => n.outputs.forEach((o) => m.set(o, n)));
  return m;
}

/** The broadcast shape of several shapes, or null when they do not broadcast. */
function broadcastAll(shapes: readonly Shape[]): Shape | null {
  try {
    return shapes.reduce((a, b) => broadcastShapes(a, b));
  } catch {
    return null;
  }
}

/** The first two rewrites (Expand and Neg); null when nothing applies. */
function withoutExpands(g: Graph, asBody: boolean): Graph | null {
  const producer = producers(g);
  const uses = useCounts(g);
  const negOf = (id: number): number | null => {
    const p = producer.get(id);
    return p?.op === Op.Neg && uses[id] === 1 ? p.inputs[0]! : null;
  };
  // per operand, the source of an Expand that broadcasting makes unnecessary (operands in order,
  // each decided with the ones before it already replaced; the Where condition included)
  const unexpanded = (n: Node): (number | null)[] => {
    const shapes = n.inputs.map((id) => g.values[id]!.shape);
    return n.inputs.map((id, k) => {
      const p = producer.get(id);
      if (p?.op !== Op.Expand) return null;
      const s = broadcastAll(shapes.map((sh, j) => (j === k ? g.values[p.inputs[0]!]!.shape : sh)));
      if (s === null || !shapeEq(s, g.values[n.outputs[0]!]!.shape)) return null;
      shapes[k] = g.values[p.inputs[0]!]!.shape;
      return p.inputs[0]!;
    });
  };
  const negated = (n: Node): boolean => (n.op === Op.Add || n.op === Op.Sub) && (negOf(n.inputs[1]!) !== null || (n.op === Op.Add && negOf(n.inputs[0]!) !== null));
  // a dry run first: most rounds find nothing, and a rebuild is a full copy
  if (!g.nodes.some((n) => broadcasting.has(n.op) && (negated(n) || unexpanded(n).some((v) => v !== null)))) return null;
  return rebuild(g, (b, n, ins, _i, get) => {
    if (!broadcasting.has(n.op)) return undefined;
    const args = unexpanded(n).map((src, k) => (src === null ? ins[k]! : get(src)));
    if (n.op === Op.Add || n.op === Op.Sub) {
      const [x, y] = n.inputs as [number, number];
      const ny = negOf(y), nx = negOf(x);
      if (ny !== null) return [n.op === Op.Add ? b.sub(args[0]!, get(ny)) : b.add(args[0]!, get(ny))];
      if (nx !== null && n.op === Op.Add) return [b.sub(args[1]!, get(nx))];
    }
    return args.every((a, k) => a === ins[k]) ? undefined : b.emit(n.op, args, n.attrs as never);
  }, asBody);
}

/** A grouping of a product's leaves: a leaf (its index) or the product of two groupings. */
type Grouping = number | readonly [Grouping, Grouping];

/** One factor of a product, or a partial product of the new grouping. */
interface Factor {
  readonly shape: Shape;
  readonly where: Placement;
  /** Position among the leaves of the original product (ties broken by it, so the result is deterministic). */
  readonly order: number;
  readonly tree: Grouping;
}

const rank: Record<Placement, number> = { inv: 0, pre: 1, loop: 2 };
const joined = (a: Placement, b: Placement): Placement => (rank[a] >= rank[b] ? a : b);

/** The cost of one Mul of output `shape` placed at `where` (elements, plus a launch per step in a loop). */
function mulCost(shape: Shape, where: Placement, inBody: boolean): number {
  if (!inBody) return nominalSize(shape);
  return where === 'loop' ? nominalSize(shape) + LAUNCH : where === 'pre' ? nominalSize(shape) : 0;
}

/** The third rewrite; null when no product gets cheaper. */
function regroupProducts(g: Graph, where: Placement[] | null, asBody: boolean): Graph | null {
  const producer = producers(g);
  const uses = useCounts(g);
  const place = (id: number): Placement => where?.[id] ?? 'loop';
  const inner = (id: number): boolean => producer.get(id)?.op === Op.Mul && uses[id] === 1;
  // A Mul whose result feeds exactly one other Mul belongs to that one's product.
  const interior = new Set<number>();
  g.nodes.forEach((n) => { if (n.op === Op.Mul) n.inputs.forEach((i) => { if (inner(i)) interior.add(i); }); });

  const plans = new Map<Node, { leaves: number[]; tree: Grouping }>();
  for (const n of g.nodes) {
    if (n.op !== Op.Mul || interior.has(n.outputs[0]!)) continue;
    // the product's leaves, left to right (an explicit stack: generated chains can be very deep)
    const leaves: number[] = [];
    let oldCost = 0;
    const stack = [n.outputs[0]!];
    while (stack.length > 0 && leaves.length <= MAX_FACTORS) {
      const id = stack.pop()!;
      if (!interior.has(id) && id !== n.outputs[0]) { leaves.push(id); continue; }
      oldCost += mulCost(g.values[id]!.shape, place(id), where !== null);
      stack.push(...[...producer.get(id)!.inputs].reverse());
    }
    if (leaves.length < 3 || leaves.length > MAX_FACTORS) continue;
    const { tree, cost } = group(leaves.map((id, order) => ({ shape: g.values[id]!.shape, where: place(id), order, tree: order })), where !== null);
    if (cost < oldCost) plans.set(n, { leaves, tree });
  }
  if (plans.size === 0) return null;
  return rebuild(g, (b, n, _ins, _i, get) => {
    const plan = plans.get(n);
    if (plan === undefined) return undefined;
    const emit = (t: Grouping): Value => (typeof t === 'number' ? get(plan.leaves[t]!) : b.mul(emit(t[0]), emit(t[1])));
    return [emit(plan.tree)];
  }, asBody);
}

/**
 * Greedy grouping: repeatedly multiply the pair that is cheapest to multiply now: in a body a
 * pair computable outside the loop first, then the pair with the smallest result (ties: the
 * earliest leaves). Returns the grouping and its cost.
 */
function group(leaves: readonly Factor[], inBody: boolean): { tree: Grouping; cost: number } {
  const items = [...leaves];
  let cost = 0;
  while (items.length > 1) {
    let best: { i: number; j: number; key: [number, number, number, number]; shape: Shape } | null = null;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i]!, c = items[j]!;
        const shape = broadcastShapes(a.shape, c.shape);
        const w = joined(a.where, c.where);
        const key: [number, number, number, number] = [inBody ? rank[w] : 0, nominalSize(shape), Math.min(a.order, c.order), Math.max(a.order, c.order)];
        if (best === null || less(key, best.key)) best = { i, j, key, shape };
      }
    }
    const a = items[best!.i]!, c = items[best!.j]!;
    const w = joined(a.where, c.where);
    cost += mulCost(best!.shape, w, inBody);
    const merged: Factor = { shape: best!.shape, where: w, order: Math.min(a.order, c.order), tree: [a.tree, c.tree] };
    items.splice(best!.j, 1);
    items.splice(best!.i, 1, merged);
  }
  return { tree: items[0]!.tree, cost };
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! < b[k]!;
  return false;
}
