/** @file Constant folding: evaluate nodes whose inputs are all constants and whose shape is concrete. */
import { evalRules, type EvalRule } from '../ir/eval.js';
import type { Graph } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import type { Tensor } from '../ir/tensor.js';
import { mapBodies, rebuild, type PassResult } from './rewrite.js';

/** Results larger than this many elements stay computed at run time. */
const maxFoldedSize = 4096;

/** Folds constant subexpressions (Scan nodes are not folded; their bodies are). */
export function fold(g: Graph): PassResult {
  const inner = mapBodies(g, fold);
  const consts = new Map<number, Tensor>();
  let changed = inner.changed;
  const graph = rebuild(inner.graph, (b, n, ins) => {
    if (n.op === Op.Constant) {
      const out = b.emit(n.op, ins, n.attrs);
      consts.set(out[0]!.id, { dtype: n.attrs.dtype, shape: n.attrs.shape, data: Float64Array.from(n.attrs.value) });
      return out;
    }
    const args = ins.map((v) => consts.get(v.id));
    const outTypes = n.outputs.map((o) => inner.graph.values[o]!);
    if (n.op === Op.Scan || args.some((a) => a === undefined) || outTypes.some((t) => t.shape.some((d) => typeof d !== 'number'))) return undefined;
    if (outTypes.some((t) => (t.shape as number[]).reduce((p, d) => p * d, 1) > maxFoldedSize)) return undefined;
    changed = true;
    const results = (evalRules[n.op] as EvalRule<Op>)(args as Tensor[], n.attrs, new Map());
    return results.map((t) => {
      const v = b.constant([...t.data], t.shape, t.dtype);
      consts.set(v.id, t);
      return v;
    });
  });
  return { graph: changed ? graph : g, changed };
}
