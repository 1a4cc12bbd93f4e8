/**
 * @file seqppl's public TypeScript API (`import { ... } from 'seqppl'`), documented in
 * docs/api.md: check and compile model files, train, load runs, evaluate, sample and export,
 * and the data loaders. Nothing here prints; training reports through the reporter it is given.
 */
export { check, compile, type CheckResult, type CompileOptions, type CompileResult, type ModelSummary, type Overrides, type Problem, type SourceOptions } from './api/model.js';
export {
  evaluate, exportModel, loadRun, sample, silentReporter, train, writeSamples,
  type DeviceOptions, type EvaluateOptions, type Evaluation, type LoadRunOptions, type Run, type SampleOptions, type TrainOptions,
} from './api/run.js';
export { onnxBytes, type Artifact, type Compiled, type Manifest } from './compiler/pipeline.js';
export type { InputSpec } from './inference/handler.js';
export type { Reporter, TrainSummary, TrainConfig } from './runtime/train.js';
export type { ProgressStream } from './runtime/progress.js';
export type { Samples } from './runtime/sample.js';
export type { EvalResult } from './runtime/evaluate.js';
export type { ExportDescription, ExportOptions, TensorSignature } from './runtime/export.js';
export {
  computeStats, denormalize, loadDataset, makeBatch, normalize, readSequences, encodeNpy, splitNames,
  type Batch, type Dataset, type LoadOptions, type NormStats, type Sequence, type SplitName, type VarSpec,
} from './runtime/data/index.js';
export { dataSpec, RunError, UsageError } from './runtime/run.js';
export { DataError } from './runtime/data/errors.js';
export { CheckpointError } from './runtime/checkpoint.js';
export { DeviceError } from './runtime/session.js';
export { OverrideError } from './compiler/check/dims.js';
export { InternalError } from './compiler/diagnostics.js';
export { seqpplVersion } from './runtime/version.js';
