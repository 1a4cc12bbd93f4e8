/**
 * @file Prefix continuation with a particle filter (`seqc sample --prefix D --particles K`)
 * against the Kalman filter. On a linear-Gaussian model whose guide ignores the data (it is the
 * prior: the bootstrap particle filter), the first continued frame of the filtered continuation follows the exact predictive
 * distribution p(x_P | x_0..x_{P-1}), while the guide-only continuation does not; with one
 * particle (which never resamples) the graph is the guide-only continuation exactly.
 */
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { compile, filterArtifact, onnxBytes, type Compiled } from '../../src/compiler/pipeline.js';
import type { InputSpec } from '../../src/inference/handler.js';
import { pickParticles } from '../../src/runtime/sample.js';
import { Rng as RuntimeRng } from '../../src/runtime/rng.js';
import { kalmanPredict, type Lgssm } from '../helpers/kalman.js';
import { Rng } from '../helpers/random.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { examples, smallSizes } from '../helpers/examples.js';

// The guide G(z[t-1]) is a net of its own, set equal to the prior's A: it proposes from the prior, blind to
// the data (the bootstrap proposal), so the guide alone continues as if there were no prefix.
const source = `
model lg(x_dim = 2, z_dim = 2, trans_noise = 0.3, obs_noise = 0.5) {
  observe x[t] : real[x_dim]
  latent  z[t] : real[z_dim]
  net A = linear(z_dim -> z_dim)
  net C = linear(z_dim -> x_dim)
  net G = linear(z_dim -> z_dim)
  prior    z[t] ~ Normal(A(z[t-1]), trans_noise)
  emission x[t] ~ Normal(C(z[t]), obs_noise)
  guide    z[t] ~ Normal(G(z[t-1]), trans_noise)
}
`;
const truth: Lgssm = { Wa: [[0.9, -0.2], [0.15, 0.8]], ba: [0.1, -0.05], Wc: [[1.0, 0.3], [-0.4, 0.8]], bc: [0.0, 0.2], q: 0.3, r: 0.5 };
const f64 = (data: ArrayLike<number>, shape: number[]): ort.Tensor => new ort.Tensor('float64', Float64Array.from(data), shape);

describe('inference: prefix continuation with a particle filter vs the Kalman filter', function () {
  this.timeout(300_000);
  const P = 12, T = P + 1, N = 400, D = 2;
  // A prefix the data-blind guide cannot explain: x held at (1.5, -1) for P steps.
  const prefixFrames = Array.from({ length: P }, () => [1.5, -1]);
  const exact = kalmanPredict(truth, prefixFrames);
  let c: Compiled;
  const params: Record<string, ort.Tensor> = {
    'A.weight': f64(truth.Wa.flat(), [2, 2]), 'A.bias': f64(truth.ba, [2]), 'C.weight': f64(truth.Wc.flat(), [2, 2]), 'C.bias': f64(truth.bc, [2]),
    'G.weight': f64(truth.Wa.flat(), [2, 2]), 'G.bias': f64(truth.ba, [2]),
  };
  before(() => { c = compile('lg.seq', source, { dtype: 'float64', overrides: parseOverrides([]) }).compiled!; });

  /** Feeds for a sample graph: the prefix repeated N times, K particles, fresh noise. */
  function feeds(inputs: readonly InputSpec[], K: number, rng: Rng): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = {};
    for (const i of inputs) {
      if (i.role === 'param') { f[i.name] = params[i.name]!; continue; }
      const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? N : d === 'K' ? K : (d as number)));
      const n = shape.reduce((a, b) => a * b, 1);
      if (i.name === 'prefix.x') f[i.name] = f64(Array.from({ length: n }, (_, k) => { const t = Math.floor(k / (N * D)); return t < P ? prefixFrames[t]![k % D]! : 0; }), shape);
      else if (i.name === 'prefix_mask') f[i.name] = f64(Array.from({ length: n }, (_, k) => (Math.floor(k / N) < P ? 1 : 0)), shape);
      else if (i.law === 'uniform') f[i.name] = f64(Array.from({ length: n }, () => rng.uniform()), shape);
      else f[i.name] = f64(rng.normals(n), shape);
    }
    return f;
  }
  /** Mean and variance per dimension of x at step P over the N continuations ([T, N, D] rows). */
  function moments(x: Float64Array): { mean: number[]; variance: number[] } {
    const at = (n: number, d: number): number => x[(P * N + n) * D + d]!;
    const mean = [0, 1].map((d) => Array.from({ length: N }, (_, n) => at(n, d)).reduce((a, b) => a + b, 0) / N);
    const variance = [0, 1].map((d) => Array.from({ length: N }, (_, n) => (at(n, d) - mean[d]!) ** 2).reduce((a, b) => a + b, 0) / (N - 1));
    return { mean, variance };
  }

  it('filtered continuation: the first continued frame follows the Kalman predictive; the guide-only continuation does not', async () => {
    const K = 256;
    const pf = filterArtifact(c);
    expect(pf.inputs.map((i) => i.name)).to.include.members(['resample.u', 'noise.z.guide']);
    const session = await ort.InferenceSession.create(onnxBytes(pf));
    const out = await session.run(feeds(pf.inputs, K, new Rng(21)));
    const logw = Float32Array.from(out['logw']!.data as Float64Array);
    const chosen = pickParticles(logw, K, N, new RuntimeRng(5));
    const xs = out['sample.x']!.data as Float64Array;
    const x = new Float64Array(T * N * D);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) x[(t * N + n) * D + d] = xs[(t * K * N + chosen[n]! * N + n) * D + d]!;
    // The prefix is returned as given.
    expect(x[((P - 1) * N + 7) * D]).to.equal(1.5);
    const m = moments(x);
    // Measured: filtered (0.886, -0.810), guide-only (0.548, -0.165), Kalman (0.944, -0.810); variances 0.465 / 0.339 vs 0.451 / 0.368.
    for (let d = 0; d < D; d++) {
      const se = Math.sqrt(exact.cov[d]![d]! / N);
      expect(Math.abs(m.mean[d]! - exact.mean[d]!), `dim ${d}: mean ${m.mean[d]} vs Kalman ${exact.mean[d]} (standard error ${se})`).to.be.lessThan(4 * se + 0.03);
      expect(m.variance[d]! / exact.cov[d]![d]!, `dim ${d}: variance ${m.variance[d]} vs Kalman ${exact.cov[d]![d]}`).to.be.within(0.75, 1.3);
    }
    // The guide alone (the default continuation) draws z from the prior over the prefix: its prediction ignores the prefix.
    const guideOnly = await ort.InferenceSession.create(onnxBytes(c.sample));
    const g = moments((await guideOnly.run(feeds(c.sample.inputs, 1, new Rng(22))))['sample.x']!.data as Float64Array);
    const err = (mean: number[]): number => Math.hypot(mean[0]! - exact.mean[0]!, mean[1]! - exact.mean[1]!);
    expect(err(g.mean), `guide-only error ${err(g.mean)} vs filtered ${err(m.mean)}`).to.be.greaterThan(5 * err(m.mean) + 0.3);
  });

  it('filtered continuation: with one particle it is the guide-only continuation, number for number (same noise)', async () => {
    const pf = filterArtifact(c);
    const f = feeds(pf.inputs, 1, new Rng(23));
    const a = await (await ort.InferenceSession.create(onnxBytes(pf))).run(f);
    const b = await (await ort.InferenceSession.create(onnxBytes(c.sample))).run(Object.fromEntries(c.sample.inputs.map((i) => [i.name, i.role === 'param' ? f[i.name]! : f64(f[i.name]!.data as Float64Array, i.shape.map((d) => (d === 'T' ? T : d === 'B' ? N : (d as number))))])));
    expect(Array.from(a['logw']!.data as Float64Array).every(Number.isFinite)).to.equal(true);
    for (const name of ['sample.x', 'sample.z']) expect(Array.from(a[name]!.data as Float64Array)).to.deep.equal(Array.from(b[name]!.data as Float64Array));
  });

  for (const ex of examples()) {
    it(`filtered continuation: ${ex.name} builds and runs with K = 3 (prefix kept, finite weights, K·B rows)`, () => {
      const cc = compile(ex.path, ex.text, { dtype: 'float64', overrides: parseOverrides(smallSizes[ex.name] ?? []) }).compiled!;
      const g = filterArtifact(cc);
      const rng = new Rng(31);
      const [Tt, Bb, K] = [5, 2, 3];
      const feeds: Record<string, Tensor> = {};
      for (const i of g.inputs) {
        const shape = i.shape.map((d) => (d === 'T' ? Tt : d === 'B' ? Bb : d === 'K' ? K : (d as number)));
        const n = shape.reduce((a, b) => a * b, 1);
        const v = cc.manifest.variables.find((x) => i.name === `prefix.${x.name}` || i.name === `data.${x.name}`);
        feeds[i.name] = tensor(shape, i.role === 'mask' ? Array.from({ length: n }, (_, k) => (Math.floor(k / Bb) < 3 ? 1 : 0))
          : v && v.elem !== 'real' ? Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0))
          : i.law === 'uniform' ? Array.from({ length: n }, () => rng.uniform())
          : i.law === 'gumbel' ? Array.from({ length: n }, () => -Math.log(-Math.log(rng.uniform() + 1e-12)))
          : Array.from(rng.normals(n), (x) => (i.role === 'param' ? 0.3 * x : x)));
      }
      const out = evaluate(g.ir, feeds);
      expect(Array.from(out['logw']!.data).every(Number.isFinite), 'finite log-weights').to.equal(true);
      for (const v of cc.manifest.variables.filter((x) => x.role === 'observe')) {
        const got = out[`sample.${v.name}`]!;
        expect(got.shape).to.deep.equal([Tt, K * Bb, v.width]);
        // Over the prefix (3 steps) every particle holds the given observation.
        const given = feeds[`prefix.${v.name}`]!.data;
        for (let t = 0; t < 3; t++) for (let k = 0; k < K; k++) for (let b = 0; b < Bb; b++) for (let w = 0; w < v.width; w++) {
          expect(got.data[((t * K + k) * Bb + b) * v.width + w]).to.equal(given[(t * Bb + b) * v.width + w]);
        }
      }
    });
  }
});
