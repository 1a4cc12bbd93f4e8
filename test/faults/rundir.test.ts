/**
 * @file Faults in and around a run directory: --out over other files, runs whose checkpoints
 * must survive, planted symbolic links (nothing outside the run is touched), replaced graphs,
 * an edited config.json, torn and damaged metrics lines, stale temp files, a live lock.
 */
import { expect } from 'chai';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/runtime/checkpoint.js';
import { expectFault, MODEL, runState, scratch, seqc, SMALL, snapshot, tinyData } from './harness.js';

describe('faults: the run directory is data, not code', function () {
  this.timeout(120_000);
  const root = scratch('rundir');
  const data = tinyData(join(root, 'data'));
  const base = join(root, 'base');
  /** A copy of the trained base run (20 steps, validated at 10 and 20). */
  const copy = (name: string): string => {
    const d = join(root, name);
    cpSync(base, d, { recursive: true });
    return d;
  };

  before(async () => {
    const r = await seqc('train', MODEL, '--data', data, '--steps', '20', '--valid-every', '10', '--lr-schedule', 'constant', '--out', base, ...SMALL);
    expect(r.code, r.err).to.equal(0);
  });

  it('--out: a file, a path under a file, and a directory of other files are refused (exit 2), and nothing is written', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'mine');
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '2', '--out', file, ...SMALL), 2, `--out ${file} is a file, not a directory`);
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '2', '--out', join(file, 'run'), ...SMALL), 2,
      `cannot look at ${join(file, 'run')}: a part of the path is a file, not a directory (ENOTDIR)`, 'hint:');
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const before = snapshot(root);
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '2', '--out', other, ...SMALL), 2,
      `--out ${other} is not empty and is not a seqc run (it holds notes.txt)`, 'choose a new or empty directory');
    expect(snapshot(root)).to.deep.equal(before);
    expect(readFileSync(file, 'utf8')).to.equal('mine');
  });

  it('--out: an existing run is never overwritten — not its last.ckpt, not its best.ckpt when last.ckpt is gone, not another model\'s', async () => {
    const run = copy('keep');
    const before = snapshot(run);
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '2', '--out', run, ...SMALL), 2, `${run} already holds a run; use --resume ${run} to continue it`);
    unlinkSync(join(run, 'checkpoints', 'last.ckpt'));
    const bestOnly = snapshot(run);
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '2', '--out', run, ...SMALL), 2,
      `${run} holds a run whose last.ckpt is missing (it has best.ckpt); seqc never overwrites a run's best checkpoint`, `--checkpoint ${run}`);
    expect(snapshot(run)).to.deep.equal(bestOnly);
    const storn = join(MODEL, '..', 'storn.seq');
    const other = copy('keep-other');
    const o = snapshot(other);
    expectFault(await seqc('train', storn, '--data', data, '--steps', '2', '--out', other, '--set', 'x_dim=3'), 2, `${other} already holds a run of another model ('vrnn')`);
    expect(snapshot(other)).to.deep.equal(o);
    expect(Object.keys(before)).to.include('checkpoints/last.ckpt');
  });

  it('--resume: a replaced train_step.onnx, an edited manifest or an edited config.json is refused with exit 5, naming the file', async () => {
    const graph = copy('graph');
    copyFileSync(join(graph, 'evaluate.onnx'), join(graph, 'train_step.onnx'));
    expectFault(await seqc('train', '--resume', graph, '--steps', '30'), 5, `${join(graph, 'train_step.onnx')} differs from the graph`, 'seqc never runs a run\'s own graphs');
    const man = copy('manifest');
    writeFileSync(join(man, 'manifest.json'), readFileSync(join(man, 'manifest.json'), 'utf8').replace('"iwaeK": 1', '"iwaeK": 2'));
    expectFault(await seqc('train', '--resume', man, '--steps', '30'), 5, `${join(man, 'manifest.json')} differs from the manifest`);
    for (const [field, value, want] of [['batch', 0, 'batch is 0, expected an integer ≥ 1'], ['lr', 'fast', 'lr is "fast", expected a number ≥ 0'],
      ['lrSchedule', 'linear', 'lrSchedule is "linear", expected one of constant, cosine, exp'], ['sets', 'h_dim=8', 'sets is "h_dim=8", expected a list']] as const) {
      const run = copy(`config-${field}`);
      const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
      cfg[field] = value;
      writeFileSync(join(run, 'config.json'), JSON.stringify(cfg));
      const before = snapshot(run);
      expectFault(await seqc('train', '--resume', run, '--steps', '30'), 5, `${join(run, 'config.json')}: ${want}`, 'hint: the file was edited');
      expectFault(await seqc('eval', '--checkpoint', run), 5, `${join(run, 'config.json')}: ${want}`);
      expect(snapshot(run)).to.deep.equal(before);
    }
    const broken = copy('config-json');
    writeFileSync(join(broken, 'config.json'), '{"model": ');
    expectFault(await seqc('train', '--resume', broken), 5, `${join(broken, 'config.json')} is not valid JSON`);
  });

  it('symbolic links planted in a run are refused before anything is written; the files they point to are untouched', async () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious.txt'), 'do not touch');
    mkdirSync(join(outside, 'ckpts'));
    for (const [name, target] of [['metrics.jsonl', 'precious.txt'], ['config.json', 'precious.txt'], ['curves.svg', 'precious.txt'], ['checkpoints', 'ckpts'], ['checkpoints/last.ckpt', 'precious.txt'], ['.lock', 'precious.txt']] as const) {
      const run = copy(`link-${name.replace('/', '-')}`);
      if (name === 'config.json') copyFileSync(join(run, 'config.json'), join(outside, 'precious.txt')); // a readable config, so the link is what is refused
      const linked = join(run, name);
      rmSync(linked, { recursive: true, force: true });
      symlinkSync(join(outside, target), linked);
      const before = snapshot(outside);
      const r = await seqc('train', '--resume', run, '--steps', '30');
      expectFault(r, 5, `${linked} is a symbolic link; seqc never writes through a link inside a run directory`);
      expect(snapshot(outside), `${name}: a file outside the run changed`).to.deep.equal(before);
      if (name === 'config.json') writeFileSync(join(outside, 'precious.txt'), 'do not touch');
    }
    // A fresh run into a directory with a planted link is refused the same way.
    const fresh = join(root, 'fresh-link');
    mkdirSync(fresh);
    symlinkSync(join(outside, 'precious.txt'), join(fresh, 'metrics.jsonl'));
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '2', '--out', fresh, ...SMALL), 5, 'metrics.jsonl is a symbolic link');
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).to.equal('do not touch');
  });

  it('a torn last metrics line is dropped on --resume (with a warning) and the run continues bit for bit; a damaged middle line is reported by line', async () => {
    const straight = join(root, 'straight30');
    expect((await seqc('train', MODEL, '--data', data, '--steps', '30', '--valid-every', '10', '--lr-schedule', 'constant', '--out', straight, ...SMALL)).code).to.equal(0);
    const torn = copy('torn');
    writeFileSync(join(torn, 'metrics.jsonl'), readFileSync(join(torn, 'metrics.jsonl'), 'utf8') + '{"step":21,"epoch":21,"lo');
    const r = await seqc('train', '--resume', torn, '--steps', '30');
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.contain(`${join(torn, 'metrics.jsonl')}: dropped a torn last line`);
    expect(runState(torn)).to.deep.equal(runState(straight));
    const damaged = copy('damaged');
    const lines = readFileSync(join(damaged, 'metrics.jsonl'), 'utf8').split('\n');
    lines[4] = 'garbage';
    writeFileSync(join(damaged, 'metrics.jsonl'), lines.join('\n'));
    expectFault(await seqc('train', '--resume', damaged, '--steps', '30'), 5, `${join(damaged, 'metrics.jsonl')}:5: not a metrics record ("garbage")`);
  });

  it('stale temp files of killed processes are removed at start; a lock held by a live process is refused', async () => {
    const run = copy('stale');
    const stale = ['.last.ckpt.12345.0badcafe.tmp', 'config.json.999.tmp'];
    writeFileSync(join(run, 'checkpoints', stale[0]!), 'half a checkpoint');
    writeFileSync(join(run, stale[1]!), '{');
    writeFileSync(join(run, 'notes.tmp'), 'not ours: kept');
    const r = await seqc('train', '--resume', run, '--steps', '22');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.contain(`.last.ckpt.12345.0badcafe.tmp`);
    for (const f of [join(run, 'checkpoints', stale[0]!), join(run, stale[1]!)]) expect(existsSync(f), f).to.equal(false);
    expect(existsSync(join(run, 'notes.tmp'))).to.equal(true);
    expect(existsSync(join(run, '.lock'))).to.equal(false);
    const locked = copy('locked');
    writeFileSync(join(locked, '.lock'), `${process.ppid}\n`); // a live process that is not this one
    expectFault(await seqc('train', '--resume', locked, '--steps', '22'), 5, `${locked} is in use by seqc process ${process.ppid}`);
    writeFileSync(join(locked, '.lock'), '2147483646\n'); // no such process: a lock left by kill -9
    expect((await seqc('train', '--resume', locked, '--steps', '22')).code).to.equal(0);
    expect(loadCheckpoint(join(locked, 'checkpoints', 'last.ckpt')).step).to.equal(22);
  });
});
