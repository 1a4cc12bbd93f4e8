/**
 * @file Several optimizer steps per call in the training loop (what CUDA uses by default) train
 * exactly as one step per call: same metrics, same checkpoint bits, same RNG state; a group
 * with a non-finite step is replayed one step at a time, so the NaN guard acts the same.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/runtime/checkpoint.js';
import { encodeNpy } from '../../src/runtime/data/index.js';
import { train, type Reporter, type TrainConfig } from '../../src/runtime/train.js';
import { repoRoot, smallSizes } from '../helpers/examples.js';
import { Rng } from '../helpers/random.js';

const tmp = mkdtempSync(join(tmpdir(), 'seqc-steps-'));

/** Noisy sinusoids of 4 channels; `ragged` gives each sequence its own length (padded to 10 in the files). */
function data(ragged: boolean): string {
  const dir = join(tmp, `data-${ragged}`);
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(3);
  const T = 10, D = 4;
  for (const [split, N] of [['train', 40], ['valid', 8], ['test', 8]] as const) {
    const a = new Float32Array(N * T * D);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(0.7 * i) + 0.1 * rng.normal();
    writeFileSync(join(dir, `${split}.npy`), encodeNpy([N, T, D], '<f4', a));
    if (ragged) {
      const lengths = Float64Array.from({ length: N }, (_, n) => 5 + (n % 6));
      writeFileSync(join(dir, `${split}.lengths.npy`), encodeNpy([N], '<f8', lengths));
    }
  }
  return dir;
}

const quiet = (log: string[] = []): Reporter => ({ info: (l) => log.push(l), warn: (l) => log.push(l), stream: { write: () => true } });

function config(d: string, over: Partial<TrainConfig>): TrainConfig {
  return {
    model: join(repoRoot, 'examples/vrnn.seq'), data: d, sets: smallSizes['vrnn']!, steps: 14, epochs: null, timeLimit: null, batch: 8, maxLen: null,
    lr: 3e-3, lrSchedule: 'cosine', warmup: 3, clip: 10, weightDecay: 0.01, klAnneal: 6, klStart: 0.2, validEvery: 5, patience: 0,
    seed: 5, device: 'cpu', threads: 1, ...over,
  };
}

const metrics = (dir: string): string[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { seconds: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
  return JSON.stringify(rest);
});

describe('runtime: several optimizer steps per call', function () {
  this.timeout(300_000);
  for (const ragged of [false, true]) {
    it(`steps per call: 4 per call equal 1 per call bit for bit (${ragged ? 'ragged lengths: groups split by shape' : 'equal lengths'}, across epochs and validations)`, async () => {
      const d = data(ragged);
      await train(config(d, { stepsPerCall: 1 }), join(tmp, `one-${ragged}`), false, quiet(), { stop: false });
      await train(config(d, { stepsPerCall: 4 }), join(tmp, `four-${ragged}`), false, quiet(), { stop: false });
      expect(metrics(join(tmp, `four-${ragged}`))).to.deep.equal(metrics(join(tmp, `one-${ragged}`)));
      const a = loadCheckpoint(join(tmp, `one-${ragged}`, 'checkpoints', 'last.ckpt'));
      const b = loadCheckpoint(join(tmp, `four-${ragged}`, 'checkpoints', 'last.ckpt'));
      expect(b.step).to.equal(14);
      for (const [name, t] of a.params) expect(Buffer.from(b.params.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).to.equal(true);
      for (const [name, t] of a.state) expect(Buffer.from(b.state.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).to.equal(true);
      expect(JSON.stringify([b.rng, b.epoch, b.position])).to.equal(JSON.stringify([a.rng, a.epoch, a.position]));
    });
  }

  it('steps per call: a non-finite step inside a group is skipped and reported as with one step per call', async () => {
    const d = data(false);
    const logs: string[][] = [[], []];
    const runs = await Promise.all([1, 4].map((k, i) => train(config(d, { stepsPerCall: k, lr: 1e30, clip: 0, steps: 30 }), join(tmp, `nan-${k}`), false, quiet(logs[i]), { stop: false })));
    expect(runs[1]!.stoppedBy).to.equal('diverged');
    expect(runs[1]!.steps).to.equal(runs[0]!.steps);
    const strip = (ls: string[], k: number): string[] => ls.map((l) => l.replaceAll(join(tmp, `nan-${k}`), 'RUN'));
    expect(strip(logs[1]!, 4)).to.deep.equal(strip(logs[0]!, 1));
  });
});
