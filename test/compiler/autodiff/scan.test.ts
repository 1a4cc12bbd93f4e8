/** @file grad(Scan) equals the gradient of the unrolled loop: forward, reverse and nested scans. */
import { expect } from 'chai';
import { grad } from '../../../src/compiler/autodiff/backward.js';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import { outputNamed, type Graph, type Value } from '../../../src/compiler/ir/graph.js';
import { Op } from '../../../src/compiler/ir/ops.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { Rng } from '../../helpers/random.js';
import { checkGradFd, randomInputs } from './check.js';

const [T, K, B, D] = [3, 2, 2, 2];
const params = ['xs', 'h0', 'w', 'u'];

/** h' = tanh(x W + h U); y = h' ⊙ x. */
function cell(b: GraphBuilder, h: Value, x: Value, w: Value, u: Value): [Value, Value] {
  const hn = b.tanh(b.add(b.matmul(x, w), b.matmul(h, u)));
  return [hn, b.mul(hn, x)];
}

function inputs(b: GraphBuilder, xsShape: readonly (number | string)[]): Value[] {
  return [b.input('xs', 'float64', xsShape), b.input('h0', 'float64', ['B', D]), b.input('w', 'float64', [D, D]), b.input('u', 'float64', [D, D])];
}

/** loss = Σ y² + Σ h_T, the loop run by Scan. */
function scanned(reverse: boolean): Graph {
  const b = new GraphBuilder();
  const [xs, h0, w, u] = inputs(b, ['T', 'B', D]);
  const r = b.scan({ carries: [h0!], scanned: [xs!], invariants: [w!, u!], inputReverse: [reverse] }, (s, p) => {
    const [h, y] = cell(s, p.carries[0]!, p.slices[0]!, p.invariants[0]!, p.invariants[1]!);
    return { carries: [h], outputs: [y] };
  });
  b.output('loss', b.add(b.reduceSum(b.square(r.outputs[0]!), [0, 1, 2]), b.reduceSum(r.carries[0]!, [0, 1])));
  return b.build();
}

/** The same loss with the loop unrolled at T steps. */
function unrolled(reverse: boolean): Graph {
  const b = new GraphBuilder();
  const [xs, h0, w, u] = inputs(b, [T, 'B', D]);
  let h = h0!, total: Value = b.constant(0);
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const [hn, y] = cell(b, h, b.reshape(b.slice(xs!, 0, t, t + 1), ['B', D]), w!, u!);
    h = hn;
    total = b.add(total, b.reduceSum(b.square(y), [0, 1]));
  }
  b.output('loss', b.add(total, b.reduceSum(h, [0, 1])));
  return b.build();
}

/** Outer scan over T; its body runs an inner scan over K (optionally reversed) from the carry. */
function nested(innerReverse: boolean, unroll: boolean): Graph {
  const b = new GraphBuilder();
  const [xs, h0, w, u] = inputs(b, unroll ? [T, K, 'B', D] : ['T', 'K', 'B', D]);
  const step = (s: GraphBuilder, h: Value, xk: Value, wv: Value, uv: Value): Value => {
    if (unroll) {
      let g = h;
      for (let i = 0; i < K; i++) {
        const j = innerReverse ? K - 1 - i : i;
        g = cell(s, g, s.reshape(s.slice(xk, 0, j, j + 1), ['B', D]), wv, uv)[0];
      }
      return g;
    }
    const r = s.scan({ carries: [h], scanned: [xk], invariants: [wv, uv], inputReverse: [innerReverse] }, (s2, p) => ({ carries: [cell(s2, p.carries[0]!, p.slices[0]!, p.invariants[0]!, p.invariants[1]!)[0]], outputs: [s2.identity(p.carries[0]!)] }));
    return r.carries[0]!;
  };
  let out: Value;
  if (unroll) {
    let h = h0!;
    for (let t = 0; t < T; t++) h = step(b, h, b.reshape(b.slice(xs!, 0, t, t + 1), [K, 'B', D]), w!, u!);
    out = h;
  } else {
    out = b.scan({ carries: [h0!], scanned: [xs!], invariants: [w!, u!] }, (s, p) => {
      const h = step(s, p.carries[0]!, p.slices[0]!, p.invariants[0]!, p.invariants[1]!);
      return { carries: [h], outputs: [s.square(h)] };
    }).carries[0]!;
  }
  b.output('loss', b.reduceSum(b.square(out), [0, 1]));
  return b.build();
}

function compareGrads(a: Graph, b: Graph, xsShape: number[]): void {
  const rng = new Rng(11);
  const ins = randomInputs({ xs: { shape: xsShape }, h0: { shape: [B, D] }, w: { shape: [D, D] }, u: { shape: [D, D] } }, rng);
  const [ga, gb] = [grad(a, { of: 'loss', wrt: params }), grad(b, { of: 'loss', wrt: params })];
  assertValid(ga, 'scan gradient');
  assertValid(gb, 'unrolled gradient');
  const [ra, rb] = [evaluate(ga, ins), evaluate(gb, ins)];
  assertAllClose(ra.loss!.data, rb.loss!.data, 'loss', { rtol: 1e-12 });
  for (const p of params) assertAllClose(ra[`grad_${p}`]!.data, rb[`grad_${p}`]!.data, `grad_${p} scan vs unrolled`, { rtol: 1e-10, atol: 1e-12 });
}

describe('scan vjp', () => {
  it('scan vjp: forward scan gradient equals the unrolled loop gradient', () => compareGrads(scanned(false), unrolled(false), [T, B, D]));
  it('scan vjp: reverse scan gradient equals the unrolled loop gradient', () => compareGrads(scanned(true), unrolled(true), [T, B, D]));
  it('scan vjp: nested scan gradient equals the doubly unrolled loop gradient', () => compareGrads(nested(false, false), nested(false, true), [T, K, B, D]));
  it('scan vjp: nested scan with a reverse inner scan equals the unrolled loop', () => compareGrads(nested(true, false), nested(true, true), [T, K, B, D]));
  it('scan vjp: nested scan matches central differences', () => {
    const rng = new Rng(5);
    checkGradFd(nested(false, false), 'loss', randomInputs({ xs: { shape: [T, K, B, D] }, h0: { shape: [B, D] }, w: { shape: [D, D] }, u: { shape: [D, D] } }, rng), params, rng);
  });

  it('scan vjp: weight gradients are one [T·B]-row matmul after the loop, not carried', () => {
    const g = grad(scanned(false), { of: 'loss', wrt: ['w', 'u'] });
    const scans = g.nodes.filter((n) => n.op === Op.Scan);
    expect(scans.length, 'forward and backward scan').to.equal(2);
    const bwd = scans[1]!;
    expect(bwd.op === Op.Scan && bwd.attrs.numCarry, 'backward carries only the carry cotangent').to.equal(1);
    for (const name of ['grad_w', 'grad_u']) {
      const id = outputNamed(g, name).id;
      const prod = g.nodes.find((n) => n.outputs.includes(id))!;
      expect(prod.op, `${name} comes from`).to.equal(Op.MatMul);
      const rows = g.values[prod.inputs[1]!]!.shape[0];
      expect(typeof rows === 'object' && [...rows.terms.keys()].join(), `${name} rows`).to.equal('B*T');
    }
  });
});
