/**
 * @file The whole compiler in one screen: source → check → schedule → lower → passes →
 * autodiff + optimizer → ONNX, for the three artifacts (train step, evaluation, sampling) and
 * the manifest that tells the runtime how to feed them.
 */
import { createHash } from 'node:crypto';
import { modelHash } from './canonical.js';
import type { CheckedModel } from './checked.js';
import type { Override } from './check/dims.js';
import type { Diagnostic } from './diagnostics.js';
import { InternalError } from './diagnostics.js';
import { checkSource, hasErrors } from './frontend.js';
import type { Graph } from './ir/graph.js';
import type { DType } from './ir/ops.js';
import { lower, type LoweredGraph } from './lower/lower.js';
import type { StepProgram } from './program.js';
import { emitModel } from './onnx/emit.js';
import { encodeModel, type ModelProto } from './onnx/proto.js';
import { defaultPasses, optimize as optimizeGraph, type NamedPass } from './passes/index.js';
export { optimize } from './passes/index.js';
import { schedule } from './schedule.js';
import { withDefaultGuide } from '../inference/guides.js';
import type { InputSpec } from '../inference/handler.js';
import { DEFAULT_RESAMPLE_THRESHOLD, FivoHandler } from '../inference/fivo.js';
import { ImportanceHandler, sampledLatents } from '../inference/importance.js';
import { trainStep, type OptimizerKind, type TrainStep } from '../inference/optimizers.js';
import { FilteredContinuation, PrefixContinuation } from '../inference/sampler.js';
import { PosteriorHandler } from '../inference/posterior.js';
import type { SourceFile } from './source.js';

/** Options of `seqc compile`. */
export interface CompileOptions {
  readonly dtype?: DType;
  readonly overrides?: readonly Override[];
  readonly optimizer?: OptimizerKind;
  readonly opset?: number;
  /** The training bound (default `elbo`; `iwae` when only `iwaeK` > 1 is given). */
  readonly bound?: Bound;
  /** Particles per sequence of the training bound (default 1 for the ELBO, else 8). */
  readonly particles?: number;
  /** Synonym of `bound: 'iwae', particles: K` (K = 1: the ELBO). */
  readonly iwaeK?: number;
  /** FIVO resampling threshold, a fraction of K (default 0.5). */
  readonly resampleThreshold?: number;
  /** The IR passes to run (default: all; benchmarks and tests compare subsets). */
  readonly passes?: readonly NamedPass[];
}

/** The training bounds. */
export type Bound = 'elbo' | 'iwae' | 'fivo';

/** The bound and particle count that compile options ask for. */
export function trainingBound(o: Pick<CompileOptions, 'bound' | 'particles' | 'iwaeK'>): { bound: Bound; particles: number } {
  const bound = o.bound ?? ((o.iwaeK ?? 1) > 1 ? 'iwae' : 'elbo');
  const particles = bound === 'elbo' ? 1 : o.particles ?? o.iwaeK ?? 8;
  if (!Number.isInteger(particles) || particles < 1) throw new InternalError(`compile: particles must be a positive integer, got ${particles}`);
  return { bound, particles };
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
  readonly program: StepProgram;
  readonly train: Artifact;
  readonly evaluate: Artifact;
  /** FIVO evaluation with K particles chosen at run time. */
  readonly evaluateFivo: Artifact;
  readonly sample: Artifact;
  readonly manifest: Manifest;
}

/** The manifest written next to the ONNX files (JSON). */
export interface Manifest {
  readonly format: 'seqppl-manifest/1';
  readonly model: string;
  readonly sourceHash: string;
  /** SHA-256 of the canonical form (formatted AST without comments, resolved hyperparameters): what a run is tied to. */
  readonly modelHash: string;
  readonly dtype: DType;
  readonly opset: number;
  /** The training bound and its particles per sequence. */
  readonly bound: Bound;
  readonly particles: number;
  /** Particles of the importance-weighted training bound (1: the ELBO or FIVO); kept for older readers. */
  readonly iwaeK: number;
  /** FIVO resampling threshold (fraction of K). */
  readonly resampleThreshold: number;
  /** True when nothing is sampled in inference (no latents, or only discrete ones summed out): evaluation is exact. */
  readonly exact: boolean;
  readonly hyperparameters: Readonly<Record<string, number>>;
  readonly variables: readonly { name: string; role: string; elem: string; width: number }[];
  readonly parameters: readonly { name: string; shape: readonly number[]; init: unknown }[];
  readonly optimizer: { kind: OptimizerKind; state: readonly { name: string; param: string }[]; scalars: readonly string[]; updates: readonly { input: string; output: string }[] };
  readonly graphs: Readonly<Record<'train_step' | 'evaluate' | 'evaluate_fivo' | 'sample', { file: string; inputs: readonly InputSpec[]; outputs: readonly string[] }>>;
}

/** Compiles model source; returns diagnostics instead of artifacts when the model has errors. */
export function compile(path: string, text: string, opts: CompileOptions = {}): { source: SourceFile; diagnostics: readonly Diagnostic[]; compiled: Compiled | null } {
  const fe = checkSource(path, text, opts.overrides ?? []);
  if (hasErrors(fe.diagnostics) || !fe.model) return { source: fe.source, diagnostics: fe.diagnostics, compiled: null };
  const canonical = modelHash(fe.program!, text, fe.model.hyper);
  const m = fe.needsDefaultGuide ? withDefaultGuide(fe.model) : fe.model;
  const [dtype, opset, optimizer] = [opts.dtype ?? 'float32', opts.opset ?? 17, opts.optimizer ?? 'adam'];
  const { bound, particles } = trainingBound(opts);
  const threshold = opts.resampleThreshold ?? DEFAULT_RESAMPLE_THRESHOLD;
  const program = schedule(m);
  const optimize = (g: Graph, drop: readonly string[] = []): Graph => optimizeGraph(g, { drop, ...(opts.passes ? { passes: opts.passes } : {}) });
  // Evaluation takes K particles chosen at run time (exact, K = 1, when there is nothing to sample).
  const exact = sampledLatents(program).length === 0;
  const evalK = exact ? 1 : 'K';
  const evaluate = lower(new ImportanceHandler(program, evalK, 'evaluate'), dtype);
  const evaluateFivo = lower(new FivoHandler(program, evalK, 'evaluate', threshold), dtype);
  const objective = lower(bound === 'fivo' ? new FivoHandler(program, particles, 'train', threshold) : new ImportanceHandler(program, particles, 'train'), dtype);
  const sample = lower(new PrefixContinuation(program), dtype);
  const step = trainStep(optimize(objective.graph), { loss: 'loss', params: m.params.map((p) => p.name), optimizer });
  const trainInputs: InputSpec[] = [
    ...objective.inputs,
    ...step.scalarInputs.map((n) => ({ name: n, shape: [], role: 'optimizer' as const })),
    ...step.stateInputs.map((s) => ({ name: s.name, shape: s.shape as readonly number[], role: 'state' as const })),
  ];
  const emit = (g: Graph, name: string): ModelProto => emitModel(g, { opset, graphName: `${m.name}_${name}`, producerName: 'seqppl', metadata: { 'seqppl.model': m.name, 'seqppl.graph': name } });
  const art = (ir: Graph, inputs: readonly InputSpec[], name: string): Artifact => {
    checkInputs(ir, inputs);
    return { ir, onnx: emit(ir, name), inputs };
  };
  const compiled = {
    model: m, program,
    // training reads loss, grad_norm, elbo and kl: the log-weights (ELBO: a Monte Carlo KL stream) go
    train: art(optimize(step.graph, ['logw']), trainInputs, 'train_step'),
    evaluate: art(optimize(evaluate.graph), evaluate.inputs, 'evaluate'),
    evaluateFivo: art(optimize(evaluateFivo.graph), evaluateFivo.inputs, 'evaluate_fivo'),
    sample: art(optimize(sample.graph), sample.inputs, 'sample'),
  };
  const manifest = makeManifest(compiled, text, { dtype, opset, bound, particles, threshold, optimizer, step, exact, canonical });
  return { source: fe.source, diagnostics: fe.diagnostics, compiled: { ...compiled, manifest } };
}

/** The manifest of compiled artifacts. */
function makeManifest(c: Omit<Compiled, 'manifest'>, text: string, o: { dtype: DType; opset: number; bound: Bound; particles: number; threshold: number; optimizer: OptimizerKind; step: TrainStep; exact: boolean; canonical: string }): Manifest {
  const m = c.model;
  const graph = (a: Artifact, file: string) => ({ file, inputs: a.inputs, outputs: a.ir.outputs.map((x) => x.name) });
  return {
    format: 'seqppl-manifest/1',
    model: m.name,
    sourceHash: createHash('sha256').update(text).digest('hex'),
    modelHash: o.canonical,
    dtype: o.dtype, opset: o.opset, bound: o.bound, particles: o.particles, iwaeK: o.bound === 'iwae' ? o.particles : 1, resampleThreshold: o.threshold, exact: o.exact,
    hyperparameters: Object.fromEntries(m.hyper),
    variables: [...m.vars.values()].map((v) => ({ name: v.name, role: v.role, elem: v.elem, width: v.width })),
    parameters: m.params.map((p) => ({ name: p.name, shape: p.shape, init: p.init })),
    optimizer: { kind: o.optimizer, state: o.step.stateInputs.map((s) => ({ name: s.name, param: s.param })), scalars: o.step.scalarInputs, updates: o.step.updates },
    graphs: {
      train_step: graph(c.train, 'train_step.onnx'), evaluate: graph(c.evaluate, 'evaluate.onnx'),
      evaluate_fivo: graph(c.evaluateFivo, 'evaluate_fivo.onnx'), sample: graph(c.sample, 'sample.onnx'),
    },
  };
}

/**
 * The posterior-inference graph of a compiled model (`seqc infer`): the guide's beliefs about
 * every continuous latent and the filtering quantities of a discrete one, per step; built on
 * demand, since only `infer` needs it.
 */
export function inferArtifact(c: Compiled): Artifact {
  const g = lower(new PosteriorHandler(c.program), c.manifest.dtype);
  const ir = optimizeGraph(g.graph);
  checkInputs(ir, g.inputs);
  const onnx = emitModel(ir, { opset: c.manifest.opset, graphName: `${c.model.name}_infer`, producerName: 'seqppl', metadata: { 'seqppl.model': c.model.name, 'seqppl.graph': 'infer' } });
  return { ir, onnx, inputs: g.inputs };
}

/**
 * The filtered-continuation graph of a compiled model (`seqc sample --prefix D --particles K`):
 * a particle filter over the prefix with K particles chosen at run time, then ancestral
 * continuation; built on demand, since only that option needs it.
 */
export function filterArtifact(c: Compiled): Artifact {
  const g = lower(new FilteredContinuation(c.program, 'K', c.manifest.resampleThreshold), c.manifest.dtype);
  const ir = optimizeGraph(g.graph);
  checkInputs(ir, g.inputs);
  const onnx = emitModel(ir, { opset: c.manifest.opset, graphName: `${c.model.name}_sample_filtered`, producerName: 'seqppl', metadata: { 'seqppl.model': c.model.name, 'seqppl.graph': 'sample_filtered' } });
  return { ir, onnx, inputs: g.inputs };
}

/**
 * The FIVO evaluation graph with every scan's work left in its loop (no scan splitting): its
 * memory grows with T only through the per-step terms, not through the [T, K·B, ...] values that
 * batched hoisting materializes (a NADE emission's [T, 88, K·B, hidden] activations, for one).
 * Evaluation switches to it for a sequence whose K particles, which resample together and so
 * cannot be split across runs, would not fit the memory budget in the full graph. Same inputs,
 * same outputs, same function; slower per step. Built on demand and cached per compiled model.
 */
export function leanFivoArtifact(c: Compiled): Artifact {
  const cached = leanFivo.get(c);
  if (cached) return cached;
  const g = lower(new FivoHandler(c.program, c.manifest.exact ? 1 : 'K', 'evaluate', c.manifest.resampleThreshold), c.manifest.dtype);
  const ir = optimizeGraph(g.graph, { passes: defaultPasses.filter((p) => p.name !== 'scan-split') });
  checkInputs(ir, g.inputs);
  const onnx = emitModel(ir, { opset: c.manifest.opset, graphName: `${c.model.name}_evaluate_fivo_lean`, producerName: 'seqppl', metadata: { 'seqppl.model': c.model.name, 'seqppl.graph': 'evaluate_fivo' } });
  const art = { ir, onnx, inputs: g.inputs };
  leanFivo.set(c, art);
  return art;
}
const leanFivo = new WeakMap<Compiled, Artifact>();

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
export type { LoweredGraph, InputSpec };
