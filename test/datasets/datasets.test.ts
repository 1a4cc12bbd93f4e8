/**
 * @file The dataset builders (scripts/datasets): each tiny build is deterministic (two builds,
 * the same SHA256SUMS), loads with the runtime's readers, and the five seed models of Chung et
 * al. 2015 (and the dataset's own model) improve their validation ELBO on it within a few steps.
 * The builders need Debian packages (.ci/run installs them); where they are missing the tests
 * are skipped and say which packages and how to install them.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPackages, type AptNeed } from '../../scripts/datasets/common.js';
import { buildHandwriting, needs as handwritingNeeds } from '../../scripts/datasets/handwriting.js';
import { buildMusic, needs as musicNeeds, transpose, transpositions } from '../../scripts/datasets/music.js';
import { buildSpeech, speechNeeds } from '../../scripts/datasets/speech.js';
import type { BuildOptions, BuildResult } from '../../scripts/datasets/types.js';
import { loadDataset, parseColumns, type VarSpec } from '../../src/runtime/data/index.js';
import { train, type Reporter, type TrainConfig } from '../../src/runtime/train.js';
import { repoRoot } from '../helpers/examples.js';

const seedModels = ['rnn_normal', 'rnn_gmm', 'storn', 'vrnn', 'vrnn_gmm'];
const tiny = (x: number) => ({
  rnn_normal: [`x_dim=${x}`, 'h_dim=8', 'f_dim=8'], rnn_gmm: [`x_dim=${x}`, 'h_dim=8', 'f_dim=8', 'k=2'],
  storn: [`x_dim=${x}`, 'z_dim=2', 'h_dim=8'], vrnn: [`x_dim=${x}`, 'z_dim=2', 'h_dim=8', 'f_dim=8'],
  vrnn_gmm: [`x_dim=${x}`, 'z_dim=2', 'h_dim=8', 'f_dim=8', 'k=2'],
} as Record<string, string[]>);

interface Case {
  readonly name: string;
  readonly build: (o: BuildOptions) => BuildResult;
  readonly needs: readonly AptNeed[];
  /** What the seed models read, and the mapping (if any). */
  readonly spec: VarSpec[];
  readonly columns: string | null;
  readonly xDim: number;
  /** The dataset's own model besides the seed models. */
  readonly own: { model: string; sets: string[]; columns: string | null };
  readonly maxLen: number | null;
}

const cases: Case[] = [
  { name: 'speech', build: buildSpeech, needs: speechNeeds(true), spec: [{ name: 'x', width: 200, elem: 'real' }], columns: null, xDim: 200, maxLen: null,
    own: { model: 'vrnn', sets: tiny(200)['vrnn']!, columns: null } },
  { name: 'handwriting', build: buildHandwriting, needs: handwritingNeeds, spec: [{ name: 'x', width: 3, elem: 'real' }], columns: 'x=0:3', xDim: 3, maxLen: 60,
    own: { model: 'vrnn_handwriting', sets: ['z_dim=2', 'h_dim=8', 'f_dim=8', 'k=2'], columns: 'dxy=0:2,pen=2' } },
  { name: 'music', build: buildMusic, needs: musicNeeds, spec: [{ name: 'x', width: 88, elem: 'real' }], columns: null, xDim: 88, maxLen: null,
    own: { model: 'vrnn_polyphonic', sets: ['z_dim=2', 'h_dim=8', 'f_dim=8'], columns: null } },
];

const quiet: Reporter = { info: () => {}, warn: () => {}, stream: { write: () => true } };

function validCurve(dir: string): number[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('valid_elbo')).map((l) => JSON.parse(l).valid_elbo_per_step as number);
}

describe('datasets: the music builder transposes training songs within the 88 keys', () => {
  it('keeps only the shifts that leave every note on the piano, and moves every note', () => {
    const song = [[21, 60], [], [100, 103]];
    expect(transpositions(song)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(transpositions([[30], [105]])).to.deep.equal([-6, -5, -4, -3, -2, -1, 1, 2, 3]);
    expect(transpositions([[], []])).to.deep.equal([]);
    expect(transpose(song, 2)).to.deep.equal([[23, 62], [], [102, 105]]);
  });
});

describe('datasets: tiny builds from Debian material train the seed models', function () {
  this.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), 'seqppl-datasets-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const c of cases) {
    describe(`dataset ${c.name}`, () => {
      let out = '';
      before(function () {
        const missing = missingPackages(c.needs);
        if (missing.length) {
          process.stdout.write(`      skipped: the ${c.name} builder needs the Debian packages ${missing.join(', ')} (apt-get install ${missing.join(' ')}; .ci/run installs them)\n`);
          this.skip();
        }
        out = join(tmp, c.name);
      });

      it(`${c.name}: two tiny builds write the same bytes, and the runtime reads them`, () => {
        const a = c.build({ tiny: true, out, log: () => {} });
        const b = c.build({ tiny: true, out: `${out}-again`, log: () => {} });
        expect(b.sums).to.equal(a.sums);
        expect(a.counts.train).to.be.greaterThan(0);
        const ds = loadDataset(out, c.spec, c.columns ? { columns: parseColumns(c.columns, c.spec) } : {});
        expect([ds.train.length, ds.valid.length, ds.test.length]).to.deep.equal([a.counts.train, a.counts.valid, a.counts.test]);
        if (c.name === 'music') {
          // The tiny build has one song per split: the training one comes with its transpositions, the others alone.
          const train = JSON.parse(readFileSync(join(out, 'train.json'), 'utf8')) as number[][][];
          const shifts = transpositions(train[0]!);
          expect(shifts.length).to.be.greaterThan(0);
          expect(train.slice(1)).to.deep.equal(shifts.map((d) => transpose(train[0]!, d)));
          expect([a.counts.valid, a.counts.test]).to.deep.equal([1, 1]);
        }
      });

      for (const model of [...new Set([...seedModels, c.own.model])]) {
        it(`${c.name}: ${model} improves its validation ELBO in a few steps`, async () => {
          const own = model === c.own.model;
          const dir = join(tmp, `run-${c.name}-${model}`);
          const cfg: TrainConfig = {
            model: join(repoRoot, 'examples', `${model}.seq`), data: out, columns: own ? c.own.columns : c.columns, sets: own ? c.own.sets : tiny(c.xDim)[model]!,
            steps: 30, epochs: null, timeLimit: null, batch: 4, maxLen: c.maxLen, lr: 1e-2, lrSchedule: 'constant', warmup: 0, clip: 10,
            weightDecay: 0, klAnneal: 0, klStart: 0, validEvery: 1, patience: 0, seed: 3, device: 'cpu', threads: 1,
          };
          await train(cfg, dir, false, quiet, { stop: false });
          const curve = validCurve(dir);
          const first = curve[0]!, best = Math.max(...curve.slice(5));
          expect(best, `validation ELBO per step: ${first.toFixed(3)} after one step, best ${best.toFixed(3)} after steps 6..30`).to.be.greaterThan(first + 0.05);
        });
      }
    });
  }
});
