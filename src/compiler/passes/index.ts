/**
 * @file The optimization pipeline: every pass, in order, to a fixed point (bounded). Each pass
 * is an IR-to-IR function; with `verify` the IR is checked after every pass, naming the pass.
 */
import type { Graph } from '../ir/graph.js';
import { assertValid } from '../ir/verify.js';
import { cse } from './cse.js';
import { dce } from './dce.js';
import { elementwise } from './elementwise.js';
import { fold } from './fold.js';
import { gemmFuse } from './gemm-fuse.js';
import type { Pass } from './rewrite.js';
import { scanDce } from './scan-dce.js';
import { scanDedupe } from './scan-dedupe.js';
import { scanSplit } from './scan-split.js';
import { simplify } from './simplify.js';

/** A named pass. */
export interface NamedPass {
  readonly name: string;
  readonly run: Pass;
}

/** Folding, CSE and plain dead-code removal: the passes of the compiler before the performance passes. */
export const basePasses: readonly NamedPass[] = [
  { name: 'fold', run: fold },
  { name: 'cse', run: cse },
  { name: 'dce', run: dce },
];

/** The default passes, in the order they run in each round. */
export const defaultPasses: readonly NamedPass[] = [
  { name: 'fold', run: fold },
  { name: 'cse', run: cse },
  { name: 'simplify', run: simplify },
  { name: 'elementwise', run: elementwise },
  { name: 'scan-split', run: scanSplit },
  { name: 'gemm-fuse', run: gemmFuse },
  { name: 'scan-dce', run: scanDce },
  { name: 'scan-dedupe', run: scanDedupe },
];

/** Options of `optimize`. */
export interface OptimizeOptions {
  /** The passes to run (default `defaultPasses`). */
  readonly passes?: readonly NamedPass[];
  /** Check the IR after every pass (tests); the result is always checked. */
  readonly verify?: boolean;
  /** Graph outputs to drop first (outputs the caller never reads), so the work behind them goes too. */
  readonly drop?: readonly string[];
}

/** Runs the passes to a fixed point (at most 6 rounds) and checks the result. */
export function optimize(g: Graph, opts: OptimizeOptions = {}): Graph {
  const drop = new Set(opts.drop ?? []);
  let cur: Graph = drop.size === 0 ? g : { ...g, outputs: g.outputs.filter((p) => !drop.has(p.name)) };
  for (let round = 0; round < 6; round++) {
    let changed = false;
    for (const p of opts.passes ?? defaultPasses) {
      const r = p.run(cur);
      if (opts.verify) assertValid(r.graph, `after pass ${p.name} (round ${round + 1})`);
      cur = r.graph;
      changed ||= r.changed;
    }
    if (!changed) break;
  }
  assertValid(cur);
  return cur;
}
