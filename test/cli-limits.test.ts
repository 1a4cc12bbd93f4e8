/**
 * @file The CLI on sizes and source text it must refuse cleanly (issue 10): oversized `--set`
 * values are located errors before anything is allocated, bad numbers and seeds are usage errors,
 * files that are not UTF-8 are reported and never rewritten, and a byte-order mark is kept.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { repoRoot } from './helpers/examples.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

const vrnn = join(repoRoot, 'examples/vrnn.seq');
const tmp = mkdtempSync(join(tmpdir(), 'seqc-limits-'));
const noTrace = (s: string): void => {
  expect(s).to.not.match(/internal error|RangeError|\n\s+at /);
};

describe('cli: sizes are checked before anything is allocated', () => {
  it('check: --set h_dim=30000 exits 1 with E0704 at the largest net, the limit and the memory it would need', async () => {
    const r = await run('check', vrnn, '--set', 'h_dim=30000');
    expect(r.code).to.equal(1);
    noTrace(r.err);
    expect(r.err).to.match(/vrnn\.seq:18:7: error\[E0704\]: the model has 3,684,993,232 parameters, more than the limit of 1,073,741,824/);
    expect(r.err).to.contain('rnn.weight_hh is [30,000, 120,000]');
    expect(r.err).to.contain('the weights alone would take 15 GB in float32 and training about 59 GB');
    expect(r.err).to.contain('--set h_dim=30000');
    expect(r.out).to.not.contain('ok');
  });

  it('check: --set h_dim=1e12 exits 1 with E0703 at every size it makes too large', async () => {
    const r = await run('check', vrnn, '--set', 'h_dim=1e12');
    expect(r.code).to.equal(1);
    noTrace(r.err);
    expect(r.err).to.match(/vrnn\.seq:11:23: error\[E0703\]: size 1,000,000,000,000 is larger than the limit of 1,048,576/);
    expect(r.err).to.contain('one float32 vector of this size takes 4.0 TB');
    expect(r.err).to.match(/error\[E0704\]: the model has 4\.0e\+24 parameters/);
  });

  it('compile: an oversized model stops at the checker, exit 1, nothing written', async () => {
    const out = join(tmp, 'big');
    const r = await run('compile', vrnn, '-o', out, '--set', 'h_dim=30000');
    expect(r.code).to.equal(1);
    noTrace(r.err);
    expect(r.err).to.contain('error[E0704]');
  });

  for (const [value, message] of [
    ['1e400', 'h_dim=1e400: the value must be a finite number'],
    ['99999999999999999999', 'beyond 2^53'],
    ['2.5', 'h_dim is an integer hyperparameter (default 256); give a whole number'],
    ['0x10', 'the value must be a number, such as 64, 0.5 or 1e-3'],
    ['NaN', 'the value must be a number'],
  ]) {
    it(`check: --set h_dim=${value} is a usage error (exit 2)`, async () => {
      const r = await run('check', vrnn, '--set', `h_dim=${value}`);
      expect(r.code).to.equal(2);
      expect(r.err).to.contain(message);
      noTrace(r.err);
    });
  }

  it('train: --seed 99999999999999999999 is a usage error (exit 2) that says the range', async () => {
    const r = await run('train', vrnn, '--seed', '99999999999999999999', '--steps', '1');
    expect(r.code).to.equal(2);
    expect(r.err).to.contain("--seed expects an integer between 0 and 4294967295, got '99999999999999999999'");
  });

  it('train: --crop without --max-len, or with an unknown placement, is a usage error (exit 2) with a hint', async () => {
    const r = await run('train', vrnn, '--crop', 'random', '--steps', '1', '--out', join(tmp, 'crop'));
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('--crop places the windows of --max-len; give --max-len too');
    expect(r.err).to.contain('--max-len 100 --crop random');
    noTrace(r.err);
    const u = await run('train', vrnn, '--crop', 'middle', '--max-len', '10', '--steps', '1', '--out', join(tmp, 'crop2'));
    expect(u.code).to.equal(2);
    expect(u.err).to.match(/--crop.*middle/);
    noTrace(u.err);
  });
});

describe('cli: source text is never changed behind the user\'s back', () => {
  const latin1 = Buffer.concat([
    Buffer.from('model m(n = 2) {\n  observe x[t] : real[n]   # caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n  emission x[t] ~ Normal(0,  1)\n}\n'),
  ]);

  it('fmt: a file that is not UTF-8 is reported at the byte (E0004, exit 1) and left byte for byte as it was', async () => {
    const f = join(tmp, 'latin1.seq');
    writeFileSync(f, latin1);
    const r = await run('fmt', f);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain(`${f}:2:33: error[E0004]: the file is not valid UTF-8: byte 0xE9 at byte offset 49`);
    expect(r.err).to.contain('iconv -f latin1 -t utf-8');
    expect(Buffer.compare(readFileSync(f), latin1)).to.equal(0);
    for (const cmd of [['check', f], ['compile', f, '-o', join(tmp, 'latin1-out')], ['train', f, '--steps', '1', '--out', join(tmp, 'latin1-run')]]) {
      const c = await run(...cmd);
      expect(c.code, cmd[0]).to.equal(1);
      expect(c.err, cmd[0]).to.contain('error[E0004]');
      noTrace(c.err);
    }
  });

  it('fmt: a UTF-8 byte-order mark is accepted and kept', async () => {
    const f = join(tmp, 'bom.seq');
    writeFileSync(f, '\uFEFFmodel m(n = 2) {\n  observe x[t] : real[n]\n  emission x[t] ~ Normal(0,  1)\n}\n');
    expect((await run('check', f)).code).to.equal(0);
    expect((await run('fmt', f)).code).to.equal(0);
    expect(readFileSync(f, 'utf8')).to.equal('\uFEFFmodel m(n = 2) {\n  observe x[t] : real[n]\n  emission x[t] ~ Normal(0, 1)\n}\n');
  });
});
