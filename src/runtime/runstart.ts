/**
 * @file Starting a training session in two halves. `prepareRun` checks every input — the model
 * compiles, `--out` may be used (or the run to resume is intact, unlinked, of this model, with
 * graphs equal to the ones compiled now), the data loads, the sessions start — and writes
 * nothing. `openRun` then takes the run's lock and writes; a fresh run that fails there is removed,
 * so a failed start never leaves a half-made run directory.
 */
import { existsSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { onnxBytes, type Compiled } from '../compiler/pipeline.js';
import { CheckpointError, loadCheckpoint, manifestHash } from './checkpoint.js';
import { storedConfig, type TrainConfig } from './config.js';
import { computeStats, constantDimensions, loadDataset, parseColumns, statsFromJson, statsToJson, type Dataset, type NormStats, type VarSpec } from './data/index.js';
import { openGraph } from './graphs.js';
import { trimMetrics } from './metrics.js';
import { ParamStore } from './params.js';
import { Rng, type RngState } from './rng.js';
import {
  boundOf, builtinDataset, CHECKPOINT_FILES, checkSameModel, compileModel, dataPathOf, dataSpec, inspectOut, readModelText, RUN_FILES, RunError, UsageError,
  verifyRunFiles, writeRunArtifacts,
} from './run.js';
import { lockDirectory, makeRealDirectory, refuseLinks, removeStaleTemps, writeFileAtomic } from './safefs.js';
import { InternalError } from '../compiler/diagnostics.js';

/** Sample rate of the built-in speech dataset (data/speech/README.md). */
export const BUILTIN_SAMPLE_RATE = 16000;

/** Everything a session of training needs, checked and loaded, before anything is written. */
export interface PreparedRun {
  /** Notes about the data and the normalization, for the reporter. */
  readonly warnings: readonly string[];
  readonly cfg: TrainConfig;
  readonly dir: string;
  readonly resume: boolean;
  readonly text: string;
  readonly compiled: Compiled;
  readonly manifestHash: string;
  readonly spec: VarSpec[];
  readonly data: Dataset;
  readonly store: ParamStore;
  readonly stats: NormStats;
  readonly state: { step: number; epoch: number; position: number; shuffleState: RngState; noise: Rng; best: number | null; sinceBest: number };
  readonly session: ort.InferenceSession;
  readonly evalSession: ort.InferenceSession;
  /** The checkpoint a resumed run continues from. */
  readonly resumedFrom: { file: string; step: number } | null;
}

/** Checks the inputs of a training session and loads them; writes nothing. */
export async function prepareRun(cfg: TrainConfig, dir: string, resume: boolean): Promise<PreparedRun> {
  const source = readModelText(cfg.model);
  // Another model is named as such before its compile can fail on the run's --set options.
  if (resume) checkSameModel(dir, source, cfg.model, `resume without the model file (seqc train --resume ${dir}) to use the run's own copy, restore the file, or train a new run`);
  const { text, compiled: c } = compileModel(cfg.model, cfg.sets, 'float32', boundOf(cfg), source);
  const spec = dataSpec(c);
  const mHash = manifestHash(c.manifest);
  refuseLinks(dir, RUN_FILES);
  refuseLinks(join(dir, 'checkpoints'), CHECKPOINT_FILES);
  let resumedFrom: PreparedRun['resumedFrom'] = null;
  let ck = null;
  if (resume) {
    const last = join(dir, 'checkpoints', 'last.ckpt');
    if (!existsSync(last)) {
      throw new RunError(`cannot resume ${dir}: it has no checkpoints/last.ckpt`,
        `it was stopped before its first checkpoint; start it again with \`seqc train ${cfg.model} --out ${dir}\` (same settings), or remove it`);
    }
    verifyRunFiles(dir, c, cfg.model);
    const ownCopy = existsSync(join(dir, 'model.seq'));
    ck = loadCheckpoint(last, { modelHash: c.manifest.modelHash, manifestHash: mHash, modelPath: cfg.model, ...(ownCopy ? {} : { sourceHash: c.manifest.sourceHash }) });
    resumedFrom = { file: last, step: ck.step };
  } else {
    checkOut(dir, c);
  }
  if (cfg.data === null && !builtinDataset().fits(spec)) {
    const vars = spec.map((v) => `${v.name} : ${v.elem}[${v.width}]`).join(', ');
    throw new RunError(`no --data given, and ${builtinDataset().describe} does not fit this model (it reads ${vars}); pass --data DIR`);
  }
  const data = loadDataset(dataPathOf(cfg), spec, cfg.columns ? { columns: parseColumns(cfg.columns, spec) } : {});
  const warnings = (data.notes ?? []).map((n) => `note: ${n}`);
  let store: ParamStore;
  let stats: NormStats;
  let state: PreparedRun['state'];
  if (ck) {
    const file = resumedFrom!.file;
    try {
      store = ParamStore.fromTensors(c.manifest, ck.params, ck.state);
    } catch (e) {
      throw new CheckpointError(`${file} does not fit ${cfg.model} as compiled now: ${(e as Error).message.replace(/^params: /, '')}`);
    }
    stats = statsFromJson(ck.normalization, spec, file);
    const m = (ck.metrics ?? {}) as { best?: number | null; sinceBest?: number };
    const shuffle = ck.rng['shuffle'], noise = ck.rng['noise'];
    if (!shuffle || !noise) throw new CheckpointError(`${file} has no shuffle and noise RNG states; it cannot continue a run`);
    state = { step: ck.step, epoch: ck.epoch, position: ck.position, shuffleState: shuffle, noise: Rng.fromState(noise), best: m.best ?? null, sinceBest: m.sinceBest ?? 0 };
  } else {
    store = ParamStore.initialize(c.manifest, new Rng(cfg.seed));
    stats = computeStats(data.train, spec);
    warnings.push(...constantDimensions(stats));
    state = { step: 0, epoch: 0, position: 0, shuffleState: firstShuffle(cfg.seed).getState(), noise: new Rng(cfg.seed + 2), best: null, sinceBest: 0 };
  }
  const opts = { device: cfg.device, threads: cfg.threads };
  const session = await openGraph('train_step', onnxBytes(c.train), opts);
  const evalSession = await openGraph('evaluate', onnxBytes(c.evaluate), opts);
  const sampleRate = data.sampleRate ?? (cfg.data === null ? BUILTIN_SAMPLE_RATE : null);
  return { warnings, cfg: { ...cfg, sampleRate }, dir, resume, text, compiled: c, manifestHash: mHash, spec, data, store, stats, state, session, evalSession, resumedFrom };
}

/** Takes the run's lock and writes what a session starts with; returns the lock's release. */
export function openRun(p: PreparedRun, rep: { info(l: string): void; warn(l: string): void }): { release: () => void } {
  const { dir } = p;
  const created = !existsSync(dir);
  makeRealDirectory(dir);
  let release: () => void;
  try {
    release = lockDirectory(dir);
  } catch (e) {
    if (created) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const written: string[] = [];
  try {
    makeRealDirectory(join(dir, 'checkpoints'));
    for (const d of [dir, join(dir, 'checkpoints')]) {
      const stale = removeStaleTemps(d);
      if (stale.length) rep.info(`removed ${stale.length} temp file${stale.length === 1 ? '' : 's'} a killed process left in ${d}: ${stale.join(', ')}`);
    }
    if (p.resume) {
      const { torn } = trimMetrics(join(dir, 'metrics.jsonl'), p.state.step, p.cfg.validEvery);
      if (torn) rep.warn(`${join(dir, 'metrics.jsonl')}: dropped a torn last line (a process was killed while writing it)`);
      rep.info(`resuming ${dir} at step ${p.state.step} (epoch ${p.state.epoch + 1})`);
    } else {
      written.push(...writeRunArtifacts(dir, p.text, p.compiled));
      written.push('normalization.json');
      writeFileAtomic(join(dir, 'normalization.json'), JSON.stringify(statsToJson(p.stats), null, 2) + '\n');
      written.push('metrics.jsonl');
      writeFileAtomic(join(dir, 'metrics.jsonl'), '');
    }
    written.push('config.json');
    writeFileAtomic(join(dir, 'config.json'), JSON.stringify(storedConfig(p.cfg, dir), null, 2) + '\n');
  } catch (e) {
    release();
    if (!p.resume) {
      if (created) rmSync(dir, { recursive: true, force: true });
      else for (const f of written) try { unlinkSync(join(dir, f)); } catch { /* not written */ }
    }
    throw e;
  }
  return { release };
}

/** Refuses an `--out` that would overwrite anything but a same-model run that never checkpointed. */
function checkOut(dir: string, c: Compiled): void {
  const st = inspectOut(dir);
  switch (st.kind) {
    case 'new': return;
    case 'foreign': {
      const shown = st.entries.slice(0, 5).join(', ') + (st.entries.length > 5 ? `, … (${st.entries.length} entries)` : '');
      throw new UsageError(`--out ${dir} is not empty and is not a seqc run (it holds ${shown}); seqc does not write over other files`, 'choose a new or empty directory for --out');
    }
    case 'run': {
      const same = st.manifest?.modelHash === c.manifest.modelHash;
      const other = st.manifest ? ` of another model ('${st.manifest.model}')` : '';
      if (st.checkpoints.includes('last.ckpt')) {
        throw new UsageError(`${dir} already holds a run${same ? '' : other}; ${same ? `use --resume ${dir} to continue it, or` : 'seqc never overwrites a run:'} choose another --out`);
      }
      if (st.checkpoints.length) {
        throw new UsageError(`${dir} holds a run whose last.ckpt is missing (it has ${st.checkpoints.join(', ')}); seqc never overwrites a run's best checkpoint`,
          `evaluate or sample it with --checkpoint ${dir}, or choose another --out`);
      }
      // A start stopped before its first checkpoint (killed while writing its files, the manifest
      // perhaps among the missing) holds nothing to resume: this model may start again in place.
      if (st.manifest && !same) throw new UsageError(`${dir} holds a run${other} that never wrote a checkpoint`, 'choose another --out, or remove that directory');
      return;
    }
    default: return unreachable(st);
  }
}

function unreachable(x: never): never {
  throw new InternalError(`unexpected out state ${JSON.stringify(x)}`);
}

/** The shuffle generator of a run's first epoch (its later epochs continue its state). */
export function firstShuffle(seed: number): Rng {
  return new Rng(seed + 1);
}
