/**
 * @file The run report without a browser: what it reads from a run, that `seqc train` refreshes
 * it (and curves.svg) at every validation, that it is self-contained, that `seqc eval` adds its
 * table, that samples pick the picture of the data, and that `--serve` pushes reloads.
 */
import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { downsample, readRunData, type EvalRecord } from '../../src/runtime/report/data.js';
import { LiveReport } from '../../src/runtime/report/live.js';
import { serveReport } from '../../src/runtime/report/serve.js';
import { pictureKind } from '../../src/runtime/sample.js';
import { train, type TrainConfig, type Validation } from '../../src/runtime/train.js';
import { UsageError } from '../../src/runtime/run.js';
import { examples, repoRoot } from '../helpers/examples.js';
import { testRun } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'seqc-report-unit-'));

/** The JSON a report embeds for its charts. */
function pageData(html: string): { status: string; train: Record<string, number[]>; valid: { step: number[]; elbo: number[] } } {
  const m = /<script type="application\/json" id="seqc-data">(.*?)<\/script>/s.exec(html);
  if (!m) throw new Error('report has no #seqc-data');
  return JSON.parse(m[1]!) as never;
}

/** Metrics lines of a run, split into training and validation records. */
function metrics(dir: string): { train: Record<string, number>[]; valid: Record<string, number>[] } {
  const all = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  return { train: all.filter((m) => m['elbo_per_step'] !== undefined), valid: all.filter((m) => m['valid_elbo_per_step'] !== undefined) };
}

describe('report: reading a run', () => {
  it('data: columns from metrics.jsonl; reconstruction = ELBO + KL; a half-written last line is skipped', () => {
    const dir = join(tmp, 'data');
    mkdirSync(dir, { recursive: true });
    const lines = [
      { step: 1, epoch: 0, loss: 5, elbo_per_step: -3, kl_per_step: 0.5, beta: 0.1, lr: 1e-3, grad_norm: 2, seconds: 0.1 },
      { step: 2, epoch: 0, loss: 4, elbo_per_step: -2, kl_per_step: 0.25, beta: 0.2, lr: 1e-3, grad_norm: 1.5, seconds: 0.2 },
      { step: 2, valid_elbo_per_step: -2.5 },
    ].map((m) => JSON.stringify(m)).join('\n') + '\n{"step": 3, "ep';
    writeFileSync(join(dir, 'metrics.jsonl'), lines);
    const d = readRunData(dir);
    expect(d.train).to.deep.equal({ step: [1, 2], elbo: [-3, -2], kl: [0.5, 0.25], recon: [-2.5, -1.75], gradNorm: [2, 1.5], lr: [1e-3, 1e-3], beta: [0.1, 0.2] });
    expect(d.valid).to.deep.equal({ step: [2], elbo: [-2.5] });
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step": 1, "elbo_per_step": 1, "kl_per_step": 0}\nnot json\n{"step": 2, "valid_elbo_per_step": 1}\n');
    expect(() => readRunData(dir)).to.throw(/metrics\.jsonl:2: not a metrics record/);
  });

  it('data: downsampling averages buckets of steps and draws each at its last step', () => {
    const n = 10;
    const c = { step: [...Array(n).keys()].map((i) => i + 1), elbo: [...Array(n).keys()].map((i) => i * i), kl: Array(n).fill(1), recon: Array(n).fill(2), gradNorm: Array(n).fill(3), lr: Array(n).fill(4), beta: Array(n).fill(0.5) };
    const d = downsample(c, 4);
    expect(d.step).to.deep.equal([4, 8, 10]);
    expect(d.elbo).to.deep.equal([(0 + 1 + 4 + 9) / 4, (16 + 25 + 36 + 49) / 4, (64 + 81) / 2]);
    expect(d.beta).to.deep.equal([0.5, 0.5, 0.5]);
  });

  it('samples: each model gets the picture of its data (sound, strokes, piano roll, lines)', () => {
    const kindOf = (name: string, sets: { name: string; value: string }[], rate: number | null): string => {
      const ex = examples().find((e) => e.name === name)!;
      const m = checkSource(ex.path, ex.text, sets).model!;
      const variables = [...m.vars.values()].map((v) => ({ name: v.name, role: v.role, elem: v.elem, width: v.width }));
      return pictureKind({ compiled: { manifest: { variables } } } as never, rate);
    };
    expect(kindOf('vrnn', [], 16000)).to.equal('audio');
    expect(kindOf('vrnn', [], null)).to.equal('lines');
    expect(kindOf('vrnn_handwriting', [], null)).to.equal('strokes');
    expect(kindOf('vrnn_polyphonic', [{ name: 'x_dim', value: '88' }], null)).to.equal('pianoRoll');
    expect(kindOf('lgssm', [], null)).to.equal('lines');
  });
});

describe('report: written by training', function () {
  this.timeout(180_000);

  it('train: report.html and curves.svg are rewritten at every validation, with the numbers so far', async () => {
    const dir = join(tmp, 'live');
    const cfg: TrainConfig = {
      model: join(repoRoot, 'examples/vrnn.seq'), data: null, sets: ['h_dim=8', 'f_dim=8', 'z_dim=2'], steps: 30, epochs: null, timeLimit: null,
      batch: 8, maxLen: null, lr: 3e-3, lrSchedule: 'constant', warmup: 0, clip: 10, weightDecay: 0, klAnneal: 20, klStart: 0,
      validEvery: 10, patience: 0, seed: 3, device: 'cpu', threads: 1,
    };
    const warnings: string[] = [];
    const live = new LiveReport(dir, (l) => warnings.push(l));
    const seen: { step: number; improved: boolean; html: string; svg: string }[] = [];
    const s = await train(cfg, dir, false, {
      info: () => {}, warn: (l) => warnings.push(l), stream: { write: () => true },
      validated: async (v: Validation) => {
        await live.validated(v);
        seen.push({ step: v.step, improved: v.improved, html: readFileSync(join(dir, 'report.html'), 'utf8'), svg: readFileSync(join(dir, 'curves.svg'), 'utf8') });
      },
    }, { stop: false });
    await live.finish(s);
    expect(warnings).to.deep.equal([]);
    expect(seen.map((x) => x.step)).to.deep.equal([10, 20, 30]);
    const m = metrics(dir);
    for (const [i, x] of seen.entries()) {
      const p = pageData(x.html);
      expect(p.status).to.equal('training');
      expect(p.train['step']).to.deep.equal(m.train.slice(0, x.step).map((r) => r['step']));
      expect(p.train['elbo']).to.deep.equal(m.train.slice(0, x.step).map((r) => r['elbo_per_step']));
      expect(p.train['beta']).to.deep.equal(m.train.slice(0, x.step).map((r) => r['beta']));
      expect(p.valid.elbo).to.deep.equal(m.valid.slice(0, i + 1).map((r) => r['valid_elbo_per_step']));
      // curves.svg is redrawn too: one more validation point each time (validation series is the second path).
      const paths = [...x.svg.matchAll(/<path d="([^"]*)"/g)].map((p2) => p2[1]!);
      expect(paths[1]!.split(/[ML]/).filter((q) => q.trim()).length).to.equal(i + 1);
    }
    // Samples appear once there is a best checkpoint: 4 WAV players of speech.
    expect(seen[0]!.html.match(/<audio controls preload="metadata" src="data:audio\/wav;base64,/g)).to.have.length(4);
    const final = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(pageData(final).status).to.equal('finished');
  });

  it('train: handwriting reports stroke drawings, music piano rolls, with no sound', async () => {
    // Tiny JSON datasets: pen offsets with pen-up bits on a circle; arpeggios of MIDI notes.
    const seqs = (n: number, f: (i: number, t: number) => unknown): unknown[] => Array.from({ length: n }, (_, i) => Array.from({ length: 8 + (i % 4) }, (_, t) => f(i, t)));
    const hw = join(tmp, 'hw.json');
    const stroke = (i: number, t: number): unknown => ({ pen: t % 5 === 4 ? 1 : 0, dxy: [Math.cos(t + i), Math.sin(t + i)] });
    const asObjects = (xs: unknown[]): unknown[] => xs.map((q) => ({ pen: (q as { pen: number }[]).map((f) => f.pen), dxy: (q as { dxy: number[] }[]).map((f) => f.dxy) }));
    writeFileSync(hw, JSON.stringify({ train: asObjects(seqs(16, stroke)), valid: asObjects(seqs(4, stroke)), test: asObjects(seqs(4, stroke)) }));
    const music = join(tmp, 'music.json');
    const chord = (i: number, t: number): number[] => [60 + ((t + i) % 12), 64 + ((t * 2) % 7)];
    writeFileSync(music, JSON.stringify({ train: seqs(16, chord), valid: seqs(4, chord), test: seqs(4, chord) }));
    for (const [name, data, sets, mark] of [
      ['vrnn_handwriting', hw, ['z_dim=2', 'h_dim=8', 'f_dim=8', 'k=2'], 'stroke-linecap="round"'],
      ['vrnn_polyphonic', music, ['x_dim=88', 'z_dim=2', 'h_dim=8', 'f_dim=8'], '>C4</text>'],
    ] as const) {
      const dir = join(tmp, `pictures-${name}`);
      const cfg: TrainConfig = {
        model: join(repoRoot, `examples/${name}.seq`), data, sets: [...sets], steps: 4, epochs: null, timeLimit: null, batch: 4, maxLen: null, lr: 1e-3,
        lrSchedule: 'constant', warmup: 0, clip: 10, weightDecay: 0, klAnneal: 0, klStart: 0, validEvery: 4, patience: 0, seed: 1, device: 'cpu', threads: 1,
      };
      const live = new LiveReport(dir, (l) => { throw new Error(l); });
      await train(cfg, dir, false, { info: () => {}, warn: () => {}, stream: { write: () => true }, validated: (v) => live.validated(v) }, { stop: false });
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      const figures = html.match(/<figure class="sample sample-(\w+)">/g)!;
      expect(figures, name).to.have.length(4);
      expect(figures[0], name).to.contain(name === 'vrnn_handwriting' ? 'sample-strokes' : 'sample-pianoRoll');
      expect(html, name).to.contain(mark);
      expect(html, name).to.not.contain('<audio');
      if (name === 'vrnn_polyphonic') expect(html.match(/<a download="sample-\d\.mid" href="data:audio\/midi;base64,TVRoZA/g), 'MIDI files (MThd)').to.have.length(4);
    }
  });

  it('report: self-contained — no external scripts, stylesheets, images or fetches', async () => {
    const r = await testRun();
    const html = readFileSync(join(r.dir, 'report.html'), 'utf8');
    expect(html).to.not.match(/<script[^>]+src=/);
    expect(html).to.not.match(/<link[^>]+href="(?!data:)/);
    expect(html).to.not.match(/(src|href)="(https?:)?\/\//);
    expect(html).to.not.match(/\bfetch\(/);
    expect(html).to.contain('https://github.com/leeoniya/uPlot (v1.6'); // the vendored library, inlined with its banner
  });

  it('eval: seqc eval on a run records its result and the report shows the evaluation table', async () => {
    const r = await testRun();
    const rec = JSON.parse(readFileSync(join(r.dir, 'eval', 'test-k2.json'), 'utf8')) as EvalRecord;
    expect(rec.k).to.equal(2);
    expect(rec.checkpoint).to.equal(join(r.dir, 'checkpoints', 'best.ckpt'));
    const html = readFileSync(join(r.dir, 'report.html'), 'utf8');
    const row = /<table id="evaluation">.*?<tbody>\s*<tr>(.*?)<\/tr>/s.exec(html)![1]!;
    const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]!);
    expect(cells.slice(0, 2)).to.deep.equal(['test', '2']);
    expect(cells.slice(5, 9)).to.deep.equal([rec.elbo_per_seq, rec.elbo_per_step, rec.iwae_per_seq, rec.iwae_per_step].map((x) => x.toFixed(3)));
  });

  it('cli: seqc report RUN rebuilds the report from the run\'s files, keeping the run\'s status; a directory that is not a run exits 5', async () => {
    const r = await testRun();
    const before = pageData(readFileSync(join(r.dir, 'report.html'), 'utf8'));
    rmSync(join(r.dir, 'report.html'));
    let out = '';
    let err = '';
    const term = { out: (t: string) => { out += t + '\n'; }, err: (t: string) => { err += t + '\n'; } };
    expect(await main(['report', r.dir], term), err).to.equal(0);
    expect(out).to.contain(`wrote ${join(r.dir, 'report.html')}`);
    const after = readFileSync(join(r.dir, 'report.html'), 'utf8');
    expect(pageData(after).status).to.equal('finished');
    expect(pageData(after).train).to.deep.equal(before.train);
    expect(after).to.contain('<table id="evaluation">');
    expect(after.match(/data:audio\/wav;base64,/g)).to.have.length(4);
    // A run whose training wrote no status (an older run) is labelled as rebuilt.
    const old = join(tmp, 'old-run');
    cpSync(r.dir, old, { recursive: true });
    rmSync(join(old, 'report-status.json'));
    expect(await main(['report', old], term), err).to.equal(0);
    expect(pageData(readFileSync(join(old, 'report.html'), 'utf8')).status).to.equal('rebuilt');
    expect(await main(['report', tmp], term)).to.equal(5);
    expect(err).to.contain('is not a training run');
  });
});

describe('report: --serve', () => {
  it('serve: GET / is the report; a rewrite pushes a reload event; a busy port is a usage error', async () => {
    const dir = join(tmp, 'serve');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.html'), '<p>one</p>');
    const s = await serveReport(dir, 0);
    try {
      const page = await fetch(s.url);
      expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(await page.text()).to.equal('<p>one</p>');
      const events = await new Promise<IncomingMessage>((resolve) => get(`${s.url}events`, resolve));
      expect(events.headers['content-type']).to.equal('text/event-stream');
      let text = '';
      const reload = new Promise<void>((resolve) => events.on('data', (b: Buffer) => { text += b.toString(); if (text.includes('event: reload')) resolve(); }));
      while (s.listeners() === 0) await new Promise((r) => setTimeout(r, 20));
      writeFileSync(join(dir, 'report.html.tmp'), '<p>two</p>');
      renameSync(join(dir, 'report.html.tmp'), join(dir, 'report.html'));
      await reload;
      expect(await (await fetch(s.url)).text()).to.equal('<p>two</p>');
      expect((await fetch(`${s.url}nope`)).status).to.equal(404);
      const port = Number(new URL(s.url).port);
      let busy: unknown;
      try { await serveReport(dir, port); } catch (e) { busy = e; }
      expect(busy).to.be.instanceOf(UsageError);
      expect((busy as Error).message).to.equal(`port ${port} is already in use; choose another with --port`);
      events.destroy();
    } finally {
      await s.close();
    }
  });
});
