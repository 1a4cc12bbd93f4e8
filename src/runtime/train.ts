/**
 * @file The training loop: one `session.run` per optimizer step (forward, backward and Adam are
 * all in train_step.onnx; on CUDA several steps per call). Seeded shuffling and noise, KL annealing and learning-rate schedules,
 * validation with best/last checkpoints and early stopping, a NaN guard, metrics as JSONL and
 * SVG curves, interrupts that checkpoint before exiting, and `--resume` that continues bit for bit.
 * Every input is checked before the run directory is touched (runstart.ts); a checkpoint is only
 * written from finite weights, and `best` only from a finite validation score.
 */
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { epochBatches, epochLengths, normalize, statsToJson, type Batch, type NormStats, type VarSpec } from './data/index.js';
import { appendMetric, writeCurves, type TrainRecord } from './metrics.js';
import type { ParamStore } from './params.js';
import { Progress, type ProgressStream } from './progress.js';
import { Rng } from './rng.js';
import { klWeight, learningRate, type LrSchedule } from './schedules.js';
import { graphFeeds } from './feeds.js';
import { createSession, defaultStepsPerCall, toTensor } from './session.js';
import { stackFeeds, stepFigures, type StepFigures } from './steps.js';
import { multiStepModel, multiStepSpec } from '../compiler/onnx/multistep.js';
import { encodeModel } from '../compiler/onnx/proto.js';
import { evaluateSplit, logJacobian } from './evaluate.js';
import { firstShuffle, openRun, prepareRun } from './runstart.js';
import type { TrainConfig } from './config.js';
import type { Compiled } from '../compiler/pipeline.js';

export type { TrainConfig } from './config.js';

/** Where the loop reports: lines for the user, the progress stream, and each validation (the live report). */
export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
  readonly stream: ProgressStream;
  /** Called once every input is checked, before anything is written (the CLI prints its banner). */
  ready?(): void;
  validated?(v: Validation): Promise<void> | void;
}

/** What the loop reports after each validation, once its checkpoints and curves.svg are written. */
export interface Validation {
  readonly step: number;
  readonly total: number;
  readonly validElbo: number;
  /** True when this validation made a new best checkpoint: `model` then holds its parameters. */
  readonly improved: boolean;
  readonly sampleRate: number | null;
  readonly model: { readonly compiled: Compiled; readonly spec: VarSpec[]; readonly store: ParamStore; readonly stats: NormStats };
}

/** Why a session of training ended. */
export type StopReason = 'steps' | 'epochs' | 'time' | 'early-stopping' | 'interrupt' | 'diverged';

/** What a finished session reports. */
export interface TrainSummary {
  readonly dir: string;
  readonly steps: number;
  readonly seconds: number;
  readonly firstElbo: number | null;
  readonly lastElbo: number | null;
  readonly bestValid: number | null;
  readonly stoppedBy: StopReason;
  /** The newest checkpoint on disk (written from finite weights), if any. */
  readonly lastCheckpoint: { readonly file: string; readonly step: number } | null;
}

export { BUILTIN_SAMPLE_RATE } from './runstart.js';

/** Consecutive non-finite steps after which training stops. */
export const MAX_BAD_STEPS = 5;

/** Trains a model into `dir`; with `resume`, continues the run in `dir` from its last checkpoint. */
export async function train(cfg: TrainConfig, dir: string, resume: boolean, rep: Reporter, signal: { stop: boolean }): Promise<TrainSummary> {
  const p = await prepareRun(cfg, dir, resume);
  for (const w of p.warnings) rep.warn(w);
  rep.ready?.();
  const run = openRun(p, rep);
  try {
    return await loop(p.cfg, dir, p, rep, signal);
  } finally {
    run.release();
  }
}

/** The loop's state that checkpoints carry. */
interface LoopState { step: number; epoch: number; position: number; shuffleState: ReturnType<Rng['getState']>; noise: Rng; best: number | null; sinceBest: number }

async function loop(cfg: TrainConfig, dir: string, p: Awaited<ReturnType<typeof prepareRun>>, rep: Reporter, signal: { stop: boolean }): Promise<TrainSummary> {
  const { compiled: c, store, stats, spec } = p;
  const s: LoopState = { ...p.state };
  const train = p.data.train.map((q) => normalize(q, stats));
  const valid = p.data.valid.map((q) => normalize(q, stats));
  const batching = { batchSize: cfg.batch, ...(cfg.maxLen ? { maxLen: cfg.maxLen, crop: cfg.crop ?? 'start' } : {}) } as const;
  // --epochs N: the batches of the first N epochs, from the shuffle state every run starts with
  // (random crops vary the count per epoch), so a resumed run computes the same total.
  const total = cfg.steps ?? (cfg.epochs !== null ? epochLengths(train, batching, firstShuffle(cfg.seed), cfg.epochs).reduce((a, n) => a + n, 0) : 1000);
  const lrs: LrSchedule = { kind: cfg.lrSchedule, base: cfg.lr, warmup: cfg.warmup, total, min: 0.05, decay: 0.999 };
  const jac = logJacobian(spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe'), stats);
  const metricsFile = join(dir, 'metrics.jsonl');
  let lastCheckpoint: TrainSummary['lastCheckpoint'] = p.resumedFrom;

  /** Writes a checkpoint if the weights are finite; false (nothing written) otherwise. */
  const checkpoint = (name: 'last' | 'best', metrics = { best: s.best, sinceBest: s.sinceBest }): boolean => {
    if (!finite(store)) return false;
    const file = join(dir, 'checkpoints', `${name}.ckpt`);
    saveCheckpoint(file, {
      dtype: store.dtype, step: s.step, epoch: s.epoch, position: s.position, rng: { shuffle: s.shuffleState, noise: s.noise.getState() },
      params: store.params, state: store.state, normalization: statsToJson(stats),
      sourceHash: c.manifest.sourceHash, modelHash: c.manifest.modelHash, manifestHash: p.manifestHash, metrics,
    } satisfies Checkpoint);
    if (name === 'last') lastCheckpoint = { file, step: s.step };
    return true;
  };
  const validate = async (): Promise<number> => {
    const v = await evaluateSplit(c, p.evalSession, valid, spec, stats, { batch: cfg.batch, k: 1, seed: cfg.seed + 3, store });
    appendMetric(metricsFile, { step: s.step, valid_elbo_per_step: v.elboPerStep });
    return v.elboPerStep;
  };
  const diverged = (why: string): void => {
    progress.stop();
    const good = lastCheckpoint
      ? `the last good checkpoint is ${lastCheckpoint.file} (step ${lastCheckpoint.step}, written from finite weights${lastCheckpoint.step > 0 ? '' : ', before training'})`
      : 'no checkpoint was written (it diverged before its first validation)';
    rep.warn(`stopping: ${why}. Training diverged; ${good}. Try a lower --lr (now ${cfg.lr}) or a smaller --clip (now ${cfg.clip})`);
  };

  const validated = async (v: number, improved: boolean): Promise<void> => {
    writeCurves(dir);
    await rep.validated?.({ step: s.step, total, validElbo: v, improved, sampleRate: cfg.sampleRate ?? null, model: { compiled: c, spec, store, stats } });
  };
  const progress = new Progress({ total, stream: rep.stream, timeLimit: cfg.timeLimit });
  progress.start(s.step);
  const t0 = performance.now();
  const deadline = cfg.timeLimit !== null ? t0 + cfg.timeLimit * 1000 : Infinity;
  let bad = 0;
  let firstElbo: number | null = null;
  let lastElbo: number | null = null;
  // (widened: the step helpers below set it too)
  let stoppedBy = (cfg.steps !== null ? 'steps' : cfg.epochs !== null ? 'epochs' : 'steps') as StopReason;
  let iter: Iterator<Batch> | null = null;
  let shuffle = Rng.fromState(s.shuffleState);

  // On CUDA, K optimizer steps run per call (equal to K single steps; a group with a non-finite
  // step is replayed one step at a time, so the NaN guard acts exactly as with single steps).
  const K = cfg.stepsPerCall ?? defaultStepsPerCall(cfg.device);
  const multi = K > 1 ? await createSession(encodeModel(multiStepModel(c.train, c.manifest)), { device: cfg.device, threads: cfg.threads }) : null;
  const stacked = multiStepSpec(c.manifest).stacked;
  let pending: Batch | null = null;
  let exhausted = false;
  const scalarsAt = (s1: number): Record<string, number> => ({
    beta: klWeight({ start: cfg.klStart, steps: cfg.klAnneal }, s1), lr: learningRate(lrs, s1),
    clip_norm: cfg.clip, weight_decay: cfg.weightDecay, step: s1,
  });
  const feedsOf = (batch: Batch, s1: number): Record<string, ort.Tensor> => graphFeeds(c.manifest.graphs.train_step.inputs, {
    store, T: batch.steps, B: batch.size, values: (v) => batch.values.get(v), mask: batch.mask, noise: s.noise, scalars: scalarsAt(s1),
  });
  /** Records an applied step (the update is already in the store); returns whether training stops. */
  const finish = async (batch: Batch, f: StepFigures): Promise<boolean> => {
    s.step += 1;
    const sc = scalarsAt(s.step);
    const steps = batch.lengths.reduce((a, b) => a + b, 0);
    const elbo = (f.elboSum + jac * steps) / steps;
    firstElbo ??= elbo;
    lastElbo = elbo;
    const m: TrainRecord = { step: s.step, epoch: s.epoch, loss: f.loss, elbo_per_step: elbo, kl_per_step: f.klSum / steps, beta: sc['beta']!, lr: sc['lr']!, grad_norm: f.gradNorm, seconds: (performance.now() - t0) / 1000 };
    appendMetric(metricsFile, m);
    progress.update(s.step, { elbo });
    // Validation happens at multiples of --valid-every only, so where a run is split by
    // --resume does not change which checkpoints are compared or when early stopping fires.
    if (s.step % cfg.validEvery === 0) {
      const v = await validate();
      progress.update(s.step, { valid: v });
      if (!Number.isFinite(v)) { stoppedBy = 'diverged'; diverged(`the validation ELBO at step ${s.step} is ${v}`); return true; }
      const improved = s.best === null || v > s.best;
      if (improved) {
        s.best = v;
        s.sinceBest = 0;
        if (!checkpoint('best')) { stoppedBy = 'diverged'; diverged(`the weights at step ${s.step} are not finite`); return true; }
      } else s.sinceBest++;
      if (!checkpoint('last')) { stoppedBy = 'diverged'; diverged(`the weights at step ${s.step} are not finite`); return true; }
      await validated(v, improved);
      if (cfg.patience > 0 && s.sinceBest >= cfg.patience) { stoppedBy = 'early-stopping'; return true; }
    }
    return false;
  };
  /** One step as one call; returns whether training stops. */
  const single = async (batch: Batch, feeds: Record<string, ort.Tensor>): Promise<boolean> => {
    const out = await p.session.run(feeds);
    const f = stepFigures(out, 0, 1);
    if (!Number.isFinite(f.loss) || !Number.isFinite(f.gradNorm)) {
      bad++;
      progress.stop();
      rep.warn(`step ${s.step + 1}: the loss or gradient is not finite (loss ${f.loss}, gradient norm ${f.gradNorm}); the step was skipped`);
      if (bad >= MAX_BAD_STEPS) {
        stoppedBy = 'diverged';
        diverged(`${MAX_BAD_STEPS} steps in a row were not finite`);
        return true;
      }
      // A skipped step is not an optimizer step: `step` (and Adam's bias correction) count applied updates only.
      progress.start(s.step);
      return false;
    }
    bad = 0;
    store.applyUpdates(c.manifest.optimizer.updates, out as Record<string, { data: unknown }>);
    return finish(batch, f);
  };

  while (s.step < total) {
    if (signal.stop) { stoppedBy = 'interrupt'; break; }
    if (performance.now() > deadline) { stoppedBy = 'time'; break; }
    if (!iter) {
      shuffle = Rng.fromState(s.shuffleState);
      iter = epochBatches(train, spec, batching, shuffle)[Symbol.iterator]();
      for (let k = 0; k < s.position; k++) iter.next();
      exhausted = false;
    }
    const nx: IteratorResult<Batch> = pending ? { done: false, value: pending } : exhausted ? { done: true, value: undefined } : iter.next();
    pending = null;
    if (nx.done) {
      iter = null;
      s.epoch++;
      s.position = 0;
      s.shuffleState = shuffle.getState();
      continue;
    }
    // A group: consecutive batches of one shape, ending at the next validation or the last step.
    const group: Batch[] = [nx.value];
    const room = multi ? Math.min(K, total - s.step, cfg.validEvery - (s.step % cfg.validEvery)) : 1;
    while (group.length < room) {
      const more = iter.next();
      if (more.done) { exhausted = true; break; }
      if (more.value.steps !== nx.value.steps || more.value.size !== nx.value.size) { pending = more.value; break; }
      group.push(more.value);
    }
    s.position += group.length;
    const feeds = group.map((bt, k) => feedsOf(bt, s.step + 1 + k));
    if (group.length > 1) {
      const out = await multi!.run(stackFeeds(feeds, stacked));
      const figs = group.map((_, k) => stepFigures(out, k, group.length));
      if (figs.every((f) => Number.isFinite(f.loss) && Number.isFinite(f.gradNorm))) {
        bad = 0;
        store.applyUpdates(c.manifest.optimizer.updates, out as Record<string, { data: unknown }>);
        let stop = false;
        for (let k = 0; k < group.length && !stop; k++) stop = await finish(group[k]!, figs[k]!);
        if (stop) break;
        continue;
      }
    }
    // One step per call (also the replay of a group with a non-finite step: same data and noise).
    let stop = false;
    for (let k = 0; k < group.length && !stop; k++) {
      const f = { ...feeds[k]! };
      for (const [n, v] of Object.entries(scalarsAt(s.step + 1))) if (n in f) f[n] = toTensor('float32', [v], []);
      stop = await single(group[k]!, f);
    }
    if (stop) break;
  }
  progress.stop();
  let bestValid = s.best;
  if (stoppedBy !== 'diverged') {
    if (!checkpoint('last')) {
      stoppedBy = 'diverged';
      diverged(`the weights at step ${s.step} are not finite`);
    } else if (s.best === null && s.step > 0 && stoppedBy !== 'interrupt') {
      // No scheduled validation yet: validate once so a finished run has a best.ckpt. The record is
      // off the --valid-every grid, so --resume drops it, and last.ckpt (written above) does not count it.
      const v = await validate();
      if (Number.isFinite(v)) {
        bestValid = v;
        if (checkpoint('best', { best: v, sinceBest: 0 })) await validated(v, true);
      }
    }
  }
  writeCurves(dir);
  return { dir, steps: s.step, seconds: (performance.now() - t0) / 1000, firstElbo, lastElbo, bestValid, stoppedBy, lastCheckpoint };
}

/** Whether every parameter and optimizer-state value is finite. */
function finite(store: ParamStore): boolean {
  for (const map of [store.params, store.state]) {
    for (const t of map.values()) for (const x of t.data) if (!Number.isFinite(x)) return false;
  }
  return true;
}
