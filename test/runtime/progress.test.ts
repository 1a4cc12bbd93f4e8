/** @file Progress: the ETA is `-` until a step has been measured, then follows the rate; the latest validation ELBO is shown. */
import { expect } from 'chai';
import { formatDuration, Progress } from '../../src/runtime/progress.js';

describe('runtime/progress', () => {
  it('progress: log lines show ETA - before the first measured step, then the remaining time at the measured rate', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new Progress({ total: 100, stream: { write: (s: string) => lines.push(s) }, logEvery: 10, now: () => t });
    p.start(0);
    expect(p.eta()).to.equal('-');
    t = 1000;
    expect(p.eta(), 'time passed but no step measured').to.equal('-');
    p.update(10, { elbo: -2.5 });
    expect(lines[0]).to.equal('train step 10/100 (10.0%) | 10.0 steps/s | ETA 9s | ELBO -2.500\n');
    t = 2000;
    p.update(20, { valid: -3.25 });
    expect(lines[1]).to.equal('train step 20/100 (20.0%) | 10.0 steps/s | ETA 8s | ELBO -2.500 | valid -3.250\n');
  });

  it('progress: a resumed run measures only its own steps (ETA - again right after start)', () => {
    let t = 5000;
    const p = new Progress({ total: 100, stream: { write: () => true }, now: () => t });
    p.start(60);
    t = 9000;
    expect(p.eta()).to.equal('-');
    p.update(64);
    expect(p.eta()).to.equal(formatDuration(36 / 1));
  });

  it('progress: under a time limit the ETA is the time left when that is sooner, and log lines come at least every twentieth of it', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new Progress({ total: 1_000_000, stream: { write: (s: string) => lines.push(s) }, now: () => t, timeLimit: 100 });
    p.start(0);
    t = 10_000;
    p.update(100);
    expect(p.eta(), '999,900 steps at 10 steps/s would take a day; the limit ends the run in 90 s').to.equal('1m30s');
    expect(lines, 'a line after 10 s (a twentieth of 100 s is 5 s), not after 50,000 steps').to.have.length(1);
    t = 12_000;
    p.update(120);
    expect(lines, 'only 2 s since the last line').to.have.length(1);
    t = 16_000;
    p.update(160);
    expect(lines).to.have.length(2);
    const q = new Progress({ total: 200, stream: { write: () => true }, now: () => t, timeLimit: 1000 });
    q.start(0);
    t += 10_000;
    q.update(100);
    expect(q.eta(), 'the steps end the run first').to.equal('10s');
  });
});
