/**
 * @file Posterior inference (`seqc infer`): forward–backward and Viterbi against brute-force
 * enumeration of every path; the infer graph's filtered marginals and log-likelihood against the
 * float64 recursions; and, end to end from the CLI, a trained two-state HMM whose Viterbi path
 * recovers the true hidden states of held-out sequences.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { compile, inferArtifact } from '../../src/compiler/pipeline.js';
import { encodeNpy } from '../../src/runtime/data/index.js';
import { decodeNpy } from '../../src/runtime/data/formats/npy.js';
import { forwardBackward } from '../../src/runtime/infer.js';
import { assertAllClose } from '../helpers/allclose.js';
import { repoRoot } from '../helpers/examples.js';
import { Rng } from '../helpers/random.js';

const lse = (xs: readonly number[]): number => { const m = Math.max(...xs); return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0)); };

describe('inference: posterior over the latents', function () {
  this.timeout(300_000);

  it('infer: forward–backward marginals, Viterbi path and log-likelihood equal brute force over all paths', () => {
    const rng = new Rng(8);
    const [L, K] = [5, 3];
    const tr = Array.from({ length: L * K * K }, () => rng.normal());
    const ev = Array.from({ length: L * K }, () => 2 * rng.normal());
    // Rows of the transition are log-normalized, as the graph reports them.
    const logtrans = (t: number, j: number, k: number): number => tr[(t * K + j) * K + k]! - lse(Array.from({ length: K }, (_, kk) => tr[(t * K + j) * K + kk]!));
    const evidence = (t: number, k: number): number => ev[t * K + k]!;
    const fb = forwardBackward(logtrans, evidence, L, K);
    const paths: { path: number[]; lw: number }[] = [];
    for (let code = 0; code < K ** L; code++) {
      const path = Array.from({ length: L }, (_, t) => Math.floor(code / K ** t) % K);
      let lw = 0;
      path.forEach((k, t) => { lw += logtrans(t, t ? path[t - 1]! : 0, k) + evidence(t, k); });
      paths.push({ path, lw });
    }
    const z = lse(paths.map((p) => p.lw));
    expect(fb.logLik).to.be.closeTo(z, 1e-10);
    const smoothed = new Float64Array(L * K);
    for (const p of paths) p.path.forEach((k, t) => { smoothed[t * K + k]! += Math.exp(p.lw - z); });
    assertAllClose(fb.smoothed, smoothed, 'smoothed marginals', { rtol: 1e-10, atol: 1e-12 });
    const best = paths.reduce((a, b) => (b.lw > a.lw ? b : a));
    expect(Array.from(fb.viterbi)).to.deep.equal(best.path);
    // Filtered marginals at t use only the first t+1 steps.
    const last = L - 1;
    assertAllClose(fb.filtered.subarray(last * K), smoothed.subarray(last * K), 'filtered = smoothed at the last step', { rtol: 1e-10, atol: 1e-12 });
  });

  it('infer: the graph\'s filtered marginals and the float64 recursions agree, and the latter give the exact log-likelihood', () => {
    const ex = readFileSync(join(repoRoot, 'examples/hmm.seq'), 'utf8');
    const c = compile('hmm.seq', ex, { dtype: 'float64', overrides: parseOverrides(['x_dim=2', 'k=3']) }).compiled!;
    const g = inferArtifact(c);
    const rng = new Rng(2);
    const [T, B] = [7, 2], lengths = [7, 4];
    const feeds: Record<string, Tensor> = {};
    for (const i of g.inputs) {
      const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : (d as number)));
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[i.name] = tensor(shape, i.role === 'mask' ? Array.from({ length: n }, (_, k) => (Math.floor(k / B) < lengths[k % B]! ? 1 : 0)) : rng.normals(n));
    }
    const r = evaluate(g.ir, feeds);
    const tr = r['posterior.s.logtrans']!.data, ev = r['posterior.s.evidence']!.data, filt = r['posterior.s.filtered']!.data;
    lengths.forEach((L, b) => {
      const fb = forwardBackward((t, j, k) => tr[((t * B + b) * 3 + j) * 3 + k]!, (t, k) => ev[(t * B + b) * 3 + k]!, L, 3);
      const graph = Float64Array.from({ length: L * 3 }, (_, i) => filt[(Math.floor(i / 3) * B + b) * 3 + (i % 3)]!);
      assertAllClose(graph, fb.filtered, `sequence ${b} filtered`, { rtol: 1e-9, atol: 1e-12 });
      expect(fb.logLik).to.be.closeTo(r['iwae']!.data[b]!, 1e-9);
    });
  });

  it('infer: from the CLI, a trained two-state HMM decodes the hidden states of held-out sequences', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'seqc-infer-'));
    const rng = new Rng(31);
    const T = 30;
    const truth: Record<string, number[][]> = {};
    for (const [split, N] of [['train', 64], ['valid', 8], ['test', 8]] as const) {
      const a = new Float32Array(N * T * 2);
      truth[split] = [];
      for (let n = 0; n < N; n++) {
        let s = rng.uniform() < 0.5 ? 0 : 1;
        const states: number[] = [];
        for (let t = 0; t < T; t++) {
          if (t && rng.uniform() < 0.1) s = 1 - s;
          states.push(s);
          for (let k = 0; k < 2; k++) a[(n * T + t) * 2 + k] = (s ? 2 : -2) + 0.7 * rng.normal();
        }
        truth[split]!.push(states);
      }
      writeFileSync(join(tmp, `${split}.npy`), encodeNpy([N, T, 2], '<f4', a));
    }
    const seqc = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });
    const model = join(repoRoot, 'examples/hmm.seq');
    const tr = seqc('train', model, '--data', tmp, '--set', 'k=2', '--steps', '300', '--lr', '0.02', '--valid-every', '100', '--out', join(tmp, 'run'));
    expect(tr.status, tr.stderr).to.equal(0);
    const inf = seqc('infer', model, '--checkpoint', join(tmp, 'run'), '-o', join(tmp, 'post'));
    expect(inf.status, inf.stderr).to.equal(0);
    expect(inf.stdout).to.match(/filtered and smoothed marginals, Viterbi path/);
    for (const f of ['s.filtered.npy', 's.smoothed.npy', 's.viterbi.npy', 's.svg', 'lengths.npy']) expect(existsSync(join(tmp, 'post', f)), f).to.equal(true);
    const v = decodeNpy(readFileSync(join(tmp, 'post', 's.viterbi.npy')), 's.viterbi.npy');
    expect(v.shape).to.deep.equal([8, T, 1]);
    let agree = 0;
    truth['test']!.forEach((states, n) => states.forEach((s, t) => { if (v.data[n * T + t] === s) agree++; }));
    const acc = agree / (8 * T);
    // Labels are identifiable only up to a permutation of the two states.
    expect(Math.max(acc, 1 - acc), `Viterbi accuracy ${acc}`).to.be.greaterThan(0.95);
  });
});
