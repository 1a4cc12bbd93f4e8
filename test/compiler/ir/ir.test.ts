/** @file IR: shape rules, the verifier, the printer (golden text) and the reference interpreter. */
import { expect } from 'chai';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { dimToString, toDim } from '../../../src/compiler/ir/dim.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import type { Graph, Node } from '../../../src/compiler/ir/graph.js';
import { Op } from '../../../src/compiler/ir/ops.js';
import { printGraph } from '../../../src/compiler/ir/print.js';
import { tensor } from '../../../src/compiler/ir/tensor.js';
import { verifyGraph } from '../../../src/compiler/ir/verify.js';
import { assertAllClose } from '../../helpers/allclose.js';

/** relu(x W) summed over time by a reverse scan (suffix sums). */
function small(): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float64', ['T', 'B', 2]);
  const w = b.input('w', 'float64', [2, 2]);
  const r = b.scan({ carries: [b.full(['B', 2], 0)], scanned: [x], invariants: [w], inputReverse: [true] }, (s, p) => {
    const acc = s.add(p.carries[0]!, s.relu(s.matmul(p.slices[0]!, p.invariants[0]!)));
    return { carries: [acc], outputs: [acc] };
  });
  b.output('suffix', r.outputs[0]!);
  return b.build();
}

const golden = `in x = %0: f64[T,B,2]
in w = %1: f64[2,2]
%2: f64[] = constant{dtype=float64, shape=[], value=[0]}
%3: f64[B,2] = expand{shape=[B,2]} %2
%4: f64[B,2], %5: f64[T,B,2] = scan{inputReverse=[1], numCarry=1, numScanned=1, outputReverse=[1]} %3 %0 %1
    in carry0 = %0: f64[B,2]
    in slice0 = %1: f64[B,2]
    in inv0 = %2: f64[2,2]
    %3: f64[B,2] = matmul %1 %2
    %4: f64[B,2] = relu %3
    %5: f64[B,2] = add %0 %4
    %6: f64[B,2] = identity %5
    out carry_out0 = %5
    out y0 = %6
out suffix = %5
`;

describe('ir', () => {
  it('dim: symbolic products and sums print canonically', () => {
    expect(dimToString(toDim('T*B'))).to.equal('B*T');
    expect(dimToString(toDim('T - 1 + 1'))).to.equal('T');
    expect(toDim('2*3')).to.equal(6);
  });

  it('shape: broadcasting, matmul and reshape infer symbolic shapes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['T', 'B', 3]);
    expect(dimToString(b.reshape(x, ['T*B', 3]).shape[0]!)).to.equal('B*T');
    expect(b.add(x, b.input('c', 'float64', [1, 3])).shape.map(dimToString)).to.deep.equal(['T', 'B', '3']);
    expect(b.matmul(x, b.input('w', 'float64', [3, 5])).shape.map(dimToString)).to.deep.equal(['T', 'B', '5']);
    expect(b.slice(x, 0, 0, -1).shape.map(dimToString)).to.deep.equal(['T-1', 'B', '3']);
    expect(() => b.add(x, b.input('bad', 'float64', ['B', 2])), 'mismatched broadcast').to.throw(/node \d+ \(add\): cannot broadcast/);
    expect(() => b.reshape(x, ['T', 3]), 'wrong element count').to.throw(/cannot reshape/);
  });

  it('print: scan bodies are indented under their node (golden)', () => {
    expect(printGraph(small())).to.equal(golden);
  });

  it('verify: a built graph has no problems', () => {
    expect(verifyGraph(small())).to.deep.equal([]);
  });

  it('verify: catches use before definition, redefinition, arity and wrong recorded shapes', () => {
    const g = small();
    const broken = (nodes: Node[]): string[] => verifyGraph({ ...g, nodes });
    const [c, e, s] = g.nodes as [Node, Node, Node];
    expect(broken([e, c, s]).join('\n')).to.match(/node 0 \(expand\): uses undefined value\(s\) %2/);
    expect(broken([c, { ...e, outputs: [2] } as Node, s]).join('\n')).to.match(/node 1 \(expand\) redefines %2/);
    expect(broken([c, { ...e, inputs: [2, 2] } as Node, s]).join('\n')).to.match(/node 1 \(expand\): has 2 inputs, expected 1/);
    const values = [...g.values];
    values[3] = { dtype: 'float64', shape: [toDim('B'), 3] };
    expect(verifyGraph({ ...g, values }).join('\n')).to.match(/node 1 \(expand\): output 0 recorded as f64\[B,3\], shape rule gives f64\[B,2\]/);
  });

  it('verify: catches a scan body output that is a body param', () => {
    const g = small();
    const scan = g.nodes[2]!;
    if (scan.op !== Op.Scan) throw new Error('expected scan');
    const body = { ...scan.attrs.body, outputs: [scan.attrs.body.outputs[0]!, { name: 'y0', id: 1 }] };
    const errs = verifyGraph({ ...g, nodes: [g.nodes[0]!, g.nodes[1]!, { ...scan, attrs: { ...scan.attrs, body } }] });
    expect(errs.join('\n')).to.match(/node 2 \(scan\) body: output 'y0' is a body param/);
  });

  it('eval: reverse scan computes suffix sums stacked in time order', () => {
    const x = tensor([3, 1, 2], [1, 2, 3, -4, 5, 6]);
    const w = tensor([2, 2], [1, 0, 0, 1]);
    assertAllClose(evaluate(small(), { x, w }).suffix!.data, [9, 8, 8, 6, 5, 6], 'suffix sums of relu(x)');
  });

  it('eval: matmul, logsumexp, softplus at large |x|, concat and slice', () => {
    const b = new GraphBuilder();
    const a = b.input('a', 'float64', [2, 2]);
    b.output('mm', b.matmul(a, b.transpose(a)));
    b.output('lse', b.logSumExp(a, 1));
    b.output('sp', b.softplus(b.constant([-800, 0, 800], [3])));
    b.output('cs', b.slice(b.concat([a, a], 1), 1, 1, 3));
    const r = evaluate(b.build(), { a: tensor([2, 2], [1, 2, 3, 1000]) });
    assertAllClose(r.mm!.data, [5, 2003, 2003, 1000009], 'matmul');
    assertAllClose(r.lse!.data, [2 + Math.log1p(Math.exp(-1)), 1000], 'logsumexp');
    assertAllClose(r.sp!.data, [0, Math.log(2), 800], 'softplus');
    assertAllClose(r.cs!.data, [2, 1, 1000, 3], 'concat then slice');
  });

  it('eval: symbolic dims bind from input shapes and are checked', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['T', 'B', 2]);
    b.input('m', 'float64', ['T', 'B']);
    b.output('y', b.reshape(x, ['T*B', 2]));
    const g = b.build();
    expect(evaluate(g, { x: tensor([2, 3, 2], new Array(12).fill(1)), m: tensor([2, 3], new Array(6).fill(1)) }).y!.shape).to.deep.equal([6, 2]);
    expect(() => evaluate(g, { x: tensor([2, 3, 2], new Array(12).fill(1)), m: tensor([3, 3], new Array(9).fill(1)) })).to.throw(/input 'm' axis 0 is 3, expected T = 2/);
  });
});
