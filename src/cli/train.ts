/** @file `seqc train FILE`: parse options, pick the run directory, handle interrupts and signals, print the summary. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultThreads } from '../runtime/defaults.js';
import { expectation, numericRules, satisfies, type NumericKey, type TrainConfig } from '../runtime/config.js';
import type { Bound } from '../compiler/pipeline.js';
import { freshRunDir, readRunConfig, RunError } from '../runtime/run.js';
import { LiveReport } from '../runtime/report/live.js';
import { train, type TrainSummary } from '../runtime/train.js';
import { withHint } from './faults.js';
import { Exit, shellCommand, UsageError, type Terminal } from './io.js';

/** Raw commander options of `seqc train`. */
export interface TrainCliOptions {
  data?: string; columns?: string; steps?: string; epochs?: string; timeLimit?: string; batch?: string; maxLen?: string; crop?: string;
  lr?: string; lrSchedule?: string; warmup?: string; clip?: string; weightDecay?: string;
  klAnneal?: string; klStart?: string; validEvery?: string; patience?: string;
  out?: string; seed?: string; device?: string; threads?: string; set?: string[]; resume?: string; iwae?: string; bound?: string; particles?: string; json?: boolean;
}

/** The signals that stop training at a step boundary with a checkpoint, and their exit codes (128 + number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/** A numeric option by its rule in runtime/config.ts; `def` when absent. */
function num<D extends number | null>(key: NumericKey, v: string | undefined, def: D): number | D {
  if (v === undefined) return def;
  const r = numericRules[key];
  const x = v.trim() === '' ? NaN : Number(v);
  if (!satisfies({ ...r, nullable: false }, x)) throw new UsageError(`${r.flag} expects ${expectation(r)}, got '${v}'`);
  return x;
}

/** The training configuration from CLI options (defaults documented in `seqc train --help`). */
export function configFrom(model: string, o: TrainCliOptions): TrainConfig {
  const device = o.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device must be cpu or cuda, not '${device}'`);
  const sched = o.lrSchedule ?? 'cosine';
  if (!['constant', 'cosine', 'exp'].includes(sched)) throw new UsageError(`--lr-schedule must be constant, cosine or exp, not '${sched}'`);
  const tb = boundFrom(o);
  if (tb.bound !== 'elbo' && (o.klAnneal !== undefined || o.klStart !== undefined)) {
    throw new UsageError(`--kl-anneal and --kl-start weight the ELBO's KL term; the ${tb.bound.toUpperCase()} bound has no separate KL term to anneal`);
  }
  if (o.steps !== undefined && o.epochs !== undefined) throw new UsageError('give at most one of --steps and --epochs');
  const crop = o.crop ?? 'start';
  if (crop !== 'start' && crop !== 'random') throw new UsageError(`--crop must be start or random, not '${crop}'`);
  if (o.crop !== undefined && o.maxLen === undefined) throw new UsageError('--crop places the windows of --max-len; give --max-len too', 'e.g. --max-len 100 --crop random');
  if (o.data !== undefined && !existsSync(o.data)) throw new UsageError(`--data ${o.data}: no such file or directory`, 'give a directory with train, valid and test files, or one file with the splits (README, "Data")');
  return {
    model: resolve(model), data: o.data !== undefined ? resolve(o.data) : null, columns: o.columns ?? null, sets: o.set ?? [],
    steps: o.steps !== undefined ? num('steps', o.steps, 0) : o.epochs !== undefined ? null : 800,
    epochs: num('epochs', o.epochs, null), timeLimit: num('timeLimit', o.timeLimit, null),
    batch: num('batch', o.batch, 16), maxLen: num('maxLen', o.maxLen, null), ...(o.crop !== undefined ? { crop } : {}),
    lr: num('lr', o.lr, 1e-3), lrSchedule: sched as TrainConfig['lrSchedule'],
    warmup: num('warmup', o.warmup, 0), clip: num('clip', o.clip, 10), weightDecay: num('weightDecay', o.weightDecay, 0),
    klAnneal: num('klAnneal', o.klAnneal, 0), klStart: num('klStart', o.klStart, 0),
    validEvery: num('validEvery', o.validEvery, 50), patience: num('patience', o.patience, 5),
    seed: num('seed', o.seed, 1), device, threads: num('threads', o.threads, defaultThreads()),
    bound: tb.bound, particles: tb.particles, iwae: tb.bound === 'iwae' ? tb.particles : 1,
  };
}

/** `--bound B --particles K`, with `--iwae K` as a synonym of `--bound iwae --particles K`. */
function boundFrom(o: TrainCliOptions): { bound: Bound; particles: number } {
  const b = o.bound ?? (o.iwae !== undefined && Number(o.iwae) > 1 ? 'iwae' : 'elbo');
  if (b !== 'elbo' && b !== 'iwae' && b !== 'fivo') throw new UsageError(`--bound must be elbo, iwae or fivo, not '${b}'`);
  if (o.iwae !== undefined && o.particles !== undefined) throw new UsageError('--iwae K is a synonym of --bound iwae --particles K: give one of --iwae and --particles');
  if (o.iwae !== undefined && b !== 'iwae' && Number(o.iwae) > 1) throw new UsageError(`--iwae ${o.iwae} asks for the IWAE bound, but --bound is ${b}`);
  const k = num('particles', o.particles ?? o.iwae, b === 'elbo' ? 1 : 8);
  if (b === 'elbo' && k !== 1) throw new UsageError(`the ELBO uses one sample per sequence; --particles ${k} needs --bound iwae or --bound fivo`);
  return { bound: b, particles: k };
}

/** The settings a resumed run keeps, and the few the command line may change. */
function resumeConfig(dir: string, model: string | undefined, o: TrainCliOptions, term: Terminal): TrainConfig {
  const fixed = (['data', 'columns', 'batch', 'maxLen', 'crop', 'lr', 'lrSchedule', 'warmup', 'clip', 'weightDecay', 'klAnneal', 'klStart', 'validEvery', 'patience', 'out', 'seed', 'iwae', 'bound', 'particles'] as const)
    .filter((k) => o[k] !== undefined).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
    .concat((o.set ?? []).length ? ['--set'] : []);
  if (fixed.length) {
    throw new UsageError(`--resume continues a run with its own settings (${join(dir, 'config.json')}); ${fixed.join(', ')} cannot change them`,
      'only --steps, --epochs, --time-limit, --device and --threads may be given with --resume');
  }
  if (!existsSync(join(dir, 'config.json'))) {
    throw new RunError(existsSync(dir) ? `cannot resume ${dir}: it is not a training run (config.json is missing)` : `cannot resume ${dir}: no such run directory`);
  }
  const saved = readRunConfig(dir);
  const file = model !== undefined ? resolve(model) : join(resolve(dir), 'model.seq');
  if (model !== undefined && saved.model !== file) term.err(`seqc: note: ${dir} was trained from ${saved.model}; resuming with ${model}`);
  const over = configFrom(file, { steps: o.steps, epochs: o.epochs, timeLimit: o.timeLimit, device: o.device, threads: o.threads });
  return {
    ...saved, model: file,
    ...(o.steps !== undefined ? { steps: over.steps, epochs: null } : {}),
    ...(o.epochs !== undefined ? { epochs: over.epochs, steps: null } : {}),
    ...(o.timeLimit !== undefined ? { timeLimit: over.timeLimit } : {}),
    ...(o.device !== undefined ? { device: over.device } : {}),
    ...(o.threads !== undefined ? { threads: over.threads } : {}),
  };
}

/** Runs `seqc train`; returns the exit code. */
export async function runTrain(model: string | undefined, o: TrainCliOptions, term: Terminal): Promise<number> {
  const resume = o.resume !== undefined;
  if (!resume && model === undefined) throw new UsageError('train needs a model file (or --resume RUN to continue a run)');
  const dir = resume ? o.resume! : o.out ?? freshRunDir(modelName(model!));
  const cfg = resume ? resumeConfig(dir, model, o, term) : configFrom(model!, o);
  const shown = model ?? join(dir, 'model.seq');
  const signal: { stop: boolean; by?: StopSignal } = { stop: false };
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const h = (): void => {
      if (signal.stop) process.exit(STOP_SIGNALS[name]);
      signal.stop = true;
      signal.by = name;
      term.err(`\nseqc: ${name === 'SIGINT' ? 'interrupted' : `received ${name}`}: finishing the current step and writing a checkpoint (${name === 'SIGINT' ? 'Ctrl-C' : name} again to quit at once)`);
    };
    process.on(name, h);
    return [name, h] as const;
  });
  const say = o.json ? (l: string) => term.err(l) : (l: string) => term.out(l);
  let s: TrainSummary;
  const live = new LiveReport(dir, (l) => term.err(`seqc: ${l}`));
  try {
    s = await train(cfg, dir, resume, {
      info: say, warn: (l) => term.err(`seqc: ${l}`), stream: term.progress ?? process.stderr, validated: (v) => live.validated(v),
      ready: () => say(`training ${shown} into ${dir}/ (${cfg.steps !== null ? `${cfg.steps} steps` : `${cfg.epochs} epochs`}, batch ${cfg.batch}, lr ${cfg.lr}${boundText(cfg)}, seed ${cfg.seed}, ${cfg.device})`),
    }, signal);
  } catch (e) {
    // The boundary names the fault; say how to go on when the run already has a checkpoint.
    const last = join(dir, 'checkpoints', 'last.ckpt');
    throw existsSync(last) && existsSync(join(dir, 'config.json')) ? withHint(e, `the run's checkpoint ${last} is intact: \`${shellCommand(['npx', 'seqc', 'train', '--resume', dir])}\` continues it`) : e;
  } finally {
    for (const [name, h] of handlers) process.off(name, h);
  }
  await live.finish(s);
  const code = s.stoppedBy === 'diverged' ? Exit.runtime : s.stoppedBy === 'interrupt' ? STOP_SIGNALS[signal.by ?? 'SIGINT'] : Exit.ok;
  const q = (...a: string[]): string => shellCommand(['npx', 'seqc', ...a]);
  const ckpts = ['best', 'last'].filter((w) => existsSync(join(dir, 'checkpoints', `${w}.ckpt`)));
  const next = s.stoppedBy === 'interrupt' ? [q('train', '--resume', dir)]
    : s.stoppedBy === 'diverged' ? (s.lastCheckpoint ? [q('eval', '--checkpoint', dir, '--which', 'last')] : [])
      : [q('sample', '--checkpoint', dir, '-o', join(dir, 'samples')), q('eval', '--checkpoint', dir, '--iwae', '100'), q('report', dir, '--serve')];
  if (o.json) {
    term.out(JSON.stringify({
      run: dir, steps: s.steps, seconds: s.seconds, stopped_by: s.stoppedBy, exit_code: code,
      first_elbo_per_step: s.firstElbo, last_elbo_per_step: s.lastElbo, best_valid_elbo_per_step: s.bestValid,
      checkpoints: Object.fromEntries(['best', 'last'].map((w) => [w, ckpts.includes(w) ? join(dir, 'checkpoints', `${w}.ckpt`) : null])),
      next,
    }));
    return code;
  }
  const fmt = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
  const how = s.stoppedBy === 'steps' || s.stoppedBy === 'epochs' ? 'finished' : `stopped: ${s.stoppedBy === 'interrupt' ? `interrupted by ${signal.by ?? 'SIGINT'}` : s.stoppedBy}`;
  term.out([
    '',
    `done: ${s.steps} steps in ${s.seconds.toFixed(1)} s (${how})`,
    `  train ELBO per step: ${fmt(s.firstElbo)} at the first step${resume ? ' of this session' : ''} -> ${fmt(s.lastElbo)} at the last (nats per time step)`,
    `  best validation ELBO per step: ${fmt(s.bestValid)}`,
    `  run: ${dir}/ (${[...ckpts.map((w) => `checkpoints/${w}.ckpt`), 'metrics.jsonl', 'curves.svg', 'report.html'].join(', ')})`,
    ...(next.length ? [`next: ${next.join('\n      ')}`] : []),
  ].join('\n'));
  return code;
}

function modelName(path: string): string {
  return path.replace(/^.*[\\/]/, '').replace(/\.seq$/, '');
}

/** `, FIVO bound with K = 8` for the banner (nothing for the ELBO). */
function boundText(cfg: TrainConfig): string {
  const b = cfg.bound ?? ((cfg.iwae ?? 1) > 1 ? 'iwae' : 'elbo');
  return b === 'elbo' ? '' : `, ${b.toUpperCase()} bound with K = ${cfg.particles ?? cfg.iwae}`;
}
