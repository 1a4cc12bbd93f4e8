/**
 * @file A trained model ready to use: the model compiled with the run's settings, a checkpoint
 * verified against the model source, its parameters and data normalization.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Compiled } from '../compiler/pipeline.js';
import { loadCheckpoint, type Checkpoint } from './checkpoint.js';
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
  const { compiled } = compileModel(model, sets.length ? sets : config?.sets ?? [], 'float32', config?.iwae ?? 1);
  // The source must match; parameter names and shapes are checked when the store is built.
  const checkpoint = loadCheckpoint(file, { sourceHash: compiled.manifest.sourceHash, modelPath: model });
  const store = ParamStore.fromTensors(compiled.manifest, checkpoint.params, checkpoint.state);
  const spec = dataSpec(compiled);
  return { compiled, checkpoint, checkpointFile: file, store, stats: statsFromJson(checkpoint.normalization, spec, file), spec, config };
}
