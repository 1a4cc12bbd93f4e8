/**
 * @file Exact enumeration of discrete latents against closed forms: the HMM's log-likelihood
 * against an independent forward-algorithm oracle written from the model's equations, and both
 * the HMM and the switching model against brute-force enumeration of every path on tiny T; the
 * bound is the same for every K when nothing is sampled.
 */
import { expect } from 'chai';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { compile, type Compiled } from '../../src/compiler/pipeline.js';
import { lower as lowerProgram } from '../../src/compiler/lower/lower.js';
import { ImportanceHandler } from '../../src/inference/importance.js';
import { renderDiagnostic } from '../../src/compiler/diagnostics.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples, smallSizes } from '../helpers/examples.js';
import { oracleEnumerated } from '../helpers/model-oracle.js';
import { Rng } from '../helpers/random.js';

const load = (name: string, sets = smallSizes[name]!): Compiled => {
  const ex = examples().find((e) => e.name === name)!;
  return compile(ex.path, ex.text, { dtype: 'float64', overrides: parseOverrides(sets) }).compiled!;
};

/** Random feeds for an evaluation graph: params ~ 0.5·N(0,1), data N(0,1), masks from lengths. */
function feedsFor(c: Compiled, T: number, lengths: readonly number[], K: number, rng: Rng): Record<string, Tensor> {
  const B = lengths.length;
  const out: Record<string, Tensor> = {};
  for (const i of c.evaluate.inputs) {
    const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : d === 'K' ? K : (d as number)));
    const n = shape.reduce((a, b) => a * b, 1);
    out[i.name] = tensor(shape, i.role === 'mask'
      ? Array.from({ length: n }, (_, k) => (Math.floor(k / B) < lengths[k % B]! ? 1 : 0))
      : Array.from(rng.normals(n), (v) => (i.role === 'param' ? 0.5 * v : v)));
  }
  return out;
}

const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const lse = (xs: readonly number[]): number => { const m = Math.max(...xs); return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0)); };

/**
 * The forward algorithm for examples/hmm.seq from its equations: p(s_0) = softmax(b),
 * p(s_t | s_{t-1} = i) = softmax(W[i] + b), x_t | s_t = k ~ N(Wμ[k] + bμ, softplus(Wσ[k] + bσ) + 1e-4).
 */
function forwardAlgorithm(p: Record<string, Tensor>, x: (t: number, j: number) => number, L: number, K: number, D: number): number {
  const W = p['trans.weight']!.data, bias = p['trans.bias']!.data;
  const mu = p['emission.x.loc.weight']!.data, bmu = p['emission.x.loc.bias']!.data;
  const sg = p['emission.x.scale.weight']!.data, bsg = p['emission.x.scale.bias']!.data;
  const emit = (t: number, k: number): number => {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const m = mu[k * D + j]! + bmu[j]!, sd = softplus(sg[k * D + j]! + bsg[j]!) + 1e-4;
      s += -0.5 * ((x(t, j) - m) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI);
    }
    return s;
  };
  const logp = (logits: number[]): number[] => { const z = lse(logits); return logits.map((l) => l - z); };
  let alpha = logp(Array.from(bias)).map((lp, k) => lp + emit(0, k));
  for (let t = 1; t < L; t++) {
    alpha = Array.from({ length: K }, (_, k) => lse(alpha.map((a, i) => a + logp(Array.from({ length: K }, (_, kk) => W[i * K + kk]! + bias[kk]!))[k]!)) + emit(t, k));
  }
  return lse(alpha);
}

describe('inference: discrete latents summed out exactly', function () {
  this.timeout(120_000);

  it('enumeration: the HMM log-likelihood equals the forward algorithm (1e-9), with padding, and is exact', () => {
    const c = load('hmm', ['x_dim=3', 'k=4']);
    expect(c.manifest.exact).to.equal(true);
    expect(c.evaluate.inputs.some((i) => i.role === 'noise'), 'nothing is sampled').to.equal(false);
    const T = 30, lengths = [30, 17, 1];
    const f = feedsFor(c, T, lengths, 1, new Rng(11));
    const r = evaluate(c.evaluate.ir, f);
    const x = f['data.x']!.data;
    const want = lengths.map((L, b) => forwardAlgorithm(f, (t, j) => x[(t * lengths.length + b) * 3 + j]!, L, 4, 3));
    assertAllClose(r['iwae']!.data, want, 'log p(x)', { rtol: 1e-9, atol: 1e-9 });
    assertAllClose(r['elbo']!.data, want, 'elbo (exact: nothing sampled)', { rtol: 1e-9, atol: 1e-9 });
    assertAllClose(evaluate(c.evaluateFivo.ir, { ...f, 'resample.u': tensor([T, 3], new Float64Array(T * 3).fill(0.5)) })['fivo']!.data, want, 'fivo (exact)', { rtol: 1e-9, atol: 1e-9 });
  });

  for (const name of ['hmm', 'switching']) {
    it(`enumeration: ${name} equals brute-force enumeration of every path on T = 4`, () => {
      const c = load(name);
      const T = 4, lengths = [4, 3];
      for (const K of [1, 3]) {
        const f = feedsFor(c, T, lengths, K, new Rng(5 + K));
        const r = evaluate(c.evaluate.ir, f);
        const logw = r['logw']!.data;
        // Particle k of sequence b uses noise row k·B + b: brute force each particle separately.
        for (let k = 0; k < K; k++) {
          const one: Record<string, { shape: number[]; data: Float64Array }> = {};
          for (const [n, t] of Object.entries(f)) {
            if (!n.startsWith('noise.')) { one[n] = { shape: [...t.shape], data: t.data }; continue; }
            const w = t.shape[3]!, B = lengths.length;
            const d = new Float64Array(T * B * w);
            for (let s = 0; s < T; s++) d.set(t.data.subarray(((s * K + k) * B) * w, ((s * K + k) * B + B) * w), s * B * w);
            one[n] = { shape: [T, B, w], data: d };
          }
          const want = oracleEnumerated(c.model, one);
          assertAllClose(Array.from(lengths, (_, b) => logw[k * lengths.length + b]!), want, `${name} log-weight of particle ${k}`, { rtol: 1e-9, atol: 1e-9 });
        }
      }
    });
  }

  it('enumeration: an HMM over bits with a NADE emission (biases from the state, shared weights) equals brute force on T = 4', () => {
    const text = [
      'model hmm_nade(x_dim = 4, k = 3, nade_dim = 2) {',
      '  observe x[t] : binary[x_dim]',
      '  latent  s[t] : cat[k]',
      '  net trans = linear(k -> k)',
      '  prior    s[t] ~ Categorical(trans(s[t-1]))',
      '  emission x[t] ~ NADE.head(concat(s[t], x[t-1]), x_dim, hidden = nade_dim)',
      '}',
    ].join('\n');
    const r0 = compile('hmm_nade.seq', text, { dtype: 'float64' });
    expect(r0.diagnostics.map((d) => d.message)).to.deep.equal([]);
    const c = r0.compiled!;
    const T = 4, lengths = [4, 3];
    const f = feedsFor(c, T, lengths, 1, new Rng(21));
    f['data.x'] = tensor(f['data.x']!.shape, f['data.x']!.data.map((v) => (v > 0 ? 1 : 0)));
    const got = evaluate(c.evaluate.ir, f)['iwae']!.data;
    const want = oracleEnumerated(c.model, Object.fromEntries(Object.entries(f).map(([n, t]) => [n, { shape: [...t.shape], data: t.data }])));
    assertAllClose(got, want, 'log p(x) of the NADE HMM', { rtol: 1e-9, atol: 1e-9 });
  });

  it('enumeration: with dropout in the training graph (nets reading the summed-out mode), the exact ELBO equals brute force with the same masks', () => {
    const text = [
      'model hmm_drop(x_dim = 3, k = 3, h = 4) {',
      '  observe x[t] : real[x_dim]',
      '  latent  s[t] : cat[k]',
      '  net trans = linear(k -> k, dropout = 0.4)',
      '  net emit  = mlp(k + x_dim -> h, hidden = [5], act = tanh, dropout = 0.4)',
      '  prior    s[t] ~ Categorical(trans(s[t-1]))',
      '  emission x[t] ~ Normal.head(emit(s[t], x[t-1]), x_dim)',
      '}',
    ].join('\n');
    const r0 = compile('hmm_drop.seq', text, { dtype: 'float64' });
    expect(r0.diagnostics.map((d) => d.message)).to.deep.equal([]);
    const c = r0.compiled!;
    const T = 4, lengths = [4, 3], B = 2;
    const lo = lowerProgram(new ImportanceHandler(c.program, 1, 'train'), 'float64');
    const drops = lo.inputs.filter((i) => i.name.startsWith('dropout.')).map((i) => i.name);
    expect(drops.sort()).to.deep.equal(['dropout.emit.0.0', 'dropout.emit.0.1', 'dropout.trans.0.0']);
    const rng = new Rng(8);
    const f = feedsFor(c, T, lengths, 1, rng);
    for (const i of lo.inputs) {
      if (i.role === 'beta') f[i.name] = tensor([], [1]);
      if (i.role !== 'noise') continue;
      const w = i.shape[2] as number;
      f[i.name] = tensor([T, B, w], Array.from({ length: T * B * w }, () => rng.uniform()));
    }
    const got = evaluate(lo.graph, f)['elbo']!.data;
    const asOracle = (g: Record<string, Tensor>) => Object.fromEntries(Object.entries(g).map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]));
    assertAllClose(got, oracleEnumerated(c.model, asOracle(f)), 'log p(x) with dropout masks', { rtol: 1e-9, atol: 1e-9 });
    // and the masks matter: without them (evaluation) the value differs
    const whole = oracleEnumerated(c.model, asOracle(Object.fromEntries(Object.entries(f).filter(([n]) => !n.startsWith('dropout.')))));
    for (let b = 0; b < B; b++) expect(Math.abs(got[b]! - whole[b]!)).to.be.greaterThan(1e-6);
  });

  it('enumeration: the checker refuses what the forward algorithm cannot sum out', () => {
    const base = (body: string): string => `model m(k = 3) {\n  observe x[t] : real[2]\n  latent s[t] : cat[k]\n  state h[t] : real[4] = zeros\n${body}\n}\n`;
    const cases: [string, RegExp][] = [
      ['  prior s[t] ~ Categorical(s[t-1])\n  transition h[t] = tanh(concat(s[t], h[t-1][0:1]))\n  emission x[t] ~ Normal.head(h[t], 2)', /E0411.*the transition of h\[t\] reads the discrete latent `s`/],
      ['  prior s[t] ~ Categorical(s[t-1])\n  transition h[t] = tanh(h[t-1])\n  emission x[t] ~ Normal.head(concat(s[t-1], h[t]), 2)', /E0411.*reads `s\[t-1\]`/],
      ['  prior s[t] ~ Categorical(s[t-1])\n  transition h[t] = tanh(h[t-1])\n  emission x[t] ~ Normal.head(s[t], 2)\n  guide s[t] ~ Categorical(s[t-1])', /E0411.*has no guide/],
      ['  latent r[t] : cat[2]\n  prior s[t] ~ Categorical(s[t-1])\n  prior r[t] ~ Categorical(r[t-1])\n  transition h[t] = tanh(h[t-1])\n  emission x[t] ~ Normal.head(concat(s[t], r[t]), 2)', /E0411.*one discrete latent/],
      ['  prior s[t] ~ Normal(0, 1)\n  transition h[t] = tanh(h[t-1])\n  emission x[t] ~ Normal.head(s[t], 2)', /E0308[^\n]*Normal cannot be used here[\s\S]*use Categorical/],
    ];
    for (const [body, re] of cases) {
      const r = checkSource('m.seq', base(body));
      const text = r.diagnostics.map((d) => renderDiagnostic(r.source, d)).join('\n');
      expect(text, body).to.match(re);
    }
  });
});
