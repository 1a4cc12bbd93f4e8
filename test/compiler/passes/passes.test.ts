/** @file dce, cse and fold: what they change, what they leave, and that results are preserved. */
import { expect } from 'chai';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import type { Graph } from '../../../src/compiler/ir/graph.js';
import { Op } from '../../../src/compiler/ir/ops.js';
import { tensor } from '../../../src/compiler/ir/tensor.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { cse } from '../../../src/compiler/passes/cse.js';
import { dce } from '../../../src/compiler/passes/dce.js';
import { fold } from '../../../src/compiler/passes/fold.js';
import { assertAllClose } from '../../helpers/allclose.js';

const count = (g: Graph, op: Op): number => g.nodes.reduce((s, n) => s + (n.op === op ? 1 : 0) + (n.op === Op.Scan ? count(n.attrs.body, op) : 0), 0);
const xs = tensor([2, 1, 2], [1, -2, 0.5, 3]);

/** A scan whose body has dead, duplicated and constant work; outside too. */
function messy(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float64', ['T', 'B', 2]);
  b.exp(x); // dead
  const r = b.scan({ carries: [b.full(['B', 2], 0)], scanned: [x] }, (s, p) => {
    s.log(p.slices[0]!); // dead
    const two = s.add(s.constant(1), s.constant(1)); // foldable
    const a = s.mul(s.tanh(p.slices[0]!), two), a2 = s.mul(s.tanh(p.slices[0]!), two); // duplicate
    return { carries: [s.add(p.carries[0]!, a)], outputs: [a2] };
  });
  b.output('y', b.add(b.reduceSum(r.outputs[0]!, [0]), r.carries[0]!));
  return b.build();
}

function samePrimal(before: Graph, after: Graph): void {
  assertValid(after, 'after pass');
  assertAllClose(evaluate(after, { x: xs }).y!.data, evaluate(before, { x: xs }).y!.data, 'pass changed the result', { rtol: 1e-14 });
}

describe('passes', () => {
  it('dce: removes dead nodes at top level and in scan bodies, keeps results', () => {
    const g = messy();
    const r = dce(g);
    expect(r.changed).to.equal(true);
    expect(count(r.graph, Op.Exp), 'exp left').to.equal(0);
    expect(count(r.graph, Op.Log), 'log left').to.equal(0);
    samePrimal(g, r.graph);
    expect(dce(r.graph).changed, 'dce is idempotent').to.equal(false);
  });

  it('cse: merges duplicate computations inside scan bodies, keeps results', () => {
    const g = messy();
    const r = cse(g);
    expect(r.changed).to.equal(true);
    expect(count(r.graph, Op.Tanh), 'tanh left').to.equal(1);
    samePrimal(g, r.graph);
    expect(cse(r.graph).changed, 'cse is idempotent').to.equal(false);
  });

  it('cse: merged body outputs stay distinct through an Identity', () => {
    const r = cse(messy());
    const scan = r.graph.nodes.find((n) => n.op === Op.Scan)!;
    const outs = scan.op === Op.Scan ? scan.attrs.body.outputs.map((p) => p.id) : [];
    expect(new Set(outs).size, 'distinct body outputs').to.equal(outs.length);
  });

  it('fold: evaluates constant subexpressions with concrete shapes only', () => {
    const g = messy();
    const r = fold(g);
    expect(r.changed).to.equal(true);
    expect(count(r.graph, Op.Add), 'adds left (1+1 folded, symbolic zeros kept)').to.equal(count(g, Op.Add) - 1);
    expect(count(r.graph, Op.Expand), 'symbolic expand kept').to.equal(1);
    samePrimal(g, r.graph);
    expect(fold(r.graph).changed, 'fold reaches a fixed point').to.equal(false);
  });

  it('passes: leave a graph without dead, duplicate or constant work unchanged', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [2]);
    b.output('y', b.exp(x));
    const g = b.build();
    for (const p of [dce, cse, fold]) expect(p(g).changed, p.name).to.equal(false);
  });
});
