/**
 * @file A trained model ready to use: the model compiled with the run's settings, a checkpoint
 * verified against the model source, its parameters and data normalization.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Compiled } from '../compiler/pipeline.js';
import { CheckpointError, loadCheckpoint, type Checkpoint } from './checkpoint.js';
import { statsFromJson, type NormStats, type VarSpec } from './data/index.js';
import { ParamStore } from './params.js';
import { checkpointPath, compileModel, dataSpec, readRunJson } from './run.js';
import type { TrainConfig } from './train.js';

/** Everything eval, sample and export need. */
export interface Trained {
  readonly compiled: Compiled;
  readonly checkpoint: Checkpoint;
  readonly checkpointFile: string;
  readonly store: ParamStore;
  readonly stats: NormStats;
  readonly spec: VarSpec[];
  /** The run's configuration, when the checkpoint sits in a run directory. */
  readonly config: TrainConfig | null;
}

/** Loads `run` (a run directory or a .ckpt file) for the model file `model`. */
export function loadTrained(model: string, run: string, sets: readonly string[], which: 'best' | 'last' | 'auto' = 'auto'): Trained {
  const file = checkpointPath(run, which);
  const runDir = run.endsWith('.ckpt') ? dirname(dirname(file)) : run;
  const config = existsSync(join(runDir, 'config.json')) ? readRunJson<TrainConfig>(runDir, 'config.json') : null;
  // --set here adds to the run's own overrides (later ones win), so sizes and constants match training.
  const { compiled } = compileModel(model, [...(config?.sets ?? []), ...sets], 'float32', config?.iwae ?? 1);
  const saved = existsSync(join(runDir, 'manifest.json')) ? readRunJson<{ hyperparameters: Record<string, number> }>(runDir, 'manifest.json') : null;
  if (saved) {
    const now = compiled.manifest.hyperparameters;
    const diff = Object.keys({ ...saved.hyperparameters, ...now }).filter((k) => saved.hyperparameters[k] !== now[k]);
    if (diff.length) {
      throw new CheckpointError(`${runDir} was trained with ${diff.map((k) => `${k}=${saved.hyperparameters[k]}`).join(', ')}, ` +
        `but this command uses ${diff.map((k) => `${k}=${now[k]}`).join(', ')}: drop the --set options, the run's own values are used automatically`);
    }
  }
  // The source must match; parameter names and shapes are checked when the store is built.
  const checkpoint = loadCheckpoint(file, { sourceHash: compiled.manifest.sourceHash, modelPath: model });
  let store: ParamStore;
  try {
    store = ParamStore.fromTensors(compiled.manifest, checkpoint.params, checkpoint.state);
  } catch (e) {
    throw new CheckpointError(`${file} does not fit ${model} as compiled now: ${(e as Error).message.replace(/^params: /, '')}`);
  }
  const spec = dataSpec(compiled);
  return { compiled, checkpoint, checkpointFile: file, store, stats: statsFromJson(checkpoint.normalization, spec, file), spec, config };
}
