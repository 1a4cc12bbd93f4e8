/**
 * @file Small IR graphs that together use every IR op, for the emitter tests. Each builds in
 * float32 or float64 over symbolic `B` and `T` (or a concrete T, to check graph size).
 */
import type { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import type { Graph } from '../../../src/compiler/ir/graph.js';

/** One emitter test graph; inputs get seeded values unless `data` gives them. */
export interface EmitCase {
  title: string;
  /** Sizes bound to the symbols when making inputs. */
  dims: Record<string, number>;
  /** Inputs drawn from (0.1, 2) instead of (-2, 2). */
  positive?: string[];
  /** Fixed input values by name. */
  data?: Record<string, number[]>;
  build(b: GraphBuilder, dtype: 'float32' | 'float64', T?: number): Graph;
}

const dims = { B: 2, T: 3 };

/** The emitter test graphs. */
export const EMIT_CASES: EmitCase[] = [
  {
    title: 'cumulative sums, gather and scatter-add along an axis (int64 indices)',
    dims,
    build(b, dt) {
      const x = b.input('x', dt, ['B', 3]);
      for (const reverse of [false, true]) for (const exclusive of [false, true]) b.output(`cumsum_${reverse ? 'r' : 'f'}${exclusive ? 'x' : 'i'}`, b.cumSum(x, 0, reverse, exclusive));
      b.output('cumsum_last', b.cumSum(x, 1));
      // indices computed in the graph, as a resampler does: count of cumulative sums below a threshold
      const counts = b.reduceSum(b.cast(b.greater(b.reshape(b.cumSum(b.abs(x), 1), ['B', 1, 3]), b.reshape(b.abs(x), ['B', 3, 1])), dt), [2]);
      const idx = b.cast(b.min(counts, b.constant(2, [], dt)), 'int64');
      b.output('gather', b.gatherElements(x, idx, 1));
      b.output('scatter', b.scatterAddElements(b.mul(x, b.constant(0.5, [], dt)), idx, x, 1));
      return b.build();
    },
  },
  {
    title: 'unary ops',
    dims,
    positive: ['p'],
    build(b, dt) {
      const x = b.input('x', dt, ['B', 3]);
      const p = b.input('p', dt, ['B', 3]);
      for (const [name, y] of Object.entries({
        neg: b.neg(x), exp: b.exp(x), log: b.log(p), tanh: b.tanh(x), sigmoid: b.sigmoid(x), relu: b.relu(x),
        softplus: b.softplus(b.mul(x, b.constant(20, [], dt))), abs: b.abs(x), sqrt: b.sqrt(p), square: b.square(x),
      })) b.output(name, y);
      return b.build();
    },
  },
  {
    title: 'broadcast binary ops and comparisons',
    dims,
    data: { x: [1, -2, 3, 0.5, 0, -1], y: [1, 0.25, -3] },
    build(b, dt) {
      const x = b.input('x', dt, ['B', 3]);
      const y = b.input('y', dt, [3]);
      for (const [name, v] of Object.entries({
        add: b.add(x, y), sub: b.sub(y, x), mul: b.mul(x, y), div: b.div(x, y), max: b.max(x, y), min: b.min(x, y),
        gt: b.greater(x, y), ge: b.greaterOrEqual(x, y), where: b.where(b.greater(x, y), x, b.neg(y)),
      })) b.output(name, v);
      return b.build();
    },
  },
  {
    title: 'matmul and transpose',
    dims,
    build(b, dt) {
      const x = b.input('x', dt, ['B', 3]);
      const w = b.input('w', dt, [3, 2]);
      const xs = b.input('xs', dt, ['B', 2, 3]);
      b.output('lin', b.matmul(x, w));
      b.output('batched', b.matmul(xs, w));
      b.output('gram', b.matmul(xs, b.transpose(xs)));
      b.output('t', b.transpose(xs, [1, 0, 2]));
      return b.build();
    },
  },
  {
    title: 'reshape, expand, constant, identity and cast',
    dims,
    build(b, dt) {
      const xs = b.input('xs', dt, ['T', 'B', 3]);
      const flat = b.reshape(xs, ['T*B', 3]);
      b.output('flat', flat);
      b.output('back', b.reshape(b.exp(flat), ['T', 'B', 3]));
      b.output('rows', b.reshape(xs, ['T', 'B*3']));
      b.output('full', b.full(['B', 'T', 3], 2.5, dt));
      b.output('expand', b.expand(b.constant([1, 2, 3], [3], dt), ['B', 3]));
      const mask = b.constant([1, 0, 1], [3], 'bool');
      b.output('masked', b.where(mask, xs, b.constant(0, [], dt)));
      b.output('same', b.identity(xs));
      b.output('cast', b.cast(xs, dt === 'float32' ? 'float64' : 'float32'));
      b.output('positive', b.cast(b.cast(b.relu(xs), 'bool'), dt));
      return b.build();
    },
  },
  {
    title: 'concat, slice and reductions',
    dims,
    data: { z: [0, 1, 2, -Infinity, -Infinity, -Infinity] },
    build(b, dt) {
      const x = b.input('x', dt, ['B', 3]);
      const y = b.input('y', dt, ['B', 2]);
      const z = b.input('z', dt, ['B', 3]);
      const cat = b.concat([x, y], -1);
      b.output('cat', cat);
      b.output('cat0', b.concat([x, z], 0));
      b.output('tail', b.slice(cat, 1, 1, null));
      b.output('last2', b.slice(cat, -1, -2, null));
      b.output('init', b.slice(cat, 1, 0, -1));
      b.output('sum', b.reduceSum(x, [1]));
      b.output('sumall', b.reduceSum(x, [0, 1], true));
      b.output('max', b.reduceMax(x, [0]));
      b.output('lse', b.logSumExp(x, 1));
      b.output('lse_keep', b.logSumExp(x, -1, true));
      b.output('lse_inf', b.logSumExp(z, 1));
      return b.build();
    },
  },
  {
    title: 'scan forward recurrence with invariants',
    dims,
    build(b, dt, T) {
      const xs = b.input('xs', dt, [T ?? 'T', 'B', 3]);
      const h0 = b.input('h0', dt, ['B', 3]);
      const w = b.input('w', dt, [3, 3]);
      const bias = b.input('bias', dt, [3]);
      const r = b.scan({ carries: [h0], scanned: [xs], invariants: [w, bias] }, (g, { carries: [h], slices: [x], invariants: [wi, bi] }) => {
        const pre = g.add(g.add(g.matmul(h!, wi!), x!), bi!);
        const hn = g.tanh(pre);
        return { carries: [hn], outputs: [hn, g.softplus(pre), x!, g.full(['B', 3], 1, dt)] };
      });
      b.output('h_last', r.carries[0]!);
      r.outputs.forEach((v, k) => b.output(['hs', 'sp', 'echo', 'ones'][k]!, v));
      return b.build();
    },
  },
  {
    title: 'scan reverse with a pass-through carry',
    dims,
    build(b, dt) {
      const xs = b.input('xs', dt, ['T', 'B', 3]);
      const h0 = b.input('h0', dt, ['B', 3]);
      const r = b.scan({ carries: [h0, h0], scanned: [xs], inputReverse: [true] }, (g, { carries: [c, keep], slices: [x] }) => {
        const s = g.add(c!, x!);
        return { carries: [s, keep!], outputs: [s, c!] };
      });
      ['total', 'kept', 'suffix', 'prev'].forEach((n, k) => b.output(n, [...r.carries, ...r.outputs][k]!));
      return b.build();
    },
  },
];
