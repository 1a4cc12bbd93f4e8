/**
 * @file The export contract applied to a compiled graph, generically (no model is special): the
 * trained weights become initializers, real observed and control variables are normalized and
 * denormalized inside the graph (evaluation outputs get the change of variables), per-step
 * tensors may be batch-major, the training-only `loss` is dropped, every input and output is
 * documented, and whatever is then unused is pruned. The compiled graphs are taken as they are;
 * only their interface changes (src/compiler/onnx/edit.ts does the surgery).
 */
import type { InputSpec } from '../../inference/handler.js';
import type { Manifest } from '../../compiler/pipeline.js';
import type { TensorType } from '../../compiler/onnx/builder.js';
import { ModelEditor, valueType, type Pruned } from '../../compiler/onnx/edit.js';
import { DataType, makeTensor, type DimProto, type ModelProto, type ValueInfoProto } from '../../compiler/onnx/proto.js';
import { statsToJson, type NormStats } from '../data/index.js';
import type { ParamStore } from '../params.js';
import { inputDoc, modelDoc, outputDoc, type ExportedGraph, type Presentation } from './docs.js';

/** What one graph's export needs. */
export interface GraphExport {
  readonly graph: ExportedGraph;
  readonly onnx: ModelProto;
  readonly inputs: readonly InputSpec[];
  readonly manifest: Manifest;
  readonly store: ParamStore;
  readonly stats: NormStats;
  readonly step: number;
  readonly version: string;
}

/** Outputs that are training quantities, not part of the exported contract. */
const TRAINING_ONLY = new Set(['loss']);
/** Evaluation outputs that are log-densities of the observations (they get the change of variables). */
const LOG_DENSITIES = new Set(['elbo', 'loglik', 'logw', 'iwae']);

/** The exported model of one graph, and what pruning removed. */
export function exportGraph(e: GraphExport, p: Presentation): Pruned {
  const m = e.manifest;
  const ed = new ModelEditor(e.onnx, 'export/');
  const dtype = e.store.dtype === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  const inGraph = new Set(e.onnx.graph.input.map((v) => v.name));
  for (const spec of e.inputs) {
    if (spec.role !== 'param' || !inGraph.has(spec.name)) continue;
    const t = e.store.get(spec.name);
    ed.bake(spec.name, makeTensor(spec.name, dtype, t.shape, t.data));
  }
  for (const o of e.onnx.graph.output) if (TRAINING_ONLY.has(o.name)) ed.dropOutput(o.name);

  const batchMajor = p.layout === 'batch-major';
  const stats = p.normalization === 'baked' ? e.stats : new Map();
  const constant = (hint: string, values: ArrayLike<number>, dims: number[] = [values.length]): string =>
    ed.initializer(hint, makeTensor('', dtype, dims, values));
  const constantI64 = (hint: string, values: number[]): string => ed.initializer(hint, makeTensor('', DataType.INT64, [values.length], values));
  const normalizers = new Map<string, { mean: string; std: string }>();
  const statsOf = (v: string): { mean: string; std: string } | undefined => {
    const st = stats.get(v);
    if (!st) return undefined;
    if (!normalizers.has(v)) normalizers.set(v, { mean: constant(`${v}.mean`, st.mean), std: constant(`${v}.std`, st.std) });
    return normalizers.get(v)!;
  };

  for (const spec of e.inputs) {
    if (!inGraph.has(spec.name) || spec.role === 'param') continue;
    const vi = e.onnx.graph.input.find((v) => v.name === spec.name)!;
    const order = batchMajor ? batchMajorOrder(vi) : null;
    const st = spec.role === 'data' ? statsOf(spec.name.slice(spec.name.indexOf('.') + 1)) : undefined;
    if (order || st) {
      ed.adaptInput(spec.name, permuted(vi, order), (x) => {
        let y = order ? ed.op('Transpose', [x], { perm: inverse(order) }) : x;
        if (st) y = ed.op('Div', [ed.op('Sub', [y, st.mean]), st.std]);
        return y;
      });
    }
    ed.document(spec.name, inputDoc(e.graph, spec, m.variables, p));
  }

  // log |d normalized / d data| per step: -Σ log std over the real observed dimensions.
  let jac = 0;
  for (const v of m.variables) if (v.role === 'observe') for (const s of stats.get(v.name)?.std ?? []) jac -= Math.log(s);
  const mask = e.onnx.graph.input.find((v) => v.name === 'mask');
  let correction: string | undefined;
  // (valid steps per sequence, from the mask as fed: its time axis depends on the layout) × jac: [B]
  const logJacobian = (mk: string): string => (correction ??= ed.op('Mul', [
    ed.op('ReduceSum', [mk, constantI64('time_axis', [batchMajor ? 1 : 0])], { keepdims: 0 }),
    constant('log_jacobian', [jac], []),
  ]));
  for (const o of e.onnx.graph.output) {
    if (TRAINING_ONLY.has(o.name)) continue;
    const particles = particleFactor(o);
    const order = batchMajor && !particles ? batchMajorOrder(o) : null;
    const st = o.name.startsWith('sample.') ? statsOf(o.name.slice('sample.'.length)) : undefined;
    const corrected = LOG_DENSITIES.has(o.name) && jac !== 0 && mask !== undefined;
    if (order || st || corrected || (particles && mask)) {
      const type = particles && mask ? { dtype: valueType(o).dtype, shape: batchMajor ? ['B', particles] : [particles, 'B'] } : permuted(o, order);
      ed.adaptOutput(o.name, type, (y) => {
        // per-particle rows k·B + b become [K, B]: B read from the mask's shape
        if (particles && mask) y = ed.op('Reshape', [y, ed.op('Concat', [constantI64('minus_one', [-1]), ed.op('Shape', [mask.name], { start: batchMajor ? 0 : 1, end: batchMajor ? 1 : 2 })], { axis: 0 })]);
        if (st) y = ed.op('Add', [ed.op('Mul', [y, st.std]), st.mean]);
        if (corrected) y = ed.op('Add', [y, logJacobian(mask.name)]);
        if (particles && mask && batchMajor) return ed.op('Transpose', [y], { perm: [1, 0] });
        return order ? ed.op('Transpose', [y], { perm: order }) : y;
      });
    }
    ed.document(o.name, outputDoc(o.name, m.variables, p));
  }
  return ed.finish({
    docString: modelDoc(e.graph, m, e.step, e.version, p),
    producerVersion: e.version,
    metadata: {
      'seqppl.version': e.version,
      'seqppl.source_hash': m.sourceHash,
      'seqppl.step': String(e.step),
      'seqppl.layout': p.layout,
      'seqppl.normalization': p.normalization,
      'seqppl.normalization_stats': JSON.stringify(statsToJson(e.stats)),
    },
  });
}

/**
 * The axis order of a per-step value in the batch-major layout, as indices into its time-major
 * axes: B first, then T, then the rest in order ([T, B, w] → [B, T, w]; [T, K, B, w] → [B, T, K, w]);
 * null for values without both T (first) and B.
 */
function batchMajorOrder(v: ValueInfoProto): number[] | null {
  const d = (v.type.tensorType.shape?.dim ?? []).map(param);
  const b = d.indexOf('B');
  if (d[0] !== 'T' || b < 0) return null;
  return [b, ...d.map((_, i) => i).filter((i) => i !== b)];
}

/** For a 1-D value over rows `K*B` (particle k of sequence b at row k·B + b): the particle symbol. */
function particleFactor(v: ValueInfoProto): string | null {
  const d = v.type.tensorType.shape?.dim ?? [];
  const f = d.length === 1 ? param(d[0]!)?.split('*') : undefined;
  if (!f || f.length < 2 || !f.includes('B')) return null;
  return f.filter((x) => x !== 'B').join('*');
}

function param(d: DimProto): string | undefined {
  return 'dimParam' in d ? d.dimParam : undefined;
}

function inverse(order: readonly number[]): number[] {
  const inv: number[] = [];
  order.forEach((from, to) => { inv[from] = to; });
  return inv;
}

/** A value's type with its axes in `order` (unchanged for null). */
function permuted(v: ValueInfoProto, order: readonly number[] | null): TensorType {
  const t = valueType(v);
  const dims = t.shape ?? [];
  return { dtype: t.dtype, shape: order ? order.map((i) => dims[i]!) : dims };
}
