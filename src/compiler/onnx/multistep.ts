/**
 * @file K optimizer steps per `session.run` (docs/design.md §5.6): wraps a compiled
 * `train_step` ModelProto into an ONNX `Loop` whose body is the train-step graph itself.
 *
 * The multi-step model has the train step's inputs, same names and order. The per-step batch
 * inputs (`data.*`, `mask`, `noise.*`) are stacked along a new leading axis `K` (e.g.
 * `[K, T, B, w]`); the loop runs K = `shape(first stacked input)[0]` iterations and the body
 * takes slice `iter` of each with `Gather`. Parameters, optimizer state and `step` are
 * loop-carried (step + 1 per iteration); the other inputs (`beta`, `lr`, `clip_norm`,
 * `weight_decay`) are shared by all K steps. Outputs: the final carried values under the
 * train step's feedback names (`new.<param>`, `new.<state>`) plus `new.step` (= step + K), then
 * each per-step output (default: every train-step output that is not fed back, i.e. `loss`,
 * `elbo`, …, `grad_norm`) under its own name, stacked to `[K, …]`.
 *
 * The result is pure ONNX (no IR change). Body values are renamed with a `body/` prefix (ONNX
 * names are SSA across a graph and its subgraphs), and a body output that is not a fresh node
 * output of the body, or is listed twice, is copied by an `Identity` first: onnxruntime returns
 * zeros for pass-through or duplicated subgraph outputs (docs/design.md §5.2).
 */
import type { Manifest } from '../pipeline.js';
import { renameGraph } from './edit.js';
import {
  AttrType, DataType, makeTensor,
  type AttributeProto, type DimProto, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto,
} from './proto.js';

/** How to turn a train step into a K-step model. */
export interface MultiStepSpec {
  /** Feedback pairs: each input is loop-carried and replaced by its output after every step (`manifest.optimizer.updates`). */
  readonly updates: readonly { readonly input: string; readonly output: string }[];
  /** Per-step inputs, fed stacked along a new leading axis of length K (data.*, mask, noise.*); at least one. */
  readonly stacked: readonly string[];
  /** The step-counter input, loop-carried and incremented by 1 per iteration (default `step`; `null`: none). */
  readonly step?: string | null;
  /** Outputs stacked per iteration to `[K, …]` (default: every output not named in `updates`). */
  readonly perStep?: readonly string[];
  /** The dim_param of the new leading axis (default `K`). */
  readonly stepsDim?: string;
}

/** The names of the multi-step model's parts, for callers that feed it. */
export interface MultiStepInfo {
  /** Name of the final step-counter output (`new.<step>`), or null without a step counter. */
  readonly stepOutput: string | null;
  /** Per-step outputs, each `[K, …]`. */
  readonly perStep: readonly string[];
}

/** The spec for a compiled model: stacks inputs with role data/mask/noise, carries `manifest.optimizer.updates` and `step`. */
export function multiStepSpec(manifest: Pick<Manifest, 'graphs' | 'optimizer'>): MultiStepSpec {
  const stacked = manifest.graphs.train_step.inputs.filter((i) => i.role === 'data' || i.role === 'mask' || i.role === 'noise').map((i) => i.name);
  return { updates: manifest.optimizer.updates, stacked, step: 'step' };
}

/** What `multiStep` will name its outputs for a given train step and spec. */
export function multiStepInfo(trainStep: ModelProto, spec: MultiStepSpec): MultiStepInfo {
  const step = spec.step === undefined ? 'step' : spec.step;
  const fed = new Set(spec.updates.map((u) => u.output));
  const perStep = spec.perStep ?? trainStep.graph.output.map((o) => o.name).filter((n) => !fed.has(n));
  return { stepOutput: step === null ? null : `new.${step}`, perStep: [...perStep] };
}

const BODY = 'body/';
const OWN = 'multistep.';

/**
 * A model running K train steps per call in an ONNX `Loop` (see the file comment). Steps are
 * the same nodes as the single step, so K steps in one call equal K single-step calls bit for
 * bit on the CPU provider.
 */
export function multiStep(trainStep: ModelProto, spec: MultiStepSpec): ModelProto {
  const g = trainStep.graph;
  const stepName = spec.step === undefined ? 'step' : spec.step;
  const Kdim = spec.stepsDim ?? 'K';
  const info = multiStepInfo(trainStep, spec);
  const inputs = new Map(g.input.map((v) => [v.name, v]));
  const outputs = new Map(g.output.map((v) => [v.name, v]));
  const fail = (msg: string): never => { throw new Error(`multiStep: ${msg}`); };

  // ---- validate the spec against the graph's interface
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
  const outerNames = new Set<string>([...inputs.keys(), ...spec.updates.map((u) => u.output), ...info.perStep]);
  if (info.stepOutput !== null) {
    if (outerNames.has(info.stepOutput)) fail(`output name '${info.stepOutput}' for the final step counter is taken`);
    outerNames.add(info.stepOutput);
  }
  if (spec.updates.length + (stepName === null ? 0 : 1) + info.perStep.length !== outerNames.size - inputs.size) {
    fail('an output name is listed twice (per-step outputs and feedback outputs must be distinct)');
  }
  for (const n of outerNames) if (n.startsWith(BODY) || n.startsWith(OWN)) fail(`name '${n}' uses a reserved prefix (${BODY}, ${OWN})`);

  // ---- the body: the train-step graph, renamed; shared inputs keep their (outer) names
  const shared = new Set([...inputs.keys()].filter((n) => !role.has(n)));
  const rename = (n: string): string => (n === '' || shared.has(n) ? n : BODY + n);
  const renamed = renameGraph(g, rename);
  const vi = (name: string, src: ValueInfoProto): ValueInfoProto => ({ ...src, name });
  const scalarType = (elemType: DataType, name: string): ValueInfoProto => ({ name, type: { tensorType: { elemType, shape: { dim: [] } } } });
  const stepType = stepName === null ? null : inputs.get(stepName)!;
  const stepElem = stepType?.type.tensorType.elemType ?? DataType.FLOAT;

  const iter = `${OWN}iter`;
  const condIn = `${OWN}cond_in`;
  const pre: NodeProto[] = spec.stacked.map((n) => node('Gather', [n, iter], [rename(n)], [intAttr('axis', 0)]));
  const post: NodeProto[] = [];
  const carried = [...spec.updates.map((u) => u.input), ...(stepName === null ? [] : [stepName])];
  const bodyInputs: ValueInfoProto[] = [
    scalarType(DataType.INT64, iter),
    scalarType(DataType.BOOL, condIn),
    ...carried.map((n) => vi(rename(n), inputs.get(n)!)),
  ];
  const bodyOutValues: string[] = [condIn, ...spec.updates.map((u) => rename(u.output))];
  const bodyOutTypes: ValueInfoProto[] = [scalarType(DataType.BOOL, ''), ...spec.updates.map((u) => inputs.get(u.input)!)];
  if (stepName !== null) {
    const one = `${OWN}one`;
    post.push(node('Constant', [], [one], [{ name: 'value', type: AttrType.TENSOR, t: makeTensor('', stepElem, [], [1]) }]));
    post.push(node('Add', [rename(stepName), one], [`${OWN}step_next`]));
    bodyOutValues.push(`${OWN}step_next`);
    bodyOutTypes.push(stepType!);
  }
  for (const n of info.perStep) {
    bodyOutValues.push(rename(n));
    bodyOutTypes.push(outputs.get(n)!);
  }
  // pass-through or duplicated subgraph outputs come back as zeros in onnxruntime: copy them
  const fresh = new Set([...pre, ...renamed.node, ...post].flatMap((nd) => nd.output));
  const listed = new Set<string>();
  const bodyOutputs = bodyOutValues.map((v, k) => {
    let name = v;
    if (!fresh.has(v) || listed.has(v)) {
      name = `${OWN}out_${k}`;
      post.push(node('Identity', [v], [name]));
    }
    listed.add(name);
    return vi(name, bodyOutTypes[k]!);
  });
  const body: GraphProto = {
    name: `${g.name}_body`,
    node: [...pre, ...renamed.node, ...post],
    initializer: renamed.initializer,
    input: bodyInputs,
    output: bodyOutputs,
  };
  if (renamed.valueInfo?.length) body.valueInfo = renamed.valueInfo;

  // ---- the outer graph: K from the first stacked input's shape, then the Loop
  const K = `${OWN}K`;
  const shape = `${OWN}shape`;
  const zero = `${OWN}zero`;
  const outerNodes: NodeProto[] = [
    node('Shape', [spec.stacked[0]!], [shape]),
    node('Constant', [], [zero], [{ name: 'value', type: AttrType.TENSOR, t: makeTensor('', DataType.INT64, [], [0]) }]),
    node('Gather', [shape, zero], [K], [intAttr('axis', 0)]),
    node(
      'Loop',
      [K, '', ...carried],
      [...spec.updates.map((u) => u.output), ...(info.stepOutput === null ? [] : [info.stepOutput]), ...info.perStep],
      [{ name: 'body', type: AttrType.GRAPH, g: body }],
    ),
  ];
  const stackedSet = new Set(spec.stacked);
  const outerInputs = g.input.map((v) => (stackedSet.has(v.name) ? withLeadingDim(v, v.name, { dimParam: Kdim }) : v));
  const outerOutputs: ValueInfoProto[] = [
    ...spec.updates.map((u) => vi(u.output, inputs.get(u.input)!)),
    ...(info.stepOutput === null ? [] : [vi(info.stepOutput, stepType!)]),
    ...info.perStep.map((n) => withLeadingDim(outputs.get(n)!, n, { dimParam: Kdim })),
  ];
  const graph: GraphProto = { name: `${g.name}_x${Kdim}`, node: outerNodes, initializer: [], input: outerInputs, output: outerOutputs };
  const metadataProps = [...(trainStep.metadataProps ?? []).filter((p) => p.key !== 'seqppl.multistep'), { key: 'seqppl.multistep', value: Kdim }];
  return { ...trainStep, graph, metadataProps };
}

function node(opType: string, input: string[], output: string[], attribute: AttributeProto[] = []): NodeProto {
  return { input, output, opType, attribute };
}

function intAttr(name: string, i: number): AttributeProto {
  return { name, type: AttrType.INT, i };
}

/** `v` renamed, with a new leading dim (rank unknown stays unknown). */
function withLeadingDim(v: ValueInfoProto, name: string, dim: DimProto): ValueInfoProto {
  const tt = v.type.tensorType;
  if (!tt.shape) return { ...v, name };
  return { ...v, name, type: { tensorType: { ...tt, shape: { dim: [dim, ...tt.shape.dim] } } } };
}
