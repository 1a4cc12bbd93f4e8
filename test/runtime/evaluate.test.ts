/**
 * @file Evaluation split into runs that fit the memory budget: the chunks' bounds combine into
 * exactly the bound of one run over all particles (the same noise, reordered as the chunks drew
 * it), the split respects the budget and is as coarse as it allows, and a group that fits runs
 * as one.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { compile, leanFivoArtifact, onnxBytes } from '../../src/compiler/pipeline.js';
import type { Sequence, VarSpec } from '../../src/runtime/data/index.js';
import { combineElbo, combineIwae, evalChunks, evaluateFivo, evaluateSplit, graphBytes } from '../../src/runtime/evaluate.js';
import { ParamStore } from '../../src/runtime/params.js';
import { Rng } from '../../src/runtime/rng.js';
import { createSession } from '../../src/runtime/session.js';
import { tinySource } from '../helpers/tiny-model.js';

const source = tinySource;

const logMeanExp = (v: readonly number[]): number => {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0) / v.length);
};

describe('evaluation: runs split to fit the memory budget', function () {
  this.timeout(120_000);
  const c = compile('tiny.seq', source, { dtype: 'float32', overrides: parseOverrides([]) }).compiled!;
  const spec: VarSpec[] = [{ name: 'x', width: 2, elem: 'real' }];
  const store = ParamStore.initialize(c.manifest, new Rng(3));
  const data = new Rng(11);
  const seqs: Sequence[] = [9, 6, 4].map((L, i) => ({ id: `s${i}`, length: L, values: new Map([['x', Float64Array.from({ length: L * 2 }, () => data.normal())]]) }));
  const stats = new Map();

  it('combine: chunks of particles give the log-mean-exp and the mean of all particles', () => {
    const r = new Rng(5);
    const w = Array.from({ length: 7 }, () => 3 * r.normal() - 40);
    const chunks: [number, number][] = [[3, logMeanExp(w.slice(0, 3))], [3, logMeanExp(w.slice(3, 6))], [1, w[6]!]];
    expect(combineIwae(chunks, 7)).to.be.closeTo(logMeanExp(w), 1e-12);
    const e = [1, 2, 3, 4, 5, 6, 7].map((x) => -x * 1.5);
    expect(combineElbo([[3, (e[0]! + e[1]! + e[2]!) / 3], [4, (e[3]! + e[4]! + e[5]! + e[6]!) / 4]], 7)).to.be.closeTo(e.reduce((a, b) => a + b, 0) / 7, 1e-12);
    expect(combineIwae([[2, -Infinity], [1, -Infinity]], 3)).to.equal(-Infinity);
    expect(combineIwae([[2, -Infinity], [1, -5]], 3)).to.be.closeTo(-5 - Math.log(3), 1e-12);
    expect(combineIwae([[4, -2.5]], 4), 'one chunk is returned unchanged').to.equal(-2.5);
  });

  it('chunks: the split fits the budget and is the coarsest that does', () => {
    const g = c.evaluate.ir;
    const T = 9;
    expect(graphBytes(g, T, 2, 5)).to.be.greaterThan(graphBytes(g, T, 1, 5));
    expect(graphBytes(g, 2 * T, 1, 5)).to.be.greaterThan(graphBytes(g, T, 1, 5));
    expect(evalChunks(g, T, 3, 8, graphBytes(g, T, 3, 8))).to.deep.equal({ seqs: 3, particles: 8 });
    expect(evalChunks(g, T, 3, 8, graphBytes(g, T, 2, 8))).to.deep.equal({ seqs: 2, particles: 8 });
    expect(evalChunks(g, T, 3, 8, graphBytes(g, T, 1, 8) + 1)).to.deep.equal({ seqs: 1, particles: 8 });
    expect(evalChunks(g, T, 3, 8, graphBytes(g, T, 1, 5))).to.deep.equal({ seqs: 1, particles: 5 });
    expect(evalChunks(g, T, 3, 8, graphBytes(g, T, 1, 5) + 1)).to.deep.equal({ seqs: 1, particles: 5 });
    expect(evalChunks(g, T, 3, 8, 0), 'nothing fits: one sequence, one particle').to.deep.equal({ seqs: 1, particles: 1 });
  });

  it('evaluate: particle chunks equal one run over all K particles fed the same noise', async () => {
    const session = await createSession(onnxBytes(c.evaluate));
    const K = 5, seed = 21;
    const one = [seqs[0]!];
    const T = one[0]!.length;
    for (const per of [1, 2, 3]) {
      // Budget for `per` particles of one sequence: chunks of per, per, ... and the rest.
      const budget = graphBytes(c.evaluate.ir, T, 1, per);
      const got = await evaluateSplit(c, session, one, spec, stats, { batch: 1, k: K, seed, store, budget });
      // The chunks drew [T, k, 1, z] noise one after another; lay the same numbers out as [T, K, 1, z].
      const rng = new Rng(seed);
      const full = new Float32Array(T * K * 2);
      for (let k0 = 0; k0 < K; k0 += per) {
        const k = Math.min(per, K - k0);
        const part = rng.fill('normal', new Float32Array(T * k * 2));
        for (let t = 0; t < T; t++) for (let j = 0; j < k; j++) for (let d = 0; d < 2; d++) full[(t * K + k0 + j) * 2 + d] = part[(t * k + j) * 2 + d]!;
      }
      const feeds: Record<string, ort.Tensor> = { 'data.x': new ort.Tensor('float32', Float32Array.from(one[0]!.values.get('x')!), [T, 1, 2]), mask: new ort.Tensor('float32', new Float32Array(T).fill(1), [T, 1]) };
      for (const i of c.manifest.graphs.evaluate.inputs) {
        if (i.role === 'param') { const p = store.get(i.name); feeds[i.name] = new ort.Tensor('float32', p.data as Float32Array, [...p.shape]); }
        else if (i.role === 'noise') { expect(i.name).to.equal('noise.z'); feeds[i.name] = new ort.Tensor('float32', full, [T, K, 1, 2]); }
      }
      const ref = await session.run(feeds);
      expect(got.iwaePerSeq[0], `chunks of ${per} particles`).to.be.closeTo((ref['iwae']!.data as Float32Array)[0]!, 1e-4);
      expect(got.elboPerSeq[0], `chunks of ${per} particles`).to.be.closeTo((ref['elbo']!.data as Float32Array)[0]!, 1e-4);
    }
    // A budget that fits: one run, the same numbers as without a budget.
    const plain = await evaluateSplit(c, session, seqs, spec, stats, { batch: 3, k: K, seed, store });
    const roomy = await evaluateSplit(c, session, seqs, spec, stats, { batch: 3, k: K, seed, store, budget: graphBytes(c.evaluate.ir, 9, 3, K) });
    expect(roomy).to.deep.equal(plain);
    // Sequence chunks keep the order of the sequences, and every particle count adds up.
    const split = await evaluateSplit(c, session, seqs, spec, stats, { batch: 3, k: K, seed, store, budget: graphBytes(c.evaluate.ir, 9, 1, K) });
    expect(split.lengths).to.deep.equal([9, 6, 4]);
    split.iwaePerSeq.forEach((v, b) => expect(v, `sequence ${b}: IWAE-${K} of another draw, near the one-run value`).to.be.closeTo(plain.iwaePerSeq[b]!, 5));
  });

  it('fivo: sequences split to fit the budget, in order', async () => {
    const session = await createSession(onnxBytes(c.evaluateFivo));
    const K = 4;
    const plain = await evaluateFivo(c, session, seqs, spec, stats, { batch: 3, k: K, seed: 2, store });
    const split = await evaluateFivo(c, session, seqs, spec, stats, { batch: 3, k: K, seed: 2, store, budget: graphBytes(c.evaluateFivo.ir, 9, 1, K) });
    expect(split.fivoPerSeq.length).to.equal(3);
    split.fivoPerSeq.forEach((v, b) => expect(v, `sequence ${b}`).to.be.closeTo(plain.fivoPerSeq[b]!, 5));
    // One sequence per run: the first run draws the first sequence's noise exactly as a run of it alone does.
    const alone = await evaluateFivo(c, session, [seqs[0]!], spec, stats, { batch: 1, k: K, seed: 2, store });
    expect(split.fivoPerSeq[0]).to.equal(alone.fivoPerSeq[0]);
  });

  it('fivo: a sequence whose particles do not fit runs in the lean graph, with the same numbers', async () => {
    const session = await createSession(onnxBytes(c.evaluateFivo));
    const K = 4;
    // One sequence per run either way, so both draw the same noise.
    const plain = await evaluateFivo(c, session, seqs, spec, stats, { batch: 1, k: K, seed: 2, store });
    let opened = 0;
    const lean = async () => { opened++; return createSession(onnxBytes(leanFivoArtifact(c))); };
    // Room for the 6- and 4-step sequences' particles in the full graph, not the 9-step one's.
    const budget = graphBytes(c.evaluateFivo.ir, 9, 1, K) - 1;
    const tight = await evaluateFivo(c, session, seqs, spec, stats, { batch: 1, k: K, seed: 2, store, budget, lean });
    expect(opened, 'the lean graph is opened once, for the sequence that needs it').to.equal(1);
    tight.fivoPerSeq.forEach((v, b) => expect(v, `sequence ${b}`).to.be.closeTo(plain.fivoPerSeq[b]!, 1e-3));
    expect(graphBytes(leanFivoArtifact(c).ir, 9, 1, K)).to.be.at.most(budget);
  });

  it('fivo: the lean graph of a NADE model holds per-step values only (T = 1929, K = 100 in under 1 GB)', () => {
    const file = 'examples/srnn_nade_polyphonic.seq';
    const nade = compile(file, readFileSync(file, 'utf8'), { dtype: 'float32', overrides: parseOverrides([]) }).compiled!;
    // The full graph materializes [T, 88, K·B, 64] NADE activations before its loop.
    expect(graphBytes(nade.evaluateFivo.ir, 1929, 1, 100)).to.be.greaterThan(4 * 1024 ** 3);
    expect(graphBytes(leanFivoArtifact(nade).ir, 1929, 1, 100)).to.be.lessThan(1024 ** 3);
  });
});
