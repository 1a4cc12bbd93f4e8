/**
 * @file Distributions against references: known constants, densities that integrate to one,
 * special cases that reduce to simpler families, analytic KL against Monte Carlo KL, and
 * generation samples whose moments match the distribution.
 */
import { expect } from 'chai';
import type { Family } from '../../src/compiler/checked.js';
import { GraphBuilder } from '../../src/compiler/ir/builder.js';
import { evaluate, tensor } from '../../src/compiler/ir/index.js';
import { entropy, klNormal, logProb, rsample, sampleFor, type DistCtx, type DistValues } from '../../src/inference/distributions.js';
import { grad } from '../../src/compiler/autodiff/backward.js';
import { assertAllClose } from '../helpers/allclose.js';
import { centralDifference } from '../helpers/gradcheck.js';
import { oracleLogProb } from '../helpers/model-oracle.js';
import { Rng } from '../helpers/random.js';

/** Evaluates log p(x) for rows of x [N, n] under fixed parameters (each [N, ·]). */
function logProbs(family: Family, params: Record<string, number[][]>, xs: number[][], components: number | null = null): Float64Array {
  const b = new GraphBuilder();
  const N = xs.length;
  const n = xs[0]!.length;
  const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
  const feeds: Record<string, ReturnType<typeof tensor>> = {};
  const pv: Record<string, ReturnType<GraphBuilder['input']>> = {};
  for (const [k, rows] of Object.entries(params)) {
    pv[k] = b.input(k, 'float64', ['B', rows[0]!.length]);
    feeds[k] = tensor([N, rows[0]!.length], rows.flat());
  }
  const x = b.input('x', 'float64', ['B', n]);
  feeds['x'] = tensor([N, n], xs.flat());
  const d: DistValues = { family, params: pv, components, width: n };
  b.output('lp', logProb(ctx, d, x));
  return evaluate(b.build(), feeds)['lp']!.data;
}

const rep = <T>(v: T, n: number): T[] => Array.from({ length: n }, () => v);
const LOG2PI = Math.log(2 * Math.PI);

describe('inference: distributions', () => {
  it('distributions: Normal, Laplace and Bernoulli log-densities equal known values', () => {
    expect(logProbs('Normal', { loc: [[0]], scale: [[1]] }, [[0]])[0]).to.be.closeTo(-0.5 * LOG2PI, 1e-14);
    expect(logProbs('Normal', { loc: [[1, -1]], scale: [[2, 0.5]] }, [[3, -1]])[0]).to.be.closeTo(-0.5 - Math.log(2) - LOG2PI - Math.log(0.5), 1e-13);
    expect(logProbs('Laplace', { loc: [[0]], scale: [[1]] }, [[0]])[0]).to.be.closeTo(-Math.log(2), 1e-14);
    expect(logProbs('Laplace', { loc: [[1]], scale: [[2]] }, [[4]])[0]).to.be.closeTo(-1.5 - Math.log(4), 1e-14);
    expect(logProbs('Bernoulli', { logits: [[0, 2]] }, [[1, 0]])[0]).to.be.closeTo(Math.log(0.5) + Math.log(1 - 1 / (1 + Math.exp(-2))), 1e-14);
    expect(logProbs('Bernoulli', { logits: [[-800]] }, [[0]])[0]).to.be.closeTo(0, 1e-14);
  });

  it('distributions: a mixture of identical components is that component; rho = 0 factorizes the bivariate', () => {
    const x = [[0.3, -1.2]];
    const normal = logProbs('Normal', { loc: [[0.5, -1]], scale: [[0.7, 1.3]] }, x)[0]!;
    const mix = logProbs('MixtureNormal', { logits: [[0.2, -1.0, 3.0]], locs: [rep([0.5, -1], 3).flat()], scales: [rep([0.7, 1.3], 3).flat()] }, x, 3)[0]!;
    expect(mix).to.be.closeTo(normal, 1e-12);
    const biv = logProbs('BivariateNormalMixture', { logits: [[0.0]], locs: [[0.5, -1]], scales: [[0.7, 1.3]], corr: [[0]] }, x, 1)[0]!;
    expect(biv).to.be.closeTo(normal, 1e-12);
  });

  it('distributions: the correlated bivariate density equals the 2x2-covariance Gaussian formula', () => {
    const [m1, m2, s1, s2, rho] = [0.2, -0.4, 0.8, 1.5, 0.6];
    const [x1, x2] = [1.0, 0.3];
    const cov = [[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]];
    const det = cov[0]![0]! * cov[1]![1]! - cov[0]![1]! * cov[1]![0]!;
    const d = [x1 - m1, x2 - m2];
    const quad = (d[0]! * d[0]! * cov[1]![1]! - 2 * d[0]! * d[1]! * cov[0]![1]! + d[1]! * d[1]! * cov[0]![0]!) / det;
    const ref = -0.5 * quad - 0.5 * Math.log(det) - LOG2PI;
    expect(logProbs('BivariateNormalMixture', { logits: [[1.7]], locs: [[m1, m2]], scales: [[s1, s2]], corr: [[rho]] }, [[x1, x2]], 1)[0]).to.be.closeTo(ref, 1e-12);
  });

  it('distributions: mixture densities integrate to 1 (1-d and 2-d grids)', () => {
    const grid1 = Array.from({ length: 4001 }, (_, i) => [-10 + i * 0.005]);
    const lp1 = logProbs('MixtureNormal', { logits: rep([0.3, -0.2], grid1.length), locs: rep([-1, 2], grid1.length), scales: rep([0.5, 1.2], grid1.length) }, grid1, 2);
    expect(lp1.reduce((s, v) => s + Math.exp(v), 0) * 0.005).to.be.closeTo(1, 1e-6);
    const h = 0.05;
    const grid2: number[][] = [];
    for (let i = 0; i < 240; i++) for (let j = 0; j < 240; j++) grid2.push([-6 + i * h, -6 + j * h]);
    const lp2 = logProbs('BivariateNormalMixture', { logits: rep([0.5, -0.5], grid2.length), locs: rep([-1, 0.5, 1, -0.5], grid2.length), scales: rep([0.6, 0.9, 0.8, 0.5], grid2.length), corr: rep([0.7, -0.4], grid2.length) }, grid2, 2);
    expect(lp2.reduce((s, v) => s + Math.exp(v), 0) * h * h).to.be.closeTo(1, 1e-3);
  });

  it('distributions: closed-form entropies equal -∫ p log p by quadrature (Normal, Laplace) and the Bernoulli formula', () => {
    const ent = (family: Family, params: Record<string, number[]>): number => {
      const b = new GraphBuilder();
      const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
      const pv = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, b.expand(b.constant(v, [1, v.length]), ['B', v.length])]));
      const x = b.input('x', 'float64', ['B', 1]);
      b.output('h', entropy(ctx, { family, params: pv, components: null, width: params[Object.keys(params)[0]!]!.length })!);
      b.output('unused', b.reduceSum(x, [1], false));
      return evaluate(b.build(), { x: tensor([1, 1], [0]) })['h']!.data[0]!;
    };
    const quad = (family: Family, params: Record<string, number[][]>): number => {
      const h = 0.001;
      const grid = Array.from({ length: 40001 }, (_, i) => [-20 + i * h]);
      const lp = logProbs(family, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, rep(v[0]!, grid.length)])), grid);
      return -lp.reduce((s, v) => s + Math.exp(v) * v, 0) * h;
    };
    expect(ent('Normal', { loc: [0.3], scale: [1.7] })).to.be.closeTo(quad('Normal', { loc: [[0.3]], scale: [[1.7]] }), 1e-6);
    expect(ent('Laplace', { loc: [-1], scale: [0.6] })).to.be.closeTo(quad('Laplace', { loc: [[-1]], scale: [[0.6]] }), 1e-4);
    const p = 1 / (1 + Math.exp(-1.3));
    expect(ent('Bernoulli', { logits: [1.3] })).to.be.closeTo(-(p * Math.log(p) + (1 - p) * Math.log(1 - p)), 1e-14);
  });

  it('distributions: analytic Normal KL equals the Monte Carlo KL within 3 standard errors', () => {
    const N = 20000;
    const rng = new Rng(3);
    const b = new GraphBuilder();
    const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
    const c = (v: number[]) => b.constant(v, [v.length]);
    const q: DistValues = { family: 'Normal', params: { loc: c([0.3, -1, 2]), scale: c([0.5, 1.5, 0.8]) }, components: null, width: 3 };
    const p: DistValues = { family: 'Normal', params: { loc: c([0, 0.5, 1.5]), scale: c([1, 1, 2]) }, components: null, width: 3 };
    const eps = b.input('eps', 'float64', ['B', 3]);
    const z = rsample(ctx, q, eps);
    b.output('mc', b.sub(logProb(ctx, q, z), logProb(ctx, p, z)));
    b.output('kl', b.expand(klNormal(ctx, q, p), ['B']));
    const r = evaluate(b.build(), { eps: tensor([N, 3], rng.normals(N * 3)) });
    const mc = r['mc']!.data;
    const m = mc.reduce((s, v) => s + v, 0) / N;
    const se = Math.sqrt(mc.reduce((s, v) => s + (v - m) ** 2, 0) / (N - 1) / N);
    expect(Math.abs(m - r['kl']!.data[0]!), `MC ${m} ± ${se}, analytic ${r['kl']!.data[0]}`).to.be.lessThan(3 * se);
  });

  it('distributions: generation samples have the right moments (Bernoulli, mixture, correlated pair)', () => {
    const N = 40000;
    const rng = new Rng(11);
    const b = new GraphBuilder();
    const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
    const c = (v: number[]) => b.constant(v, [v.length]);
    const u = b.input('u', 'float64', ['B', 1]);
    const eps2 = b.input('eps2', 'float64', ['B', 2]);
    const g = b.input('g', 'float64', ['B', 2]);
    b.output('bern', sampleFor(ctx, { family: 'Bernoulli', params: { logits: c([0.8]) }, components: null, width: 1 }, { u }));
    b.output('biv', sampleFor(ctx, { family: 'BivariateNormalMixture', params: { logits: c([Math.log(0.25), Math.log(0.75)]), locs: c([-2, 0, 2, 1]), scales: c([0.5, 0.5, 1, 2]), corr: c([0, 0.8]) }, components: 2, width: 2 }, { eps: eps2, gumbel: g }));
    const gum = Float64Array.from({ length: N * 2 }, () => -Math.log(-Math.log(rng.uniform() + 1e-300)));
    const r = evaluate(b.build(), { u: tensor([N, 1], Float64Array.from({ length: N }, () => rng.uniform())), eps2: tensor([N, 2], rng.normals(2 * N)), g: tensor([N, 2], gum) });
    const bern = r['bern']!.data.reduce((s, v) => s + v, 0) / N;
    expect(bern).to.be.closeTo(1 / (1 + Math.exp(-0.8)), 0.01);
    const biv = r['biv']!.data;
    const mean = [0, 1].map((j) => Array.from({ length: N }, (_, i) => biv[2 * i + j]!).reduce((s, v) => s + v, 0) / N);
    expect(mean[0]).to.be.closeTo(0.25 * -2 + 0.75 * 2, 0.03);
    expect(mean[1]).to.be.closeTo(0.75 * 1, 0.04);
    // Within the second component, corr(x1, x2) is 0.8.
    const sel = Array.from({ length: N }, (_, i) => i).filter((i) => biv[2 * i]! > 0.8);
    const xs = sel.map((i) => biv[2 * i]!), ys = sel.map((i) => biv[2 * i + 1]!);
    expect(sel.length).to.be.greaterThan(N / 3);
    const mx = xs.reduce((s, v) => s + v, 0) / xs.length, my = ys.reduce((s, v) => s + v, 0) / ys.length;
    const cxy = xs.reduce((s, v, k) => s + (v - mx) * (ys[k]! - my), 0);
    const corr = cxy / Math.sqrt(xs.reduce((s, v) => s + (v - mx) ** 2, 0) * ys.reduce((s, v) => s + (v - my) ** 2, 0));
    expect(corr).to.be.greaterThan(0.6);
  });

  /** Every bit pattern of width n, lowest bit first. */
  const patterns = (n: number): number[][] => Array.from({ length: 2 ** n }, (_, m) => Array.from({ length: n }, (_, i) => (m >> i) & 1));

  /** Random NADE parameters of one row: logits n, hbias H, win and wout n·H. */
  const nadeParams = (rng: Rng, n: number, H: number): Record<string, number[]> => ({
    logits: Array.from({ length: n }, () => rng.normal()), hbias: Array.from({ length: H }, () => rng.normal()),
    win: Array.from({ length: n * H }, () => 2 * rng.normal()), wout: Array.from({ length: n * H }, () => 2 * rng.normal()),
  });

  it('distributions: NADE sums to 1 over every bit pattern and equals the loop-by-loop product of conditionals', () => {
    const rng = new Rng(5);
    const [n, H] = [5, 3];
    const p = nadeParams(rng, n, H);
    const xs = patterns(n);
    const rows = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, rep(v, xs.length)]));
    const lp = logProbs('NADE', rows, xs, H);
    expect(lp.reduce((s, v) => s + Math.exp(v), 0)).to.be.closeTo(1, 1e-12);
    const f64 = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
    xs.forEach((x, i) => expect(lp[i]).to.be.closeTo(oracleLogProb('NADE', f64, Float64Array.from(x), H), 1e-12));
    // A bit's own value must not reach its conditional: flipping the last bit changes only the last factor.
    const pLast = (x: number[]) => Math.exp(lp[xs.findIndex((y) => y.join() === x.join())]!);
    const head = [1, 0, 1, 1];
    const p1 = pLast([...head, 1]) / (pLast([...head, 1]) + pLast([...head, 0]));
    const a = Array.from({ length: H }, (_, h) => p.hbias![h]! + head.reduce((s, xj, j) => s + xj * p.win![j * H + h]!, 0));
    const l = p.logits![n - 1]! + a.reduce((s, ah, h) => s + p.wout![(n - 1) * H + h]! / (1 + Math.exp(-ah)), 0);
    expect(p1).to.be.closeTo(1 / (1 + Math.exp(-l)), 1e-12);
  });

  it('distributions: NADE with weights shared by every row (a head\'s free parameters, no batch axis) equals per-row weights', () => {
    const rng = new Rng(6);
    const [n, H, N] = [4, 2, 6];
    const p = nadeParams(rng, n, H);
    const xs = Array.from({ length: N }, () => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0)));
    const b = new GraphBuilder();
    const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
    const row = (k: string) => b.expand(b.constant(p[k]!, [1, p[k]!.length]), ['B', p[k]!.length]);
    const x = b.input('x', 'float64', ['B', n]);
    const d: DistValues = { family: 'NADE', params: { logits: row('logits'), hbias: row('hbias'), win: b.constant(p.win!, [n * H]), wout: b.constant(p.wout!, [n * H]) }, components: H, width: n };
    b.output('lp', logProb(ctx, d, x));
    const lp = evaluate(b.build(), { x: tensor([N, n], xs.flat()) })['lp']!.data;
    const ref = logProbs('NADE', Object.fromEntries(Object.entries(p).map(([k, v]) => [k, rep(v, N)])), xs, H);
    for (let i = 0; i < N; i++) expect(lp[i]).to.be.closeTo(ref[i]!, 1e-12);
  });

  it('distributions: NADE ancestral samples have the exact pattern frequencies (chi-square over 16 patterns)', () => {
    const rng = new Rng(7);
    const [n, H, N] = [4, 3, 40000];
    const p = nadeParams(rng, n, H);
    const b = new GraphBuilder();
    const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
    const u = b.input('u', 'float64', ['B', n]);
    const c = (v: number[]) => b.constant(v, [v.length]);
    b.output('x', sampleFor(ctx, { family: 'NADE', params: { logits: c(p.logits!), hbias: c(p.hbias!), win: c(p.win!), wout: c(p.wout!) }, components: H, width: n }, { u }));
    const draws = evaluate(b.build(), { u: tensor([N, n], Float64Array.from({ length: N * n }, () => rng.uniform())) })['x']!.data;
    const counts = new Array<number>(2 ** n).fill(0);
    for (let i = 0; i < N; i++) {
      let m = 0;
      for (let j = 0; j < n; j++) m |= (draws[i * n + j]! > 0.5 ? 1 : 0) << j;
      counts[m]!++;
    }
    const f64 = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));
    const chi2 = patterns(n).reduce((s, x, m) => {
      const e = N * Math.exp(oracleLogProb('NADE', f64, Float64Array.from(x), H));
      return s + (counts[m]! - e) ** 2 / e;
    }, 0);
    // 15 degrees of freedom: P(chi2 > 37.7) = 0.001
    expect(chi2).to.be.lessThan(37.7);
  });

  it('distributions: NADE log-density gradients (biases per row, shared weights) equal float64 central differences', () => {
    const rng = new Rng(8);
    const [n, H, N] = [4, 3, 5];
    const xs = Array.from({ length: N }, () => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0)));
    const b = new GraphBuilder();
    const ctx: DistCtx = { b, prefix: ['B'], dtype: 'float64' };
    const shapes: Record<string, number[]> = { logits: [N, n], hbias: [N, H], win: [n * H], wout: [n * H] };
    const ins = Object.fromEntries(Object.entries(shapes).map(([k, sh]) => [k, b.input(k, 'float64', k === 'logits' || k === 'hbias' ? ['B', sh[1]!] : sh)]));
    const x = b.input('x', 'float64', ['B', n]);
    b.output('loss', b.reduceSum(logProb(ctx, { family: 'NADE', params: ins, components: H, width: n }, x), [0], false));
    const g = b.build();
    const gg = grad(g, { of: 'loss', wrt: Object.keys(shapes), seed: 'input' });
    const vals = Object.fromEntries(Object.entries(shapes).map(([k, sh]) => [k, rng.normals(sh.reduce((a, c) => a * c, 1))]));
    const feeds = (v: Record<string, Float64Array>) => ({ x: tensor([N, n], xs.flat()), ...Object.fromEntries(Object.entries(shapes).map(([k, sh]) => [k, tensor(sh, v[k]!)])) });
    const res = evaluate(gg, { ...feeds(vals), ct_loss: tensor([], [1]) });
    for (const k of Object.keys(shapes)) {
      const fd = centralDifference((v) => evaluate(g, feeds({ ...vals, [k]: v }))['loss']!.data[0]!, vals[k]!);
      assertAllClose(res[`grad_${k}`]!.data, fd, `d log p / d ${k}`, { rtol: 1e-6, atol: 1e-8 });
    }
  });
});
