/**
 * @file Inference against a closed form: on the linear-Gaussian state-space model of
 * examples/lgssm.seq with known A, C and noise, the ELBO stays below the exact Kalman-filter
 * log-likelihood, and the importance-weighted estimate rises with K and approaches it.
 */
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { compile, onnxBytes, type Compiled } from '../../src/compiler/pipeline.js';
import { repoRoot } from '../helpers/examples.js';
import { kalmanLogLik, type Lgssm } from '../helpers/kalman.js';
import { Rng } from '../helpers/random.js';

const truth: Lgssm = {
  Wa: [[0.9, -0.2], [0.15, 0.8]], ba: [0.1, -0.05],
  Wc: [[1.0, 0.3], [-0.4, 0.8]], bc: [0.0, 0.2],
  q: 0.3, r: 0.5,
};
const N = 24;
const T = 8;

type Feeds = Record<string, ort.Tensor>;
const f64 = (data: ArrayLike<number>, shape: number[]): ort.Tensor => new ort.Tensor('float64', Float64Array.from(data), shape);

/** logsumexp(v) - log K over groups of K values laid out as v[k*N + b]. */
function iwae(logw: Float64Array, K: number, n: number): number[] {
  return Array.from({ length: n }, (_, b) => {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, logw[k * n + b]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logw[k * n + b]! - m);
    return m + Math.log(s) - Math.log(K);
  });
}

describe('inference: linear-Gaussian state-space model vs the Kalman filter', function () {
  this.timeout(120_000);
  let c: Compiled;
  let params: Record<string, Float64Array>;
  let xs: number[][][];
  let evalSess: ort.InferenceSession;
  const rng = new Rng(2024);

  before(async () => {
    const text = readFileSync(join(repoRoot, 'examples/lgssm.seq'), 'utf8');
    c = compile('examples/lgssm.seq', text, { dtype: 'float64', overrides: parseOverrides(['g_dim=8']) }).compiled!;
    params = {};
    for (const p of c.model.params) {
      const n = p.shape.reduce((a, b) => a * b, 1);
      params[p.name] = Float64Array.from({ length: n }, () => 0.2 * rng.normal());
    }
    params['A.weight'] = Float64Array.from(truth.Wa.flat());
    params['A.bias'] = Float64Array.from(truth.ba);
    params['C.weight'] = Float64Array.from(truth.Wc.flat());
    params['C.bias'] = Float64Array.from(truth.bc);
    // Data drawn from the model by the compiled sampler.
    const sample = await ort.InferenceSession.create(onnxBytes(c.sample));
    const sf: Feeds = {};
    for (const p of c.model.params) sf[p.name] = f64(params[p.name]!, [...p.shape]);
    for (const i of c.sample.inputs.filter((x) => x.role === 'noise')) sf[i.name] = f64(rng.normals(T * N * 2), [T, N, 2]);
    sf['prefix.x'] = f64(new Float64Array(T * N * 2), [T, N, 2]);
    sf['prefix_mask'] = f64(new Float64Array(T * N), [T, N]);
    const out = await sample.run(sf);
    const x = out['sample.x']!.data as Float64Array;
    xs = Array.from({ length: N }, (_, b) => Array.from({ length: T }, (_, t) => [x[(t * N + b) * 2]!, x[(t * N + b) * 2 + 1]!]));
    // Fit the guide with A and C held at the truth.
    const train = await ort.InferenceSession.create(onnxBytes(c.train));
    const state: Record<string, Float64Array> = {};
    for (const s of c.manifest.optimizer.state) state[s.name] = new Float64Array(params[s.param]!.length);
    const data = f64(Float64Array.from({ length: T * N * 2 }, (_, k) => xs[Math.floor(k / 2) % N]![Math.floor(k / (2 * N))]![k % 2]!), [T, N, 2]);
    for (let step = 1; step <= 150; step++) {
      const feeds: Feeds = { 'data.x': data, mask: f64(new Array(T * N).fill(1), [T, N]), 'noise.z': f64(rng.normals(T * N * 2), [T, N, 2]),
        beta: f64([1], []), lr: f64([0.02], []), clip_norm: f64([10], []), weight_decay: f64([0], []), step: f64([step], []) };
      for (const p of c.model.params) feeds[p.name] = f64(params[p.name]!, [...p.shape]);
      for (const s of c.manifest.optimizer.state) feeds[s.name] = f64(state[s.name]!, [...c.model.params.find((p) => p.name === s.param)!.shape]);
      const r = await train.run(feeds);
      for (const u of c.manifest.optimizer.updates) {
        const v = r[u.output]!.data as Float64Array;
        if (u.input in params && !/^[AC]\./.test(u.input)) params[u.input] = Float64Array.from(v);
        else if (u.input in state) state[u.input] = Float64Array.from(v);
      }
    }
    evalSess = await ort.InferenceSession.create(onnxBytes(c.evaluate));
  });

  /** Runs evaluate with K particles per sequence; returns per-sequence mean ELBO and IWAE-K, and the graph's own IWAE. */
  async function estimate(K: number): Promise<{ elbo: number[]; iw: number[] }> {
    const feeds: Feeds = {
      'data.x': f64(Float64Array.from({ length: T * N * 2 }, (_, k) => xs[Math.floor(k / 2) % N]![Math.floor(k / (2 * N))]![k % 2]!), [T, N, 2]),
      mask: f64(new Array(T * N).fill(1), [T, N]), 'noise.z': f64(rng.normals(T * K * N * 2), [T, K, N, 2]),
    };
    for (const p of c.model.params) feeds[p.name] = f64(params[p.name]!, [...p.shape]);
    const r = await evalSess.run(feeds);
    const iw = Array.from(r['iwae']!.data as Float64Array);
    // The graph's log-mean-exp agrees with one formed here from its per-particle log-weights.
    const mine = iwae(r['logw']!.data as Float64Array, K, N);
    mine.forEach((v, b) => expect(v).to.be.closeTo(iw[b]!, 1e-9));
    return { elbo: Array.from(r['elbo']!.data as Float64Array), iw };
  }

  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

  /** Mean over sequences and `reps` independent draws, with its standard error. */
  async function repeated(K: number, reps: number, pick: 'elbo' | 'iw'): Promise<{ mean: number; se: number }> {
    const per: number[] = [];
    for (let r = 0; r < reps; r++) per.push(mean((await estimate(K))[pick]));
    const m = mean(per);
    const sd = Math.sqrt(per.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(1, per.length - 1));
    return { mean: m, se: sd / Math.sqrt(per.length) };
  }

  it('lgssm: the ELBO stays below the exact log-likelihood', async () => {
    const exact = mean(xs.map((x) => kalmanLogLik(truth, x)));
    const e = await repeated(50, 4, 'elbo');
    expect(e.mean + 3 * e.se, `ELBO ${e.mean} ± ${e.se} vs Kalman ${exact}`).to.be.lessThan(exact);
  });

  it('lgssm: the IWAE estimate rises with K and comes within 0.05 nats of the Kalman log-likelihood', async () => {
    const exact = mean(xs.map((x) => kalmanLogLik(truth, x)));
    const runs: [number, number][] = [[1, 40], [10, 20], [100, 8], [1000, 4]];
    const est: { mean: number; se: number }[] = [];
    for (const [K, reps] of runs) est.push(await repeated(K, reps, 'iw'));
    if (process.env['SEQ_DEBUG']) console.log('kalman', exact, est);
    for (let i = 1; i < runs.length; i++) {
      const tol = 3 * Math.hypot(est[i]!.se, est[i - 1]!.se);
      expect(est[i]!.mean, `IWAE-${runs[i]![0]} = ${est[i]!.mean} fell below IWAE-${runs[i - 1]![0]} = ${est[i - 1]!.mean}`).to.be.greaterThan(est[i - 1]!.mean - tol);
    }
    expect(est[3]!.mean - est[0]!.mean, 'K = 1000 must tighten the bound').to.be.greaterThan(3 * Math.hypot(est[3]!.se, est[0]!.se));
    expect(Math.abs(exact - est[3]!.mean), `IWAE-1000 ${est[3]!.mean} vs Kalman ${exact}`).to.be.lessThan(0.05);
  });
});
