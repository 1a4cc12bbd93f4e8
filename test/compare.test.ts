/** @file `seqc compare`: two models trained on the same data and budget from the CLI; the table, the SVG of validation curves and the JSON rows. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../src/runtime/data/index.js';
import { repoRoot } from './helpers/examples.js';
import { Rng } from './helpers/random.js';

describe('cli: seqc compare', function () {
  this.timeout(300_000);
  it('compare: trains each model with the same budget and seed, prints a table and writes one SVG with every validation curve', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'seqc-compare-'));
    const rng = new Rng(3);
    for (const [split, N] of [['train', 24], ['valid', 6], ['test', 6]] as const) {
      const a = Float32Array.from({ length: N * 10 * 3 }, (_, i) => Math.sin(0.7 * Math.floor(i / 3) + (i % 3)) + 0.1 * rng.normal());
      writeFileSync(join(tmp, `${split}.npy`), encodeNpy([N, 10, 3], '<f4', a));
    }
    const out = join(tmp, 'cmp');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), 'compare', join(repoRoot, 'examples/rnn_normal.seq'), join(repoRoot, 'examples/vrnn.seq'),
      '--data', tmp, '--set', 'x_dim=3', '--set', 'z_dim=2', '--set', 'h_dim=8', '--set', 'f_dim=8', '--steps', '20', '--valid-every', '10', '--eval-k', '5', '--out', out], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/rnn_normal\s+-?\d+\.\d+\s+-?\d+\.\d+ \(exact\)\s+[\d,]+\s+20 /);
    expect(r.stdout).to.match(/vrnn\s+-?\d+\.\d+\s+-?\d+\.\d+ \(IWAE-5\)\s+[\d,]+\s+20 /);
    const svg = readFileSync(join(out, 'compare.svg'), 'utf8');
    expect(svg).to.contain('<title>rnn_normal</title>').and.to.contain('<title>vrnn</title>');
    const rows = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as { model: string; steps: number; params: number }[];
    expect(rows.map((x) => [x.model, x.steps])).to.deep.equal([['rnn_normal', 20], ['vrnn', 20]]);
    // --set reached only the models that declare each name (rnn_normal has no z_dim).
    expect(readFileSync(join(out, 'rnn_normal', 'config.json'), 'utf8')).to.not.contain('z_dim');
  });

  it('compare: refuses a single model and a missing budget', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), 'compare', ...a], { cwd: repoRoot, encoding: 'utf8' });
    expect(run(join(repoRoot, 'examples/vrnn.seq'), '--steps', '3').stderr).to.match(/two or more model files/);
    const r = run(join(repoRoot, 'examples/vrnn.seq'), join(repoRoot, 'examples/storn.seq'));
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/needs a budget/);
  });
});
