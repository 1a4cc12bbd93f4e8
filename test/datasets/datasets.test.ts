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
import { buildMusic, buildMusicPlus, freedoom, needs as musicNeeds, transpose, transpositions, wadLumps } from '../../scripts/datasets/music.js';
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
  { name: 'music-plus', build: buildMusicPlus, needs: [...musicNeeds, { pkg: freedoom.pkg, file: freedoom.wads[0] }], spec: [{ name: 'x', width: 88, elem: 'binary' }], columns: null, xDim: 88, maxLen: 48,
    own: { model: 'rnn_nade_polyphonic', sets: ['h_dim=8', 'f_dim=8', 'nade_dim=4'], columns: null } },
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

describe('datasets: WAD lumps (music-plus reads Freedoom\'s MIDI tunes from its WADs)', () => {
  /** A WAD with the given lumps: 12-byte header, the data, then 16-byte directory entries. */
  const wad = (lumps: { name: string; data: number[] }[], magic = 'IWAD'): Uint8Array => {
    const data = lumps.flatMap((l) => l.data);
    const out = new Uint8Array(12 + data.length + 16 * lumps.length);
    const v = new DataView(out.buffer);
    out.set([...magic].map((c) => c.charCodeAt(0)), 0);
    v.setInt32(4, lumps.length, true);
    v.setInt32(8, 12 + data.length, true);
    out.set(data, 12);
    let at = 12;
    lumps.forEach((l, i) => {
      const o = 12 + data.length + 16 * i;
      v.setInt32(o, at, true);
      v.setInt32(o + 4, l.data.length, true);
      out.set([...l.name].map((c) => c.charCodeAt(0)), o + 8);
      at += l.data.length;
    });
    return out;
  };

  it('reads every lump by name and byte range, and refuses what is not a WAD', () => {
    const bytes = wad([{ name: 'D_E1M1', data: [77, 84, 104, 100, 1] }, { name: 'PLAYPAL', data: [9, 9] }, { name: 'EMPTY', data: [] }]);
    const lumps = wadLumps(bytes, 'test.wad');
    expect(lumps.map((l) => l.name)).to.deep.equal(['D_E1M1', 'PLAYPAL', 'EMPTY']);
    expect(lumps.map((l) => [...l.data])).to.deep.equal([[77, 84, 104, 100, 1], [9, 9], []]);
    expect(() => wadLumps(wad([], 'ABCD'), 'x.wad')).to.throw(/x\.wad: not a WAD file/);
    const broken = bytes.slice();
    new DataView(broken.buffer).setInt32(12 + 7 + 4, 1000, true);
    expect(() => wadLumps(broken, 'y.wad')).to.throw(/y\.wad: lump 0 out of range/);
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
        if (c.name === 'music-plus') {
          // The held-out songs are music's; the training split gains a Freedoom tune (and its transpositions).
          const music = buildMusic({ tiny: true, out: `${out}-music`, log: () => {} });
          for (const f of ['valid.json', 'test.json']) expect(readFileSync(join(out, f), 'utf8')).to.equal(readFileSync(join(`${out}-music`, f), 'utf8'));
          expect(a.counts.train).to.be.greaterThan(music.counts.train);
          const songs = readFileSync(join(out, 'songs.tsv'), 'utf8').split('\n').filter((l) => l.includes('\tfreedoom\t'));
          expect(songs.length).to.be.greaterThan(0);
          expect(songs.every((l) => l.startsWith('train\t') && /freedoom[12]\.wad:D_/.test(l))).to.equal(true);
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
