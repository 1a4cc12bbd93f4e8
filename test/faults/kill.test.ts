/**
 * @file Interruptions: `kill -9` at random moments (during start-up, training or a checkpoint
 * write) followed by `--resume` ends bit for bit where an uninterrupted run ends; SIGTERM and
 * SIGHUP stop like Ctrl-C (checkpoint, exit 143/129, the --resume command printed); a session
 * stopped before its first validation leaves no record an uninterrupted run lacks.
 */
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/runtime/checkpoint.js';
import { Rng } from '../helpers/random.js';
import { expectFault, MODEL, runState, scratch, seqc, SMALL, startSeqc, tinyData, waitFor } from './harness.js';

describe('faults: kill -9, SIGTERM, SIGHUP and interrupts', function () {
  this.timeout(240_000);
  const root = scratch('kill');
  const data = tinyData(join(root, 'data'));
  const settings = ['--data', data, '--steps', '400', '--valid-every', '25', '--patience', '0', ...SMALL];
  let straight: ReturnType<typeof runState>;

  before(async () => {
    const r = await seqc('train', MODEL, ...settings, '--out', join(root, 'straight'));
    expect(r.code, r.err).to.equal(0);
    straight = runState(join(root, 'straight'));
  });

  it('kill -9 at three random moments, each followed by --resume (or a restart when no checkpoint was written yet), ends bit for bit', async () => {
    const rng = new Rng(20261202);
    const run = join(root, 'victim');
    const log: string[] = [];
    for (let round = 0; round < 3; round++) {
      const resume = existsSync(join(run, 'checkpoints', 'last.ckpt'));
      const p = startSeqc(resume ? ['train', '--resume', run] : ['train', MODEL, ...settings, '--out', run]);
      const delay = 1500 + rng.uniform() * 5500;
      await new Promise((r) => setTimeout(r, delay));
      p.child.kill('SIGKILL');
      const o = await p.done;
      const last = existsSync(join(run, 'checkpoints', 'last.ckpt')) ? loadCheckpoint(join(run, 'checkpoints', 'last.ckpt')).step : null;
      log.push(`round ${round}: ${resume ? '--resume' : 'start'}, killed after ${delay.toFixed(0)} ms (${o.signal ?? `exit ${o.code}`}), last.ckpt at step ${last ?? '-'}`);
      if (o.code === 0) break; // finished before the kill came
    }
    const resume = existsSync(join(run, 'checkpoints', 'last.ckpt'));
    const r = resume ? await seqc('train', '--resume', run) : await seqc('train', MODEL, ...settings, '--out', run);
    expect(r.code, `${log.join('\n')}\n${r.err}`).to.equal(0);
    expect(runState(run), log.join('\n')).to.deep.equal(straight);
    expect(readdirSync(join(run, 'checkpoints'))).to.deep.equal(['best.ckpt', 'last.ckpt']);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal} stops at a step boundary like Ctrl-C: a checkpoint, exit ${code}, the --resume command printed; --resume then finishes bit for bit`, async () => {
      const run = join(root, signal);
      const p = startSeqc(['train', MODEL, ...settings, '--out', run]);
      await waitFor(() => /training .* into /.test(p.output()), 60_000, 'the training banner');
      await new Promise((r) => setTimeout(r, 500));
      p.child.kill(signal);
      const o = await p.done;
      expectFault(o, code, `received ${signal}: finishing the current step and writing a checkpoint`);
      const steps = Number(/done: (\d+) steps/.exec(o.out)?.[1]);
      expect(o.out).to.contain(`(stopped: interrupted by ${signal})`);
      expect(o.out).to.contain(`next: npx seqc train --resume ${run}`);
      expect(loadCheckpoint(join(run, 'checkpoints', 'last.ckpt')).step).to.equal(steps);
      expect(existsSync(join(run, '.lock'))).to.equal(false);
      const r = await seqc('train', '--resume', run);
      expect(r.code, r.err).to.equal(0);
      expect(runState(run)).to.deep.equal(straight);
    });
  }

  it('a session stopped before its first validation (interrupt or --time-limit) adds no record an uninterrupted run lacks', async () => {
    const short = ['--data', data, '--steps', '30', '--valid-every', '20', ...SMALL];
    expect((await seqc('train', MODEL, ...short, '--out', join(root, 'ref30'))).code).to.equal(0);
    const ref = runState(join(root, 'ref30'));
    // An interrupt: the in-process terminal's progress stream raises SIGINT's flag at the first line it gets.
    const { train } = await import('../../src/runtime/train.js');
    const { configFrom } = await import('../../src/cli/train.js');
    const cfg = configFrom(MODEL, { data, steps: '30', validEvery: '20', set: SMALL.filter((_, i) => i % 2 === 1) });
    const sig = { stop: false };
    const s = await train(cfg, join(root, 'int30'), false, { info: () => {}, warn: () => {}, stream: { write: () => { sig.stop = true; return true; } } }, sig);
    expect(s.stoppedBy).to.equal('interrupt');
    expect(s.steps).to.be.lessThan(20);
    expect(existsSync(join(root, 'int30', 'checkpoints', 'best.ckpt'))).to.equal(false);
    expect(runState.bind(null, join(root, 'int30'))).to.throw(); // no best.ckpt: nothing validated
    const r = await seqc('train', '--resume', join(root, 'int30'));
    expect(r.code, r.err).to.equal(0);
    expect(runState(join(root, 'int30'))).to.deep.equal(ref);
    // A time limit: the session validates once at its end (off the --valid-every grid); --resume drops that record.
    const long = ['--data', data, '--steps', '300', '--valid-every', '200', ...SMALL];
    expect((await seqc('train', MODEL, ...long, '--out', join(root, 'ref300'))).code).to.equal(0);
    const t = await seqc('train', MODEL, ...long, '--time-limit', '1', '--out', join(root, 'tl300'));
    expect(t.code, t.err).to.equal(0);
    expect((await seqc('train', '--resume', join(root, 'tl300'), '--time-limit', '100000')).code).to.equal(0);
    expect(runState(join(root, 'tl300'))).to.deep.equal(runState(join(root, 'ref300')));
  });
});
