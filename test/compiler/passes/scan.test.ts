/**
 * @file Batching rules, scan splitting and scan DCE: every op's batched form equals running it in
 * a loop; work moves to where it belongs and numbers stay; dead carries and outputs go.
 */
import { expect } from 'chai';
import { batchable, batchNode } from '../../../src/compiler/ir/batch.js';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { sym } from '../../../src/compiler/ir/dim.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import type { Graph, Value } from '../../../src/compiler/ir/graph.js';
import { allOps, Op, type DType, type OpAttrs } from '../../../src/compiler/ir/ops.js';
import { tensor, type Tensor } from '../../../src/compiler/ir/tensor.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { gemmFuse } from '../../../src/compiler/passes/gemm-fuse.js';
import { scanDce } from '../../../src/compiler/passes/scan-dce.js';
import { scanDedupe } from '../../../src/compiler/passes/scan-dedupe.js';
import { scanSplit } from '../../../src/compiler/passes/scan-split.js';
import { simplify } from '../../../src/compiler/passes/simplify.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { Rng } from '../../helpers/random.js';

const T = 4;

/** An operand of a batching case: its per-step shape, whether it varies per step, its dtype. */
interface Operand { readonly shape: readonly number[]; readonly batched: boolean; readonly dtype?: DType }
/** One way to call an op. */
interface Case { readonly ins: readonly Operand[]; readonly attrs: object }

const x23: Operand = { shape: [2, 3], batched: true };
const unaryCase: Case[] = [{ ins: [x23], attrs: {} }];
const binaryCases: Case[] = [
  { ins: [x23, { shape: [3], batched: false }], attrs: {} },
  { ins: [{ shape: [3], batched: true }, { shape: [2, 3], batched: false }], attrs: {} },
  { ins: [x23, { shape: [2, 1], batched: true }], attrs: {} },
];
const positive = new Set<Op>([Op.Log, Op.Sqrt]);

/** Cases for every op that has a batched form (a new op fails the completeness test until it has one). */
const cases: Partial<Record<Op, Case[]>> = {
  ...Object.fromEntries([Op.Neg, Op.Exp, Op.Log, Op.Tanh, Op.Sigmoid, Op.Relu, Op.Softplus, Op.Abs, Op.Sqrt, Op.Square, Op.Identity].map((o) => [o, unaryCase])),
  ...Object.fromEntries([Op.Add, Op.Sub, Op.Mul, Op.Div, Op.Max, Op.Min, Op.Greater, Op.GreaterOrEqual].map((o) => [o, binaryCases])),
  [Op.Where]: [{ ins: [{ shape: [2, 3], batched: true, dtype: 'bool' }, x23, { shape: [3], batched: false }], attrs: {} },
    { ins: [{ shape: [3], batched: false, dtype: 'bool' }, { shape: [3], batched: true }, x23], attrs: {} }],
  [Op.MatMul]: [
    { ins: [x23, { shape: [3, 4], batched: false }], attrs: {} },
    { ins: [{ shape: [2, 3], batched: false }, { shape: [3, 4], batched: true }], attrs: {} },
    { ins: [x23, { shape: [3, 4], batched: true }], attrs: {} },
    { ins: [x23, { shape: [5, 3, 4], batched: false }], attrs: {} },
  ],
  [Op.Transpose]: [{ ins: [{ shape: [2, 3, 4], batched: true }], attrs: { perm: [2, 0, 1] } }],
  [Op.Reshape]: [{ ins: [{ shape: [2, 6], batched: true }], attrs: { shape: [2, 2, 3] } }],
  [Op.Concat]: [{ ins: [{ shape: [2, 2], batched: true }, { shape: [2, 3], batched: false }], attrs: { axis: -1 } },
    { ins: [x23, x23], attrs: { axis: 0 } }],
  [Op.Slice]: [{ ins: [x23], attrs: { axis: -1, start: 1, end: null } }, { ins: [x23], attrs: { axis: 0, start: 0, end: 1 } }],
  [Op.ReduceSum]: [{ ins: [x23], attrs: { axes: [-1], keepdims: true } }, { ins: [x23], attrs: { axes: [0, 1], keepdims: false } }],
  [Op.ReduceMax]: [{ ins: [x23], attrs: { axes: [0], keepdims: false } }],
  [Op.LogSumExp]: [{ ins: [x23], attrs: { axis: 1, keepdims: false } }, { ins: [x23], attrs: { axis: -2, keepdims: true } }],
  [Op.Expand]: [{ ins: [{ shape: [3], batched: true }], attrs: { shape: [2, 3] } }, { ins: [{ shape: [2, 1], batched: true }], attrs: { shape: [2, 3] } }],
  [Op.Cast]: [{ ins: [x23], attrs: { to: 'float32' } }],
  [Op.CumSum]: [{ ins: [x23], attrs: { axis: -1, reverse: false, exclusive: false } }, { ins: [x23], attrs: { axis: 0, reverse: true, exclusive: true } }],
  [Op.GatherElements]: [
    { ins: [x23, { shape: [2, 2], batched: true, dtype: 'int64' }], attrs: { axis: 1 } },
    { ins: [x23, { shape: [2, 3], batched: false, dtype: 'int64' }], attrs: { axis: 0 } },
  ],
  [Op.ScatterAddElements]: [
    { ins: [x23, { shape: [2, 3], batched: true, dtype: 'int64' }, x23], attrs: { axis: 1 } },
    { ins: [{ shape: [2, 3], batched: false }, { shape: [2, 3], batched: false, dtype: 'int64' }, x23], attrs: { axis: 0 } },
  ],
};

function feed(rng: Rng, o: Operand, op: Op): Tensor {
  const shape = o.batched ? [T, ...o.shape] : [...o.shape];
  const n = shape.reduce((a, b) => a * b, 1);
  // int64 operands are indices into an axis of length 2
  const data = Array.from({ length: n }, () => (o.dtype === 'bool' || o.dtype === 'int64' ? (rng.uniform() < 0.5 ? 1 : 0) : positive.has(op) ? 0.1 + rng.uniform() : rng.normal()));
  return tensor(shape, data, o.dtype ?? 'float64');
}

/** The op run per step in a Scan, and batched over T by its rule: both graphs. */
function loopAndBatched(op: Op, c: Case): { loop: Graph; batched: Graph } {
  const graphs = [true, false].map((inLoop) => {
    const b = new GraphBuilder();
    const ins = c.ins.map((o, i) => b.input(`in${i}`, o.dtype ?? 'float64', o.batched ? ['T', ...o.shape] : o.shape));
    let y: Value;
    if (inLoop) {
      const scanned = ins.filter((_, i) => c.ins[i]!.batched), inv = ins.filter((_, i) => !c.ins[i]!.batched);
      y = b.scan({ carries: [], scanned, invariants: inv }, (s, p) => {
        let si = 0, ii = 0;
        const args = c.ins.map((o) => (o.batched ? p.slices[si++]! : p.invariants[ii++]!));
        return { carries: [], outputs: s.emit(op, args, c.attrs as OpAttrs[Op]) };
      }).outputs[0]!;
    } else {
      const per = (i: number): Value => ({ ...ins[i]!, shape: c.ins[i]!.shape });
      const outs = new GraphBuilder().emit(op, c.ins.map((_, i) => per(i)), c.attrs as OpAttrs[Op]);
      y = batchNode(b, sym('T'), op, ins.map((v, i) => ({ v, batched: c.ins[i]!.batched })), c.attrs as OpAttrs[Op],
        { ins: c.ins.map((_, i) => per(i)), outs })[0]!;
    }
    b.output('y', y);
    return b.build();
  });
  return { loop: graphs[0]!, batched: graphs[1]! };
}

describe('batch rules', () => {
  it('batch: every op with a batched form has test cases here', () => {
    const missing = allOps.filter((op) => batchable(op) && !cases[op]);
    expect(missing, 'ops without batching cases').to.deep.equal([]);
    expect(batchable(Op.Scan), 'a nested Scan stays in its loop').to.equal(false);
  });
  for (const op of allOps.filter(batchable)) {
    it(`batch: ${op} over a leading T equals ${op} in a loop`, () => {
      (cases[op] ?? []).forEach((c, k) => {
        const { loop, batched } = loopAndBatched(op, c);
        assertValid(batched, `${op} case ${k}`);
        const rng = new Rng(k + 1);
        const feeds = Object.fromEntries(c.ins.map((o, i) => [`in${i}`, feed(rng, o, op)]));
        const want = evaluate(loop, feeds)['y']!, got = evaluate(batched, feeds)['y']!;
        expect(got.shape, `${op} case ${k} shape`).to.deep.equal(want.shape);
        assertAllClose(got.data, want.data, `${op} case ${k}`, { rtol: 1e-15, atol: 0 });
      });
    });
  }
});

/** h' = tanh(h U + x W), y = h' V: the recurrence needs U and W, the output only V. */
function rnn(reverse = false): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float64', ['T', 2, 3]);
  const U = b.input('U', 'float64', [4, 4]);
  const W = b.input('W', 'float64', [3, 4]);
  const V = b.input('V', 'float64', [4, 2]);
  const r = b.scan({ carries: [b.full([2, 4], 0)], scanned: [x], invariants: [U, W, V], inputReverse: [reverse] }, (s, p) => {
    const [u, w, v] = p.invariants as [Value, Value, Value];
    const h = s.tanh(s.add(s.matmul(p.carries[0]!, s.transpose(s.transpose(u))), s.matmul(p.slices[0]!, w)));
    return { carries: [h], outputs: [s.matmul(h, v), s.exp(p.slices[0]!)] };
  });
  b.output('y', r.outputs[0]!);
  b.output('ex', r.outputs[1]!);
  b.output('h', r.carries[0]!);
  return b.build();
}

const rnnFeeds = (): Record<string, Tensor> => {
  const rng = new Rng(3);
  const t = (shape: number[]): Tensor => tensor(shape, rng.normals(shape.reduce((a, b) => a * b, 1)));
  return { x: t([T, 2, 3]), U: t([4, 4]), W: t([3, 4]), V: t([4, 2]) };
};

const countIn = (g: Graph, op: Op): number => g.nodes.filter((n) => n.op === op).length;
const body = (g: Graph): Graph => {
  const s = g.nodes.find((n) => n.op === Op.Scan);
  if (!s || s.op !== Op.Scan) throw new Error('no scan');
  return s.attrs.body;
};

function sameOutputs(before: Graph, after: Graph): void {
  assertValid(after, 'after');
  const f = rnnFeeds();
  const a = evaluate(before, f), b = evaluate(after, f);
  for (const k of Object.keys(a)) assertAllClose(b[k]!.data, a[k]!.data, k, { rtol: 1e-13, atol: 1e-13 });
}

describe('scan split', () => {
  for (const reverse of [false, true]) {
    it(`split: keeps only the recurrence in the body (${reverse ? 'reverse' : 'forward'} scan), numbers unchanged`, () => {
      const g = rnn(reverse);
      const r = scanSplit(g);
      expect(r.changed).to.equal(true);
      const bd = body(r.graph);
      expect(countIn(bd, Op.MatMul), 'matmuls left in the body (h U only)').to.equal(1);
      expect(countIn(bd, Op.Transpose), 'invariant transposes hoisted').to.equal(0);
      expect(countIn(bd, Op.Exp), 'per-step work on x hoisted').to.equal(0);
      expect(countIn(r.graph, Op.MatMul), 'x W before and h V after the loop').to.equal(2);
      sameOutputs(g, r.graph);
      expect(scanSplit(r.graph).changed, 'a second split changes nothing').to.equal(false);
    });
  }

  it('split: mixed directions keep per-step work in the loop but still hoist invariants', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['T', 2, 3]);
    const W = b.input('W', 'float64', [3, 3]);
    const r = b.scan({ carries: [b.full([2, 3], 0)], scanned: [x, x], invariants: [W], inputReverse: [false, true], outputReverse: [false] }, (s, p) => {
      const h = s.add(p.carries[0]!, s.mul(p.slices[0]!, p.slices[1]!));
      return { carries: [h], outputs: [s.matmul(h, s.transpose(p.invariants[0]!))] };
    });
    b.output('y', r.outputs[0]!);
    const g = b.build();
    const out = scanSplit(g);
    expect(countIn(body(out.graph), Op.Transpose)).to.equal(0);
    expect(countIn(body(out.graph), Op.Mul), 'x[t]·x[T-1-t] stays').to.equal(1);
    expect(countIn(body(out.graph), Op.MatMul), 'output work stays').to.equal(1);
    const rng = new Rng(5);
    const f = { x: tensor([T, 2, 3], rng.normals(T * 6)), W: tensor([3, 3], rng.normals(9)) };
    assertAllClose(evaluate(out.graph, f)['y']!.data, evaluate(g, f)['y']!.data, 'y', { rtol: 1e-13, atol: 1e-13 });
  });
});

describe('scan dce', () => {
  it('scan-dce: drops a dead stacked output, a dead carry and the inputs only they read', () => {
    const g = rnn();
    const only = { ...g, outputs: g.outputs.filter((p) => p.name === 'y') };
    const r = scanDce(only);
    expect(r.changed).to.equal(true);
    const scan = r.graph.nodes.find((n) => n.op === Op.Scan)!;
    if (scan.op !== Op.Scan) throw new Error('no scan');
    expect(scan.outputs.length, 'h carry and y stay (y reads h); ex goes').to.equal(2);
    expect(countIn(scan.attrs.body, Op.Exp)).to.equal(0);
    const f = rnnFeeds();
    assertAllClose(evaluate(r.graph, f)['y']!.data, evaluate(g, f)['y']!.data, 'y', { rtol: 0, atol: 0 });
    expect(scanDce(r.graph).changed, 'idempotent').to.equal(false);
  });

  it('scan-dce: a carry nobody reads goes, with its update', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['T', 2]);
    const V = b.input('V', 'float64', [2]);
    const r = b.scan({ carries: [b.full([2], 0), b.full([2], 1)], scanned: [x], invariants: [V] }, (s, p) => {
      const sum = s.add(p.carries[0]!, p.slices[0]!);
      const prod = s.mul(s.mul(p.carries[1]!, p.slices[0]!), p.invariants[0]!);
      return { carries: [sum, prod], outputs: [s.exp(sum)] };
    });
    b.output('y', r.outputs[0]!);
    const g = b.build();
    const out = scanDce(g).graph;
    const scan = out.nodes.find((n) => n.op === Op.Scan)!;
    if (scan.op !== Op.Scan) throw new Error('no scan');
    expect(scan.attrs.numCarry, 'the product carry is dead').to.equal(1);
    expect(scan.inputs.length, 'one carry, one scanned input, no invariant').to.equal(2);
    const f = { x: tensor([T, 2], [1, 2, 3, 4, 5, 6, 7, 8]), V: tensor([2], [2, 3]) };
    assertAllClose(evaluate(out, f)['y']!.data, evaluate(g, f)['y']!.data, 'y', { rtol: 0, atol: 0 });
  });
});

describe('gemm fusion', () => {
  /** An LSTM-like body: g = concat(x[t], z) W + b + h U, with z = tanh(h V) depending on the carry. */
  function gates(): Graph {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['T', 2, 3]);
    const W = b.input('W', 'float64', [5, 4]);
    const U = b.input('U', 'float64', [4, 4]);
    const V = b.input('V', 'float64', [4, 2]);
    const bias = b.input('bias', 'float64', [4]);
    const r = b.scan({ carries: [b.full([2, 4], 0)], scanned: [x], invariants: [W, U, V, bias] }, (s, p) => {
      const [w, u, v, c] = p.invariants as [Value, Value, Value, Value];
      const h = p.carries[0]!;
      const z = s.tanh(s.matmul(h, v));
      const g = s.add(s.add(s.matmul(s.concat([p.slices[0]!, z], 1), w), c), s.matmul(h, u));
      return { carries: [s.tanh(g)], outputs: [g] };
    });
    b.output('y', r.outputs[0]!);
    b.output('h', r.carries[0]!);
    return b.build();
  }

  it('gemm-fuse + split: the input part of concat(x, z) W leaves the loop, z W₂ + h U become one GEMM', () => {
    const g = gates();
    const fused = gemmFuse(g);
    expect(fused.changed).to.equal(true);
    const out = scanSplit(fused.graph).graph;
    assertValid(out, 'after');
    // left in the loop: h V (for z) and one fused product concat(z, h) · concat(W₂; U)
    expect(countIn(body(out), Op.MatMul)).to.equal(2);
    expect(countIn(body(out), Op.Slice), 'weight slices hoisted').to.equal(0);
    expect(gemmFuse(out).changed, 'fusing again changes nothing').to.equal(false);
    const rng = new Rng(9);
    const t = (shape: number[]): Tensor => tensor(shape, rng.normals(shape.reduce((a, c) => a * c, 1)));
    const f = { x: t([T, 2, 3]), W: t([5, 4]), U: t([4, 4]), V: t([4, 2]), bias: t([4]) };
    const a = evaluate(g, f), bb = evaluate(out, f);
    for (const k of ['y', 'h']) assertAllClose(bb[k]!.data, a[k]!.data, k, { rtol: 1e-13, atol: 1e-13 });
  });
});

describe('scan dedupe', () => {
  it('scan-dedupe: a value scanned twice is scanned once; a value stacked twice is stacked once', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['T', 2]);
    const r = b.scan({ carries: [b.full([2], 0)], scanned: [x, x] }, (s, p) => {
      const h = s.add(p.carries[0]!, s.mul(p.slices[0]!, p.slices[1]!));
      return { carries: [h], outputs: [h, s.identity(h), p.carries[0]!] };
    });
    b.output('a', r.outputs[0]!);
    b.output('b', r.outputs[1]!);
    b.output('c', r.outputs[2]!);
    const g = b.build();
    const out = scanDedupe(g);
    expect(out.changed).to.equal(true);
    assertValid(out.graph, 'after');
    const scan = out.graph.nodes.find((n) => n.op === Op.Scan)!;
    if (scan.op !== Op.Scan) throw new Error('no scan');
    expect(scan.attrs.numScanned).to.equal(1);
    expect(scan.outputs.length, 'carry, h once, the old carry').to.equal(3);
    const f = { x: tensor([T, 2], [1, 2, 3, 4, 5, 6, 7, 8]) };
    const want = evaluate(g, f), got = evaluate(out.graph, f);
    for (const k of ['a', 'b', 'c']) assertAllClose(got[k]!.data, want[k]!.data, k, { rtol: 0, atol: 0 });
    expect(scanDedupe(out.graph).changed).to.equal(false);
  });
});

describe('simplify', () => {
  it('simplify: the sum of zero-padded slices of a cotangent is one concat; x + 0 is x', () => {
    const b = new GraphBuilder();
    const p = b.input('p', 'float64', [2, 2]);
    const q = b.input('q', 'float64', [2, 3]);
    const z = (w: number): Value => b.full([2, w], 0);
    const padded1 = b.concat([p, z(3)], 1), padded2 = b.concat([z(2), q], 1);
    b.output('y', b.add(b.add(padded1, padded2), z(5)));
    const g = b.build();
    const r = simplify(g);
    expect(r.changed).to.equal(true);
    assertValid(r.graph, 'after');
    expect(countIn(r.graph, Op.Add), 'adds left').to.equal(0);
    const rng = new Rng(4);
    const f = { p: tensor([2, 2], rng.normals(4)), q: tensor([2, 3], rng.normals(6)) };
    assertAllClose(evaluate(r.graph, f)['y']!.data, evaluate(g, f)['y']!.data, 'y', { rtol: 0, atol: 0 });
  });
});
