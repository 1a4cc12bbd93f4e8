/**
 * @file The training runtime end to end on small models: the ELBO improves on every example,
 * --resume continues bit for bit, the NaN guard stops a diverging run, IWAE(K=1) is the
 * one-sample ELBO and IWAE grows with K, and exported models reproduce sample and eval.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadCheckpoint } from '../../src/runtime/checkpoint.js';
import { encodeNpy, epochs, loadDataset, normalize } from '../../src/runtime/data/index.js';
import { evaluateSplit } from '../../src/runtime/evaluate.js';
import { exportModels } from '../../src/runtime/export.js';
import { drawSamples } from '../../src/runtime/sample.js';
import { createSession } from '../../src/runtime/session.js';
import { loadTrained } from '../../src/runtime/trained.js';
import { train, type Reporter, type TrainConfig } from '../../src/runtime/train.js';
import { onnxBytes } from '../../src/compiler/pipeline.js';
import { examples, repoRoot, smallSizes as small } from '../helpers/examples.js';
import { Rng } from '../helpers/random.js';
import { firstShuffle } from '../../src/runtime/runstart.js';
import { real } from './data/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'seqc-train-'));


/** Columns of each example's data: [width, binary] per observed variable, in declaration order. */
const columns: Record<string, [number, boolean][]> = {
  dmm: [[6, true]], lgssm: [[2, false]], rnn_gmm: [[4, false]], rnn_normal: [[4, false]], srnn: [[4, false]], storn: [[4, false]],
  vrnn: [[4, false]], vrnn_gmm: [[4, false]], vrnn_handwriting: [[1, true], [2, false]], vrnn_polyphonic: [[6, true]], zforcing: [[4, false]],
  hmm: [[3, false]], switching: [[3, false]], storn_polyphonic: [[6, true]], srnn_polyphonic: [[6, true]],
  rnn_handwriting: [[1, true], [2, false]], rnn_polyphonic: [[6, true]], dmm_gauss: [[4, false]],
  rnn_nade_polyphonic: [[6, true]], srnn_nade_polyphonic: [[6, true]],
};

/** A learnable synthetic dataset: noisy sinusoids (real) and thresholded ones (binary), with varying lengths. */
function makeData(name: string, cols: [number, boolean][], seed: number): string {
  const dir = join(tmp, `data-${name}-${seed}`);
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const D = cols.reduce((s, [w]) => s + w, 0);
  const T = 12;
  for (const [split, N] of [['train', 48], ['valid', 12], ['test', 12]] as const) {
    const a = new Float32Array(N * T * D);
    const lengths = new Int32Array(N);
    for (let n = 0; n < N; n++) {
      lengths[n] = 6 + (n % 7);
      const phase = rng.uniform() * 6.28;
      for (let t = 0; t < T; t++) {
        let d = 0;
        for (const [w, bin] of cols) {
          for (let k = 0; k < w; k++, d++) {
            const v = Math.sin(phase + 0.7 * t + k) + 0.1 * rng.normal();
            a[(n * T + t) * D + d] = bin ? (v > 0 ? 1 : 0) : v;
          }
        }
      }
    }
    writeFileSync(join(dir, `${split}.npy`), encodeNpy([N, T, D], '<f4', a));
    writeFileSync(join(dir, `${split}.lengths.npy`), npyInt32(lengths));
  }
  return dir;
}

function npyInt32(v: Int32Array): Uint8Array {
  let header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${v.length},), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + v.length * 4);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(v.buffer), 10 + header.length);
  return out;
}

const quiet = (log: string[] = []): Reporter => ({ info: (l) => log.push(l), warn: (l) => log.push(l), stream: { write: () => true } });

function config(model: string, data: string, over: Partial<TrainConfig> = {}): TrainConfig {
  const name = model.replace(/^.*\//, '').replace(/\.seq$/, '');
  return {
    model, data, sets: small[name] ?? [], steps: 60, epochs: null, timeLimit: null, batch: 8, maxLen: null, lr: 3e-3,
    lrSchedule: 'constant', warmup: 0, clip: 10, weightDecay: 0, klAnneal: 0, klStart: 0, validEvery: 30, patience: 0,
    seed: 7, device: 'cpu', threads: 1, ...over,
  };
}

function validCurve(dir: string): number[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('valid_elbo')).map((l) => JSON.parse(l).valid_elbo_per_step as number);
}

describe('runtime: training', function () {
  this.timeout(300_000);

  for (const ex of examples()) {
    it(`train: ${ex.name} improves its validation ELBO`, async () => {
      const data = makeData(ex.name, columns[ex.name]!, 1);
      const dir = join(tmp, `run-${ex.name}`);
      const path = join(repoRoot, ex.path);
      const before = config(path, data, { steps: 1, validEvery: 1 });
      await train(before, dir + '-0', false, quiet(), { stop: false });
      const s = await train(config(path, data, { steps: 120, validEvery: 40 }), dir, false, quiet(), { stop: false });
      const start = validCurve(dir + '-0')[0]!;
      const end = Math.max(...validCurve(dir));
      expect(s.steps).to.equal(120);
      expect(end, `validation ELBO per step: ${start} after one step, best ${end} after 120`).to.be.greaterThan(start + 0.05);
    });
  }

  it('train: --resume continues bit for bit (3 + 3 steps equal 6 steps)', async () => {
    const data = makeData('vrnn', columns['vrnn']!, 2);
    const path = join(repoRoot, 'examples/vrnn.seq');
    const cfg6 = config(path, data, { steps: 6, validEvery: 100, batch: 5 });
    await train(cfg6, join(tmp, 'straight'), false, quiet(), { stop: false });
    await train({ ...cfg6, steps: 3 }, join(tmp, 'split'), false, quiet(), { stop: false });
    await train(cfg6, join(tmp, 'split'), true, quiet(), { stop: false });
    const a = loadCheckpoint(join(tmp, 'straight', 'checkpoints', 'last.ckpt'));
    const b = loadCheckpoint(join(tmp, 'split', 'checkpoints', 'last.ckpt'));
    expect(b.step).to.equal(6);
    for (const [name, t] of a.params) expect(Buffer.from(b.params.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).to.equal(true);
    for (const [name, t] of a.state) expect(Buffer.from(b.state.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).to.equal(true);
    expect(JSON.stringify(b.rng)).to.equal(JSON.stringify(a.rng));
  });

  it('train: --resume continues bit for bit with dropout (its masks come from the checkpointed noise stream)', async () => {
    const data = makeData('rnn_polyphonic', columns['rnn_polyphonic']!, 2);
    const path = join(repoRoot, 'examples/rnn_polyphonic.seq');
    const cfg6 = config(path, data, { steps: 6, validEvery: 100, batch: 5 });
    expect(cfg6.sets).to.include('drop=0.3');
    await train(cfg6, join(tmp, 'drop-straight'), false, quiet(), { stop: false });
    await train({ ...cfg6, steps: 3 }, join(tmp, 'drop-split'), false, quiet(), { stop: false });
    await train(cfg6, join(tmp, 'drop-split'), true, quiet(), { stop: false });
    await train({ ...cfg6, sets: cfg6.sets.filter((x) => x !== 'drop=0.3') }, join(tmp, 'drop-none'), false, quiet(), { stop: false });
    const a = loadCheckpoint(join(tmp, 'drop-straight', 'checkpoints', 'last.ckpt'));
    const b = loadCheckpoint(join(tmp, 'drop-split', 'checkpoints', 'last.ckpt'));
    const none = loadCheckpoint(join(tmp, 'drop-none', 'checkpoints', 'last.ckpt'));
    for (const [name, t] of a.params) expect(Buffer.from(b.params.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).to.equal(true);
    expect(JSON.stringify(b.rng)).to.equal(JSON.stringify(a.rng));
    // and dropout changed the training: the same run without it ends elsewhere
    const w = 'phi_x.0.weight';
    expect(Buffer.from(none.params.get(w)!.data.buffer).equals(Buffer.from(a.params.get(w)!.data.buffer))).to.equal(false);
  });

  it('train: --epochs counts the windows cut by --max-len', async () => {
    const data = makeData('vrnn', columns['vrnn']!, 6);
    const s = await train(config(join(repoRoot, 'examples/vrnn.seq'), data, { steps: null, epochs: 1, maxLen: 4, batch: 8 }), join(tmp, 'epochs'), false, quiet(), { stop: false });
    // 48 training sequences of 6..12 steps cut into windows of at most 4 steps.
    const windows = Array.from({ length: 48 }, (_, n) => Math.ceil((6 + (n % 7)) / 4)).reduce((a, b) => a + b, 0);
    expect(s.steps).to.equal(Math.ceil(windows / 8));
  });

  it('train: random crops (--crop random) resume bit for bit, and --epochs counts their windows', async () => {
    const data = makeData('vrnn', columns['vrnn']!, 8);
    const path = join(repoRoot, 'examples/vrnn.seq');
    const cfg = config(path, data, { steps: null, epochs: 3, maxLen: 4, crop: 'random', validEvery: 100, batch: 8 });
    const s = await train(cfg, join(tmp, 'crop-straight'), false, quiet(), { stop: false });
    await train({ ...cfg, epochs: null, steps: 9 }, join(tmp, 'crop-split'), false, quiet(), { stop: false });
    await train(cfg, join(tmp, 'crop-split'), true, quiet(), { stop: false });
    const a = loadCheckpoint(join(tmp, 'crop-straight', 'checkpoints', 'last.ckpt'));
    const b = loadCheckpoint(join(tmp, 'crop-split', 'checkpoints', 'last.ckpt'));
    expect(b.step).to.equal(a.step);
    for (const [name, t] of a.params) expect(Buffer.from(b.params.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).to.equal(true);
    expect(JSON.stringify(b.rng)).to.equal(JSON.stringify(a.rng));
    // three whole epochs (the last one's batches all taken: epoch 2 at its end, not yet 3), at a
    // step count that windows from the start would not give (offsets add windows)
    expect(a.epoch, 'epoch').to.equal(2);
    expect([...epochs(loadDataset(data, [real('x', 4)]).train, [real('x', 4)], { batchSize: 8, maxLen: 4, crop: 'random' }, firstShuffle(cfg.seed), 3)].map((e) => [...e.batches].length).reduce((x, y) => x + y, 0)).to.equal(s.steps);
    const fixed = 3 * Math.ceil(Array.from({ length: 48 }, (_, n) => Math.ceil((6 + (n % 7)) / 4)).reduce((x, y) => x + y, 0) / 8);
    expect(s.steps).to.not.equal(fixed);
    // and the crops changed the training: the same run with windows from the start ends elsewhere
    const st = await train({ ...cfg, epochs: null, steps: a.step, crop: 'start' }, join(tmp, 'crop-start'), false, quiet(), { stop: false });
    const c = loadCheckpoint(join(tmp, 'crop-start', 'checkpoints', 'last.ckpt'));
    expect(st.steps).to.equal(a.step);
    const w = [...a.params.keys()][0]!;
    expect(Buffer.from(c.params.get(w)!.data.buffer).equals(Buffer.from(a.params.get(w)!.data.buffer))).to.equal(false);
  });

  it('train: the NaN guard skips non-finite steps and stops after repeated failures', async () => {
    const data = makeData('vrnn', columns['vrnn']!, 3);
    const log: string[] = [];
    const s = await train(config(join(repoRoot, 'examples/vrnn.seq'), data, { lr: 1e30, clip: 0, steps: 50 }), join(tmp, 'nan'), false, quiet(log), { stop: false });
    expect(s.stoppedBy).to.equal('diverged');
    expect(log.some((l) => /the loss or gradient is not finite .* the step was skipped/.test(l))).to.equal(true);
    expect(log.some((l) => l.startsWith('stopping: 5 steps in a row were not finite. Training diverged;') && l.includes('Try a lower --lr'))).to.equal(true);
  });

  it('train: an interrupt stops at a step boundary with a checkpoint', async () => {
    const data = makeData('vrnn', columns['vrnn']!, 4);
    const sig = { stop: false };
    const rep: Reporter = { ...quiet(), stream: { write: () => { sig.stop = true; return true; } } };
    const s = await train(config(join(repoRoot, 'examples/vrnn.seq'), data, { steps: 500 }), join(tmp, 'int'), false, rep, sig);
    expect(s.stoppedBy).to.equal('interrupt');
    expect(loadCheckpoint(join(tmp, 'int', 'checkpoints', 'last.ckpt')).step).to.equal(s.steps);
  });

  describe('evaluation, sampling and export of a trained run', () => {
    const path = join(repoRoot, 'examples/vrnn.seq');
    let run: string;
    let data: string;
    before(async () => {
      data = makeData('vrnn', columns['vrnn']!, 5);
      run = join(tmp, 'trained');
      await train(config(path, data, { steps: 150, validEvery: 50 }), run, false, quiet(), { stop: false });
    });

    it('eval: IWAE with K = 1 is exactly the one-sample ELBO (Monte Carlo KL), and IWAE grows with K', async () => {
      // With a Laplace guide the KL has no closed form, so the ELBO is the one-sample estimate itself.
      const laplace = join(tmp, 'vrnn_laplace.seq');
      writeFileSync(laplace, readFileSync(path, 'utf8').replace('guide      z[t] ~ Normal.head', 'guide      z[t] ~ Laplace.head'));
      const lrun = join(tmp, 'trained-laplace');
      await train(config(laplace, data, { steps: 60, validEvery: 60, sets: small['vrnn']! }), lrun, false, quiet(), { stop: false });
      const t = loadTrained(laplace, lrun, []);
      const seqs = loadDataset(data, t.spec).test.map((s) => normalize(s, t.stats));
      const session = await createSession(onnxBytes(t.compiled.evaluate));
      const r1 = await evaluateSplit(t.compiled, session, seqs, t.spec, t.stats, { batch: 12, k: 1, seed: 9, store: t.store });
      expect(r1.iwaePerSeq).to.deep.equal(r1.elboPerSeq);
      const means: number[] = [];
      for (const K of [1, 8, 64]) {
        let acc = 0;
        for (let rep = 0; rep < 6; rep++) acc += (await evaluateSplit(t.compiled, session, seqs, t.spec, t.stats, { batch: 4, k: K, seed: 100 + rep, store: t.store })).iwaePerStep;
        means.push(acc / 6);
      }
      expect(means[1]!, `IWAE per step for K = 1, 8, 64: ${means.join(', ')}`).to.be.greaterThan(means[0]!);
      expect(means[2]!, `IWAE per step for K = 1, 8, 64: ${means.join(', ')}`).to.be.greaterThan(means[1]! - 0.01);
    });

    it('export: the standalone models reproduce sampling and evaluation in a fresh session', async () => {
      const t = loadTrained(path, run, []);
      // In normalized units the exported graphs compute exactly what the compiled ones do (test/runtime/export.test.ts covers data units).
      const files = exportModels(t, join(tmp, 'export'), { normalization: 'none' });
      expect(files.map((f) => f.replace(/^.*\//, ''))).to.deep.equal(['sample.onnx', 'evaluate.onnx', 'export.json']);
      const ours = await drawSamples(t, await createSession(onnxBytes(t.compiled.sample)), { num: 3, steps: 10, seed: 5 });
      // Replay the same noise through the exported model, which has no parameter inputs.
      const exported = await ort.InferenceSession.create(join(tmp, 'export', 'sample.onnx'));
      expect(exported.inputNames.some((n) => t.compiled.manifest.parameters.some((p) => p.name === n))).to.equal(false);
      const rng = new (await import('../../src/runtime/rng.js')).Rng(5);
      const feeds: Record<string, ort.Tensor> = {};
      for (const i of t.compiled.manifest.graphs.sample.inputs) {
        if (i.role === 'param') continue;
        const w = i.role === 'mask' ? 1 : (i.shape[2] as number);
        const a = new Float32Array(10 * 3 * w);
        if (i.role === 'noise') rng.fill(i.law!, a);
        feeds[i.name] = new ort.Tensor('float32', a, i.role === 'mask' ? [10, 3] : [10, 3, w]);
      }
      const out = await exported.run(feeds);
      const x = out['sample.x']!.data as Float32Array;
      const st = t.stats.get('x')!;
      const ref = ours.values.get('x')!.data;
      for (let k = 0; k < x.length; k++) expect(x[k]! * st.std[k % 4]! + st.mean[k % 4]!).to.be.closeTo(ref[k]!, 1e-4);
      // Evaluation: the exported model and the compiled one with the checkpoint's parameters agree exactly.
      const ev = await ort.InferenceSession.create(join(tmp, 'export', 'evaluate.onnx'));
      const inner = await createSession(onnxBytes(t.compiled.evaluate));
      const ef: Record<string, ort.Tensor> = {};
      const erng = new Rng(3);
      for (const i of t.compiled.manifest.graphs.evaluate.inputs) {
        if (i.role === 'param' || i.role === 'beta') continue;
        const shape = i.shape.map((d) => (d === 'T' ? 7 : d === 'B' ? 2 : d === 'K' ? 3 : (d as number)));
        const n = shape.reduce((a, b) => a * b, 1);
        ef[i.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => (i.role === 'mask' || i.role === 'beta' ? 1 : erng.normal())), shape);
      }
      const withParams: Record<string, ort.Tensor> = { ...ef, beta: new ort.Tensor('float32', [1], []) };
      for (const p of t.compiled.manifest.parameters) withParams[p.name] = new ort.Tensor('float32', t.store.get(p.name).data as Float32Array, [...p.shape]);
      const a = await ev.run(ef);
      const b = await inner.run(withParams);
      for (const k of ['elbo', 'iwae', 'loglik', 'kl', 'logw']) expect(Array.from(a[k]!.data as Float32Array)).to.deep.equal(Array.from(b[k]!.data as Float32Array));
    });
  });
});
