/**
 * @file The contract between the reverse-mode driver (`backward.ts`) and the rules (`vjp.ts`,
 * `scan.ts`): what a rule sees and returns, and the driver functions a rule may call back
 * through its context (Scan's VJP differentiates its body with the same driver), so no rule
 * module imports the driver.
 */
import type { GraphBuilder } from '../ir/builder.js';
import type { Graph, Value } from '../ir/graph.js';
import type { Op, OpAttrs } from '../ir/ops.js';
import { dense, type Ct } from './cotangent.js';

/** Where a stacked operand of a deferred weight cotangent comes from. */
export type StackSrc = { readonly stack: number } | { readonly input: number } | { readonly out: number };

/** How the backward scan's stacked outputs become an invariant's cotangent. */
export type InvOut =
  | { readonly inv: number; readonly kind: 'dense'; readonly out: number }
  | { readonly inv: number; readonly kind: 'outer'; readonly a: StackSrc; readonly g: number };

/** What the forward copy of a Scan leaves for its VJP. */
export interface ScanPlan {
  readonly body: Graph;
  /** Residual stacks output by the forward scan (iteration order); `inBody` ones are backward inputs. */
  readonly stacks: readonly Value[];
  readonly inBody: readonly boolean[];
  readonly scannedRes: readonly number[];
  readonly ctYs: readonly number[];
  readonly invRes: readonly number[];
  readonly outScanned: readonly number[];
  readonly invOuts: readonly InvOut[];
  readonly outputReverse: readonly boolean[];
}

/** The forward copy: `env` maps each source value id to its copy; active Scans are made to save residuals. */
export interface Forward {
  readonly env: Value[];
  readonly plans: Map<number, ScanPlan>;
}

/** The driver's entry points, passed to rules and to Scan's forward copy. */
export interface Driver {
  /** Which values carry a derivative: depend on a `wrt` value and reach a seeded value. */
  activity(g: Graph, wrt: readonly number[], seeds: readonly number[]): boolean[];
  /** Copies `src`'s nodes into `b`, replacing active Scans by residual-saving ones. */
  copyForward(b: GraphBuilder, src: Graph, params: readonly Value[], active: readonly boolean[]): Forward;
  /** Walks `src` backwards from `seeds`; every contribution to each `wrt` id, unsummed. */
  reverseSweep(b: GraphBuilder, src: Graph, fwd: Forward, seeds: ReadonlyMap<number, Value>, wrt: readonly number[], active: readonly boolean[]): Map<number, Ct[]>;
}

/** What a rule may use: the builder of the output graph, the Scan plans made in the forward copy, and the driver. */
export interface VjpCtx {
  readonly b: GraphBuilder;
  readonly plans: ReadonlyMap<number, ScanPlan>;
  /** The reverse-mode driver, for rules that differentiate a subgraph (Scan). */
  readonly driver: Driver;
}

/** A node as seen by its rule: values of the output graph, and its index in the source graph. */
export interface NodeView<K extends Op> {
  readonly index: number;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: OpAttrs[K];
}

/** A rule's answer for one input: a cotangent (possibly still broadcast), contributions, or none. */
export type CtOut = Value | Ct | readonly Ct[] | null;

/**
 * Given output cotangents (`null` = zero; for single-output ops never null), returns one
 * cotangent per input. `wants[i]` says whether input i needs one. Results may have the
 * broadcast output shape: the driver un-broadcasts.
 */
export type VjpRule<K extends Op> = (ctx: VjpCtx, node: NodeView<K>, cts: readonly (Value | null)[], wants: readonly boolean[]) => readonly CtOut[];

/** Wraps a plain value as a dense contribution (for the driver). */
export function asCts(c: CtOut): readonly Ct[] {
  if (c === null) return [];
  if (Array.isArray(c)) return c as readonly Ct[];
  return 'kind' in (c as object) ? [c as Ct] : [dense(c as Value)];
}
