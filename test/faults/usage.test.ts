/**
 * @file Faults of use: divergence keeps the last good state and says where it is, a diverged
 * checkpoint is never evaluated into NaNs, messages about other models and missing option values
 * say what happened, a failed start leaves no run directory, and a model file edited only in
 * comments and layout still fits its runs.
 */
import { expect } from 'chai';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/runtime/checkpoint.js';
import { expectFault, MODEL, scratch, seqc, SMALL, tinyData } from './harness.js';

describe('faults: divergence, other models, and messages', function () {
  this.timeout(120_000);
  const root = scratch('usage');
  const data = tinyData(join(root, 'data'));
  const base = join(root, 'base');

  before(async () => {
    const r = await seqc('train', MODEL, '--data', data, '--steps', '20', '--valid-every', '10', '--out', base, ...SMALL);
    expect(r.code, r.err).to.equal(0);
  });

  it('divergence (--lr 1e9): exit 5, no checkpoint from non-finite weights, the message names a checkpoint that loads and evaluates', async () => {
    const fresh = join(root, 'diverged');
    const r = await seqc('train', MODEL, '--data', data, '--steps', '100', '--valid-every', '1', '--lr', '1e9', '--out', fresh, ...SMALL);
    expectFault(r, 5, 'Training diverged; no checkpoint was written (it diverged before its first validation)', 'Try a lower --lr');
    expect(readdirSync(join(fresh, 'checkpoints'))).to.deep.equal([]);
    // Resumed from a good run with a huge step size, it stops and points at the good last.ckpt.
    const resumed = join(root, 'diverged-resume');
    cpSync(base, resumed, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(resumed, 'config.json'), 'utf8'));
    writeFileSync(join(resumed, 'config.json'), JSON.stringify({ ...cfg, lr: 1e9, validEvery: 1 }));
    const d = await seqc('train', '--resume', resumed, '--steps', '60');
    expectFault(d, 5, `the last good checkpoint is ${join(resumed, 'checkpoints', 'last.ckpt')} (step 20, written from finite weights)`);
    for (const f of ['last.ckpt', 'best.ckpt']) {
      const ck = loadCheckpoint(join(resumed, 'checkpoints', f));
      expect(ck.step, f).to.equal(20);
      for (const t of ck.params.values()) expect(t.data.every((x) => Number.isFinite(x)), f).to.equal(true);
    }
    const e = await seqc('eval', '--checkpoint', resumed, '--json');
    expect(e.code, e.err).to.equal(0);
    expect(Number.isFinite(JSON.parse(e.out).elbo_per_step)).to.equal(true);
  });

  it('eval of a checkpoint holding non-finite weights (an old diverged run) exits 5 naming the tensor; no NaN table', async () => {
    const run = join(root, 'nan-weights');
    cpSync(base, run, { recursive: true });
    const file = join(run, 'checkpoints', 'best.ckpt');
    const ck = loadCheckpoint(file);
    const name = [...ck.params.keys()][3]!;
    ck.params.get(name)!.data[2] = NaN;
    saveCheckpoint(file, ck);
    expectFault(await seqc('eval', '--checkpoint', run), 5, `${file} (step 20) holds non-finite weights: ${name}[2] is NaN; the run diverged`, 'hint:');
    const last = await seqc('eval', '--checkpoint', run, '--which', 'last', '--json');
    expect(last.code, last.err).to.equal(0);
    expect(JSON.parse(last.out).checkpoint_kind).to.equal('last');
  });

  it('another model says so (no f_dim=undefined, no --set blamed); a --set that differs from the run is named', async () => {
    const storn = join(MODEL, '..', 'storn.seq');
    const r = await seqc('eval', storn, '--checkpoint', base);
    expectFault(r, 5, `${base} was trained with another model: ${storn} is model 'storn', the run's model is 'vrnn'`);
    expect(r.err).to.not.match(/undefined|--set/);
    expectFault(await seqc('sample', storn, '--checkpoint', base, '-o', join(root, 's')), 5, 'trained with another model');
    expectFault(await seqc('train', storn, '--resume', base), 5, 'trained with another model');
    const edited = join(root, 'tanh.seq');
    writeFileSync(edited, readFileSync(MODEL, 'utf8').replace('hidden = [f_dim], act = relu', 'hidden = [f_dim], act = tanh'));
    expectFault(await seqc('eval', edited, '--checkpoint', base), 5, `${edited} is not the model ${base} was trained with`, 'act = tanh');
    const s = await seqc('eval', MODEL, '--checkpoint', base, '--set', 'h_dim=16');
    expectFault(s, 5, `${base} was trained with h_dim=8, but this command uses h_dim=16: drop the --set options`);
  });

  it('comments and seqc fmt do not lock a run; eval, sample, export and --resume work without the model file', async () => {
    const commented = join(root, 'commented.seq');
    writeFileSync(commented, '# my notes\n' + readFileSync(MODEL, 'utf8').replace(/\n  net /, '\n\n  # the nets\n  net ').replace(/ = mlp/g, '   =   mlp'));
    expect((await seqc('fmt', commented)).code).to.equal(0);
    const run = join(root, 'commented-run');
    cpSync(base, run, { recursive: true });
    const r = await seqc('train', commented, '--resume', run, '--steps', '25');
    expect(r.code, r.err).to.equal(0);
    for (const args of [['eval', commented, '--checkpoint', run], ['eval', '--checkpoint', run], ['sample', '--checkpoint', run, '-o', join(root, 'smp')], ['export', '--checkpoint', run, '-o', join(root, 'exp')]]) {
      const u = await seqc(...args);
      expect(u.code, `${args.join(' ')}: ${u.err}`).to.equal(0);
    }
    expect((await seqc('train', '--resume', run, '--steps', '30')).code).to.equal(0);
    expect(loadCheckpoint(join(run, 'checkpoints', 'last.ckpt')).step).to.equal(30);
  });

  it('an option missing its value names the option, not "too many arguments"; a missing --data path exits 2; a failed start leaves no run directory', async () => {
    expectFault(await seqc('train', MODEL, '--steps', '--lr', '1'), 2, "option '--steps <n>' is missing its value (the next word, --lr, is an option)");
    expectFault(await seqc('train', MODEL, '--steps'), 2, "option '--steps <n>' is missing its value");
    expectFault(await seqc('eval', '--checkpoint', base, '--iwae='), 2, "option '--iwae <k>' is missing its value");
    const run = join(root, 'never');
    expectFault(await seqc('train', MODEL, '--data', join(root, 'nope'), '--out', run, ...SMALL), 2, `--data ${join(root, 'nope')}: no such file or directory`);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{"train": [[[1, 2]]], "valid": [[[1, 2]]], "test": [[[1, 2]]]}');
    const d = await seqc('train', MODEL, '--data', bad, '--out', run, ...SMALL);
    expectFault(d, 4, /bad\.json.*sequence 0.*step 0.*frame has 2 values/);
    expect(d.out, 'the banner comes after the inputs are checked').to.not.contain('training');
    expectFault(await seqc('train', MODEL, '--data', data, '--out', run, '--device', 'cuda', ...SMALL), 5, '--device cuda');
    expect(existsSync(run)).to.equal(false);
    expectFault(await seqc('train', '--resume', join(root, 'nope')), 5, `cannot resume ${join(root, 'nope')}: no such run directory`);
  });

  it('the printed next: commands are shell-quoted', async () => {
    const run = join(root, "it's a run");
    const r = await seqc('train', MODEL, '--data', data, '--steps', '3', '--out', run, ...SMALL);
    expect(r.code, r.err).to.equal(0);
    const q = `'${run.replace(/'/g, `'\\''`)}'`;
    expect(r.out).to.contain(`next: npx seqc sample --checkpoint ${q} -o '${join(run, 'samples').replace(/'/g, `'\\''`)}'`);
    expect(r.out).to.contain(`npx seqc eval --checkpoint ${q} --iwae 100`);
  });

  it('train --json prints one JSON summary; eval --json --per-sequence gives every sequence; the eval table is aligned', async () => {
    const run = join(root, 'json');
    const t = await seqc('train', MODEL, '--data', data, '--steps', '12', '--valid-every', '5', '--out', run, '--json', ...SMALL);
    expect(t.code, t.err).to.equal(0);
    const j = JSON.parse(t.out);
    expect(j).to.include({ run, steps: 12, stopped_by: 'steps', exit_code: 0 });
    expect(j.checkpoints).to.deep.equal({ best: join(run, 'checkpoints', 'best.ckpt'), last: join(run, 'checkpoints', 'last.ckpt') });
    expect(j.best_valid_elbo_per_step).to.be.a('number');
    expect(t.err).to.contain('training '); // the banner goes to stderr with --json
    const e = await seqc('eval', '--checkpoint', run, '--json', '--per-sequence', '--iwae', '3');
    expect(e.code, e.err).to.equal(0);
    const ev = JSON.parse(e.out);
    expect(ev.sequences).to.have.length(4);
    expect(ev.sequences.map((s: { length: number }) => s.length)).to.deep.equal([5, 6, 7, 5]);
    const mean = ev.sequences.reduce((a: number, s: { elbo: number }) => a + s.elbo, 0) / 4;
    expect(mean).to.be.closeTo(ev.elbo_per_seq, 1e-9);
    const table = (await seqc('eval', '--checkpoint', run, '--iwae', '1000')).out.split('\n').slice(1, 4);
    const ends = table.map((l) => l.length);
    expect(new Set(ends).size, table.join('\n')).to.equal(1);
    const secondColumnEnd = table.map((l, i) => (i === 0 ? l.indexOf('per sequence') + 'per sequence'.length : /-?\d+\.\d+/.exec(l)!.index + /-?\d+\.\d+/.exec(l)![0].length));
    expect(new Set(secondColumnEnd).size, table.join('\n')).to.equal(1);
  });
});
