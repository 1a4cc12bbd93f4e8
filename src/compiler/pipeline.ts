/**
 * @file The whole compiler in one screen: source → check → schedule → lower → passes →
 * autodiff + optimizer → ONNX, for the three artifacts (train step, evaluation, sampling) and
 * the manifest that tells the runtime how to feed them.
 */
import { createHash } from 'node:crypto';
import type { CheckedModel } from './checked.js';
import type { Override } from './check/dims.js';
import type { Diagnostic } from './diagnostics.js';
import { InternalError } from './diagnostics.js';
import { checkSource, hasErrors } from './frontend.js';
import type { Graph } from './ir/graph.js';
import type { DType } from './ir/ops.js';
import { assertValid } from './ir/verify.js';
import { lowerElbo, type InputSpec, type LoweredGraph } from './lower/objective.js';
import { lowerSampler } from './lower/sample.js';
import { emitModel } from './onnx/emit.js';
import { encodeModel, type ModelProto } from './onnx/proto.js';
import { cse } from './passes/cse.js';
import { dce } from './passes/dce.js';
import { fold } from './passes/fold.js';
import { schedule } from './schedule.js';
import { withDefaultGuide } from '../inference/guides.js';
import { trainStep, type OptimizerKind } from '../inference/optimizers.js';
import type { SourceFile } from './source.js';

/** Options of `seqc compile`. */
export interface CompileOptions {
  readonly dtype?: DType;
  readonly overrides?: readonly Override[];
  readonly optimizer?: OptimizerKind;
  readonly opset?: number;
  /** Train on the importance-weighted bound with K samples per sequence (1 = the ELBO). */
  readonly iwaeK?: number;
}

/** One compiled graph: IR, ONNX model, and what its inputs mean. */
export interface Artifact {
  readonly ir: Graph;
  readonly onnx: ModelProto;
  readonly inputs: readonly InputSpec[];
}

/** Everything `compile` produces. */
export interface Compiled {
  readonly model: CheckedModel;
  readonly train: Artifact;
  readonly evaluate: Artifact;
  readonly sample: Artifact;
  readonly manifest: Manifest;
}

/** The manifest written next to the ONNX files (JSON). */
export interface Manifest {
  readonly format: 'seqppl-manifest/1';
  readonly model: string;
  readonly sourceHash: string;
  readonly dtype: DType;
  readonly opset: number;
  /** K of the importance-weighted training bound (1: the ELBO). */
  readonly iwaeK: number;
  readonly hyperparameters: Readonly<Record<string, number>>;
  readonly variables: readonly { name: string; role: string; elem: string; width: number }[];
  readonly parameters: readonly { name: string; shape: readonly number[]; init: unknown }[];
  readonly optimizer: { kind: OptimizerKind; state: readonly { name: string; param: string }[]; scalars: readonly string[]; updates: readonly { input: string; output: string }[] };
  readonly graphs: Readonly<Record<'train_step' | 'evaluate' | 'sample', { file: string; inputs: readonly InputSpec[]; outputs: readonly string[] }>>;
}

/** Runs the default optimization passes to a fixed point (bounded). */
export function optimize(g: Graph): Graph {
  let cur = g;
  for (let i = 0; i < 4; i++) {
    let changed = false;
    for (const pass of [fold, cse, dce]) {
      const r = pass(cur);
      cur = r.graph;
      changed ||= r.changed;
    }
    if (!changed) break;
  }
  assertValid(cur);
  return cur;
}

/** Compiles model source; returns diagnostics instead of artifacts when the model has errors. */
export function compile(path: string, text: string, opts: CompileOptions = {}): { source: SourceFile; diagnostics: readonly Diagnostic[]; compiled: Compiled | null } {
  let fe = checkSource(path, text, opts.overrides ?? []);
  if (hasErrors(fe.diagnostics) || !fe.model) return { source: fe.source, diagnostics: fe.diagnostics, compiled: null };
  if (fe.needsDefaultGuide) {
    const guided = checkSource(path, withDefaultGuide(text, fe.program!, fe.model), opts.overrides ?? []);
    if (!guided.model) throw new InternalError(`the generated default guide does not check: ${guided.diagnostics.map((d) => d.message).join('; ')}`);
    fe = { ...guided, diagnostics: fe.diagnostics };
  }
  const m = fe.model!;
  const dtype = opts.dtype ?? 'float32';
  const opset = opts.opset ?? 17;
  const optimizer = opts.optimizer ?? 'adam';
  const tp = schedule(m);
  const elbo = lowerElbo(m, tp, dtype);
  const evalIr = optimize(elbo.graph);
  const objective = (opts.iwaeK ?? 1) > 1 ? lowerElbo(m, tp, dtype, { iwaeK: opts.iwaeK! }) : elbo;
  const step = trainStep(objective === elbo ? evalIr : optimize(objective.graph), { loss: 'loss', params: m.params.map((p) => p.name), optimizer });
  const trainIr = optimize(step.graph);
  const sampler = lowerSampler(m, dtype);
  const sampleIr = optimize(sampler.graph);
  const trainInputs: InputSpec[] = [
    ...objective.inputs,
    ...step.scalarInputs.map((n) => ({ name: n, shape: [], role: 'optimizer' as const })),
    ...step.stateInputs.map((s) => ({ name: s.name, shape: s.shape as readonly number[], role: 'state' as const })),
  ];
  const emit = (g: Graph, name: string): ModelProto => emitModel(g, { opset, graphName: `${m.name}_${name}`, producerName: 'seqppl', metadata: { 'seqppl.model': m.name, 'seqppl.graph': name } });
  const art = (ir: Graph, inputs: readonly InputSpec[], name: string): Artifact => ({ ir, onnx: emit(ir, name), inputs });
  const train = art(trainIr, trainInputs, 'train_step');
  const evaluate = art(evalIr, elbo.inputs, 'evaluate');
  const sample = art(sampleIr, sampler.inputs, 'sample');
  checkInputs(train.ir, train.inputs);
  checkInputs(evaluate.ir, evaluate.inputs);
  checkInputs(sample.ir, sample.inputs);
  const manifest: Manifest = {
    format: 'seqppl-manifest/1',
    model: m.name,
    sourceHash: createHash('sha256').update(text).digest('hex'),
    dtype, opset, iwaeK: opts.iwaeK ?? 1,
    hyperparameters: Object.fromEntries(m.hyper),
    variables: [...m.vars.values()].map((v) => ({ name: v.name, role: v.role, elem: v.elem, width: v.width })),
    parameters: m.params.map((p) => ({ name: p.name, shape: p.shape, init: p.init })),
    optimizer: { kind: optimizer, state: step.stateInputs.map((s) => ({ name: s.name, param: s.param })), scalars: step.scalarInputs, updates: step.updates },
    graphs: {
      train_step: { file: 'train_step.onnx', inputs: train.inputs, outputs: train.ir.outputs.map((o) => o.name) },
      evaluate: { file: 'evaluate.onnx', inputs: evaluate.inputs, outputs: evaluate.ir.outputs.map((o) => o.name) },
      sample: { file: 'sample.onnx', inputs: sample.inputs, outputs: sample.ir.outputs.map((o) => o.name) },
    },
  };
  return { source: fe.source, diagnostics: fe.diagnostics, compiled: { model: m, train, evaluate, sample, manifest } };
}

/** A model that is valid but cannot be compiled yet (usage-level problem, exit 1). */
export class CompileError extends Error {}

/** The graph's inputs must be exactly the described ones, in order. */
function checkInputs(g: Graph, inputs: readonly InputSpec[]): void {
  const a = g.inputs.map((p) => p.name).join(',');
  const b = inputs.map((p) => p.name).join(',');
  if (a !== b) throw new InternalError(`compile: graph inputs [${a}] differ from the manifest [${b}]`);
}

/** Serializes an artifact's ONNX model. */
export function onnxBytes(a: Artifact): Uint8Array {
  return encodeModel(a.onnx);
}

/** A lowered graph before passes (for tests). */
export type { LoweredGraph };
