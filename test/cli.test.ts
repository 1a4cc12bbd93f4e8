/** @file The seqc CLI as a user meets it: exit codes, messages on stderr, no stack traces. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { repoRoot } from './helpers/examples.js';

const run_ = (...args: string[]) => run(...args);

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + (t.endsWith('\n') ? '' : '\n'); }, err: (t) => { err += t + (t.endsWith('\n') ? '' : '\n'); }, progress: { write: () => true } });
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

  it('check - and fmt - read standard input: located errors name <stdin>, fmt prints the result, a second - is a usage error', () => {
    const seqc = (args: string[], input: string) => spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), ...args], { cwd: repoRoot, encoding: 'utf8', input });
    const good = seqc(['check', '-'], readFileSync(join(repoRoot, 'examples/vrnn.seq'), 'utf8'));
    expect(good.status, good.stderr).to.equal(0);
    expect(good.stdout).to.contain('<stdin>: ok: model vrnn, 3 variables, 6 nets, 1,377,296 parameters');
    const bad = seqc(['check', '-'], 'model m {\n  observe x[t] : real[2]\n  emission x[t] ~ Normal(y, 1)\n}\n');
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('<stdin>:3:26: error[E0101]: unknown name `y`');
    const fmt = seqc(['fmt', '-'], 'model m() { observe x[t] : real[2]\n emission x[t] ~ Normal(0, 1) }\n');
    expect(fmt.status, fmt.stderr).to.equal(0);
    expect(fmt.stdout).to.equal('model m {\n  observe x[t] : real[2]\n  emission x[t] ~ Normal(0, 1)\n}\n');
    const check = seqc(['fmt', '--check', '-'], 'model m() { observe x[t] : real[2]\n emission x[t] ~ Normal(0, 1) }\n');
    expect(check.status).to.equal(1);
    expect(check.stderr).to.contain('<stdin>: not formatted');
    const twice = seqc(['check', '-', '-'], '');
    expect(twice.status).to.equal(2);
    expect(twice.stderr).to.contain("'-' (standard input) can be given only once");
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

describe('cli: train, eval, sample, export', function () {
  this.timeout(120_000);
  const small = ['--set', 'x_dim=3', '--set', 'z_dim=2', '--set', 'h_dim=8', '--set', 'f_dim=8'];
  let data: string;
  let run: string;

  before(async () => {
    data = join(tmp, 'jsondata');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(data, { recursive: true });
    const seq = (k: number) => Array.from({ length: 5 + (k % 3) }, (_, t) => [Math.sin(t + k), Math.cos(t * k), 0.1 * t]);
    for (const [split, n] of [['train', 12], ['valid', 4], ['test', 4]] as const) {
      writeFileSync(join(data, `${split}.json`), JSON.stringify({ sequences: Array.from({ length: n }, (_, k) => seq(k)) }));
    }
    run = join(tmp, 'clirun');
  });

  it('train: a short run exits 0, prints a summary and the next command, and leaves the run files', async () => {
    const r = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--data', data, '--steps', '20', '--valid-every', '10', '--out', run, ...small);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/done: 20 steps in [0-9.]+ s \(finished\)/);
    expect(r.out).to.contain(`next: npx seqc sample --checkpoint ${run} -o ${join(run, 'samples')}`);
    for (const f of ['model.seq', 'manifest.json', 'config.json', 'metrics.jsonl', 'curves.svg', 'checkpoints/best.ckpt', 'checkpoints/last.ckpt']) {
      expect(existsSync(join(run, f)), f).to.equal(true);
    }
    expect(readFileSync(join(run, 'curves.svg'), 'utf8')).to.contain('<svg');
  });

  it('train: refuses to overwrite a run, and --resume continues it', async () => {
    const again = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--data', data, '--steps', '5', '--out', run, ...small);
    expect(again.code).to.equal(2);
    expect(again.err).to.contain('already holds a run; use --resume');
    const resumed = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--resume', run, '--steps', '25');
    expect(resumed.code, resumed.err).to.equal(0);
    expect(resumed.out).to.contain('resuming');
    expect(resumed.out).to.match(/done: 25 steps/);
  });

  it('train --iwae K trains on the importance-weighted bound', async () => {
    const r = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--data', data, '--steps', '6', '--iwae', '3', '--valid-every', '3', '--out', join(tmp, 'iwrun'), ...small);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.contain('IWAE bound with K = 3');
    expect(JSON.parse(readFileSync(join(tmp, 'iwrun', 'manifest.json'), 'utf8')).iwaeK).to.equal(3);
    const e = await run_('eval', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', join(tmp, 'iwrun'), '--json');
    expect(e.code, e.err).to.equal(0);
  });

  it('usage errors: --resume with settings it cannot change, IWAE with KL annealing, --num with --prefix, a mismatched --set', async () => {
    const r = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--resume', run, '--lr', '1e-4');
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('--lr cannot change them');
    const k = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--iwae', '4', '--kl-anneal', '100', ...small);
    expect(k.code).to.equal(2);
    expect(k.err).to.contain('no separate KL term to anneal');
    const p = await run_('sample', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--prefix', join(data, 'test.json'), '--num', '3', '-o', join(tmp, 'pp'));
    expect(p.code).to.equal(2);
    const same = await run_('eval', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--set', 'h_dim=8', '--json');
    expect(same.code, same.err).to.equal(0);
    const other = await run_('eval', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--set', 'h_dim=16', '--json');
    expect(other.code).to.equal(5);
    expect(other.err).to.contain('was trained with h_dim=8, but this command uses h_dim=16');
    const missing = await run_('train', join(tmp, 'no-such-model.seq'), ...small);
    expect(missing.code).to.equal(2);
  });

  it('sample --prefix continues the given sequences: their observations come back unchanged', async () => {
    const s = await run_('sample', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--prefix', join(data, 'test.json'), '--steps', '9', '-o', join(tmp, 'pre'));
    expect(s.code, s.err).to.equal(0);
    const got = JSON.parse(readFileSync(join(tmp, 'pre', 'samples.json'), 'utf8')).variables.x as number[][][];
    const given = JSON.parse(readFileSync(join(data, 'test.json'), 'utf8')).sequences as number[][][];
    expect(got).to.have.length(given.length);
    given.forEach((seq, n) => seq.forEach((frame, t) => frame.forEach((v, d) => expect(got[n]![t]![d]).to.be.closeTo(v, 1e-4))));
    expect(got[0]).to.have.length(9);
  });

  it('sample --prefix --particles K continues through a particle filter; --particles needs --prefix', async () => {
    const s = await run_('sample', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--prefix', join(data, 'test.json'), '--particles', '6', '--steps', '9', '--seed', '4', '-o', join(tmp, 'pf'));
    expect(s.code, s.err).to.equal(0);
    expect(s.out).to.contain('latents filtered with 6 particles');
    const got = JSON.parse(readFileSync(join(tmp, 'pf', 'samples.json'), 'utf8')).variables as { x: number[][][]; z: number[][][] };
    const given = JSON.parse(readFileSync(join(data, 'test.json'), 'utf8')).sequences as number[][][];
    expect(got.x).to.have.length(given.length);
    given.forEach((seq, n) => seq.forEach((frame, t) => frame.forEach((v, d) => expect(got.x[n]![t]![d]).to.be.closeTo(v, 1e-4))));
    expect(got.x[0]).to.have.length(9);
    expect(got.z.flat(2).every(Number.isFinite)).to.equal(true);
    const bare = await run_('sample', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--particles', '6', '-o', join(tmp, 'pf2'));
    expect(bare.code).to.equal(2);
    expect(bare.err).to.contain('give --prefix DATA too');
  });

  it('eval --json prints exactly the documented keys, with K named', async () => {
    const r = await run_('eval', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--iwae', '4', '--json');
    expect(r.code, r.err).to.equal(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).to.deep.equal(['split', 'n_sequences', 'n_steps', 'k', 'elbo_per_seq', 'elbo_per_step', 'iwae_per_seq', 'iwae_per_step', 'exact', 'checkpoint', 'checkpoint_kind', 'step']);
    expect(j.checkpoint).to.equal(join(run, 'checkpoints', 'best.ckpt'));
    expect(j.checkpoint_kind).to.equal('best');
    expect(j.split).to.equal('test');
    expect(j.k).to.equal(4);
    expect(j.n_sequences).to.equal(4);
    expect(j.n_steps).to.equal(5 + 6 + 7 + 5);
    expect(j.elbo_per_step).to.be.closeTo(j.elbo_per_seq * 4 / j.n_steps, 1e-9);
    const text = await run_('eval', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--iwae', '4');
    expect(text.out).to.contain('log-likelihood, importance-sampled, K = 4');
  });

  it('sample and export write their files', async () => {
    const s = await run_('sample', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '--num', '2', '--steps', '6', '-o', join(run, 's'));
    expect(s.code, s.err).to.equal(0);
    expect(JSON.parse(readFileSync(join(run, 's', 'samples.json'), 'utf8')).variables.x).to.have.length(2);
    const e = await run_('export', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', run, '-o', join(run, 'exp'));
    expect(e.code, e.err).to.equal(0);
    expect(existsSync(join(run, 'exp', 'sample.onnx'))).to.equal(true);
  });

  it('bad data, a missing run and a missing CUDA build are reported without a stack trace', async () => {
    const bad = join(tmp, 'baddata');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'train.json'), JSON.stringify({ sequences: [[[1, 2]]] }));
    writeFileSync(join(bad, 'valid.json'), JSON.stringify({ sequences: [[[1, 2, 3]]] }));
    writeFileSync(join(bad, 'test.json'), JSON.stringify({ sequences: [[[1, 2, 3]]] }));
    const d = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--data', bad, '--steps', '2', '--out', join(tmp, 'r2'), ...small);
    expect(d.code).to.equal(4);
    expect(d.err).to.match(/train\.json.*sequence 0.*step 0.*frame has 2 values, model expects x : real\[3\]/);
    expect(d.err).to.not.match(/\n\s+at /);
    const m = await run_('eval', join(repoRoot, 'examples/vrnn.seq'), '--checkpoint', join(tmp, 'nope'));
    expect(m.code).to.equal(5);
    expect(m.err).to.contain('has no checkpoint');
    const g = await run_('train', join(repoRoot, 'examples/vrnn.seq'), '--data', data, '--steps', '2', '--device', 'cuda', '--out', join(tmp, 'r3'), ...small);
    expect(g.code).to.equal(5);
    expect(g.err).to.contain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
    const n = await run_('train', join(repoRoot, 'examples/rnn_normal.seq'), '--steps', '2', '--set', 'x_dim=3', '--out', join(tmp, 'r4'));
    expect(n.code).to.equal(5);
    expect(n.err).to.contain('does not fit this model (it reads x : real[3]); pass --data DIR');
  });
});
