/**
 * @file The elementwise pass: expands folded into broadcasts, negations into subtractions,
 * products regrouped so that small and loop-independent factors are multiplied first; the
 * numbers stay (float64 interpreter), the pass reaches a fixed point, and it leaves products
 * alone when regrouping would not save anything.
 */
import { expect } from 'chai';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { nominalSize } from '../../../src/compiler/ir/dim.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import type { Graph } from '../../../src/compiler/ir/graph.js';
import { Op } from '../../../src/compiler/ir/ops.js';
import { tensor, type Tensor } from '../../../src/compiler/ir/tensor.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { elementwise } from '../../../src/compiler/passes/elementwise.js';
import { optimize } from '../../../src/compiler/passes/index.js';
import { scanDce } from '../../../src/compiler/passes/scan-dce.js';
import { scanSplit } from '../../../src/compiler/passes/scan-split.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { Rng } from '../../helpers/random.js';

const count = (g: Graph, op: Op): number => g.nodes.reduce((s, n) => s + (n.op === op ? 1 : 0) + (n.op === Op.Scan ? count(n.attrs.body, op) : 0), 0);
const bodyOf = (g: Graph): Graph => {
  const s = g.nodes.find((n) => n.op === Op.Scan);
  if (s?.op !== Op.Scan) throw new Error('no scan');
  return s.attrs.body;
};
/** Mul nodes (top level) whose output has the full `[T, B, K, D]` size. */
const bigMuls = (g: Graph, size: number): number => g.nodes.filter((n) => n.op === Op.Mul && nominalSize(g.values[n.outputs[0]!]!.shape) >= size).length;

function random(shape: number[], seed: number, positive = false): Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(shape, Array.from({ length: n }, () => (positive ? 0.5 + r.uniform() : r.normal())));
}

function cleaned(g: Graph): Graph {
  const r = scanDce(elementwise(g).graph).graph;
  assertValid(r, 'after elementwise');
  return r;
}

/** The shape of a mixture density's gradient: a per-component cotangent expanded over D, scaled, negated. */
function mixtureLike(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float64', ['T', 'B', 3, 5]);
  const s = b.input('s', 'float64', ['T', 'B', 3, 1]);
  const sd = b.input('sd', 'float64', ['T', 'B', 3, 5]);
  const gk = b.expand(s, ['T', 'B', 3, 5]);
  const scaled = b.mul(gk, b.mul(b.constant(-0.5), x)); // c · x · expand(s): three factors
  const u = b.div(scaled, sd);
  const mask = b.greater(x, b.constant(0));
  b.output('y', b.add(b.where(mask, gk, b.neg(u)), b.neg(b.div(u, sd))));
  return b.build();
}

describe('passes: elementwise', () => {
  const feeds = { x: random([2, 4, 3, 5], 1), s: random([2, 4, 3, 1], 2), sd: random([2, 4, 3, 5], 3, true) };
  const size = nominalSize(mixtureLike().values[0]!.shape); // x: [T, B, 3, 5]

  it('folds expands into broadcasts and negations into subtractions; the numbers stay', () => {
    const g = mixtureLike();
    const r = cleaned(g);
    expect(count(g, Op.Expand), 'expands before').to.equal(1);
    expect(count(r, Op.Expand), 'expands after').to.equal(0);
    expect(count(r, Op.Neg), 'the negation of a single-use addend is a subtraction').to.equal(1);
    expect(count(r, Op.Sub)).to.equal(1);
    assertAllClose(evaluate(r, feeds).y!.data, evaluate(g, feeds).y!.data, 'elementwise changed the result', { rtol: 1e-14 });
  });

  it('multiplies the small factors first: one pass over the large tensor instead of two', () => {
    const g = mixtureLike();
    expect(bigMuls(g, size)).to.equal(2);
    const r = cleaned(g);
    expect(bigMuls(r, size)).to.equal(1);
    const small = r.nodes.find((n) => n.op === Op.Mul && nominalSize(r.values[n.outputs[0]!]!.shape) < size);
    expect(small, 'the scalar times the per-component factor').to.not.equal(undefined);
    expect(elementwise(r).changed, 'a fixed point').to.equal(false);
  });

  it('leaves a product alone when every grouping costs the same, or when a partial product has another use', () => {
    const b = new GraphBuilder();
    const [x, y, z] = ['x', 'y', 'z'].map((n) => b.input(n, 'float64', ['B', 4]));
    b.output('p', b.mul(b.mul(x!, y!), z!));
    const xy = b.mul(x!, b.constant(2));
    b.output('q', b.mul(b.mul(xy, y!), b.constant(3)));
    b.output('xy', xy);
    const g = b.build();
    expect(elementwise(g).changed).to.equal(false);
  });

  it('in a loop, multiplies the factors that do not depend on the carry first, and scan-split moves them out', () => {
    const b = new GraphBuilder();
    const a = b.input('a', 'float64', ['T', 'B', 4]);
    const c = b.input('c', 'float64', ['T', 'B', 4]);
    const r = b.scan({ carries: [b.full(['B', 4], 0.5)], scanned: [a, c] }, (s, p) => {
      const h = s.tanh(s.mul(s.mul(s.add(p.carries[0]!, s.constant(0.1)), p.slices[0]!), p.slices[1]!));
      return { carries: [h], outputs: [h] };
    });
    b.output('y', r.outputs[0]!);
    const g = b.build();
    const split = scanDce(scanSplit(cleaned(g)).graph).graph;
    expect(count(bodyOf(g), Op.Mul), 'muls in the loop before').to.equal(2);
    expect(count(bodyOf(split), Op.Mul), 'muls in the loop after').to.equal(1);
    expect(split.nodes.filter((n) => n.op === Op.Mul).length, 'a·c for all steps before the loop').to.equal(1);
    const f = { a: random([5, 3, 4], 4), c: random([5, 3, 4], 5) };
    assertAllClose(evaluate(split, f).y!.data, evaluate(g, f).y!.data, 'the loop changed its result', { rtol: 1e-13 });
  });

  it('is one of the default passes, and the default pipeline keeps the numbers', () => {
    const g = mixtureLike();
    const r = optimize(g, { verify: true });
    expect(count(r, Op.Expand)).to.equal(0);
    assertAllClose(evaluate(r, feeds).y!.data, evaluate(g, feeds).y!.data, 'optimize changed the result', { rtol: 1e-14 });
  });
});
