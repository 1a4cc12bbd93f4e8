/**
 * @file A run's configuration: everything `seqc train` was told, saved as RUN/config.json so
 * `--resume` repeats it. One table of numeric rules serves the command line and the file, so an
 * edited config.json (`"batch": 0`) is refused with the same rule a flag would be.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { RunError } from './errors.js';
import type { Crop } from './data/batches.js';
import type { LrSchedule } from './schedules.js';
import type { Device } from './session.js';
import type { Bound } from '../compiler/pipeline.js';

/** Everything `seqc train` can be told. Paths are absolute in memory, relative to the run in config.json. */
export interface TrainConfig {
  readonly model: string;
  /** The dataset; null for the built-in speech data. */
  readonly data: string | null;
  /** A --columns mapping of plain frames to the model's variables (data/columns.ts). */
  readonly columns?: string | null;
  readonly sets: readonly string[];
  readonly steps: number | null;
  readonly epochs: number | null;
  readonly timeLimit: number | null;
  readonly batch: number;
  readonly maxLen: number | null;
  /** Where --max-len windows begin (data/batches.ts `Crop`; absent in older runs: `start`). */
  readonly crop?: Crop;
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
  /** The training bound (absent in runs of seqppl 0.1: the ELBO, or IWAE when iwae > 1). */
  readonly bound?: Bound;
  /** Particles per sequence of the IWAE or FIVO bound. */
  readonly particles?: number;
  /** Optimizer steps per `session.run` (default `defaultStepsPerCall(device)`: 1 on the CPU, 8 on CUDA). */
  readonly stepsPerCall?: number;
  /** Samples per second of waveform data (set by the run, for writing WAV samples). */
  readonly sampleRate?: number | null;
}

/** The numeric settings. */
export type NumericKey = 'steps' | 'epochs' | 'timeLimit' | 'batch' | 'maxLen' | 'lr' | 'warmup' | 'clip' | 'weightDecay' |
  'klAnneal' | 'klStart' | 'validEvery' | 'patience' | 'seed' | 'threads' | 'iwae' | 'particles';

/** One numeric setting: its flag, whether it is an integer, its least (and greatest) value, whether it may be null. */
export interface NumericRule { readonly flag: string; readonly int: boolean; readonly min: number; readonly max?: number; readonly nullable: boolean }

/** Seeds are 32-bit unsigned integers (2^32 - 1 at most). */
export const MAX_SEED = 4294967295;

/** The rule of every numeric setting (the CLI's defaults are in `seqc train --help`). */
export const numericRules: { readonly [K in NumericKey]: NumericRule } = {
  steps: { flag: '--steps', int: true, min: 1, nullable: true },
  epochs: { flag: '--epochs', int: true, min: 1, nullable: true },
  timeLimit: { flag: '--time-limit', int: false, min: 1, nullable: true },
  batch: { flag: '--batch', int: true, min: 1, nullable: false },
  maxLen: { flag: '--max-len', int: true, min: 1, nullable: true },
  lr: { flag: '--lr', int: false, min: 0, nullable: false },
  warmup: { flag: '--warmup', int: true, min: 0, nullable: false },
  clip: { flag: '--clip', int: false, min: 0, nullable: false },
  weightDecay: { flag: '--weight-decay', int: false, min: 0, nullable: false },
  klAnneal: { flag: '--kl-anneal', int: true, min: 0, nullable: false },
  klStart: { flag: '--kl-start', int: false, min: 0, nullable: false },
  validEvery: { flag: '--valid-every', int: true, min: 1, nullable: false },
  patience: { flag: '--patience', int: true, min: 0, nullable: false },
  seed: { flag: '--seed', int: true, min: 0, max: MAX_SEED, nullable: false },
  threads: { flag: '--threads', int: true, min: 1, nullable: false },
  iwae: { flag: '--iwae', int: true, min: 1, nullable: false },
  particles: { flag: '--particles', int: true, min: 1, nullable: false },
};

/** What a rule expects, for messages: `an integer ≥ 1`, `an integer between 0 and 4294967295`. */
export function expectation(r: NumericRule): string {
  return `${r.int ? 'an integer' : 'a number'} ${r.max !== undefined ? `between ${r.min} and ${r.max}` : `≥ ${r.min}`}`;
}

/** Whether `x` satisfies the rule (null only where allowed). */
export function satisfies(r: NumericRule, x: unknown): boolean {
  if (x === null) return r.nullable;
  return typeof x === 'number' && Number.isFinite(x) && (!r.int || Number.isInteger(x)) && x >= r.min && (r.max === undefined || x <= r.max);
}

const choices = { lrSchedule: ['constant', 'cosine', 'exp'], device: ['cpu', 'cuda'] } as const;

/** The configuration as written to RUN/config.json: paths relative to the run directory where possible. */
export function storedConfig(cfg: TrainConfig, dir: string): Record<string, unknown> {
  const rel = (p: string): string => {
    const r = relative(resolve(dir), p);
    return isAbsolute(r) ? p : r; // a different drive: keep the absolute path
  };
  return { ...cfg, model: rel(cfg.model), data: cfg.data === null ? null : rel(cfg.data) };
}

/** Validates a parsed RUN/config.json (`file` names it in messages) and resolves its paths against `dir`. */
export function parseStoredConfig(x: unknown, file: string, dir: string): TrainConfig {
  const bad = (field: string, got: unknown, want: string): RunError => new RunError(
    `${file}: ${field} is ${JSON.stringify(got)}, expected ${want}`,
    `the file was edited or damaged; restore the value (seqc writes it when training starts) or train a new run`);
  if (!x || typeof x !== 'object' || Array.isArray(x)) throw new RunError(`${file} is not a JSON object`, 'restore the file or train a new run');
  const o = x as Record<string, unknown>;
  if (typeof o['model'] !== 'string') throw bad('model', o['model'], 'the path of the model file');
  if (o['data'] !== null && typeof o['data'] !== 'string') throw bad('data', o['data'], 'a path, or null for the built-in dataset');
  if (!Array.isArray(o['sets']) || !o['sets'].every((s) => typeof s === 'string')) throw bad('sets', o['sets'], 'a list of name=value strings');
  for (const [k, r] of Object.entries(numericRules) as [NumericKey, NumericRule][]) {
    if ((k === 'iwae' || k === 'particles') && o[k] === undefined) continue;
    if (!satisfies(r, o[k])) throw bad(k, o[k], `${expectation(r)}${r.nullable ? ' or null' : ''}`);
  }
  if (o['bound'] !== undefined && !(['elbo', 'iwae', 'fivo'] as unknown[]).includes(o['bound'])) throw bad('bound', o['bound'], 'one of elbo, iwae, fivo');
  if (o['steps'] !== null && o['epochs'] !== null) throw bad('epochs', o['epochs'], 'null when steps is given');
  for (const [k, allowed] of Object.entries(choices)) {
    if (!(allowed as readonly string[]).includes(o[k] as string)) throw bad(k, o[k], `one of ${allowed.join(', ')}`);
  }
  if (o['crop'] !== undefined && o['crop'] !== 'start' && o['crop'] !== 'random') throw bad('crop', o['crop'], 'one of start, random');
  if (o['columns'] !== undefined && o['columns'] !== null && typeof o['columns'] !== 'string') throw bad('columns', o['columns'], 'a --columns mapping such as "dxy=0:2,pen=2", or null');
  if (o['sampleRate'] !== undefined && o['sampleRate'] !== null && !(typeof o['sampleRate'] === 'number' && o['sampleRate'] > 0)) throw bad('sampleRate', o['sampleRate'], 'a positive number or null');
  const cfg = o as unknown as TrainConfig;
  return { ...cfg, model: resolve(dir, cfg.model), data: cfg.data === null ? null : resolve(dir, cfg.data) };
}
