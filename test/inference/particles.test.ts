/**
 * @file K particles side by side: the phases that read only data (a forward RNN over x, a
 * smoothing guide's backward RNN) run once per sequence and are tiled to the K·B particle rows,
 * so every particle's log-weight must equal the one a K = 1 run of the same graph gives it from
 * its own noise (ragged lengths exercise the masking of the backward phase on B rows). In float64.
 */
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { dimToString } from '../../src/compiler/ir/dim.js';
import { Op } from '../../src/compiler/ir/ops.js';
import { lower } from '../../src/compiler/lower/lower.js';
import { compile, onnxBytes, optimize } from '../../src/compiler/pipeline.js';
import { ImportanceHandler } from '../../src/inference/importance.js';
import { feedsFor } from '../helpers/feeds.js';
import { lossGradientCheck } from '../helpers/loss-gradcheck.js';
import { Rng } from '../helpers/random.js';

const source = `
model smoothed(x_dim = 2, z_dim = 2, d_dim = 3, a_dim = 3, drop = 0.3) {
  observe x[t] : real[x_dim]
  latent  z[t] : real[z_dim]
  state   d[t] : real[d_dim] = zeros
  net fwd = gru(x_dim -> d_dim, dropout = drop)
  net A   = mlp(z_dim + d_dim -> z_dim, act = tanh, dropout = drop)
  net C   = linear(z_dim + d_dim -> x_dim)
  net bwd = gru(d_dim + x_dim -> a_dim)
  net E   = linear(z_dim + a_dim -> z_dim)
  transition d[t] = fwd(d[t-1], x[t-1])
  prior      z[t] ~ Normal(A(z[t-1], d[t]), 0.5)
  emission   x[t] ~ Normal(C(z[t], d[t]), 0.7)
  guide {
    state a[t] : real[a_dim] = zeros
    a[t] = bwd(a[t+1], d[t], x[t])
    z[t] ~ Normal(E(z[t-1], a[t]), 0.6)
  }
}
`;

describe('inference: data-only phases run once per sequence under K particles', function () {
  this.timeout(120_000);
  const c = compile('smoothed.seq', source, { dtype: 'float64', overrides: parseOverrides([]) }).compiled!;
  const [T, B, K, Z] = [7, 2, 3, 2];
  const lengths = [7, 4];
  const rng = new Rng(5);
  const feedsBase: Record<string, ort.Tensor> = {};
  for (const i of c.manifest.graphs.evaluate.inputs) {
    if (i.role === 'param') {
      const n = (i.shape as number[]).reduce((a, b) => a * b, 1);
      feedsBase[i.name] = new ort.Tensor('float64', Float64Array.from({ length: n }, () => 0.6 * rng.normal()), [...(i.shape as number[])]);
    }
  }
  feedsBase['data.x'] = new ort.Tensor('float64', Float64Array.from({ length: T * B * 2 }, () => rng.normal()), [T, B, 2]);
  feedsBase['mask'] = new ort.Tensor('float64', Float64Array.from({ length: T * B }, (_, i) => (Math.floor(i / B) < lengths[i % B]! ? 1 : 0)), [T, B]);
  const noise = Float64Array.from({ length: T * K * B * Z }, () => rng.normal());

  it('the forward and backward data-only scans carry B rows, not K·B', () => {
    const scans = c.evaluate.ir.nodes.filter((n) => n.op === Op.Scan);
    const carryShapes = scans.map((n) => n.inputs.slice(0, (n.attrs as { numCarry: number }).numCarry).map((id) => c.evaluate.ir.values[id]!.shape.map(dimToString).join(',')));
    const perSequence = carryShapes.filter((shapes) => shapes.length > 0 && shapes.every((s) => !s.includes('K')));
    expect(perSequence.length, `carry shapes of the scans: ${JSON.stringify(carryShapes)}`).to.be.at.least(2);
  });

  it('every particle scores as a K = 1 run fed its own noise', async () => {
    const session = await ort.InferenceSession.create(onnxBytes(c.evaluate));
    const all = await session.run({ ...feedsBase, 'noise.z': new ort.Tensor('float64', noise, [T, K, B, Z]) });
    const logw = all['logw']!.data as Float64Array;
    expect(logw.length).to.equal(K * B);
    for (let k = 0; k < K; k++) {
      const mine = new Float64Array(T * B * Z);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let z = 0; z < Z; z++) mine[(t * B + b) * Z + z] = noise[((t * K + k) * B + b) * Z + z]!;
      const one = await session.run({ ...feedsBase, 'noise.z': new ort.Tensor('float64', mine, [T, 1, B, Z]) });
      const w = one['logw']!.data as Float64Array;
      for (let b = 0; b < B; b++) expect(logw[k * B + b], `particle ${k}, sequence ${b}`).to.be.closeTo(w[b]!, 1e-9);
    }
  });

  it('the IWAE-3 training gradient (dropout masks tiled too) passes a random-direction check against central differences', () => {
    const r = new Rng(8);
    const low = lower(new ImportanceHandler(c.program, 3, 'train'), 'float64');
    const obj = optimize(low.graph);
    expect(low.inputs.some((i) => i.role === 'noise' && i.law === 'uniform'), 'the training graph draws dropout masks').to.equal(true);
    const feeds = feedsFor(c, low.inputs, r, T, lengths);
    const params = c.model.params.map((p) => p.name);
    const { ad, fds, err } = lossGradientCheck(obj, feeds, params, r, [1e-5, 1e-6]);
    expect(err, `<grad, v> = ${ad}, central differences = ${fds.join(', ')}`).to.be.lessThan(1e-6);
    expect(Math.abs(ad), 'a gradient that is not trivially zero').to.be.greaterThan(1e-3);
  });
});
