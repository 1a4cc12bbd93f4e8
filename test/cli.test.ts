/** @file The seqc CLI as a user meets it: exit codes, messages on stderr, no stack traces. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { repoRoot } from './helpers/examples.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + (t.endsWith('\n') ? '' : '\n'); }, err: (t) => { err += t + (t.endsWith('\n') ? '' : '\n'); } });
  return { code, out, err };
}

function spawnSeqc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'seqc-cli-'));

describe('cli: seqc check', () => {
  it('check: all examples pass with exit 0', async () => {
    const files = ['dmm', 'lgssm', 'rnn_gmm', 'rnn_normal', 'srnn', 'storn', 'vrnn', 'vrnn_gmm', 'vrnn_handwriting', 'vrnn_polyphonic', 'zforcing'].map((n) => `examples/${n}.seq`);
    const r = await run('check', ...files.map((f) => join(repoRoot, f)));
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.out.split('\n').filter((l) => l.includes(': ok: model'))).to.have.length(files.length);
  });

  it('check: a broken model exits 1 with a located message and a caret', async () => {
    const f = join(tmp, 'broken.seq');
    writeFileSync(f, readFileSync(join(repoRoot, 'examples/vrnn.seq'), 'utf8').replace('prior_net(h[t-1])', 'prior_net(h[t])'));
    const r = await run('check', f);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/broken\.seq:21:\d+: error\[E0402\]: the prior of z\[t\] depends on the observation x\[t\] \(through h\[t\]\)/);
    expect(r.err).to.match(/\n +\| +\^\^\^\^\n/);
    expect(r.err).to.contain('did you mean x[t-1]?');
  });

  it('check: --set changes sizes; unknown or non-integer values are usage errors (exit 2)', async () => {
    const vrnn = join(repoRoot, 'examples/vrnn.seq');
    const small = await run('check', vrnn, '--set', 'h_dim=16', '--set', 'f_dim=16', '--set', 'x_dim=4', '--set', 'z_dim=2');
    expect(small.code).to.equal(0);
    expect(small.out).to.match(/ok: model vrnn, 3 variables, 6 nets, [0-9,]+ parameters/);
    expect(small.out).to.not.contain('1,377,296');
    const unknown = await run('check', vrnn, '--set', 'hdim=16');
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.contain("no hyperparameter 'hdim' (did you mean 'h_dim'?)");
    const frac = await run('check', vrnn, '--set', 'h_dim=1.5');
    expect(frac.code).to.equal(2);
    expect(frac.err).to.contain('integer hyperparameter');
  });

  it('check: a missing file, an unknown option and no arguments are usage errors (exit 2)', async () => {
    const missing = await run('check', join(tmp, 'nope.seq'));
    expect(missing.code).to.equal(2);
    expect(missing.err).to.contain('no such file');
    expect((await run('check', '--frobnicate', 'x.seq')).code).to.equal(2);
    expect((await run('check')).code).to.equal(2);
    expect((await run('launch')).code).to.equal(2);
  });

  it('check: the real process prints no stack trace for user errors', () => {
    const f = join(tmp, 'syntax.seq');
    writeFileSync(f, 'model m( {\n');
    const r = spawnSeqc(['check', f]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('error[E0001]');
    expect(r.stderr).to.not.match(/\n\s+at /);
    const u = spawnSeqc(['check', join(tmp, 'missing.seq')]);
    expect(u.code).to.equal(2);
    expect(u.stderr).to.not.match(/\n\s+at /);
  });

  it('check: the installed bin works (dist built by npm ci)', function () {
    if (!existsSync(join(repoRoot, 'dist/cli/main.js')) && !process.env['CI']) this.skip();
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin/seqc.js'), 'check', 'examples/vrnn.seq'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('ok: model vrnn');
  });
});

describe('cli: seqc fmt', () => {
  it('fmt --check: examples are formatted (exit 0); a messy file is reported (exit 1)', async () => {
    expect((await run('fmt', '--check', join(repoRoot, 'examples/vrnn.seq'), join(repoRoot, 'examples/storn.seq'))).code).to.equal(0);
    const f = join(tmp, 'messy.seq');
    writeFileSync(f, 'model m(n=2){observe x[t]:real[n]\nemission x[t]~Normal(0,1)}\n');
    const r = await run('fmt', '--check', f);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('not formatted');
    expect(readFileSync(f, 'utf8')).to.contain('model m(n=2)');
  });

  it('fmt: rewrites the file in place, and then --check passes', async () => {
    const f = join(tmp, 'messy2.seq');
    writeFileSync(f, 'model m(n=2){observe x[t]:real[n]  # data\nemission x[t]~Normal(0,1)}\n');
    expect((await run('fmt', f)).code).to.equal(0);
    expect(readFileSync(f, 'utf8')).to.equal('model m(n = 2) {\n  observe x[t] : real[n]  # data\n  emission x[t] ~ Normal(0, 1)\n}\n');
    expect((await run('fmt', '--check', f)).code).to.equal(0);
  });

  it('fmt: a file with a syntax error is left alone and exits 1', async () => {
    const f = join(tmp, 'bad.seq');
    copyFileSync(join(repoRoot, 'examples/vrnn.seq'), f);
    writeFileSync(f, readFileSync(f, 'utf8').replace('->', '=>'));
    const before = readFileSync(f, 'utf8');
    const r = await run('fmt', f);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('error[E0001]');
    expect(readFileSync(f, 'utf8')).to.equal(before);
  });
});
