/**
 * @file Everything that needs a GPU, run by `npm run test:gpu` (not by `npm test`): the CUDA
 * execution provider starts; a float32 training step on CUDA matches the CPU's; K optimizer
 * steps per call on CUDA match K single calls on CUDA; `seqc train --device cuda` trains.
 * Without a usable GPU every test is skipped and the reason is printed.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { multiStepModel, multiStepSpec } from '../../src/compiler/onnx/multistep.js';
import { encodeModel } from '../../src/compiler/onnx/proto.js';
import { compile, onnxBytes, type Compiled } from '../../src/compiler/pipeline.js';
import { graphFeeds } from '../../src/runtime/feeds.js';
import { ParamStore } from '../../src/runtime/params.js';
import { Rng } from '../../src/runtime/rng.js';
import { createSession, toTensor, type Device } from '../../src/runtime/session.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples, repoRoot } from '../helpers/examples.js';

const T = 6, B = 4;

/** Why CUDA cannot be used here, or null. */
async function cudaMissing(c: Compiled): Promise<string | null> {
  try {
    const s = await createSession(onnxBytes(c.evaluate), { device: 'cuda' });
    await s.release();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('gpu: CUDA execution provider', function () {
  this.timeout(600_000);
  let c: Compiled;
  let skip: string | null = null;
  before(async function () {
    const ex = examples().find((e) => e.name === 'vrnn')!;
    c = compile(ex.path, ex.text, { overrides: parseOverrides(['x_dim=8', 'z_dim=4', 'h_dim=16', 'f_dim=16']) }).compiled!;
    skip = await cudaMissing(c);
    if (skip) console.log(`    skipped: no usable GPU: ${skip}`);
  });
  beforeEach(function () { if (skip) this.skip(); });

  /** One batch of feeds for K steps from fixed seeds. */
  function batches(K: number): { store: ParamStore; feeds: Record<string, ort.Tensor>[] } {
    const store = ParamStore.initialize(c.manifest, new Rng(1));
    const data = new Rng(2), noise = new Rng(3);
    const x = new Float32Array(T * B * 8);
    data.fill('normal', x);
    const feeds = Array.from({ length: K }, (_, k) => graphFeeds(c.manifest.graphs.train_step.inputs, {
      store, T, B, values: () => x, mask: new Float32Array(T * B).fill(1), noise, scalars: { beta: 1, lr: 1e-3, clip_norm: 10, weight_decay: 0, step: k + 1 },
    }));
    return { store, feeds };
  }

  async function oneStep(device: Device): Promise<Record<string, ort.Tensor>> {
    const s = await createSession(onnxBytes(c.train), { device });
    try {
      return await s.run(batches(1).feeds[0]!);
    } finally {
      await s.release();
    }
  }

  it('gpu: a float32 training step on CUDA matches the CPU (1e-4 relative)', async () => {
    const [cpu, gpu] = [await oneStep('cpu'), await oneStep('cuda')];
    for (const name of ['loss', 'grad_norm', ...c.manifest.optimizer.updates.map((u) => u.output)]) {
      assertAllClose(gpu[name]!.data as Float32Array, cpu[name]!.data as Float32Array, name, { rtol: 1e-4, atol: 1e-5 });
    }
  });

  it('gpu: K = 4 steps per call on CUDA match 4 single calls on CUDA', async () => {
    const K = 4;
    const single = await createSession(onnxBytes(c.train), { device: 'cuda' });
    const multi = await createSession(encodeModel(multiStepModel(c.train, c.manifest)), { device: 'cuda' });
    try {
      const { feeds } = batches(K);
      const cur = { ...feeds[0]! };
      const losses: number[] = [];
      for (const f of feeds) {
        const out = await single.run({ ...cur, ...Object.fromEntries(multiStepSpec(c.manifest).stacked.map((n) => [n, f[n]!])), step: f['step']! });
        losses.push((out['loss']!.data as Float32Array)[0]!);
        for (const u of c.manifest.optimizer.updates) cur[u.input] = out[u.output]!;
      }
      const stacked = { ...feeds[0]! };
      for (const n of multiStepSpec(c.manifest).stacked) {
        const parts = feeds.map((f) => f[n]!.data as Float32Array);
        const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        parts.forEach((p, k) => all.set(p, k * p.length));
        stacked[n] = toTensor('float32', all, [K, ...feeds[0]![n]!.dims]);
      }
      const out = await multi.run(stacked);
      assertAllClose(out['loss']!.data as Float32Array, losses, 'per-step losses', { rtol: 1e-5, atol: 1e-6 });
      for (const u of c.manifest.optimizer.updates) assertAllClose(out[u.output]!.data as Float32Array, cur[u.input]!.data as Float32Array, u.output, { rtol: 1e-5, atol: 1e-6 });
    } finally {
      await single.release();
      await multi.release();
    }
  });

  it('gpu: seqc train --device cuda trains a few steps and exits 0', () => {
    const out = mkdtempSync(join(tmpdir(), 'seqc-gpu-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'helpers', 'run-seqc.ts'), 'train', 'examples/vrnn.seq', '--device', 'cuda', '--steps', '16', '--out', join(out, 'run')], { cwd: repoRoot, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
