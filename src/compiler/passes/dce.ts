/** @file Dead-code elimination: drop nodes no output depends on, inside Scan bodies too. */
import type { Graph } from '../ir/graph.js';
import { mapBodies, rebuild, type PassResult } from './rewrite.js';

/** Removes nodes whose outputs are unused (graph inputs are kept: their names are the interface). */
export function dce(g: Graph): PassResult {
  const inner = mapBodies(g, dce);
  const graph = inner.graph;
  const live = new Set(graph.outputs.map((p) => p.id));
  const keep = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (n.outputs.some((o) => live.has(o))) {
      keep[i] = true;
      n.inputs.forEach((id) => live.add(id));
    }
  }
  if (keep.every((k) => k)) return inner;
  const kept = { ...graph, nodes: graph.nodes.filter((_, i) => keep[i]) };
  return { graph: rebuild(kept, () => undefined), changed: true };
}
