/** @file One vector-Jacobian product rule per op, in a single total table. */
import type { GraphBuilder } from '../ir/builder.js';
import { dimAdd, dimEq, dimSub, nominalSize, type Dim } from '../ir/dim.js';
import type { Value } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { normAxis, sliceBounds } from '../ir/shape.js';
import { zerosLike } from './cotangent.js';
import type { VjpRule } from './rule.js';
import { scanVjp } from './scan.js';

const lit = (b: GraphBuilder, v: number, like: Value): Value => b.constant(v, [], like.dtype);

/** Ops whose result is piecewise constant or boolean: no gradient flows through them. */
const noGradient: VjpRule<Op> = (_, { inputs }) => inputs.map(() => null);

/** Applies `f(g, x, y)` for the single output's cotangent g. */
const unary = (f: (b: GraphBuilder, g: Value, x: Value, y: Value) => Value): VjpRule<Op> =>
  ({ b }, { inputs, outputs }, cts) => [f(b, cts[0]!, inputs[0]!, outputs[0]!)];

/** Cotangent pieces of a concat along `axis` (integer bounds, from the end when a size is symbolic). */
function concatVjp(b: GraphBuilder, g: Value, xs: readonly Value[], axis: number): Value[] {
  const ax = normAxis(axis, g.shape.length);
  const sizes = xs.map((x) => x.shape[ax]!);
  const sum = (ds: readonly Dim[]): Dim => ds.reduce<Dim>((p, d) => dimAdd(p, d), 0);
  return xs.map((_, i) => {
    const before = sum(sizes.slice(0, i)), after = sum(sizes.slice(i + 1));
    const start = typeof before === 'number' ? before : typeof after === 'number' && typeof sizes[i] === 'number' ? -(after + sizes[i]) : undefined;
    const end = typeof after === 'number' ? (after === 0 ? null : -after) : typeof before === 'number' && typeof sizes[i] === 'number' ? before + sizes[i] : undefined;
    if (start === undefined || end === undefined) throw new Error(`concat vjp: operand ${i} has symbolic sizes on both sides; Slice bounds are integers (from the start or the end)`);
    return b.slice(g, ax, start, end);
  });
}

/** VJP rule of every op. */
export const vjpRules: { readonly [K in Op]: VjpRule<K> } = {
  // d(a+b) = da + db
  [Op.Add]: (_, __, [g]) => [g!, g!],
  // d(a-b) = da - db
  [Op.Sub]: ({ b }, __, [g]) => [g!, b.neg(g!)],
  // d(ab) = b da + a db
  [Op.Mul]: ({ b }, { inputs: [x, y] }, [g], w) => [w[0] ? b.mul(g!, y!) : null, w[1] ? b.mul(g!, x!) : null],
  // d(a/b) = da/b - (a/b) db/b
  [Op.Div]: ({ b }, { inputs: [, y], outputs: [q] }, [g], w) => [w[0] ? b.div(g!, y!) : null, w[1] ? b.neg(b.div(b.mul(g!, q!), y!)) : null],
  // d(-x) = -dx
  [Op.Neg]: unary((b, g) => b.neg(g)),
  // d exp x = y dx
  [Op.Exp]: unary((b, g, _, y) => b.mul(g, y)),
  // d ln x = dx / x
  [Op.Log]: unary((b, g, x) => b.div(g, x)),
  // d tanh x = (1 - y²) dx
  [Op.Tanh]: unary((b, g, _, y) => b.mul(g, b.sub(lit(b, 1, y), b.square(y)))),
  // d σ(x) = y (1 - y) dx
  [Op.Sigmoid]: unary((b, g, _, y) => b.mul(g, b.mul(y, b.sub(lit(b, 1, y), y)))),
  // d relu x = [y > 0] dx (y > 0 exactly where x > 0; reading y saves keeping x)
  [Op.Relu]: unary((b, g, _, y) => b.where(b.greater(y, lit(b, 0, y)), g, lit(b, 0, g))),
  // d softplus x = σ(x) dx
  [Op.Softplus]: unary((b, g, x) => b.mul(g, b.sigmoid(x))),
  // d|x| = sign(x) dx (sign(0) taken as +1)
  [Op.Abs]: unary((b, g, x) => b.where(b.greaterOrEqual(x, lit(b, 0, x)), g, b.neg(g))),
  // d √x = dx / (2y)
  [Op.Sqrt]: unary((b, g, _, y) => b.div(g, b.mul(lit(b, 2, y), y))),
  // d x² = 2x dx
  [Op.Square]: unary((b, g, x) => b.mul(g, b.mul(lit(b, 2, x), x))),
  // d max(a,b) = [a ≥ b] da + [a < b] db
  [Op.Max]: ({ b }, { inputs: [x, y] }, [g]) => {
    const pick = b.greaterOrEqual(x!, y!), z = lit(b, 0, g!);
    return [b.where(pick, g!, z), b.where(pick, z, g!)];
  },
  // d min(a,b) = [a ≤ b] da + [a > b] db
  [Op.Min]: ({ b }, { inputs: [x, y] }, [g]) => {
    const pick = b.greaterOrEqual(y!, x!), z = lit(b, 0, g!);
    return [b.where(pick, g!, z), b.where(pick, z, g!)];
  },
  [Op.Greater]: noGradient,
  [Op.GreaterOrEqual]: noGradient,
  // d where(c, a, b) = where(c, da, db); c is boolean
  [Op.Where]: ({ b }, { inputs: [c] }, [g]) => {
    const z = lit(b, 0, g!);
    return [null, b.where(c!, g!, z), b.where(c!, z, g!)];
  },
  // d(AB) = dA B + A dB  ⇒  Ā = G Bᵀ, B̄ = Aᵀ G (deferred as Σ_rows when B is a 2-D weight);
  // each product in the orientation that transposes less (see `transposedProduct`)
  [Op.MatMul]: ({ b }, { inputs: [x, y] }, [g], w) => [
    w[0] ? transposedProduct(b, g!, y!, 'second') : null,
    !w[1] ? null : y!.shape.length === 2 ? { kind: 'outer', a: x!, g: g! } : transposedProduct(b, x!, g!, 'first'),
  ],
  // transpose by the inverse permutation
  [Op.Transpose]: ({ b }, { attrs: { perm } }, [g]) => [b.transpose(g!, perm.map((_, i) => perm.indexOf(i)))],
  // reshape back
  [Op.Reshape]: ({ b }, { inputs: [x] }, [g]) => [b.reshape(g!, x!.shape)],
  // each operand gets its slice of the cotangent
  [Op.Concat]: ({ b }, { inputs, attrs: { axis } }, [g], w) => concatVjp(b, g!, inputs, axis).map((v, i) => (w[i] ? v : null)),
  // pad the cotangent with zeros before and after the slice
  [Op.Slice]: ({ b }, { inputs: [x], attrs: { axis, start, end } }, [g]) => {
    const ax = normAxis(axis, x!.shape.length), dim = x!.shape[ax]!;
    const [s, e] = sliceBounds(dim, start, end);
    const pad = (n: Dim): Value[] => (dimEq(n, 0) ? [] : [zerosLike(b, { dtype: g!.dtype, shape: g!.shape.map((d, i) => (i === ax ? n : d)) })]);
    const parts = [...pad(s), g!, ...pad(dimSub(dim, e))];
    return [parts.length === 1 ? g! : b.concat(parts, ax)];
  },
  // d Σx = broadcast of the cotangent
  [Op.ReduceSum]: ({ b }, { inputs: [x], attrs: { axes, keepdims } }, [g]) => {
    const kept = keepdims ? g! : b.reshape(g!, keptShape(x!, axes));
    return [b.expand(kept, x!.shape)];
  },
  // d max x = cotangent shared equally among the maximal elements
  [Op.ReduceMax]: ({ b }, { inputs: [x], outputs: [y], attrs: { axes, keepdims } }, [g]) => {
    const ks = keptShape(x!, axes);
    const [yk, gk] = keepdims ? [y!, g!] : [b.reshape(y!, ks), b.reshape(g!, ks)];
    const mask = b.cast(b.greaterOrEqual(x!, yk), x!.dtype);
    return [b.mul(b.div(gk, b.reduceSum(mask, axes, true)), mask)];
  },
  // d lse(x) = softmax(x) dx = exp(x - y) dx
  [Op.LogSumExp]: ({ b }, { inputs: [x], outputs: [y], attrs: { axis } }, [g]) => {
    const ks = keptShape(x!, [axis]);
    const [yk, gk] = y!.shape.length === ks.length ? [y!, g!] : [b.reshape(y!, ks), b.reshape(g!, ks)];
    return [b.mul(gk, b.exp(b.sub(x!, yk)))];
  },
  // the driver sums the cotangent back to the operand's shape
  [Op.Expand]: (_, __, [g]) => [g!],
  [Op.Constant]: noGradient,
  // d x = dx
  [Op.Identity]: (_, __, [g]) => [g!],
  // float casts pass the cotangent back in the source type; bool has none
  [Op.Cast]: ({ b }, { inputs: [x], attrs: { to } }, [g]) => [x!.dtype === 'bool' || x!.dtype === 'int64' || to === 'bool' || to === 'int64' ? null : b.cast(g!, x!.dtype)],
  // y_i = Σ_{j ≤ i} x_j (inclusive, forward) ⇒ dx_j = Σ_{i ≥ j} g_i: the same sum in the other direction
  [Op.CumSum]: ({ b }, { attrs: { axis, reverse, exclusive } }, [g]) => [b.cumSum(g!, axis, !reverse, exclusive)],
  // y = x[idx] along axis ⇒ dx = scatter-add of g at idx; indices get none
  [Op.GatherElements]: ({ b }, { inputs: [x, idx], attrs: { axis } }, [g]) => [b.scatterAddElements(zerosLike(b, x!), idx!, g!, axis), null],
  // y = data + scatter(upd at idx) ⇒ d data = g, d upd = g[idx]
  [Op.ScatterAddElements]: ({ b }, { inputs: [, idx], attrs: { axis } }, [g]) => [g!, null, b.gatherElements(g!, idx!, axis)],
  // reverse-direction scan over saved residuals (see scan.ts)
  [Op.Scan]: (ctx, node, cts, wants) => scanVjp(ctx, node, cts, wants),
};

/**
 * Pᵀ Q (`which` = 'first') or P Qᵀ ('second') as one MatMul. Transposes are full passes over
 * memory (onnxruntime's basic optimization level does not fold them into the product), so the
 * product is written the way that moves fewer elements: Pᵀ Q directly (transposing P) or as
 * (Qᵀ P)ᵀ (transposing Q and the result), and P Qᵀ directly or as (Q Pᵀ)ᵀ. For a weight gradient
 * Σ_rows hᵀ g with large h [.., M, H] and g [.., M, 1], the second form moves M + H elements
 * instead of M·H.
 */
function transposedProduct(b: GraphBuilder, p: Value, q: Value, which: 'first' | 'second'): Value {
  const r = Math.max(p.shape.length, q.shape.length);
  const [m, n] = which === 'first' ? [p.shape.at(-1)!, q.shape.at(-1)!] : [p.shape.at(-2)!, q.shape.at(-2)!];
  const batch = nominalSize(broadcastBatch(p, q, r));
  const direct = nominalSize(which === 'first' ? p.shape : q.shape);
  const flipped = nominalSize(which === 'first' ? q.shape : p.shape) + batch * nominalSize([m, n]);
  if (flipped >= direct) return which === 'first' ? b.matmul(b.transpose(p), q) : b.matmul(p, b.transpose(q));
  return which === 'first' ? b.transpose(b.matmul(b.transpose(q), p)) : b.transpose(b.matmul(q, b.transpose(p)));
}

/** The broadcast batch dims (all but the last two) of two MatMul operands, padded to rank `r`. */
function broadcastBatch(p: Value, q: Value, r: number): Dim[] {
  const pad = (v: Value): Dim[] => [...Array<Dim>(r - v.shape.length).fill(1), ...v.shape].slice(0, -2);
  const [a, c] = [pad(p), pad(q)];
  return a.map((d, i) => (dimEq(d, 1) ? c[i]! : d));
}

function keptShape(x: Value, axes: readonly number[]): Dim[] {
  const ax = axes.map((a) => normAxis(a, x.shape.length));
  return x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
}
