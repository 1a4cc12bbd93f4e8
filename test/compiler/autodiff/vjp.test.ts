/** @file Every op's VJP rule against float64 central differences, and a check that every op has cases. */
import { expect } from 'chai';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { dimToString } from '../../../src/compiler/ir/dim.js';
import type { Graph, Value } from '../../../src/compiler/ir/graph.js';
import { allOps, Op } from '../../../src/compiler/ir/ops.js';
import { Rng } from '../../helpers/random.js';
import { grad } from '../../../src/compiler/autodiff/backward.js';
import { checkGradFd, randomInputs } from './check.js';
import { opCases, type OpCase } from './op_cases.js';

function caseGraph(c: OpCase): Graph {
  const b = new GraphBuilder();
  const xs: Record<string, Value> = {};
  for (const [k, s] of Object.entries(c.inputs)) xs[k] = b.input(k, 'float64', s.decl ?? s.shape);
  b.output('y', c.build(b, xs));
  return b.build();
}

function usesOp(g: Graph, op: Op): boolean {
  return g.nodes.some((n) => n.op === op || (n.op === Op.Scan && usesOp(n.attrs.body, op)));
}

describe('vjp rules', () => {
  it('vjp: every op in Object.values(Op) has a gradient case that uses it', () => {
    const missing = allOps.filter((op) => (opCases[op]?.length ?? 0) === 0);
    expect(missing, `ops without a gradient case: ${missing.join(', ')}`).to.deep.equal([]);
    for (const op of allOps) {
      for (const c of opCases[op]) expect(usesOp(caseGraph(c), op), `case '${c.name}' of ${op} does not use ${op}`).to.equal(true);
    }
  });

  it('vjp: a batched product\'s weight gradient transposes the small operands, never the large one', () => {
    // h [n, B, H] · v [n, H, 1] (a NADE's output weights): v̄ = hᵀ ḡ would transpose all of h.
    const b = new GraphBuilder();
    const h = b.input('h', 'float64', [88, 'B', 64]);
    const v = b.input('v', 'float64', [88, 64, 1]);
    b.output('y', b.reduceSum(b.matmul(h, v), [0, 1, 2]));
    const gg = grad(b.build(), { of: 'y', wrt: ['v'], seed: 'input' });
    const transposed = gg.nodes.filter((n) => n.op === Op.Transpose).map((n) => gg.values[n.inputs[0]!]!.shape.map(dimToString));
    expect(transposed.length, 'the gradient transposes something').to.be.greaterThan(0);
    for (const s of transposed) expect(s.includes('B') && s.includes('64'), `transposes [${s.join(', ')}]`).to.equal(false);
  });

  for (const op of allOps) {
    for (const c of opCases[op]) {
      it(`vjp: ${op}: ${c.name} matches central differences at 3 random points`, () => {
        const g = caseGraph(c);
        for (const seed of [1, 2, 3]) {
          const rng = new Rng(seed * 7919 + op.length);
          checkGradFd(g, 'y', randomInputs(c.inputs, rng), Object.keys(c.inputs), rng);
        }
      });
    }
  }
});
