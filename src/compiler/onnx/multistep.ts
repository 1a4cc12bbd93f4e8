/**
 * @file K optimizer steps per `session.run`, built in the IR: a Scan over K whose body is the
 * train-step graph itself (docs/design.md §5.6: amortizes host↔device copies on a GPU).
 *
 * The multi-step graph has the train step's inputs, same names and order. The per-step inputs
 * (`data.*`, `mask`, `noise.*`, and the scalars `beta`, `lr`, `clip_norm`, `weight_decay` that
 * schedules vary) are stacked along a new leading axis `K` (e.g. `[K, T, B, w]`, `[K]`) and
 * scanned; parameters, optimizer state and `step` are the Scan's carries (step + 1 per
 * iteration); inputs the spec names neither way are loop invariants shared by all K steps. Outputs: the final carries under the train step's
 * feedback names (`new.<param>`, `new.<state>`) plus `new.step` (= step + K), then each per-step
 * output (default: every train-step output that is not fed back: `loss`, `elbo`, …,
 * `grad_norm`) under its own name, stacked to `[K, …]`. The body is emitted by the ordinary
 * emitter, so its nodes are the single step's and K steps equal K single steps bit for bit on
 * the CPU provider (a test checks it).
 */
import { InternalError } from '../diagnostics.js';
import { GraphBuilder } from '../ir/builder.js';
import { sym } from '../ir/dim.js';
import type { Graph, Value } from '../ir/graph.js';
import type { Manifest } from '../pipeline.js';
import { emitModel } from './emit.js';
import type { ModelProto } from './proto.js';

/** How to turn a train step into a K-step graph. */
export interface MultiStepSpec {
  /** Feedback pairs: each input is carried and replaced by its output after every step (`manifest.optimizer.updates`). */
  readonly updates: readonly { readonly input: string; readonly output: string }[];
  /** Per-step inputs, fed stacked along a new leading axis of length K (data.*, mask, noise.*); at least one. */
  readonly stacked: readonly string[];
  /** The step-counter input, carried and incremented by 1 per iteration (default `step`; `null`: none). */
  readonly step?: string | null;
  /** Outputs stacked per iteration to `[K, …]` (default: every output not named in `updates`). */
  readonly perStep?: readonly string[];
  /** The symbol of the new leading axis (default `K`). */
  readonly stepsDim?: string;
}

/** The names of the multi-step graph's parts, for callers that feed it. */
export interface MultiStepInfo {
  /** Name of the final step-counter output (`new.<step>`), or null without a step counter. */
  readonly stepOutput: string | null;
  /** Per-step outputs, each `[K, …]`. */
  readonly perStep: readonly string[];
}

/**
 * The spec for a compiled model: stacks the batch (data, mask, noise) and the per-step scalars
 * (β and the optimizer's lr, clip norm and weight decay, which schedules change from step to
 * step), carries `manifest.optimizer.updates` and `step`.
 */
export function multiStepSpec(manifest: Pick<Manifest, 'graphs' | 'optimizer'>): MultiStepSpec {
  const perStep = new Set(['data', 'mask', 'noise', 'beta', 'optimizer']);
  const stacked = manifest.graphs.train_step.inputs.filter((i) => perStep.has(i.role) && i.name !== 'step').map((i) => i.name);
  return { updates: manifest.optimizer.updates, stacked, step: 'step' };
}

/** What `multiStep` will name its outputs for a given train step and spec. */
export function multiStepInfo(train: Graph, spec: MultiStepSpec): MultiStepInfo {
  const step = spec.step === undefined ? 'step' : spec.step;
  const fed = new Set(spec.updates.map((u) => u.output));
  const perStep = spec.perStep ?? train.outputs.map((o) => o.name).filter((n) => !fed.has(n));
  return { stepOutput: step === null ? null : `new.${step}`, perStep: [...perStep] };
}

/** The K-step graph of a train step (see the file comment). */
export function multiStep(train: Graph, spec: MultiStepSpec): Graph {
  const fail = (msg: string): never => { throw new InternalError(`multiStep: ${msg}`); };
  const stepName = spec.step === undefined ? 'step' : spec.step;
  const info = multiStepInfo(train, spec);
  const inputs = new Map(train.inputs.map((p) => [p.name, p.id]));
  const outputs = new Map(train.outputs.map((p) => [p.name, p.id]));
  if (spec.stacked.length === 0) fail('no stacked per-step input, so K is unknown');
  const role = new Map<string, string>();
  const claim = (n: string, r: string): void => {
    if (!inputs.has(n)) fail(`'${n}' (${r}) is not an input of the train step (inputs: ${[...inputs.keys()].join(', ')})`);
    if (role.has(n)) fail(`input '${n}' is both ${role.get(n)} and ${r}`);
    role.set(n, r);
  };
  spec.updates.forEach((u) => {
    claim(u.input, 'fed back');
    if (!outputs.has(u.output)) fail(`feedback output '${u.output}' of '${u.input}' is not an output of the train step`);
  });
  spec.stacked.forEach((n) => claim(n, 'stacked'));
  if (stepName !== null) claim(stepName, 'the step counter');
  for (const n of info.perStep) if (!outputs.has(n)) fail(`per-step output '${n}' is not an output of the train step`);
  const names = [...spec.updates.map((u) => u.output), ...(info.stepOutput === null ? [] : [info.stepOutput]), ...info.perStep];
  if (new Set(names).size !== names.length) fail('an output name is listed twice (per-step outputs and feedback outputs must be distinct)');

  const b = new GraphBuilder();
  const K = sym(spec.stepsDim ?? 'K');
  const outer = new Map<string, Value>();
  for (const p of train.inputs) {
    const t = train.values[p.id]!;
    outer.set(p.name, b.input(p.name, t.dtype, role.get(p.name) === 'stacked' ? [K, ...t.shape] : t.shape));
  }
  const carried = [...spec.updates.map((u) => u.input), ...(stepName === null ? [] : [stepName])];
  const shared = train.inputs.map((p) => p.name).filter((n) => !role.has(n));
  const r = b.scan({
    carries: carried.map((n) => outer.get(n)!),
    scanned: spec.stacked.map((n) => outer.get(n)!),
    invariants: shared.map((n) => outer.get(n)!),
  }, (bb, p) => {
    const env = new Map<number, Value>();
    carried.forEach((n, i) => env.set(inputs.get(n)!, p.carries[i]!));
    spec.stacked.forEach((n, i) => env.set(inputs.get(n)!, p.slices[i]!));
    shared.forEach((n, i) => env.set(inputs.get(n)!, p.invariants[i]!));
    for (const nd of train.nodes) {
      const outs = bb.emit(nd.op, nd.inputs.map((id) => env.get(id)!), nd.attrs);
      nd.outputs.forEach((o, k) => env.set(o, outs[k]!));
    }
    const next = spec.updates.map((u) => env.get(outputs.get(u.output)!)!);
    if (stepName !== null) {
      const s = p.carries[carried.length - 1]!;
      next.push(bb.add(s, bb.constant(1, [], s.dtype)));
    }
    return { carries: next, outputs: info.perStep.map((n) => env.get(outputs.get(n)!)!) };
  });
  names.forEach((n, i) => b.output(n, i < r.carries.length ? r.carries[i]! : r.outputs[i - r.carries.length]!));
  return b.build();
}

/** The K-step train graph of a compiled model as an ONNX model (the `train_steps.onnx` of `seqc compile --multi-step`). */
export function multiStepModel(train: { readonly ir: Graph; readonly onnx: ModelProto }, manifest: Pick<Manifest, 'graphs' | 'optimizer' | 'opset' | 'model'>): ModelProto {
  const metadata = Object.fromEntries([...(train.onnx.metadataProps ?? []).map((p) => [p.key, p.value] as const), ['seqppl.multistep', 'K'] as const]);
  return emitModel(multiStep(train.ir, multiStepSpec(manifest)), {
    opset: manifest.opset, graphName: `${manifest.model}_train_steps`, producerName: train.onnx.producerName ?? 'seqppl', metadata,
  });
}
