/**
 * @file The training loop: one `session.run` per optimizer step (forward, backward and Adam are
 * all in train_step.onnx). Seeded shuffling and noise, KL annealing and learning-rate schedules,
 * validation with best/last checkpoints and early stopping, a NaN guard, metrics as JSONL and
 * SVG curves, Ctrl-C that checkpoints before exiting, and `--resume` that continues bit for bit.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { loadCheckpoint, manifestHash, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { batchesPerEpoch, computeStats, cropSequences, epochBatches, loadDataset, normalize, constantDimensions, parseColumns, statsFromJson, statsToJson, type Batch, type NormStats, type Sequence, type VarSpec } from './data/index.js';
import { ParamStore } from './params.js';
import { lineChartSvg } from './plot.js';
import { Progress, type ProgressStream } from './progress.js';
import { Rng, type RngState } from './rng.js';
import { klWeight, learningRate, type LrSchedule } from './schedules.js';
import { createSession, type Device } from './session.js';
import { graphFeeds } from './feeds.js';
import { builtinDataset, compileModel, dataSpec, RunError, writeFileAtomic, writeRunArtifacts } from './run.js';
import { evaluateSplit, logJacobian } from './evaluate.js';

/** Everything `seqc train` can be told; saved as RUN/config.json so `--resume` repeats it. */
export interface TrainConfig {
  readonly model: string;
  readonly data: string | null;
  /** A --columns mapping of plain frames to the model's variables (data/columns.ts). */
  readonly columns?: string | null;
  readonly sets: readonly string[];
  readonly steps: number | null;
  readonly epochs: number | null;
  readonly timeLimit: number | null;
  readonly batch: number;
  readonly maxLen: number | null;
  readonly lr: number;
  readonly lrSchedule: LrSchedule['kind'];
  readonly warmup: number;
  readonly clip: number;
  readonly weightDecay: number;
  readonly klAnneal: number;
  readonly klStart: number;
  readonly validEvery: number;
  readonly patience: number;
  readonly seed: number;
  readonly device: Device;
  readonly threads: number;
  /** Importance samples per sequence for the IWAE training bound (1 = ELBO). */
  readonly iwae?: number;
  /** Samples per second of waveform data (set by the run, for writing WAV samples). */
  readonly sampleRate?: number | null;
}

/** Where the loop reports: lines for the user and the progress stream. */
export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
  readonly stream: ProgressStream;
}

/** What a finished run reports. */
export interface TrainSummary {
  readonly dir: string;
  readonly steps: number;
  readonly seconds: number;
  readonly firstElbo: number | null;
  readonly lastElbo: number | null;
  readonly bestValid: number | null;
  readonly stoppedBy: 'steps' | 'epochs' | 'time' | 'early-stopping' | 'interrupt' | 'nan';
}

/** Sample rate of the built-in speech dataset (data/speech/README.md). */
export const BUILTIN_SAMPLE_RATE = 16000;

/** Consecutive non-finite steps after which training stops. */
export const MAX_BAD_STEPS = 5;

interface Metrics { step: number; epoch: number; loss: number; elbo_per_step: number; kl_per_step: number; beta: number; lr: number; grad_norm: number; seconds: number }

/** Trains a model into `dir`; with `resume`, continues the run in `dir` from its last checkpoint. */
export async function train(cfg: TrainConfig, dir: string, resume: boolean, rep: Reporter, signal: { stop: boolean }): Promise<TrainSummary> {
  const { text, compiled: c } = compileModel(cfg.model, cfg.sets, 'float32', cfg.iwae ?? 1);
  const spec = dataSpec(c);
  const dataPath = cfg.data ?? defaultData(spec);
  const ds = loadDataset(dataPath, spec, cfg.columns ? { columns: parseColumns(cfg.columns, spec) } : {});
  for (const n of ds.notes ?? []) rep.warn(`note: ${n}`);
  if (!resume) writeRunArtifacts(dir, text, c);
  const sampleRate = ds.sampleRate ?? (dataPath === builtinDataset().path ? BUILTIN_SAMPLE_RATE : null);
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify({ ...cfg, data: dataPath, sampleRate }, null, 2) + '\n');

  let store: ParamStore;
  let stats: NormStats;
  let step = 0;
  let epoch = 0;
  let position = 0;
  let shuffleState: RngState;
  let noise: Rng;
  let best: number | null = null;
  let sinceBest = 0;
  const mHash = manifestHash(c.manifest);
  if (resume) {
    const ck = loadCheckpoint(join(dir, 'checkpoints', 'last.ckpt'), { sourceHash: c.manifest.sourceHash, manifestHash: mHash, modelPath: cfg.model });
    store = ParamStore.fromTensors(c.manifest, ck.params, ck.state);
    stats = statsFromJson(ck.normalization, spec, join(dir, 'checkpoints', 'last.ckpt'));
    ({ step, epoch, position } = ck);
    shuffleState = ck.rng['shuffle']!;
    noise = Rng.fromState(ck.rng['noise']!);
    const m = ck.metrics as { best: number | null; sinceBest: number };
    best = m.best;
    sinceBest = m.sinceBest;
    rep.info(`resuming ${dir} at step ${step} (epoch ${epoch + 1})`);
    // Lines written after the checkpoint (by a run that was killed) would be written again.
    const path = join(dir, 'metrics.jsonl');
    if (existsSync(path)) {
      const keep = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= step);
      writeFileSync(path, keep.map((l) => l + '\n').join(''));
    }
  } else {
    const init = new Rng(cfg.seed);
    store = ParamStore.initialize(c.manifest, init);
    stats = computeStats(ds.train, spec);
    for (const w of constantDimensions(stats)) rep.warn(w);
    shuffleState = new Rng(cfg.seed + 1).getState();
    noise = new Rng(cfg.seed + 2);
    writeFileAtomic(join(dir, 'normalization.json'), JSON.stringify(statsToJson(stats), null, 2) + '\n');
    writeFileSync(join(dir, 'metrics.jsonl'), '');
  }
  const train = ds.train.map((s) => normalize(s, stats));
  const valid = ds.valid.map((s) => normalize(s, stats));
  const perEpoch = batchesPerEpoch(cfg.maxLen ? cropSequences(train, cfg.maxLen).length : train.length, { batchSize: cfg.batch });
  const total = cfg.steps ?? (cfg.epochs !== null ? cfg.epochs * perEpoch : 1000);
  const lrs: LrSchedule = { kind: cfg.lrSchedule, base: cfg.lr, warmup: cfg.warmup, total, min: 0.05, decay: 0.999 };
  const session = await createSession(new Uint8Array(readFileSync(join(dir, 'train_step.onnx'))), { device: cfg.device, threads: cfg.threads });
  const evalSession = await createSession(new Uint8Array(readFileSync(join(dir, 'evaluate.onnx'))), { device: cfg.device, threads: cfg.threads });
  const jac = logJacobian(spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe'), stats);

  const checkpoint = (name: 'last' | 'best'): void => saveCheckpoint(join(dir, 'checkpoints', `${name}.ckpt`), {
    dtype: store.dtype, step, epoch, position, rng: { shuffle: shuffleState, noise: noise.getState() },
    params: store.params, state: store.state, normalization: statsToJson(stats),
    sourceHash: c.manifest.sourceHash, manifestHash: mHash, metrics: { best, sinceBest },
  } satisfies Checkpoint);

  const validate = async (): Promise<number> => {
    const v = await evaluateSplit(c, evalSession, valid, spec, stats, { batch: cfg.batch, k: 1, seed: cfg.seed + 3, store });
    appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ step, valid_elbo_per_step: v.elboPerStep }) + '\n');
    return v.elboPerStep;
  };
  const progress = new Progress({ total, stream: rep.stream });
  progress.start(step);
  const t0 = performance.now();
  const deadline = cfg.timeLimit !== null ? t0 + cfg.timeLimit * 1000 : Infinity;
  let bad = 0;
  let firstElbo: number | null = null;
  let lastElbo: number | null = null;
  let stoppedBy: TrainSummary['stoppedBy'] = cfg.steps !== null ? 'steps' : cfg.epochs !== null ? 'epochs' : 'steps';
  let iter: Iterator<Batch> | null = null;
  let shuffle = Rng.fromState(shuffleState);

  while (step < total) {
    if (signal.stop) { stoppedBy = 'interrupt'; break; }
    if (performance.now() > deadline) { stoppedBy = 'time'; break; }
    if (!iter) {
      shuffle = Rng.fromState(shuffleState);
      iter = epochBatches(train, spec, { batchSize: cfg.batch, ...(cfg.maxLen ? { maxLen: cfg.maxLen } : {}) }, shuffle)[Symbol.iterator]();
      for (let k = 0; k < position; k++) iter.next();
    }
    const nx = iter.next();
    if (nx.done) {
      iter = null;
      epoch++;
      position = 0;
      shuffleState = shuffle.getState();
      continue;
    }
    position++;
    const batch = nx.value;
    const s1 = step + 1;
    const beta = klWeight({ start: cfg.klStart, steps: cfg.klAnneal }, s1);
    const lr = learningRate(lrs, s1);
    const feeds = graphFeeds(c.manifest.graphs.train_step.inputs, {
      store, T: batch.steps, B: batch.size, values: (v) => batch.values.get(v), mask: batch.mask, noise,
      scalars: { beta, lr, clip_norm: cfg.clip, weight_decay: cfg.weightDecay, step: s1 },
    });
    const out = await session.run(feeds);
    const loss = scalar(out['loss']!);
    const gnorm = scalar(out['grad_norm']!);
    if (!Number.isFinite(loss) || !Number.isFinite(gnorm)) {
      bad++;
      progress.stop();
      rep.warn(`step ${s1}: the loss or gradient is not finite (loss ${loss}, gradient norm ${gnorm}); the step was skipped`);
      if (bad >= MAX_BAD_STEPS) {
        stoppedBy = 'nan';
        rep.warn(`stopping: ${MAX_BAD_STEPS} steps in a row were not finite. Try a lower --lr (now ${cfg.lr}) or a smaller --clip; the last good checkpoint is ${join(dir, 'checkpoints', 'last.ckpt')}`);
        break;
      }
      // A skipped step is not an optimizer step: `step` (and Adam's bias correction) count applied updates only.
      progress.start(step);
      continue;
    }
    bad = 0;
    store.applyUpdates(c.manifest.optimizer.updates, out as Record<string, { data: unknown }>);
    step = s1;
    const steps = batch.lengths.reduce((a, b) => a + b, 0);
    const elbo = (sum(out['elbo']!) + jac * steps) / steps;
    firstElbo ??= elbo;
    lastElbo = elbo;
    const m: Metrics = { step, epoch, loss, elbo_per_step: elbo, kl_per_step: sum(out['kl']!) / steps, beta, lr, grad_norm: gnorm, seconds: (performance.now() - t0) / 1000 };
    appendFileSync(join(dir, 'metrics.jsonl'), JSON.stringify(m) + '\n');
    progress.update(step, { elbo });
    // Validation happens at multiples of --valid-every only, so where a run is split by
    // --resume does not change which checkpoints are compared or when early stopping fires.
    if (step % cfg.validEvery === 0) {
      const v = await validate();
      if (best === null || v > best) {
        best = v;
        sinceBest = 0;
        checkpoint('best');
      } else sinceBest++;
      checkpoint('last');
      if (cfg.patience > 0 && sinceBest >= cfg.patience) { stoppedBy = 'early-stopping'; break; }
    }
  }
  progress.stop();
  checkpoint('last');
  if (best === null && step > 0) {
    // No scheduled validation yet: validate once so best.ckpt is always a validated checkpoint.
    best = await validate();
    checkpoint('best');
  }
  writeCurves(dir);
  return { dir, steps: step, seconds: (performance.now() - t0) / 1000, firstElbo, lastElbo, bestValid: best, stoppedBy };
}

function defaultData(spec: readonly VarSpec[]): string {
  const b = builtinDataset();
  if (!b.fits(spec)) {
    const vars = spec.map((v) => `${v.name} : ${v.elem}[${v.width}]`).join(', ');
    throw new RunError(`no --data given, and ${b.describe} does not fit this model (it reads ${vars}); pass --data DIR`);
  }
  return b.path;
}


function scalar(t: ort.Tensor): number {
  return Number((t.data as Float32Array)[0]);
}

function sum(t: ort.Tensor): number {
  let s = 0;
  for (const v of t.data as Float32Array) s += v;
  return s;
}

/** Writes RUN/curves.svg from metrics.jsonl: training ELBO (moving average) and validation ELBO per step. */
export function writeCurves(dir: string): void {
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l: string) => l.trim());
  const trainPts: [number, number][] = [];
  const validPts: [number, number][] = [];
  const window: number[] = [];
  for (const l of lines) {
    const m = JSON.parse(l) as Partial<Metrics> & { valid_elbo_per_step?: number };
    if (m.valid_elbo_per_step !== undefined) validPts.push([m.step!, m.valid_elbo_per_step]);
    else if (m.elbo_per_step !== undefined) {
      window.push(m.elbo_per_step);
      if (window.length > 25) window.shift();
      trainPts.push([m.step!, window.reduce((a, b) => a + b, 0) / window.length]);
    }
  }
  writeFileAtomic(join(dir, 'curves.svg'), lineChartSvg({
    title: 'ELBO per time step (nats, data units)', xLabel: 'optimizer step', yLabel: 'ELBO / step',
    series: [{ name: 'train (avg of 25)', points: trainPts }, { name: 'validation', points: validPts }],
  }));
}


/** Sequences of a split, normalized (exported for eval/sample). */
export function normalized(seqs: readonly Sequence[], stats: NormStats): Sequence[] {
  return seqs.map((s) => normalize(s, stats));
}
