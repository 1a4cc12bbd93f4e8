/**
 * @file A tape-style ONNX graph builder: `tape.op('Add', [a, b])` appends a node and returns a
 * fresh output name; Scan bodies are built from a callback on a child tape. The builder owns the
 * two onnxruntime pitfalls of docs/design.md §5.2, §5.4 so no caller can forget them: subgraph outputs that
 * are not fresh node outputs go through an `Identity`, and softplus is lowered without the
 * `Softplus` op (no float64 kernel on the CPU provider).
 */
import { InternalError } from '../diagnostics.js';
import {
  AttrType, DataType, DEFAULT_IR_VERSION, DEFAULT_OPSET, makeTensor,
  type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto.js';

/** Element types the builder can declare. */
export type ElemType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';
/** A dimension: a static size or a symbolic name (`B`, `T`). */
export type Dim = number | string;
/** A tensor type; an absent shape means "rank unknown". */
export interface TensorType {
  dtype: ElemType;
  shape?: readonly Dim[];
}

/**
 * An attribute value. Plain numbers must be integers (INT) and number arrays INTS; floats,
 * tensors and graphs are tagged so that `1.0` can never silently become an INT.
 */
export type AttrValue =
  | number | readonly number[] | string
  | { float: number } | { floats: readonly number[] } | { tensor: TensorProto } | { graph: GraphProto };

/** Maps an element type to its `TensorProto.DataType`. */
export function dataTypeOf(dtype: ElemType): DataType {
  const table: Record<ElemType, DataType> = {
    float32: DataType.FLOAT, float64: DataType.DOUBLE, int32: DataType.INT32, int64: DataType.INT64, bool: DataType.BOOL,
  };
  return table[dtype];
}

/** A `ValueInfoProto` for a named tensor of the given type. */
export function valueInfo(name: string, type: TensorType): ValueInfoProto {
  const tensorType = { elemType: dataTypeOf(type.dtype) };
  if (!type.shape) return { name, type: { tensorType } };
  const dim = type.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { ...tensorType, shape: { dim } } } };
}

/** Encodes one attribute; see `AttrValue` for the typing rules. */
export function encodeAttr(name: string, v: AttrValue): AttributeProto {
  const ints = (xs: readonly number[]): number[] => {
    const bad = xs.find((x) => !Number.isInteger(x));
    if (bad !== undefined) throw new InternalError(`attribute ${name}: ${bad} is not an integer (tag floats as { float: x })`);
    return [...xs];
  };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: ints([v])[0]! };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (isNumberArray(v)) return { name, type: AttrType.INTS, ints: ints(v) };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: [...v.floats] };
  if ('tensor' in v) return { name, type: AttrType.TENSOR, t: v.tensor };
  return { name, type: AttrType.GRAPH, g: v.graph };
}

function isNumberArray(v: AttrValue): v is readonly number[] {
  return Array.isArray(v);
}

/** Hands out value names unique across a graph and all its subgraphs (ONNX needs SSA names). */
export class NameSource {
  private readonly used = new Set<string>();
  private readonly reserved = new Set<string>();
  private counter = 0;

  /** Keeps `fresh` from handing out a name that will be claimed later (e.g. an output name). */
  reserve(name: string): void {
    if (!this.used.has(name)) this.reserved.add(name);
  }

  /** Takes an exact name; throws if it is taken. */
  claim(name: string): string {
    if (this.used.has(name)) throw new InternalError(`ONNX value name '${name}' defined twice`);
    this.reserved.delete(name);
    this.used.add(name);
    return name;
  }

  /** A fresh name `<hint>_<n>`. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`; while (this.used.has(name) || this.reserved.has(name));
    return this.claim(name);
  }
}

/** One Scan input carried from step to step. */
export interface ScanCarry { init: string; type: TensorType }
/** One sequence scanned along axis 0; `elem` is the type of one step's slice. */
export interface ScanInput { seq: string; elem: TensorType; reverse?: boolean }
/** One per-step output stacked along axis 0; `elem` is the type of one step's value. */
export interface ScanOutput { elem: TensorType; reverse?: boolean }

/** A Scan: carries, scanned sequences, stacked outputs and a body built by a callback. */
export interface ScanSpec {
  carries: readonly ScanCarry[];
  scanned: readonly ScanInput[];
  outputs: readonly ScanOutput[];
  /** Builds the body: gets the carry and step values, returns the next carries and step outputs. */
  body: (b: Tape, carries: string[], elems: string[]) => { carries: string[]; outputs: string[] };
  /** Name of the body graph (default `scan_body_<n>`). */
  name?: string;
}

/** Builds one ONNX graph (or subgraph) node by node. */
export class Tape {
  /** Nodes in the order they were added (a topological order). */
  readonly nodes: NodeProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly defined = new Set<string>();
  private readonly nodeOutputs = new Set<string>();
  private readonly listedOutputs = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly renames = new Map<string, string>();

  /** A root tape, or a child tape for a subgraph sharing its parent's names and scope. */
  constructor(readonly names: NameSource = new NameSource(), private readonly parent?: Tape) {}

  /** Whether `name` is visible here (defined in this graph or an enclosing one). */
  isVisible(name: string): boolean {
    return this.defined.has(name) || (this.parent?.isVisible(name) ?? false);
  }

  /** Declares a graph input with an exact name. */
  input(name: string, type: TensorType): string {
    return this.addInput(this.names.claim(name), type);
  }

  /** Adds an initializer (a constant tensor stored in the graph) with an exact name. */
  initializer(name: string, dtype: ElemType, dims: readonly number[], values: ArrayLike<number>): string {
    this.define(this.names.claim(name));
    this.initializers.push(makeTensor(name, dataTypeOf(dtype), dims, values));
    return name;
  }

  /** A `Constant` node holding a tensor; small constants are shared by every use in this graph. */
  constant(dtype: ElemType, dims: readonly number[], values: ArrayLike<number>): string {
    const small = values.length <= 16;
    const key = small ? `${dtype}[${dims.join(',')}]:${Array.from(values, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}` : '';
    const hit = small ? this.constants.get(key) : undefined;
    if (hit !== undefined) return hit;
    const name = this.op('Constant', [], { value: { tensor: makeTensor('', dataTypeOf(dtype), dims, values) } });
    if (small) this.constants.set(key, name);
    return name;
  }

  /** A rank-0 constant. */
  scalar(dtype: ElemType, value: number): string {
    return this.constant(dtype, [], [value]);
  }

  /** Appends a single-output node and returns its output's fresh name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0]!;
  }

  /** Appends a node with `nOutputs` outputs and returns their fresh names. */
  opN(opType: string, inputs: readonly string[], nOutputs: number, attrs: Record<string, AttrValue> = {}): string[] {
    if (opType === 'Softplus') {
      throw new InternalError('use Tape.softplus: onnxruntime\'s CPU provider has no float64 Softplus');
    }
    for (const x of inputs) {
      if (x !== '' && !this.isVisible(x)) throw new InternalError(`${opType} input '${x}' is not defined`);
    }
    const output = Array.from({ length: nOutputs }, () => this.names.fresh(opType.toLowerCase()));
    for (const y of output) {
      this.define(y);
      this.nodeOutputs.add(y);
    }
    const attribute = Object.entries(attrs).map(([k, v]) => encodeAttr(k, v));
    this.nodes.push({ input: [...inputs], output, opType, attribute });
    return output;
  }

  /** softplus(x) = max(x, 0) + log(1 + exp(-|x|)), stable for large |x| and float64-safe. */
  softplus(x: string, dtype: ElemType): string {
    const pos = this.op('Max', [x, this.scalar(dtype, 0)]);
    const tail = this.op('Exp', [this.op('Neg', [this.op('Abs', [x])])]);
    return this.op('Add', [pos, this.op('Log', [this.op('Add', [this.scalar(dtype, 1), tail])])]);
  }

  /** Builds a subgraph on a child tape: `build` gets the input names and returns the outputs. */
  subgraph(
    name: string,
    inputTypes: readonly TensorType[],
    build: (b: Tape, inputs: string[]) => { values: string[]; types: readonly TensorType[] },
  ): GraphProto {
    const child = new Tape(this.names, this);
    const inputs = inputTypes.map((t) => child.addInput(this.names.fresh(`${name}_in`), t));
    const { values, types } = build(child, inputs);
    if (values.length !== types.length) throw new InternalError(`subgraph ${name} has ${values.length} outputs but ${types.length} types`);
    values.forEach((v, k) => child.output(v, types[k]!));
    return child.graph(name);
  }

  /** Appends a Scan node (axis 0 everywhere); returns the final carries and the stacked outputs. */
  scan(spec: ScanSpec): { carries: string[]; outputs: string[] } {
    const nc = spec.carries.length;
    const name = spec.name ?? this.names.fresh('scan_body');
    const body = this.subgraph(name, [...spec.carries.map((c) => c.type), ...spec.scanned.map((s) => s.elem)], (b, ins) => {
      const r = spec.body(b, ins.slice(0, nc), ins.slice(nc));
      if (r.carries.length !== nc || r.outputs.length !== spec.outputs.length) {
        throw new InternalError(`scan body ${name} returned ${r.carries.length} carries and ${r.outputs.length} outputs, expected ${nc} and ${spec.outputs.length}`);
      }
      return { values: [...r.carries, ...r.outputs], types: [...spec.carries.map((c) => c.type), ...spec.outputs.map((o) => o.elem)] };
    });
    const attrs: Record<string, AttrValue> = { body: { graph: body }, num_scan_inputs: spec.scanned.length };
    if (spec.scanned.some((s) => s.reverse)) attrs.scan_input_directions = spec.scanned.map((s) => (s.reverse ? 1 : 0));
    if (spec.outputs.some((o) => o.reverse)) attrs.scan_output_directions = spec.outputs.map((o) => (o.reverse ? 1 : 0));
    const inputs = [...spec.carries.map((c) => c.init), ...spec.scanned.map((s) => s.seq)];
    const outs = this.opN('Scan', inputs, nc + spec.outputs.length, attrs);
    return { carries: outs.slice(0, nc), outputs: outs.slice(nc) };
  }

  /**
   * Declares a graph output. A value that is not a node output of this graph, or is already
   * an output, is first copied by an `Identity` (onnxruntime returns zeros, garbage or errors
   * for pass-through or duplicated Scan body outputs, docs/design.md §5.2). With `rename`, the output
   * gets that exact name: a fresh node output is renamed in place, anything else is copied.
   */
  output(value: string, type: TensorType, rename?: string): string {
    const fresh = this.nodeOutputs.has(value) && !this.listedOutputs.has(value) && !this.renames.has(value);
    let name = value;
    if (rename !== undefined && rename !== value) {
      if (fresh) this.renames.set(value, (name = this.names.claim(rename)));
      else name = this.identity(value, rename);
    } else if (!fresh) name = this.identity(value);
    this.listedOutputs.add(name);
    this.outputs.push(valueInfo(name, type));
    return name;
  }

  /** The finished graph (renamed outputs applied everywhere, Scan bodies included). */
  graph(name: string): GraphProto {
    const g: GraphProto = {
      name, node: [...this.nodes], initializer: [...this.initializers], input: [...this.inputs], output: [...this.outputs],
    };
    return this.renames.size === 0 ? g : renameValues(g, this.renames);
  }

  /** Low-level escape hatch for tests: lists `value` as an output with no protection at all. */
  unsafeRawOutput(value: string, type: TensorType): void {
    this.outputs.push(valueInfo(value, type));
  }

  private identity(value: string, exactName?: string): string {
    if (!this.isVisible(value)) throw new InternalError(`output '${value}' is not defined`);
    const out = exactName === undefined ? this.names.fresh('identity') : this.names.claim(exactName);
    this.define(out);
    this.nodeOutputs.add(out);
    this.nodes.push({ input: [value], output: [out], opType: 'Identity', attribute: [] });
    return out;
  }

  private addInput(name: string, type: TensorType): string {
    this.define(name);
    this.inputs.push(valueInfo(name, type));
    return name;
  }

  private define(name: string): void {
    this.defined.add(name);
  }
}

/** A copy of `g` with value names replaced by `map`, in nodes of `g` and of its subgraphs. */
function renameValues(g: GraphProto, map: ReadonlyMap<string, string>): GraphProto {
  const r = (n: string): string => map.get(n) ?? n;
  const node = g.node.map((n) => ({
    ...n,
    input: n.input.map(r),
    output: n.output.map(r),
    attribute: n.attribute.map((a) => (a.g ? { ...a, g: renameValues(a.g, map) } : a)),
  }));
  return { ...g, node };
}

/** Options of `makeModel`; the defaults are opset 17 and IR version 8 (docs/design.md §5.5). */
export interface ModelOptions {
  opset?: number;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

/** Wraps a graph into a ModelProto importing the `ai.onnx` opset. */
export function makeModel(graph: GraphProto, options: ModelOptions = {}): ModelProto {
  const model: ModelProto = {
    irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
    opsetImport: [{ domain: '', version: options.opset ?? DEFAULT_OPSET }],
    producerName: options.producerName ?? 'seqppl',
    graph,
  };
  if (options.producerVersion !== undefined) model.producerVersion = options.producerVersion;
  if (options.docString !== undefined) model.docString = options.docString;
  if (options.metadata) model.metadataProps = Object.entries(options.metadata).map(([key, value]) => ({ key, value }));
  return model;
}
