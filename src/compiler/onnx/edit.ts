/**
 * @file Generic edits of an emitted ONNX model, with no knowledge of what its graphs compute:
 * renaming values (subgraphs included), turning inputs into initializers, wrapping inputs and
 * outputs in adapter nodes, documenting the interface, and pruning everything no output needs
 * (nodes, initializers, inputs) — the pruning is what keeps onnxruntime from warning
 * "Removing initializer ... It is not used by any node" when a model is loaded.
 *
 * ONNX value names are single-assignment across a graph and all its subgraphs, and a Scan body
 * reads outer values by name, so every rename and every "who reads this" walks subgraphs too.
 */
import { dataTypeOf, encodeAttr, valueInfo, type AttrValue, type ElemType, type TensorType } from './builder.js';
import { subgraphs, type DataType, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { InternalError } from '../diagnostics.js';

/** Every value name read by a node of `g` or of any of its subgraphs (graph outputs not included). */
export function graphReads(g: GraphProto, out = new Set<string>()): Set<string> {
  for (const n of g.node) {
    for (const x of n.input) if (x !== '') out.add(x);
    for (const s of subgraphs(n)) graphReads(s, out);
  }
  return out;
}

/** Every value name defined in `g` or its subgraphs: inputs, initializers and node outputs. */
export function graphDefines(g: GraphProto, out = new Set<string>()): Set<string> {
  for (const v of g.input) out.add(v.name);
  for (const t of g.initializer) if (t.name) out.add(t.name);
  for (const n of g.node) {
    for (const y of n.output) if (y !== '') out.add(y);
    for (const s of subgraphs(n)) graphDefines(s, out);
  }
  return out;
}

const elemTypes: readonly ElemType[] = ['float32', 'float64', 'int32', 'int64', 'bool'];

/** The type of a tensor value info, as the builder describes types (symbolic dims by name). */
export function valueType(v: ValueInfoProto): TensorType {
  const t = v.type.tensorType;
  const dtype = elemTypes.find((e) => dataTypeOf(e) === (t.elemType as DataType));
  if (!dtype) throw new InternalError(`${v.name} has an element type (${t.elemType}) the builder does not know`);
  return t.shape ? { dtype, shape: t.shape.dim.map((d) => ('dimParam' in d ? d.dimParam : d.dimValue)) } : { dtype };
}

/** Top-level initializers that no node reads (onnxruntime removes them with a warning). */
export function unusedInitializers(model: ModelProto): string[] {
  const reads = readsOrOutputs(model.graph);
  return model.graph.initializer.map((t) => t.name ?? '').filter((n) => !reads.has(n));
}

/** Top-level inputs that no node reads. */
export function unusedInputs(model: ModelProto): string[] {
  const reads = readsOrOutputs(model.graph);
  return model.graph.input.map((v) => v.name).filter((n) => !reads.has(n));
}

function readsOrOutputs(g: GraphProto): Set<string> {
  const s = graphReads(g);
  for (const o of g.output) s.add(o.name);
  return s;
}

/** A copy of `g` with every value name mapped by `r`, in all nodes, initializers, inputs, outputs and subgraphs. */
export function renameGraph(g: GraphProto, r: (n: string) => string): GraphProto {
  const rvi = (v: ValueInfoProto): ValueInfoProto => ({ ...v, name: r(v.name) });
  const rt = (t: TensorProto): TensorProto => (t.name ? { ...t, name: r(t.name) } : t);
  const out: GraphProto = {
    ...g,
    node: g.node.map((n) => ({
      ...n,
      input: n.input.map((x) => (x === '' ? x : r(x))),
      output: n.output.map((y) => (y === '' ? y : r(y))),
      attribute: n.attribute.map((a) => (a.g ? { ...a, g: renameGraph(a.g, r) } : a.graphs?.length ? { ...a, graphs: a.graphs.map((s) => renameGraph(s, r)) } : a)),
    })),
    initializer: g.initializer.map(rt),
    input: g.input.map(rvi),
    output: g.output.map(rvi),
  };
  if (g.valueInfo) out.valueInfo = g.valueInfo.map(rvi);
  return out;
}

/** What `prune` removed. */
export interface Pruned {
  readonly model: ModelProto;
  readonly nodes: number;
  readonly initializers: readonly string[];
  readonly inputs: readonly string[];
}

/** Drops the top-level nodes no graph output depends on, then the initializers and inputs nothing reads. */
export function prune(model: ModelProto): Pruned {
  const g = model.graph;
  const needed = new Set(g.output.map((o) => o.name));
  const keep: NodeProto[] = [];
  for (let k = g.node.length - 1; k >= 0; k--) {
    const n = g.node[k]!;
    if (!n.output.some((y) => needed.has(y))) continue;
    keep.push(n);
    for (const x of n.input) if (x !== '') needed.add(x);
    for (const s of subgraphs(n)) graphReads(s, needed);
  }
  keep.reverse();
  const initializer = g.initializer.filter((t) => needed.has(t.name ?? ''));
  const input = g.input.filter((v) => needed.has(v.name));
  return {
    model: { ...model, graph: { ...g, node: keep, initializer, input } },
    nodes: g.node.length - keep.length,
    initializers: g.initializer.filter((t) => !needed.has(t.name ?? '')).map((t) => t.name ?? ''),
    inputs: g.input.filter((v) => !needed.has(v.name)).map((v) => v.name),
  };
}

/**
 * Edits one model's interface. Adapter nodes for inputs run before the original nodes and those
 * for outputs after them, so the node list stays topologically sorted; new values get fresh
 * names under `prefix`. Adapter nodes read inputs by their public names (what the caller
 * feeds); the original nodes read what the adapters made of them. `finish()` prunes.
 */
export class ModelEditor {
  private graph: GraphProto;
  private readonly taken: Set<string>;
  private readonly pre: NodeProto[] = [];
  private readonly post: NodeProto[] = [];
  private readonly added: TensorProto[] = [];
  private section: NodeProto[] = this.pre;
  private readonly adapted = new Set<string>();
  private counter = 0;

  constructor(private readonly model: ModelProto, private readonly prefix = 'edit/') {
    this.graph = model.graph;
    this.taken = graphDefines(model.graph);
    for (const o of model.graph.output) this.taken.add(o.name);
  }

  /** A value name not used anywhere in the model. */
  fresh(hint: string): string {
    let n: string;
    do n = `${this.prefix}${hint}_${this.counter++}`; while (this.taken.has(n));
    this.taken.add(n);
    return n;
  }

  /** Appends a single-output node to the current adapter section; returns its output. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    const y = this.fresh(opType.toLowerCase());
    this.section.push({ input: [...inputs], output: [y], opType, attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)) });
    return y;
  }

  /** Adds a constant tensor (an initializer) under a fresh name; returns the name. */
  initializer(hint: string, t: TensorProto): string {
    const name = this.fresh(hint);
    this.added.push({ ...t, name });
    return name;
  }

  /** Replaces the graph input `name` by an initializer holding `t` (same name). */
  bake(name: string, t: TensorProto): void {
    if (!this.graph.input.some((v) => v.name === name)) throw new InternalError(`ModelEditor.bake: no input '${name}'`);
    this.graph = { ...this.graph, input: this.graph.input.filter((v) => v.name !== name) };
    this.added.push({ ...t, name });
  }

  /**
   * Puts an adapter in front of the graph input `name`: the input keeps its name and gets
   * `type`, and the original nodes read `build(name)` instead of it.
   */
  adaptInput(name: string, type: TensorType, build: (x: string) => string): void {
    const k = this.graph.input.findIndex((v) => v.name === name);
    if (k < 0) throw new InternalError(`ModelEditor.adaptInput: no input '${name}'`);
    this.once(name);
    const inner = this.fresh(`${name}.inner`);
    const doc = this.graph.input[k]!.docString;
    const renamed = renameGraph({ ...this.graph, input: [], output: [] }, (n) => (n === name ? inner : n));
    const input = [...this.graph.input];
    input[k] = { ...valueInfo(name, type), ...(doc ? { docString: doc } : {}) };
    this.graph = { ...renamed, input, output: this.graph.output };
    this.section = this.pre;
    this.alias(build(name), inner);
  }

  /**
   * Puts an adapter behind the graph output `name`: the output keeps its name and gets `type`,
   * and its value becomes `build(original value)`.
   */
  adaptOutput(name: string, type: TensorType, build: (y: string) => string): void {
    const k = this.graph.output.findIndex((v) => v.name === name);
    if (k < 0) throw new InternalError(`ModelEditor.adaptOutput: no output '${name}'`);
    this.once(name);
    if (this.graph.input.some((v) => v.name === name) || this.graph.initializer.some((t) => t.name === name)) {
      throw new InternalError(`ModelEditor.adaptOutput: output '${name}' is an input or initializer`);
    }
    const inner = this.fresh(`${name}.inner`);
    const doc = this.graph.output[k]!.docString;
    const renamed = renameGraph({ ...this.graph, input: [], output: [] }, (n) => (n === name ? inner : n));
    this.post.forEach((n, i) => { this.post[i] = { ...n, input: n.input.map((x) => (x === name ? inner : x)) }; });
    const output = [...this.graph.output];
    output[k] = { ...valueInfo(name, type), ...(doc ? { docString: doc } : {}) };
    this.graph = { ...renamed, input: this.graph.input, output };
    this.section = this.post;
    this.alias(build(inner), name);
  }

  /** Removes a graph output (what only it needed is pruned). */
  dropOutput(name: string): void {
    this.graph = { ...this.graph, output: this.graph.output.filter((v) => v.name !== name) };
  }

  /** Sets the doc_string of a graph input or output. */
  document(name: string, doc: string): void {
    const set = (vs: ValueInfoProto[]): ValueInfoProto[] => vs.map((v) => (v.name === name ? { ...v, docString: doc } : v));
    this.graph = { ...this.graph, input: set(this.graph.input), output: set(this.graph.output) };
  }

  /** The edited model, pruned, with the given doc string and metadata (added to the model's). */
  finish(opts: { docString?: string; metadata?: Readonly<Record<string, string>>; producerVersion?: string } = {}): Pruned {
    const g = this.graph;
    const graph: GraphProto = { ...g, node: [...this.pre, ...g.node, ...this.post], initializer: [...g.initializer, ...this.added] };
    const meta = new Map((this.model.metadataProps ?? []).map((p) => [p.key, p.value] as const));
    for (const [key, value] of Object.entries(opts.metadata ?? {})) meta.set(key, value);
    const model: ModelProto = { ...this.model, graph, metadataProps: [...meta].map(([key, value]) => ({ key, value })) };
    if (opts.docString !== undefined) model.docString = opts.docString;
    if (opts.producerVersion !== undefined) model.producerVersion = opts.producerVersion;
    return prune(model);
  }

  /** Adapter nodes read the public names; adapting a name twice would change what they read. */
  private once(name: string): void {
    if (this.adapted.has(name)) throw new InternalError(`ModelEditor: '${name}' is adapted twice`);
    this.adapted.add(name);
  }

  /** Makes `target` hold `value`: renames the adapter node that produced `value`, or copies it. */
  private alias(value: string, target: string): void {
    const producer = this.section.findIndex((n) => n.output.includes(value));
    const readLater = this.section.some((n, i) => i > producer && n.input.includes(value));
    if (producer >= 0 && !readLater && value.startsWith(this.prefix)) {
      const n = this.section[producer]!;
      this.section[producer] = { ...n, output: n.output.map((y) => (y === value ? target : y)) };
    } else {
      this.section.push({ input: [value], output: [target], opType: 'Identity', attribute: [] });
    }
  }
}
