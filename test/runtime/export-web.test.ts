/**
 * @file A stranger's view of `seqc export`: the exported models run under onnxruntime-web (its
 * WASM backend, in Node) with nothing but export.json, and reproduce the numbers `seqc eval
 * --json` and `seqc sample` print for the same run, data and noise seed.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { main } from '../../src/cli/main.js';
import { configFrom } from '../../src/cli/train.js';
import { train } from '../../src/runtime/train.js';
import type { ExportDescription } from '../../src/runtime/export.js';
import { Rng } from '../../src/runtime/rng.js';
import { repoRoot } from '../helpers/examples.js';

const tmp = mkdtempSync(join(tmpdir(), 'seqc-web-'));

async function seqc(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  if (code !== 0) throw new Error(`seqc ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

/** A shape with `T` and `B` replaced. */
const sized = (shape: readonly (number | string)[], T: number, B: number, K = 1): number[] => shape.map((d) => (d === 'T' ? T : d === 'B' ? B : d === 'K' ? K : (d as number)));

describe('export: onnxruntime-web runs the exported models with seqc\'s numbers', function () {
  this.timeout(120_000);
  const model = join(repoRoot, 'examples/vrnn.seq');
  const sets = ['--set', 'x_dim=3', '--set', 'z_dim=2', '--set', 'h_dim=8', '--set', 'f_dim=8'];
  const seq = (k: number): number[][] => Array.from({ length: 4 + (k % 4) }, (_, t) => [5 + Math.sin(t + k), 20 * Math.cos(t * k), -3 + 0.1 * t]);
  const test = Array.from({ length: 5 }, (_, k) => seq(k + 40));
  let run: string;
  let exp: ExportDescription;

  before(async () => {
    const data = join(tmp, 'data');
    mkdirSync(data);
    for (const [split, seqs] of [['train', Array.from({ length: 12 }, (_, k) => seq(k))], ['valid', test], ['test', test]] as const) {
      writeFileSync(join(data, `${split}.json`), JSON.stringify({ sequences: seqs }));
    }
    run = join(tmp, 'run');
    // Trained through the runtime with a silent reporter (the CLI would draw a progress bar on stderr).
    const cfg = configFrom(model, { data, steps: '12', validEvery: '6', set: sets.filter((s) => s !== '--set') });
    await train(cfg, run, false, { info: () => {}, warn: () => {}, stream: { write: () => true } }, { stop: false });
    await seqc('export', model, '--checkpoint', run, '--layout', 'batch-major', '-o', join(run, 'export'));
    exp = JSON.parse(readFileSync(join(run, 'export', 'export.json'), 'utf8')) as ExportDescription;
    ortWeb.env.wasm.numThreads = 1;
  });

  it('export.json describes batch-major inputs in data units', () => {
    expect(exp.layout).to.equal('batch-major');
    expect(exp.normalization).to.equal('baked');
    expect(exp.graphs.evaluate.inputs.map((i) => [i.name, i.shape])).to.deep.equal([['data.x', ['B', 'T', 3]], ['mask', ['B', 'T']], ['noise.z', ['B', 'T', 'K', 2]]]);
  });

  it('evaluate.onnx under onnxruntime-web: the ELBO and IWAE-K of `seqc eval --json` for the same noise seed', async () => {
    const K = 4;
    const j = JSON.parse(await seqc('eval', model, '--checkpoint', run, '--seed', '3', '--iwae', String(K), '--json')) as { elbo_per_seq: number; iwae_per_seq: number };
    // seqc eval draws the noise time-major [T, K, B, w] from Rng(seed), input by input, in export.json's order.
    const B = test.length, T = Math.max(...test.map((s) => s.length));
    const rng = new Rng(3);
    const feeds: Record<string, ortWeb.Tensor> = {};
    for (const i of exp.graphs.evaluate.inputs) {
      const shape = sized(i.shape, T, B, K);
      const w = i.role === 'noise' ? shape[3]! : shape[2] ?? 1;
      const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
      if (i.role === 'noise') {
        // [T, K, B, w] as seqc draws it → [B, T, K, w] as the batch-major model takes it
        const tm = rng.fill(i.law as 'normal', new Float32Array(a.length));
        for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) a.set(tm.subarray(((t * K + k) * B + b) * w, ((t * K + k) * B + b + 1) * w), ((b * T + t) * K + k) * w);
      } else {
        test.forEach((s, b) => s.forEach((frame, t) => (i.role === 'mask' ? (a[b * T + t] = 1) : a.set(frame, (b * T + t) * w))));
      }
      feeds[i.name] = new ortWeb.Tensor('float32', a, shape);
    }
    const session = await ortWeb.InferenceSession.create(new Uint8Array(readFileSync(join(run, 'export', 'evaluate.onnx'))));
    const out = await session.run(feeds);
    const mean = (t: ortWeb.Tensor): number => Array.from(t.data as Float32Array).reduce((x, y) => x + y, 0) / B;
    expect(mean(out['elbo']!)).to.be.closeTo(j.elbo_per_seq, 1e-5 * Math.abs(j.elbo_per_seq));
    expect(mean(out['iwae']!)).to.be.closeTo(j.iwae_per_seq, 1e-5 * Math.abs(j.iwae_per_seq));
    expect(out['logw']!.dims).to.deep.equal([B, K]);
  });

  it('sample.onnx under onnxruntime-web: the draws `seqc sample` writes, in data units', async () => {
    const N = 3, T = 8;
    await seqc('sample', model, '--checkpoint', run, '--num', String(N), '--steps', String(T), '--seed', '4', '-o', join(run, 'samples'));
    const written = JSON.parse(readFileSync(join(run, 'samples', 'samples.json'), 'utf8')).variables.x as number[][][];
    const rng = new Rng(4);
    const feeds: Record<string, ortWeb.Tensor> = {};
    for (const i of exp.graphs.sample.inputs) {
      const shape = sized(i.shape, T, N);
      const w = shape[2] ?? 1;
      const a = new Float32Array(N * T * w);
      if (i.role === 'noise') {
        const tm = rng.fill(i.law as 'normal', new Float32Array(T * N * w));
        for (let t = 0; t < T; t++) for (let b = 0; b < N; b++) a.set(tm.subarray((t * N + b) * w, (t * N + b + 1) * w), (b * T + t) * w);
      }
      feeds[i.name] = new ortWeb.Tensor('float32', a, shape);
    }
    const session = await ortWeb.InferenceSession.create(new Uint8Array(readFileSync(join(run, 'export', 'sample.onnx'))));
    const x = (await session.run(feeds))['sample.x']!;
    expect(x.dims).to.deep.equal([N, T, 3]);
    const got = x.data as Float32Array;
    let worst = 0;
    written.forEach((s, b) => s.forEach((frame, t) => frame.forEach((v, d) => { worst = Math.max(worst, Math.abs(got[(b * T + t) * 3 + d]! - v) / (1 + Math.abs(v))); })));
    expect(worst, 'largest relative difference from seqc sample').to.be.below(1e-5);
  });
});
