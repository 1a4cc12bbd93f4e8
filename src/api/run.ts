/**
 * @file The public API for training runs: `train`, `loadRun`, `evaluate`, `sample` and
 * `exportModel`, with options objects and a reporter instead of flags and a terminal. Each is a
 * thin wrapper over the runtime the `seqc` commands use, with the same defaults and checks.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFrom, type TrainCliOptions } from '../cli/train.js';
import { filterArtifact, onnxBytes } from '../compiler/pipeline.js';
import { loadDataset, normalize, readSequences, type SplitName } from '../runtime/data/index.js';
import { evaluateSplit, type EvalResult } from '../runtime/evaluate.js';
import { exportTrained, writeExport, type ExportDescription, type ExportOptions } from '../runtime/export.js';
import { UsageError } from '../runtime/run.js';
import { drawSamples, writeSamples as writeSampleFiles, type Samples } from '../runtime/sample.js';
import { createSession, type Device } from '../runtime/session.js';
import { loadTrained, type Trained } from '../runtime/trained.js';
import { train as trainLoop, type Reporter, type TrainSummary } from '../runtime/train.js';
import { overrideStrings, type Overrides } from './model.js';

/** Where a session runs. */
export interface DeviceOptions {
  readonly device?: Device;
  /** Intra-op threads (default 1). */
  readonly threads?: number;
}

/** Options of `train`; every default is `seqc train`'s (see docs/cli.md). */
export interface TrainOptions extends DeviceOptions {
  /** The run directory to create; it must not hold a run already. */
  readonly out: string;
  /** Dataset path (default: the built-in speech data, for models it fits). */
  readonly data?: string;
  readonly steps?: number;
  readonly epochs?: number;
  readonly timeLimit?: number;
  readonly batch?: number;
  readonly maxLen?: number;
  /** Where the maxLen windows begin: `start` (default) or `random` (a new offset each epoch). */
  readonly crop?: 'start' | 'random';
  readonly lr?: number;
  readonly lrSchedule?: 'constant' | 'cosine' | 'exp';
  readonly warmup?: number;
  readonly clip?: number;
  readonly weightDecay?: number;
  readonly iwae?: number;
  readonly klAnneal?: number;
  readonly klStart?: number;
  readonly validEvery?: number;
  readonly patience?: number;
  readonly seed?: number;
  readonly set?: Overrides;
  /** Progress and messages (default: silent). */
  readonly reporter?: Partial<Reporter>;
  /** Set `stop` to true to end training at the next step boundary, with a checkpoint. */
  readonly signal?: { stop: boolean };
}

/** A reporter that prints nothing. */
export const silentReporter: Reporter = { info: () => {}, warn: () => {}, stream: { write: () => true } };

/** Trains `model` (a .seq file) into a new run directory; resolves to the summary `seqc train` prints. */
export async function train(model: string, opts: TrainOptions): Promise<TrainSummary> {
  const flags: TrainCliOptions = { set: overrideStrings(opts.set) };
  for (const k of ['data', 'steps', 'epochs', 'timeLimit', 'batch', 'maxLen', 'crop', 'lr', 'lrSchedule', 'warmup', 'clip', 'weightDecay', 'iwae', 'klAnneal', 'klStart', 'validEvery', 'patience', 'seed', 'device', 'threads'] as const) {
    if (opts[k] !== undefined) flags[k] = String(opts[k]);
  }
  // Validated and defaulted exactly as the command line is (messages name the flag, e.g. --lr).
  const cfg = configFrom(model, flags);
  if (existsSync(join(opts.out, 'checkpoints', 'last.ckpt'))) throw new UsageError(`${opts.out} already holds a run; choose another out directory`);
  return trainLoop(cfg, opts.out, false, { ...silentReporter, ...opts.reporter }, opts.signal ?? { stop: false });
}

/** Options of `loadRun`. */
export interface LoadRunOptions {
  /** Which checkpoint: `best` (default when present), else `last`. */
  readonly which?: 'best' | 'last';
  /** More hyperparameter overrides (the run's own are applied first). */
  readonly set?: Overrides;
}

/** A trained run ready to evaluate, sample and export: the compiled model and a verified checkpoint. */
export type Run = Trained;

/** Loads a run directory (or a .ckpt file); `model` must be the run's model up to comments and layout, `null` uses the run's own model.seq. */
export function loadRun(model: string | null, run: string, opts: LoadRunOptions = {}): Run {
  return loadTrained(model, run, overrideStrings(opts.set), opts.which ?? 'best');
}

/** Options of `evaluate` (defaults: `seqc eval`'s). */
export interface EvaluateOptions extends DeviceOptions {
  /** Dataset path (default: the run's training data). */
  readonly data?: string;
  readonly split?: SplitName;
  /** Importance samples per sequence (default 1). */
  readonly iwae?: number;
  readonly batch?: number;
  readonly seed?: number;
}

/** What `evaluate` reports: per-sequence and per-step ELBO and IWAE-K estimate, in nats of the data as given. */
export interface Evaluation extends EvalResult {
  readonly split: SplitName;
  readonly data: string;
}

/** The ELBO and the importance-sampled log-likelihood of a split. */
export async function evaluate(run: Run, opts: EvaluateOptions = {}): Promise<Evaluation> {
  const k = opts.iwae ?? 1;
  const split = opts.split ?? 'test';
  const data = opts.data ?? run.config?.data ?? undefined;
  if (!data) throw new UsageError('evaluate needs `data`: the checkpoint is not inside a run directory that records its data');
  const seqs = loadDataset(data, run.spec)[split].map((s) => normalize(s, run.stats));
  const session = await createSession(onnxBytes(run.compiled.evaluate), opts);
  const r = await evaluateSplit(run.compiled, session, seqs, run.spec, run.stats, { batch: opts.batch ?? Math.max(1, Math.floor(256 / k)), k, seed: opts.seed ?? 1, store: run.store });
  return { ...r, split, data };
}

/** Options of `sample` (defaults: `seqc sample`'s). */
export interface SampleOptions extends DeviceOptions {
  readonly num?: number;
  readonly steps?: number;
  readonly seed?: number;
  /** A data file whose sequences are continued (one sample each). */
  readonly prefix?: string;
  /** With `prefix`: infer the latents over the prefix with a particle filter of this many particles (`seqc sample --particles`). */
  readonly particles?: number;
}

/** Draws sequences from the model (in data units, time-major `[T, N, w]` per variable). */
export async function sample(run: Run, opts: SampleOptions = {}): Promise<Samples> {
  const prefix = opts.prefix ? readSequences(opts.prefix, run.spec).sequences.map((s) => normalize(s, run.stats)) : undefined;
  const longest = prefix ? Math.max(...prefix.map((s) => s.length)) : 0;
  if (opts.particles !== undefined && (!prefix || !Number.isInteger(opts.particles) || opts.particles < 1)) throw new UsageError('sample: `particles` needs `prefix` and a positive integer');
  const filtered = opts.particles !== undefined ? filterArtifact(run.compiled) : null;
  const session = await createSession(onnxBytes(filtered ?? run.compiled.sample), opts);
  return drawSamples(run, session, { num: opts.num ?? 4, steps: opts.steps ?? (prefix ? 2 * longest : 40), seed: opts.seed ?? 1, ...(prefix ? { prefix } : {}), ...(filtered ? { filter: { particles: opts.particles!, inputs: filtered.inputs, ir: filtered.ir } } : {}) });
}

/** Writes samples as `seqc sample` does (NPY, JSON and pictures or sound); returns the files. */
export function writeSamples(run: Run, s: Samples, dir: string): string[] {
  return writeSampleFiles(run, s, dir, run.config?.sampleRate ?? null);
}

/** Writes standalone sample.onnx, evaluate.onnx and export.json (docs/export.md); returns them and the description. */
export function exportModel(run: Run, dir: string, opts: ExportOptions = {}): { files: string[]; description: ExportDescription } {
  const e = exportTrained(run, opts);
  return { files: writeExport(e, dir), description: e.description };
}
