/**
 * @file Which residuals a forward Scan saves, chosen by cost. A residual the reverse scan reads
 * is either saved (a stacked output of the forward scan: every step copies it out) or derived
 * after the forward scan from saved ones, by the same cheap ops batched over all steps
 * (`ir/batch.ts`). Derived residuals cost no per-step work in either loop and, being one op over
 * `[T, ...]`, run at the batched rate. The rules, applied to a fixed point:
 *
 *   - a residual computed by a cheap op from values that are saved or free (scanned inputs read
 *     forward, invariants, constants) is derived;
 *   - the new value of a carry is derived from the saved old values, shifted by one step, and
 *     the final carry: `h[t]` is `h[t-1]` of the next step, so the two are never both saved;
 *   - a value several residuals are cheap functions of (an LSTM's gate pre-activations, of
 *     which the saved gates are slices and sigmoids) is saved instead of them when that saves
 *     bytes and per-step copies: cost(saving v) = bytes(v) + `STACK_OVERHEAD_BYTES`.
 */
import { dimProduct, evalDim } from '../ir/dim.js';
import { batchable } from '../ir/batch.js';
import type { Graph, Node } from '../ir/graph.js';
import { Op } from '../ir/ops.js';

/** The per-step cost of one more stacked output, in bytes of copying (its fixed overhead). */
export const STACK_OVERHEAD_BYTES = 16384;

/** Symbol sizes assumed when comparing costs (relative costs only). */
const TYPICAL = new Map([['B', 32], ['T', 40]]);

/** What the chooser needs to know about the forward part of a joint graph. */
export interface ResidualProblem {
  readonly joint: Graph;
  /** Nodes `[0, nF)` of `joint` are the forward copy of the body. */
  readonly nF: number;
  /** The residuals classification put on stacks (forward values, ids of `joint`). */
  readonly stacked: ReadonlySet<number>;
  /** Values available after the loop without saving (forward-read scanned inputs, invariants). */
  readonly free: (id: number) => boolean;
  /** For a carry's new value: the id of that carry's body parameter. */
  readonly oldCarry: (id: number) => number | undefined;
}

/** The choice: what the forward scan saves, and how each derived residual is obtained. */
export interface ResidualChoice {
  readonly saved: ReadonlySet<number>;
  /** Derived values (residuals and the intermediate values of their derivations). */
  readonly derived: ReadonlySet<number>;
  /** Derived new carries: value id → the old carry's id. */
  readonly shifted: ReadonlyMap<number, number>;
}

/** Ops cheap enough to recompute for all steps after the loop. */
function cheap(n: Node): boolean {
  return batchable(n.op) && n.op !== Op.MatMul && n.op !== Op.ReduceSum && n.op !== Op.ReduceMax && n.op !== Op.LogSumExp;
}

/** Chooses saved and derived residuals (see the file comment). */
export function chooseResiduals(p: ResidualProblem): ResidualChoice {
  const { joint, nF } = p;
  const producer = new Map<number, Node>();
  joint.nodes.slice(0, nF).forEach((n) => n.outputs.forEach((o) => producer.set(o, n)));
  const bytes = (id: number): number => {
    const t = joint.values[id]!;
    return evalDim(dimProduct(t.shape), TYPICAL) * (t.dtype === 'float64' ? 8 : 4);
  };
  const cost = (id: number): number => bytes(id) + STACK_OVERHEAD_BYTES;
  const saved = new Set(p.stacked);
  const derived = new Set<number>();
  const shifted = new Map<number, number>();
  const constant = (id: number): boolean => producer.get(id)?.op === Op.Constant;
  const shiftable = (id: number): boolean => { const old = p.oldCarry(id); return old !== undefined && (saved.has(old) || derived.has(old)); };
  const ready = (id: number, except: number): boolean =>
    id !== except && (p.free(id) || constant(id) || saved.has(id) || derived.has(id) || shiftable(id));
  const derive = (id: number): void => {
    saved.delete(id);
    derived.add(id);
    const n = producer.get(id);
    n?.inputs.forEach((i) => { if (!derived.has(i) && !saved.has(i) && shiftable(i)) { derived.add(i); shifted.set(i, p.oldCarry(i)!); } });
  };
  const derivable = (id: number): Node | undefined => {
    const n = producer.get(id);
    return n !== undefined && cheap(n) && n.outputs.length === 1 ? n : undefined;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const id of [...saved].sort((a, b) => a - b)) {
      const old = p.oldCarry(id);
      if (old !== undefined && saved.has(old)) {
        saved.delete(id); derived.add(id); shifted.set(id, old); changed = true;
        continue;
      }
      const n = derivable(id);
      if (n && n.inputs.every((i) => ready(i, id))) { derive(id); changed = true; }
    }
    if (changed) continue;
    // Promotion: residuals that are cheap chains of one unsaved value are derived from it instead.
    const groups = new Map<number, number[]>();
    for (const id of saved) {
      const chain: number[] = [id];
      let cur = id;
      for (let depth = 0; depth < 3; depth++) {
        const n = derivable(cur);
        const missing = n?.inputs.filter((i) => !ready(i, id) && !chain.includes(i)) ?? [];
        if (!n || missing.length !== 1) break;
        cur = missing[0]!;
        if (producer.get(cur) === undefined) break;
        const grp = groups.get(cur) ?? [];
        grp.push(...chain);
        groups.set(cur, grp);
        chain.push(cur);
      }
    }
    for (const [anchor, members] of [...groups].sort((a, b) => a[0] - b[0])) {
      const residuals = [...new Set(members)].filter((m) => saved.has(m));
      if (residuals.length < 2 || residuals.reduce((s, m) => s + cost(m), 0) <= cost(anchor)) continue;
      saved.add(anchor);
      for (const m of [...new Set(members)].sort((a, b) => a - b)) if (m !== anchor) derive(m);
      changed = true;
      break;
    }
  }
  return { saved, derived, shifted };
}
