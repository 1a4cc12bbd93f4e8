/** @file `seqc train FILE`: parse options, pick the run directory, handle Ctrl-C, print the summary. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRunJson, freshRunDir, RunError } from '../runtime/run.js';
import { train, type TrainConfig } from '../runtime/train.js';
import { Exit, UsageError, type Terminal } from './io.js';

/** Raw commander options of `seqc train`. */
export interface TrainCliOptions {
  data?: string; columns?: string; steps?: string; epochs?: string; timeLimit?: string; batch?: string; maxLen?: string;
  lr?: string; lrSchedule?: string; warmup?: string; clip?: string; weightDecay?: string;
  klAnneal?: string; klStart?: string; validEvery?: string; patience?: string;
  out?: string; seed?: string; device?: string; threads?: string; set?: string[]; resume?: string; iwae?: string;
}

function num(name: string, v: string | undefined, def: number, opts: { int?: boolean; min?: number } = {}): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min)) {
    throw new UsageError(`--${name} expects ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got '${v}'`);
  }
  return x;
}

/** The training configuration from CLI options (defaults documented in `seqc train --help`). */
export function configFrom(model: string, o: TrainCliOptions): TrainConfig {
  const device = o.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device must be cpu or cuda, not '${device}'`);
  const sched = o.lrSchedule ?? 'cosine';
  if (!['constant', 'cosine', 'exp'].includes(sched)) throw new UsageError(`--lr-schedule must be constant, cosine or exp, not '${sched}'`);
  if (o.iwae !== undefined && Number(o.iwae) > 1 && (o.klAnneal !== undefined || o.klStart !== undefined)) {
    throw new UsageError('--kl-anneal and --kl-start weight the ELBO\'s KL term; the IWAE bound (--iwae > 1) has no separate KL term to anneal');
  }
  const given = [o.steps, o.epochs].filter((x) => x !== undefined).length;
  if (given > 1) throw new UsageError('give at most one of --steps and --epochs');
  return {
    model: resolve(model), data: o.data !== undefined ? resolve(o.data) : null, columns: o.columns ?? null, sets: o.set ?? [],
    steps: o.steps !== undefined ? num('steps', o.steps, 0, { int: true, min: 1 }) : o.epochs !== undefined ? null : 800,
    epochs: o.epochs !== undefined ? num('epochs', o.epochs, 0, { int: true, min: 1 }) : null,
    timeLimit: o.timeLimit !== undefined ? num('time-limit', o.timeLimit, 0, { min: 1 }) : null,
    batch: num('batch', o.batch, 16, { int: true, min: 1 }),
    maxLen: o.maxLen !== undefined ? num('max-len', o.maxLen, 0, { int: true, min: 1 }) : null,
    lr: num('lr', o.lr, 1e-3, { min: 0 }), lrSchedule: sched as TrainConfig['lrSchedule'],
    warmup: num('warmup', o.warmup, 0, { int: true, min: 0 }), clip: num('clip', o.clip, 10, { min: 0 }),
    weightDecay: num('weight-decay', o.weightDecay, 0, { min: 0 }),
    klAnneal: num('kl-anneal', o.klAnneal, 0, { int: true, min: 0 }), klStart: num('kl-start', o.klStart, 0, { min: 0 }),
    validEvery: num('valid-every', o.validEvery, 50, { int: true, min: 1 }), patience: num('patience', o.patience, 5, { int: true, min: 0 }),
    seed: num('seed', o.seed, 1, { int: true, min: 0 }), device, threads: num('threads', o.threads, 1, { int: true, min: 1 }),
    iwae: num('iwae', o.iwae, 1, { int: true, min: 1 }),
  };
}

/** Runs `seqc train`; returns the exit code. */
export async function runTrain(model: string, o: TrainCliOptions, term: Terminal): Promise<number> {
  let cfg: TrainConfig;
  let dir: string;
  const resume = o.resume !== undefined;
  if (resume) {
    dir = o.resume!;
    const fixed = (['data', 'columns', 'batch', 'maxLen', 'lr', 'lrSchedule', 'warmup', 'clip', 'weightDecay', 'klAnneal', 'klStart', 'validEvery', 'patience', 'out', 'seed', 'iwae'] as const)
      .filter((k) => o[k] !== undefined).concat((o.set ?? []).length ? ['set' as never] : []);
    if (fixed.length) {
      const flags = fixed.map((k) => `--${String(k).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
      throw new UsageError(`--resume continues a run with its own settings (${join(dir, 'config.json')}); ${flags} cannot change them. Only --steps, --epochs, --time-limit, --device and --threads may be given with --resume`);
    }
    if (!existsSync(join(dir, 'checkpoints', 'last.ckpt'))) throw new RunError(`cannot resume ${dir}: it has no checkpoints/last.ckpt`);
    const saved = readRunJson<TrainConfig>(dir, 'config.json');
    if (saved.model !== resolve(model)) term.err(`seqc: note: ${dir} was trained from ${saved.model}; resuming with ${model}`);
    cfg = { ...saved, model: resolve(model), ...(o.steps !== undefined ? { steps: num('steps', o.steps, 0, { int: true, min: 1 }), epochs: null } : {}),
      ...(o.epochs !== undefined ? { epochs: num('epochs', o.epochs, 0, { int: true, min: 1 }), steps: null } : {}),
      ...(o.timeLimit !== undefined ? { timeLimit: num('time-limit', o.timeLimit, 0, { min: 1 }) } : {}),
      ...(o.device !== undefined ? { device: configFrom(model, { device: o.device }).device } : {}),
      ...(o.threads !== undefined ? { threads: num('threads', o.threads, 1, { int: true, min: 1 }) } : {}) };
  } else {
    cfg = configFrom(model, o);
    dir = o.out ?? freshRunDir(modelName(model));
    if (existsSync(join(dir, 'checkpoints', 'last.ckpt'))) throw new UsageError(`${dir} already holds a run; use --resume ${dir} to continue it, or another --out`);
  }
  const signal = { stop: false };
  const onInt = (): void => {
    if (signal.stop) process.exit(130);
    signal.stop = true;
    term.err('\nseqc: interrupted: finishing the current step and writing a checkpoint (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onInt);
  try {
    term.out(`training ${model} into ${dir}/ (${cfg.steps !== null ? `${cfg.steps} steps` : `${cfg.epochs} epochs`}, batch ${cfg.batch}, lr ${cfg.lr}${(cfg.iwae ?? 1) > 1 ? `, IWAE bound with K = ${cfg.iwae}` : ''}, seed ${cfg.seed}, ${cfg.device})`);
    const s = await train(cfg, dir, resume, { info: (l) => term.out(l), warn: (l) => term.err(`seqc: ${l}`), stream: process.stderr }, signal);
    const fmt = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
    term.out([
      '',
      `done: ${s.steps} steps in ${s.seconds.toFixed(1)} s (${s.stoppedBy === 'steps' || s.stoppedBy === 'epochs' ? 'finished' : `stopped: ${s.stoppedBy}`})`,
      `  train ELBO per step: ${fmt(s.firstElbo)} at the first step${resume ? ' of this session' : ''} -> ${fmt(s.lastElbo)} at the last (nats per time step)`,
      `  best validation ELBO per step: ${fmt(s.bestValid)}`,
      `  run: ${dir}/ (checkpoints/best.ckpt, checkpoints/last.ckpt, metrics.jsonl, curves.svg)`,
      `next: npx seqc sample ${model} --checkpoint ${dir} -o ${join(dir, 'samples')}`,
      `      npx seqc eval ${model} --checkpoint ${dir} --iwae 100`,
    ].join('\n'));
    if (s.stoppedBy === 'nan') return Exit.runtime;
    return s.stoppedBy === 'interrupt' ? 130 : Exit.ok;
  } finally {
    process.off('SIGINT', onInt);
  }
}

function modelName(path: string): string {
  return path.replace(/^.*[\\/]/, '').replace(/\.seq$/, '');
}
