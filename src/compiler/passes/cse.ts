/** @file Common-subexpression elimination: one node per (op, attributes, inputs), inside Scan bodies too. */
import { dimToString } from '../ir/dim.js';
import type { Graph, Node, Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { printGraph } from '../ir/print.js';
import { mapBodies, rebuild, type PassResult } from './rewrite.js';

/** A text key that is equal for nodes computing the same thing from the same value ids. */
function nodeKey(n: Node, ins: readonly number[]): string {
  const attrs = n.op === Op.Scan
    ? JSON.stringify({ ...n.attrs, body: printGraph(n.attrs.body) })
    : JSON.stringify(n.attrs, (_, v: unknown) => (typeof v === 'object' && v !== null && 'kind' in v ? dimToString(v as never) : v));
  return `${n.op}|${attrs}|${ins.join(',')}`;
}

/** Replaces repeated computations by the first one. */
export function cse(g: Graph): PassResult {
  const inner = mapBodies(g, cse);
  const seen = new Map<string, Value[]>();
  let changed = inner.changed;
  const graph = rebuild(inner.graph, (b, n, ins) => {
    const key = nodeKey(n, ins.map((v) => v.id));
    const prev = seen.get(key);
    if (prev !== undefined) {
      changed = true;
      return prev;
    }
    const outs = b.emit(n.op, ins, n.attrs);
    seen.set(key, outs);
    return outs;
  });
  return { graph: changed ? graph : g, changed };
}
