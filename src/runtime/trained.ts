/**
 * @file A trained model ready to use: the run's model (its own model.seq, or a model file that
 * is the same up to comments and layout) compiled with the run's settings, a checkpoint verified
 * against it and holding finite weights, its parameters and data normalization.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseOverrides } from '../compiler/check/dims.js';
import type { Compiled } from '../compiler/pipeline.js';
import { CheckpointError, loadCheckpoint, type Checkpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { statsFromJson, type NormStats, type VarSpec } from './data/index.js';
import { ParamStore } from './params.js';
import { boundOf, checkpointPath, checkSameModel, compileModel, dataSpec, readModelText, readRunConfig, readRunJson, RunError, UsageError, type CheckpointChoice } from './run.js';

/** Everything eval, sample and export need. */
export interface Trained {
  readonly compiled: Compiled;
  readonly checkpoint: Checkpoint;
  readonly checkpointFile: string;
  /** Which checkpoint was chosen, and a note when it was not the one asked for. */
  readonly choice: CheckpointChoice;
  /** The model file used (the run's own model.seq when none was given). */
  readonly modelFile: string;
  readonly store: ParamStore;
  readonly stats: NormStats;
  readonly spec: VarSpec[];
  /** The run directory, or null for a .ckpt file outside a run. */
  readonly runDir: string | null;
  /** The run's configuration, when the checkpoint sits in a run directory. */
  readonly config: TrainConfig | null;
}

/** Loads `run` (a run directory or a .ckpt file) with the model file `model`, or the run's own copy when `model` is null. */
export function loadTrained(model: string | null, run: string, sets: readonly string[], which: 'best' | 'last' = 'best'): Trained {
  const choice = checkpointPath(run, which);
  const file = choice.file;
  const runDir = choice.which === 'file' ? dirname(dirname(file)) : run;
  const inRun = existsSync(join(runDir, 'config.json'));
  const config = inRun ? readRunConfig(runDir) : null;
  const ownCopy = join(runDir, 'model.seq');
  const modelFile = model ?? (existsSync(ownCopy) ? ownCopy : null);
  if (modelFile === null) throw new UsageError(`give the model file: ${choice.which === 'file' ? file : run} is not inside a run directory with its own model.seq`);
  const text = readModelText(modelFile);
  if (model !== null && inRun) checkSameModel(runDir, text, model, `omit the model file to use the run's own copy (${ownCopy}), or name the model it was trained with`);
  const saved = existsSync(join(runDir, 'manifest.json')) ? readRunJson<{ hyperparameters?: Record<string, number> }>(runDir, 'manifest.json').hyperparameters ?? null : null;
  if (saved) {
    // --set adds to the run's own overrides; a value that differs from the run's cannot fit its checkpoint.
    const clash = parseOverrides(sets).filter((o) => o.name in saved && saved[o.name] !== Number(o.value));
    if (clash.length) {
      throw new CheckpointError(`${runDir} was trained with ${clash.map((o) => `${o.name}=${saved[o.name]}`).join(', ')}, ` +
        `but this command uses ${clash.map((o) => `${o.name}=${o.value}`).join(', ')}: drop the --set options, the run's own values are used automatically`);
    }
  }
  const { compiled } = compileModel(modelFile, [...(config?.sets ?? []), ...sets], 'float32', boundOf(config), text);
  const checkpoint = loadCheckpoint(file, {
    modelHash: compiled.manifest.modelHash, modelPath: modelFile,
    ...(existsSync(ownCopy) && model === null ? {} : { sourceHash: compiled.manifest.sourceHash }),
  });
  let store: ParamStore;
  try {
    store = ParamStore.fromTensors(compiled.manifest, checkpoint.params, checkpoint.state);
  } catch (e) {
    throw new CheckpointError(`${file} does not fit ${modelFile} as compiled now: ${(e as Error).message.replace(/^params: /, '')}`);
  }
  for (const [name, t] of store.params) {
    const i = t.data.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) {
      throw new RunError(`${file} (step ${checkpoint.step}) holds non-finite weights: ${name}[${i}] is ${t.data[i]}; the run diverged before this checkpoint was written`,
        `use another checkpoint of the run (--which best or --which last), or train again with a lower --lr`);
    }
  }
  const spec = dataSpec(compiled);
  return { compiled, checkpoint, checkpointFile: file, choice, modelFile, store, stats: statsFromJson(checkpoint.normalization, spec, file), spec, runDir: inRun ? runDir : null, config };
}
