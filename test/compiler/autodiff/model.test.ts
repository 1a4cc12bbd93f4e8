/** @file Whole-graph random-direction check: <u, J v> = <Jᵀ u, v> on an LSTM with a Normal log-density loss. */
import { grad } from '../../../src/compiler/autodiff/backward.js';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import type { Graph, Value } from '../../../src/compiler/ir/graph.js';
import { tensor, type Tensor } from '../../../src/compiler/ir/tensor.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { directionalDifference, dot } from '../../helpers/gradcheck.js';
import { Rng } from '../../helpers/random.js';
import { randomInputs } from './check.js';

const [X, H] = [3, 4];
const paramSpecs = { wx: { shape: [X, 4 * H] }, wh: { shape: [H, 4 * H] }, bias: { shape: [4 * H] }, wo: { shape: [H, 2 * X] } };

/** An LSTM over x[t-1] predicting x[t] by a Normal with a softplus scale; loss = -Σ mask · log p. */
function lstmModel(): Graph {
  const b = new GraphBuilder();
  const xs = b.input('xs', 'float64', ['T', 'B', X]);
  const mask = b.input('mask', 'float64', ['T', 'B']);
  const ps = Object.fromEntries(Object.entries(paramSpecs).map(([k, s]) => [k, b.input(k, 'float64', s.shape)])) as Record<string, Value>;
  const prev = b.concat([b.full([1, 'B', X], 0), b.slice(xs, 0, 0, -1)], 0); // x[t-1], x[-1] = 0
  const zeros = b.full(['B', H], 0);
  const r = b.scan({ carries: [zeros, zeros], scanned: [xs, prev, mask], invariants: [ps.wx!, ps.wh!, ps.bias!, ps.wo!] }, (s, p) => {
    const [h, c] = p.carries as [Value, Value];
    const [x, xp, m] = p.slices as [Value, Value, Value];
    const [wx, wh, bias, wo] = p.invariants as [Value, Value, Value, Value];
    const head = s.matmul(h, wo);
    const loc = s.slice(head, 1, 0, X), scale = s.add(s.softplus(s.slice(head, 1, X, null)), s.constant(0.1));
    const z = s.div(s.sub(x, loc), scale);
    const logp = s.neg(s.add(s.add(s.mul(s.constant(0.5), s.square(z)), s.log(scale)), s.constant(0.5 * Math.log(2 * Math.PI))));
    const gates = s.add(s.add(s.matmul(xp, wx), s.matmul(h, wh)), bias);
    const gate = (k: number): Value => s.slice(gates, 1, k * H, (k + 1) * H);
    const cn = s.add(s.mul(s.sigmoid(gate(1)), c), s.mul(s.sigmoid(gate(0)), s.tanh(gate(2))));
    const hn = s.mul(s.sigmoid(gate(3)), s.tanh(cn));
    return { carries: [hn, cn], outputs: [s.mul(s.reduceSum(logp, [1]), m)] };
  });
  b.output('loss', b.neg(b.reduceSum(r.outputs[0]!, [0, 1])));
  return b.build();
}

describe('whole-graph gradients', () => {
  it('grad: LSTM with Normal log-density passes the random-direction check <u, Jv> = <Jᵀu, v>', () => {
    const g = lstmModel();
    const names = Object.keys(paramSpecs);
    const gg = grad(g, { of: 'loss', wrt: [...names, 'xs'], seed: 'input' });
    assertValid(gg, 'LSTM gradient graph');
    for (const seed of [1, 2]) {
      const rng = new Rng(seed);
      const ins: Record<string, Tensor> = { ...randomInputs({ xs: { shape: [4, 2, X] }, ...paramSpecs }, rng), mask: tensor([4, 2], [1, 1, 1, 1, 1, 0, 1, 0]) };
      for (const k of names) ins[k] = tensor(ins[k]!.shape, ins[k]!.data.map((v) => 0.5 * v));
      const wrt = [...names, 'xs'];
      const sizes = wrt.map((k) => ins[k]!.data.length);
      const flat = Float64Array.from(wrt.flatMap((k) => [...ins[k]!.data]));
      const v = rng.normals(flat.length), u = rng.normal();
      const f = (x: Float64Array): number => {
        let o = 0;
        const moved = { ...ins };
        wrt.forEach((k, i) => { moved[k] = tensor(ins[k]!.shape, x.subarray(o, o + sizes[i]!)); o += sizes[i]!; });
        return u * evaluate(g, moved).loss!.data[0]!;
      };
      const res = evaluate(gg, { ...ins, ct_loss: tensor([], [u]) });
      const jtu = Float64Array.from(wrt.flatMap((k) => [...res[`grad_${k}`]!.data]));
      assertAllClose([dot(jtu, v)], [directionalDifference(f, flat, v)], `<Jᵀu, v> vs <u, Jv> (seed ${seed})`, { rtol: 1e-6, atol: 1e-8 });
    }
  });
});
