/**
 * @file `npm run experiments -- speech|handwriting|music [--budget S] [--models a,b] [--k K] [--quick]`
 * (or `index`: only rebuild docs/gallery/README.md):
 * reproduces one table of docs/results.md. It builds the dataset if it is missing, trains every
 * model of the task with the same time budget and seed, one after the other, evaluates each from
 * its best checkpoint on the test split (the ELBO and the importance-sampled estimate with K
 * samples, per sequence and per time step, in data units), writes the table into
 * docs/results.md between the task's markers, and draws the task's generation gallery into
 * docs/gallery/<task>/: samples of every model beside real data, and prefix continuations with
 * the boundary marked. Every step runs the real `seqc` commands in-process; the table prints them.
 * With `--models`, only those models are trained and their rows replace the ones in the published
 * table (which must have the same budget); the other rows and their commands are kept.
 * `--eval-only` (with `--models`) evaluates and draws runs that the same command already trained
 * in runs/experiments/<task>/, without training them again — for an evaluation that failed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { main } from '../src/cli/main.js';
import type { Terminal } from '../src/cli/io.js';
import { encodeWav16, loadDataset, parseColumns, pianoRollToMidi, type Sequence } from '../src/runtime/data/index.js';
import { lineChartSvg, pianoRollSvg, waveformSvg } from '../src/runtime/plot.js';
import { isValidation, readMetrics } from '../src/runtime/metrics.js';
import { loadTrained } from '../src/runtime/trained.js';
import { defaultThreads } from '../src/runtime/defaults.js';

/** One model of a task: its file, overrides and data mapping. */
interface ModelRun {
  readonly label: string;
  readonly file: string;
  readonly sets?: readonly string[];
  readonly columns?: string;
  readonly extra?: readonly string[];
}

/** One task: dataset, models and evaluation. */
interface Task {
  readonly data: string;
  readonly kind: 'speech' | 'handwriting' | 'music';
  readonly models: readonly ModelRun[];
  /** Training arguments shared by every model (windows, validation cadence). */
  readonly common: readonly string[];
}

const speechSets = ['--set', 'x_dim=200'];
const tasks: Record<string, Task> = {
  speech: {
    data: 'data/cache/speech', kind: 'speech', common: ['--valid-every', '100'],
    models: [
      { label: 'RNN-Normal', file: 'examples/rnn_normal.seq' },
      { label: 'RNN-GMM', file: 'examples/rnn_gmm.seq' },
      { label: 'STORN', file: 'examples/storn.seq' },
      { label: 'VRNN-Normal', file: 'examples/vrnn.seq' },
      { label: 'VRNN-GMM', file: 'examples/vrnn_gmm.seq' },
      { label: 'SRNN', file: 'examples/srnn.seq', sets: speechSets },
      { label: 'DMM', file: 'examples/dmm_gauss.seq' },
    ],
  },
  handwriting: {
    data: 'data/cache/handwriting', kind: 'handwriting', common: ['--max-len', '100', '--valid-every', '100'],
    models: [
      { label: 'RNN (Graves 2013)', file: 'examples/rnn_handwriting.seq', columns: 'dxy=0:2,pen=2' },
      { label: 'VRNN-GMM', file: 'examples/vrnn_handwriting.seq', columns: 'dxy=0:2,pen=2' },
      { label: 'RNN-Normal (x = 3 columns)', file: 'examples/rnn_normal.seq', sets: ['--set', 'x_dim=3', '--set', 'h_dim=128', '--set', 'f_dim=64'], columns: 'x=0:3' },
      { label: 'RNN-GMM (x = 3 columns)', file: 'examples/rnn_gmm.seq', sets: ['--set', 'x_dim=3', '--set', 'h_dim=128', '--set', 'f_dim=64'], columns: 'x=0:3' },
      { label: 'STORN (x = 3 columns)', file: 'examples/storn.seq', sets: ['--set', 'x_dim=3', '--set', 'z_dim=16', '--set', 'h_dim=128'], columns: 'x=0:3' },
      { label: 'VRNN-Normal (x = 3 columns)', file: 'examples/vrnn.seq', sets: ['--set', 'x_dim=3', '--set', 'z_dim=16', '--set', 'h_dim=128', '--set', 'f_dim=64'], columns: 'x=0:3' },
      { label: 'VRNN-GMM (x = 3 columns)', file: 'examples/vrnn_gmm.seq', sets: ['--set', 'x_dim=3', '--set', 'z_dim=16', '--set', 'h_dim=128', '--set', 'f_dim=64'], columns: 'x=0:3' },
    ],
  },
  music: {
    data: 'data/cache/music', kind: 'music', common: ['--max-len', '100', '--valid-every', '100'],
    models: [
      { label: 'RNN', file: 'examples/rnn_polyphonic.seq' },
      { label: 'STORN', file: 'examples/storn_polyphonic.seq' },
      { label: 'VRNN', file: 'examples/vrnn_polyphonic.seq' },
      { label: 'SRNN', file: 'examples/srnn_polyphonic.seq' },
      { label: 'DMM', file: 'examples/dmm.seq' },
    ],
  },
  // The same held-out songs, 1.8 times the training steps (Freedoom's songs added): the models
  // that did best on `music`, to see how much of their gap is the small training split.
  'music-plus': {
    data: 'data/cache/music-plus', kind: 'music', common: ['--max-len', '100', '--valid-every', '100'],
    models: [
      { label: 'RNN', file: 'examples/rnn_polyphonic.seq' },
      { label: 'STORN', file: 'examples/storn_polyphonic.seq' },
      { label: 'SRNN', file: 'examples/srnn_polyphonic.seq' },
      { label: 'RNN-NADE', file: 'examples/rnn_nade_polyphonic.seq' },
      { label: 'SRNN-NADE', file: 'examples/srnn_nade_polyphonic.seq' },
      // RNN-NADE trained with dropout on its feed-forward nets, and with a cosine schedule from a
      // higher rate over the steps it makes in the budget on this machine (its validation bound
      // still improves at the end of the constant-rate run).
      { label: 'RNN-NADE, dropout 0.3', file: 'examples/rnn_nade_polyphonic.seq', sets: ['--set', 'drop=0.3'] },
      { label: 'RNN-NADE, lr 2e-3 cosine over 9,000 steps', file: 'examples/rnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '9000'] },
      { label: 'RNN-NADE, dropout 0.3, lr 2e-3 cosine over 10,000 steps', file: 'examples/rnn_nade_polyphonic.seq', sets: ['--set', 'drop=0.3'], extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '10000'] },
      { label: 'RNN-NADE, lr 3e-3 cosine over 10,500 steps', file: 'examples/rnn_nade_polyphonic.seq', extra: ['--lr', '3e-3', '--lr-schedule', 'cosine', '--steps', '10500'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 7,500 steps', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '7500'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,300 steps', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8300'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,300 steps, random crops', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8300', '--crop', 'random'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,300 steps, random crops, seed 2', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8300', '--crop', 'random', '--seed', '2'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 6,600 steps, random crops of 200 steps, batch 8', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '6600', '--crop', 'random', '--max-len', '200', '--batch', '8'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,900 steps, random crops', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8900', '--crop', 'random'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,000 steps, random crops, weight decay 0.05', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8000', '--crop', 'random', '--weight-decay', '0.05'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,000 steps, random crops, weight decay 0.05, seed 2', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8000', '--crop', 'random', '--weight-decay', '0.05', '--seed', '2'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,000 steps, random crops, weight decay 0.05, seed 3', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8000', '--crop', 'random', '--weight-decay', '0.05', '--seed', '3'] },
      { label: 'SRNN-NADE, lr 2e-3 cosine over 8,000 steps, random crops, weight decay 0.1', file: 'examples/srnn_nade_polyphonic.seq', extra: ['--lr', '2e-3', '--lr-schedule', 'cosine', '--steps', '8000', '--crop', 'random', '--weight-decay', '0.1'] },
    ],
  },
};

/** Runs one seqc command in-process; returns its exit code and stdout. */
async function seqc(args: readonly string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const term: Terminal = { out: (t) => { out += t.endsWith('\n') ? t : t + '\n'; }, err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n') };
  const code = await main(args, term);
  return { code, out };
}

const quote = (a: string): string => (/^[\w./=:,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
const command = (args: readonly string[]): string => ['npx', 'seqc', ...args].map(quote).join(' ');
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** One row of a results table. */
interface Row {
  readonly label: string;
  readonly params: number;
  readonly steps: number;
  readonly seconds: number;
  readonly k: number;
  readonly exact: boolean;
  readonly elboPerSeq: number;
  readonly elboPerStep: number;
  readonly iwaePerSeq: number;
  readonly iwaePerStep: number;
  readonly testSteps: number;
  readonly train: string;
  readonly eval: string;
  readonly run: string;
}

async function runTask(name: string, task: Task, o: { budget: number; k: number; only: Set<string> | null; quick: boolean; evalOnly: boolean }): Promise<Row[]> {
  if (!existsSync(join(task.data, 'SHA256SUMS'))) {
    process.stderr.write(`experiments: building ${task.data} (npm run dataset -- ${name})\n`);
    const b = spawnSync('npx', ['tsx', 'scripts/datasets/index.ts', name], { stdio: 'inherit' });
    if (b.status !== 0) throw new Error(`building the ${name} dataset failed`);
  }
  const root = join('runs', 'experiments', name);
  mkdirSync(root, { recursive: true });
  const rows: Row[] = [];
  for (const m of task.models) {
    if (o.only && !o.only.has(slug(m.label)) && !o.only.has(slug(basename(m.file, '.seq')))) continue;
    const run = join(root, slug(m.label));
    const train = ['train', m.file, '--data', task.data, '--time-limit', String(o.budget), '--steps', '1000000', '--lr-schedule', 'constant', '--patience', '0',
      '--seed', '1', ...task.common, ...(m.sets ?? []), ...(m.columns ? ['--columns', m.columns] : []), ...(m.extra ?? []), '--out', run];
    if (o.evalOnly) {
      if (!existsSync(join(run, 'checkpoints', 'last.ckpt'))) throw new Error(`--eval-only: ${run} holds no trained run of ${m.label}; train it first (${command(train)})`);
      process.stderr.write(`\nexperiments: ${name} / ${m.label}: evaluating the run that ${command(train)} trained\n`);
    } else {
      rmSync(run, { recursive: true, force: true });
      process.stderr.write(`\nexperiments: ${name} / ${m.label}: ${command(train)}\n`);
      const t = await seqc(train);
      if (t.code !== 0) throw new Error(`training ${m.label} failed (exit ${t.code})`);
    }
    const ev = ['eval', '--checkpoint', run, '--particles', String(o.k), '--json'];
    const e = await seqc(ev);
    if (e.code !== 0) throw new Error(`evaluating ${m.label} failed (exit ${e.code})`);
    const j = JSON.parse(e.out.trim().split('\n').pop()!) as Record<string, number | boolean>;
    const records = readMetrics(join(run, 'metrics.jsonl')).records;
    const last = records.filter((r) => !isValidation(r)).pop() as { step: number; seconds: number } | undefined;
    const manifest = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')) as { parameters: { shape: number[] }[] };
    rows.push({
      label: m.label, params: manifest.parameters.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
      steps: last?.step ?? 0, seconds: last?.seconds ?? 0, k: o.k, exact: j['exact'] === true,
      elboPerSeq: j['elbo_per_seq'] as number, elboPerStep: j['elbo_per_step'] as number, iwaePerSeq: j['iwae_per_seq'] as number, iwaePerStep: j['iwae_per_step'] as number,
      testSteps: j['n_steps'] as number, train: command(train), eval: command(ev.slice(0, -1)), run,
    });
    writeFileSync(join(root, 'results.json'), JSON.stringify(rows, null, 1) + '\n');
    await gallery(name, task, m, run, o.quick);
  }
  return rows;
}

/** One rendered row of a results table: its Markdown line and the two commands that made it. */
interface RenderedRow {
  readonly label: string;
  readonly line: string;
  readonly commands: readonly string[];
}

/** The Markdown line and commands of a row. */
function render(task: Task, r: Row): RenderedRow {
  const est = r.exact ? 'exact' : `IWAE-${r.k}`;
  const line = task.kind === 'music'
    ? `| ${r.label} | ${(-r.elboPerStep).toFixed(3)}${r.exact ? ' (exact)' : ''} | ${(-r.iwaePerStep).toFixed(3)} (${est}) | ${r.params.toLocaleString('en-US')} | ${r.steps} | ${r.seconds.toFixed(0)} |`
    : `| ${r.label} | ${r.elboPerSeq.toFixed(1)} | ${r.elboPerStep.toFixed(2)} | ${r.iwaePerSeq.toFixed(1)} (${est}) | ${r.iwaePerStep.toFixed(2)} | ${r.params.toLocaleString('en-US')} | ${r.steps} | ${r.seconds.toFixed(0)} |`;
  return { label: r.label, line, commands: [r.train, `${r.eval} --json`] };
}

/** The first line of a task's table: the budget and how to rebuild it. */
function budgetLine(name: string, task: Task, budget: number): string {
  return `Budget: ${budget} s of training per model, one model at a time, ${defaultThreads()} intra-op threads on a ${availableParallelism()}-core machine (seed 1, constant learning rate 1e-3${task.models.some((m) => m.extra?.includes('--lr-schedule')) ? ' unless the row names another schedule' : ''}, batch 16${task.common.includes('--max-len') ? ', windows of 100 steps' : ''}); evaluation on the whole test split from the best checkpoint. Rebuild with \`npm run experiments -- ${name}${budget === 600 ? '' : ` --budget ${budget}`}\`.`;
}

/** The Markdown table of a task. */
function table(name: string, task: Task, rows: readonly RenderedRow[], budget: number): string {
  const music = task.kind === 'music';
  const lines = [
    budgetLine(name, task, budget),
    '',
    music
      ? '| model | NLL per step, bound (−ELBO) | NLL per step, estimate (IWAE-K) | parameters | steps | time (s) |'
      : '| model | ELBO per sequence | ELBO per step | log p(x) per sequence | log p(x) per step | parameters | steps | time (s) |',
    music ? '|---|---:|---:|---:|---:|---:|' : '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => r.line),
  ];
  lines.push('', 'Commands (each row):', '', '```sh', ...rows.flatMap((r) => r.commands), '```');
  return lines.join('\n');
}

/**
 * The rows of the task's table now in docs/results.md (null if it has none): each row's line and
 * its commands (two per row, in row order), so that a run of some models (`--models`) replaces
 * their rows and keeps the others. The table must have been made with the same budget.
 */
function publishedRows(name: string, budget: number, task: Task): RenderedRow[] | null {
  const file = 'docs/results.md';
  if (!existsSync(file)) return null;
  const doc = readFileSync(file, 'utf8');
  const [open, close] = [`<!-- results:${name} -->`, `<!-- /results:${name} -->`];
  const i = doc.indexOf(open), j = doc.indexOf(close);
  if (i < 0 || j < i) return null;
  const block = doc.slice(i + open.length, j).split('\n');
  const first = block.find((l) => l.startsWith('Budget:'));
  if (block.every((l) => l.trim() === '')) return null;
  if (first !== budgetLine(name, task, budget)) {
    throw new Error(`docs/results.md's ${name} table was made with another budget or setup (${first ?? 'no budget line'}): rerun the whole task, or pass the table's --budget`);
  }
  const rowLines = block.filter((l) => l.startsWith('| ') && !l.startsWith('| model |'));
  const sh = block.slice(block.indexOf('```sh') + 1, block.lastIndexOf('```'));
  if (sh.length !== 2 * rowLines.length) throw new Error(`docs/results.md's ${name} table has ${rowLines.length} rows but ${sh.length} commands (two per row expected)`);
  return rowLines.map((line, k) => ({ label: line.split('|')[1]!.trim(), line, commands: sh.slice(2 * k, 2 * k + 2) }));
}

/** The published rows with those just measured put in (in the task's model order). */
function mergeRows(task: Task, published: readonly RenderedRow[], fresh: readonly RenderedRow[]): RenderedRow[] {
  const byLabel = new Map(published.map((r) => [r.label, r] as const));
  for (const r of fresh) byLabel.set(r.label, r);
  const order = task.models.map((m) => m.label);
  return [...byLabel.values()].sort((a, b) => (order.indexOf(a.label) + 1 || Infinity) - (order.indexOf(b.label) + 1 || Infinity));
}

/** Replaces the text between `<!-- results:NAME -->` and `<!-- /results:NAME -->` in docs/results.md. */
function updateResults(name: string, text: string): void {
  const file = 'docs/results.md';
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Results\n';
  const [open, close] = [`<!-- results:${name} -->`, `<!-- /results:${name} -->`];
  const block = `${open}\n${text}\n${close}`;
  const i = doc.indexOf(open), j = doc.indexOf(close);
  writeFileSync(file, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + close.length) : `${doc.trimEnd()}\n\n## ${name}\n\n${block}\n`);
}

/** Samples of a trained run and a continuation of a real test sequence, into docs/gallery/<task>/<model>/. */
async function gallery(name: string, task: Task, m: ModelRun, run: string, quick: boolean): Promise<void> {
  const dir = join('docs', 'gallery', name, slug(m.label));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const steps = task.kind === 'speech' ? 40 : task.kind === 'handwriting' ? 400 : 128;
  const tmp = join(run, 'gallery-samples');
  const s = await seqc(['sample', '--checkpoint', run, '--num', quick ? '1' : '2', '--steps', String(steps), '--seed', '7', '-o', tmp]);
  if (s.code !== 0) throw new Error(`sampling ${m.label} failed`);
  for (const f of ['sample-0.svg', 'sample-0.wav', 'sample-0.mid', 'sample-1.svg', 'sample-1.wav', 'sample-1.mid']) if (existsSync(join(tmp, f))) copyFileSync(join(tmp, f), join(dir, f));
  // Continue the first test sequence from its first half (or 200 steps of a handwriting line).
  const t = loadTrained(null, run, [], 'best');
  const spec = t.spec;
  const test = loadDataset(task.data, spec, m.columns ? { columns: parseColumns(m.columns, spec) } : {}).test;
  const real = test[0]!;
  const P = Math.min(task.kind === 'handwriting' ? 200 : Math.floor(real.length / 2), real.length - 1);
  const prefixFile = join(run, 'gallery-prefix.json');
  // The prefix in the data's own shape: plain frames for speech, the raw rows (columns, piano-roll note lists) otherwise.
  const x = real.values.get('x');
  const rows = task.kind === 'speech' && x ? Array.from({ length: P }, (_, i) => Array.from(x.subarray(i * 200, (i + 1) * 200)))
    : (JSON.parse(readFileSync(join(task.data, 'test.json'), 'utf8')) as unknown[][])[0]!.slice(0, P);
  writeFileSync(prefixFile, JSON.stringify([rows]));
  const cont = join(run, 'gallery-continuation');
  const c = await seqc(['sample', '--checkpoint', run, '--prefix', prefixFile, '--steps', String(Math.min(real.length, P * 2)), '--seed', '7', '-o', cont]);
  if (c.code !== 0) throw new Error(`continuing with ${m.label} failed`);
  const samples = JSON.parse(readFileSync(join(cont, 'samples.json'), 'utf8')) as { variables: Record<string, number[][][]> };
  writeFileSync(join(dir, 'continuation.svg'), continuationSvg(task.kind, samples.variables, P, `${m.label}: continuation of test sequence ${real.id} after ${P} steps (the given prefix, then the model)`));
  if (task.kind === 'speech') writeFileSync(join(dir, 'continuation.wav'), encodeWav16(Float32Array.from(samples.variables['x']![0]!.flat()), 16000));
  if (task.kind === 'music') writeFileSync(join(dir, 'continuation.mid'), pianoRollToMidi(samples.variables['x']![0]!, { title: `${m.label} continuation` }));
  const realDir = join('docs', 'gallery', name, 'real');
  if (!existsSync(realDir)) writeReal(task.kind, realDir, real);
}

/** The first test sequence as the task's picture (and sound). */
function writeReal(kind: Task['kind'], dir: string, s: Sequence): void {
  mkdirSync(dir, { recursive: true });
  const frames = (name: string): number[][] => { const v = s.values.get(name)!; const w = v.length / s.length; return Array.from({ length: s.length }, (_, t) => Array.from(v.subarray(t * w, (t + 1) * w))); };
  if (kind === 'speech') {
    const wave = Float32Array.from(frames('x').flat());
    writeFileSync(join(dir, 'real.wav'), encodeWav16(wave, 16000));
    writeFileSync(join(dir, 'real.svg'), waveformSvg(wave, 16000, { title: `real speech: test sequence ${s.id}` }));
  } else if (kind === 'music') {
    writeFileSync(join(dir, 'real.svg'), pianoRollSvg(frames('x').slice(0, 256), { title: `real music: test song ${s.id} (first 256 steps)` }));
    writeFileSync(join(dir, 'real.mid'), pianoRollToMidi(frames('x').slice(0, 256), { title: 'real' }));
  } else {
    const key = s.values.has('dxy') ? 'dxy' : 'x';
    const f = frames(key);
    const pen = s.values.has('pen') ? frames('pen').map((p) => p[0]!) : f.map((r) => r[2]!);
    writeFileSync(join(dir, 'real.svg'), strokesChart([{ name: 'real', xy: f.map((r) => [r[0]!, r[1]!]), pen }], `real handwriting: test line ${s.id}`));
  }
}

/** Pen offsets as a chart of absolute positions; pen-up breaks the line (y points down, as the data). */
function strokesChart(parts: readonly { name: string; xy: readonly [number, number][]; pen: readonly number[] }[], title: string): string {
  let x = 0, y = 0;
  const series = parts.map((p) => ({
    name: p.name,
    points: p.xy.flatMap(([dx, dy], i): [number, number][] => {
      x += dx; y += dy;
      return p.pen[i]! > 0.5 ? [[x, -y], [NaN, NaN]] : [[x, -y]];
    }),
  }));
  return lineChartSvg({ title, xLabel: 'x', yLabel: '−y', series, width: 960, height: 360 });
}

/** A continuation with its prefix drawn in grey and the boundary marked. */
function continuationSvg(kind: Task['kind'], v: Record<string, number[][][]>, P: number, title: string): string {
  if (kind === 'speech') {
    const wave = v['x']![0]!.flat();
    const W = v['x']![0]![0]!.length;
    return lineChartSvg({
      title, xLabel: 'sample', yLabel: 'amplitude', width: 960, height: 320,
      series: [
        { name: 'prefix (given)', points: wave.slice(0, P * W).map((a, i) => [i, a] as [number, number]) },
        { name: 'continuation', points: wave.slice(P * W).map((a, i) => [P * W + i, a] as [number, number]) },
      ],
    });
  }
  if (kind === 'music') {
    const roll = v['x']![0]!;
    const svg = pianoRollSvg(roll, { title, cell: 4 });
    // pianoRollSvg draws step t at x = 64 + 4t (its left margin and cell): mark the boundary there.
    return svg.replace('</svg>', `<line x1="${64 + 4 * P}" y1="36" x2="${64 + 4 * P}" y2="${36 + 88 * 4}" stroke="#d55e00" stroke-width="2"><title>end of the given prefix</title></line>\n</svg>`);
  }
  const key = v['dxy'] ? 'dxy' : 'x';
  const f = v[key]![0]!;
  const pen = v['pen'] ? v['pen'][0]!.map((p) => p[0]!) : f.map((r) => r[2]!);
  return strokesChart([
    { name: 'prefix (given)', xy: f.slice(0, P).map((r) => [r[0]!, r[1]!]), pen: pen.slice(0, P) },
    { name: 'continuation', xy: f.slice(P).map((r) => [r[0]!, r[1]!]), pen: pen.slice(P) },
  ], title);
}

/** docs/gallery/README.md: every task's real data and each model's samples and continuation, side by side, from what is on disk. */
function galleryIndex(): void {
  const root = join('docs', 'gallery');
  if (!existsSync(root)) return;
  const titles: Record<string, string> = { speech: 'Speech', handwriting: 'Handwriting', music: 'Polyphonic music', 'music-plus': 'Polyphonic music, with Freedoom\'s songs in training' };
  const out = ['# Generation gallery', '',
    'Written by `npm run experiments -- speech|handwriting|music` (rebuilt alone with `npm run experiments -- index`): for each task,',
    'a real test sequence, then for each model two unconditional samples and the continuation of that test sequence after its first part (half for speech and music, 200 steps for handwriting)',
    '(the given prefix drawn apart from the continuation, or its end marked). Sounds are 16 kHz WAV files, music also MIDI files; the numbers are in [results.md](../results.md).', ''];
  for (const task of Object.keys(tasks)) {
    const dir = join(root, task);
    if (!existsSync(dir)) continue;
    out.push(`## ${titles[task] ?? task}`, '');
    const models = ['real', ...tasks[task]!.models.map((m) => slug(m.label))].filter((m) => existsSync(join(dir, m)));
    for (const m of models) {
      const label = m === 'real' ? 'Real data' : tasks[task]!.models.find((x) => slug(x.label) === m)!.label;
      const files = readdirSync(join(dir, m)).sort();
      out.push(`### ${label}`, '');
      for (const svg of files.filter((x) => x.endsWith('.svg'))) out.push(`![${label}: ${svg}](${task}/${m}/${svg})`, '');
      const sounds = files.filter((x) => x.endsWith('.wav') || x.endsWith('.mid'));
      if (sounds.length) out.push(`Listen: ${sounds.map((x) => `[${x}](${task}/${m}/${x})`).join(' · ')}`, '');
    }
  }
  writeFileSync(join(root, 'README.md'), out.join('\n'));
}

async function cli(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'index') { galleryIndex(); process.stderr.write('experiments: wrote docs/gallery/README.md\n'); return 0; }
  const name = argv.find((a) => !a.startsWith('--') && !/^\d/.test(a));
  const opt = (flag: string): string | undefined => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  const task = name ? tasks[name] : undefined;
  if (!task) {
    process.stderr.write(`usage: npm run experiments -- ${Object.keys(tasks).join('|')}|index [--budget SECONDS] [--models a,b [--eval-only]] [--k K] [--quick]\n`);
    return 2;
  }
  const quick = argv.includes('--quick');
  const budget = Number(opt('--budget') ?? (quick ? 20 : 600));
  const k = Number(opt('--k') ?? (quick ? 10 : 100));
  // A model is named by its label in any case (SRNN, rnn-nade) or its file's name (srnn_polyphonic);
  // a name that matches no model of the task is an error, not a run that trains nothing.
  const only = opt('--models') ? new Set(opt('--models')!.split(',').map((n) => slug(n))) : null;
  const unknown = only ? [...only].filter((n) => !task.models.some((m) => slug(m.label) === n || slug(basename(m.file, '.seq')) === n)) : [];
  if (unknown.length > 0) {
    process.stderr.write(`experiments: ${name} has no model ${unknown.map((n) => `'${n}'`).join(', ')}; its models are ${task.models.map((m) => `${slug(m.label)} (${basename(m.file)})`).join(', ')}\n`);
    return 2;
  }
  // A partial run (--models) must match the published table's budget; checked before training.
  const published = !quick && only ? publishedRows(name!, budget, task) : null;
  const evalOnly = argv.includes('--eval-only');
  if (evalOnly && !only) throw new Error('--eval-only evaluates the runs of the models named by --models; give --models too');
  const rows = (await runTask(name!, task, { budget, k, only, quick, evalOnly })).map((r) => render(task, r));
  const text = table(name!, task, published ? mergeRows(task, published, rows) : rows, budget);
  process.stdout.write(`\n${text}\n`);
  if (!quick) updateResults(name!, text);
  else writeFileSync(join('runs', 'experiments', name!, 'table.md'), text + '\n');
  galleryIndex();
  process.stderr.write(`experiments: table in ${!quick ? 'docs/results.md' : resolve('runs/experiments', name!, 'table.md')}${published ? ' (rows of the other models kept)' : ''}, gallery in docs/gallery/${name}/\n`);
  return 0;
}

cli(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => { process.stderr.write(`experiments: ${(e as Error).message}\n`); process.exitCode = 1; });
