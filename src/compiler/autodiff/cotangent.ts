/** @file Cotangent values: the one place they are summed and the one place broadcasting is undone. */
import type { GraphBuilder } from '../ir/builder.js';
import { dimEq, dimProduct, shapeEq, shapeToString, type Shape } from '../ir/dim.js';
import type { Value } from '../ir/graph.js';
import { InternalError } from '../diagnostics.js';

/**
 * A cotangent contribution: a dense value, or the deferred weight gradient `Σ_r a_rᵀ g_r` of a
 * MatMul (a: [R…, K], g: [R…, N], rows R… summed). Deferring lets a Scan stack `a` and `g` over
 * time and form the gradient as one `[T·R, K]ᵀ · [T·R, N]` product after the loop.
 */
export type Ct =
  | { readonly kind: 'dense'; readonly v: Value }
  | { readonly kind: 'outer'; readonly a: Value; readonly g: Value };

/** A dense contribution. */
export function dense(v: Value): Ct {
  return { kind: 'dense', v };
}

/** Shape of a contribution. */
export function ctShape(c: Ct): Shape {
  return c.kind === 'dense' ? c.v.shape : [c.a.shape[c.a.shape.length - 1]!, c.g.shape[c.g.shape.length - 1]!];
}

/** Forms a contribution as a value: `aᵀ g` over all leading rows for the deferred form. */
export function materialize(b: GraphBuilder, c: Ct): Value {
  if (c.kind === 'dense') return c.v;
  const rows = (x: Value): Value =>
    x.shape.length === 2 ? x : b.reshape(x, [dimProduct(x.shape.slice(0, -1)), x.shape[x.shape.length - 1]!]);
  return b.matmul(b.transpose(rows(c.a)), rows(c.g));
}

/** Sums contributions (null when there are none). The only place cotangents are added. */
export function sumCts(b: GraphBuilder, cs: readonly Ct[] | undefined): Value | null {
  if (cs === undefined || cs.length === 0) return null;
  return cs.map((c) => materialize(b, c)).reduce((acc, v) => b.add(acc, v));
}

/**
 * Sums a cotangent of a broadcast result back to its operand's shape: over leading axes the
 * operand lacks and over axes where it has size 1. The only place broadcasting is undone.
 */
export function unbroadcast(b: GraphBuilder, ct: Value, shape: Shape): Value {
  if (shapeEq(ct.shape, shape)) return ct;
  const lead = ct.shape.length - shape.length;
  const axes = ct.shape.map((d, i) => i).filter((i) => i < lead || (dimEq(shape[i - lead]!, 1) && !dimEq(ct.shape[i]!, 1)));
  if (lead < 0) throw new InternalError(`cotangent ${shapeToString(ct.shape)} has lower rank than ${shapeToString(shape)}`);
  const summed = axes.length === 0 ? ct : b.reduceSum(ct, axes, true);
  return shapeEq(summed.shape, shape) ? summed : b.reshape(summed, shape);
}

/** A zero tensor shaped like `v`. */
export function zerosLike(b: GraphBuilder, v: { readonly dtype: Value['dtype']; readonly shape: Shape }): Value {
  return b.full(v.shape, 0, v.dtype);
}
