/**
 * @file Algebraic simplification of zeros: `x + 0 = x`, and a sum of zero-padded
 * concatenations whose non-zero blocks do not overlap is one concatenation. The VJP of a Slice
 * pads the cotangent with zeros, so the cotangent of an LSTM's gates (four slices of one value)
 * arrives as four padded copies summed; after this pass it is one Concat of the four pieces.
 * Runs before scan-split, while the zeros in a Scan body are still visibly constants.
 */
import type { GraphBuilder } from '../ir/builder.js';
import { shapeEq } from '../ir/dim.js';
import type { Graph, Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { normAxis } from '../ir/shape.js';
import { mapBodies, rebuild, type PassResult } from './rewrite.js';

/** A concatenation along `axis` as blocks `[start, end)`, each a value or zero. */
interface Blocks {
  readonly axis: number;
  readonly parts: readonly { readonly start: number; readonly end: number; readonly v: Value | null }[];
}

/** Simplifies zeros at top level and in Scan bodies. */
export function simplify(g: Graph): PassResult {
  const inner = mapBodies(g, simplify);
  let changed = inner.changed;
  const zero = new Set<number>();
  const blocks = new Map<number, Blocks>();
  const graph = rebuild(inner.graph, (b, n, ins) => {
    if (n.op === Op.Constant) {
      const out = b.emit(n.op, ins, n.attrs);
      if (n.attrs.value.every((x) => x === 0)) zero.add(out[0]!.id);
      return out;
    }
    if (n.op === Op.Expand && zero.has(ins[0]!.id)) {
      const out = b.emit(n.op, ins, n.attrs);
      zero.add(out[0]!.id);
      return out;
    }
    if (n.op === Op.Concat) {
      const out = b.emit(n.op, ins, n.attrs);
      const axis = normAxis(n.attrs.axis, out[0]!.shape.length);
      let at = 0;
      const parts = [];
      for (const v of ins) {
        const w = v.shape[axis];
        if (typeof w !== 'number') return out;
        parts.push({ start: at, end: at + w, v: zero.has(v.id) ? null : v });
        at += w;
      }
      if (parts.some((p) => p.v === null)) blocks.set(out[0]!.id, { axis, parts });
      return out;
    }
    if (n.op !== Op.Add) return undefined;
    const [x, y] = ins as [Value, Value];
    const shape = inner.graph.values[n.outputs[0]!]!.shape;
    if (zero.has(y.id) && shapeEq(x.shape, shape)) { changed = true; return [x]; }
    if (zero.has(x.id) && shapeEq(y.shape, shape)) { changed = true; return [y]; }
    const bx = blocks.get(x.id), by = blocks.get(y.id);
    if (!bx || !by || bx.axis !== by.axis || !shapeEq(x.shape, y.shape)) return undefined;
    const merged = merge(b, bx, by, x);
    if (merged === null) return undefined;
    changed = true;
    blocks.set(merged.v.id, merged.blocks);
    return [merged.v];
  });
  return { graph: changed ? graph : g, changed };
}

/** The concatenation of the non-zero blocks of both, zeros between; null when they overlap. */
function merge(b: GraphBuilder, x: Blocks, y: Blocks, like: Value): { v: Value; blocks: Blocks } | null {
  const live = [...x.parts, ...y.parts].filter((p) => p.v !== null).sort((p, q) => p.start - q.start);
  for (let i = 1; i < live.length; i++) if (live[i]!.start < live[i - 1]!.end) return null;
  const total = x.parts[x.parts.length - 1]!.end;
  const parts: Blocks['parts'][number][] = [];
  let at = 0;
  const gap = (end: number): void => {
    if (end <= at) return;
    const shape = like.shape.map((d, i) => (i === x.axis ? end - at : d));
    parts.push({ start: at, end, v: null });
    zeros.push(b.expand(b.constant(0, [], like.dtype), shape));
    at = end;
  };
  const zeros: Value[] = [];
  const values: Value[] = [];
  for (const p of live) {
    gap(p.start);
    values.push(...zeros.splice(0), p.v!);
    parts.push(p);
    at = p.end;
  }
  gap(total);
  values.push(...zeros.splice(0));
  const v = values.length === 1 ? values[0]! : b.concat(values, x.axis);
  return { v, blocks: { axis: x.axis, parts } };
}
