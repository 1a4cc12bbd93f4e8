/**
 * @file Plain TypeScript types for the ONNX ModelProto subset we emit, and their protobuf
 * encoding and decoding (protobufjs over the schema in `schema.ts`, field names in camelCase).
 */
import { ModelProtoType } from './schema.js';
import { InternalError } from '../diagnostics.js';

/** `TensorProto.DataType` values we use (numbers as in onnx.proto). */
export enum DataType {
  FLOAT = 1,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  DOUBLE = 11,
}

/** `AttributeProto.AttributeType` values we use (numbers as in onnx.proto). */
export enum AttrType {
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
}

/** Default IR version: 8 (onnx 1.10–1.12), which Debian's onnx checker understands. */
export const DEFAULT_IR_VERSION = 8;
/** Default opset of the `ai.onnx` domain: 17, the newest that onnx 1.12's checker knows. */
export const DEFAULT_OPSET = 17;

/** `TensorProto`: data in exactly one of the typed arrays or `rawData` (little-endian). */
export interface TensorProto {
  name?: string;
  dataType: DataType;
  dims: number[];
  floatData?: number[];
  doubleData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  rawData?: Uint8Array;
}

/** `TensorShapeProto.Dimension`: a static size or a symbolic name such as `B` or `T`. */
export type DimProto = { dimValue: number } | { dimParam: string };

/** `ValueInfoProto` restricted to tensor types. */
export interface ValueInfoProto {
  name: string;
  type: { tensorType: { elemType: DataType; shape?: { dim: DimProto[] } } };
  docString?: string;
}

/** `AttributeProto`: `type` says which one value field is set. */
export interface AttributeProto {
  name: string;
  type: AttrType;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
}

/** `NodeProto`: one operator application; the empty domain means `ai.onnx`. */
export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute: AttributeProto[];
  docString?: string;
}

/** `GraphProto`: nodes in topological order, plus typed inputs and outputs. */
export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  docString?: string;
}

/** `OperatorSetIdProto`: the empty domain means `ai.onnx`. */
export interface OpsetId {
  domain: string;
  version: number;
}

/** `ModelProto`: the top-level container written to a `.onnx` file. */
export interface ModelProto {
  irVersion: number;
  opsetImport: OpsetId[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph: GraphProto;
  metadataProps?: { key: string; value: string }[];
}

/**
 * Serializes a model to protobuf bytes; throws `internal:` if it is malformed or lists a graph
 * output onnxruntime would get wrong (`outputProblems`). `unchecked` skips the latter, for tests that
 * show what onnxruntime does with such a graph.
 */
export function encodeModel(model: ModelProto, opts: { unchecked?: boolean } = {}): Uint8Array {
  const problem = ModelProtoType.verify(model);
  if (problem) throw new InternalError(`malformed ModelProto: ${problem}`);
  if (!opts.unchecked) {
    const bad = outputProblems(model);
    if (bad.length) throw new InternalError(`illegal graph outputs:\n  ${bad.slice(0, 5).join('\n  ')}${bad.length > 5 ? `\n  … and ${bad.length - 5} more` : ''}`);
  }
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/** The subgraphs held by a node's attributes (Scan/Loop bodies, If branches). */
export function subgraphs(n: NodeProto): GraphProto[] {
  return n.attribute.flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

/**
 * What is wrong with the outputs of `model`'s graphs, one line per problem (empty: legal).
 * In every graph, Scan and Loop bodies included, each output must be a value made by a node of
 * that same graph, listed once: onnxruntime returns zeros (or fails on symbolic shapes) for a
 * body output that is one of the body's inputs, an outer value or a repeated output, and the
 * ONNX checker accepts such models (docs/design.md §5.2). The producers of graphs (the IR
 * builder, the ONNX tape, the model editor) insert the `Identity` copies where they name values;
 * `encodeModel` runs this check so that a producer that forgets it fails loudly instead of
 * training on zeros.
 */
export function outputProblems(model: ModelProto): string[] {
  const problems: string[] = [];
  const visit = (g: GraphProto, where: string): void => {
    const made = new Set<string>();
    for (const n of g.node) {
      for (const y of n.output) if (y) made.add(y);
      subgraphs(n).forEach((sub, k) => visit(sub, `${where} > ${n.opType} '${n.name ?? n.output[0] ?? '?'}' subgraph ${k}`));
    }
    const listed = new Set<string>();
    for (const o of g.output) {
      if (listed.has(o.name)) problems.push(`${where}: output '${o.name}' is listed twice`);
      else if (!made.has(o.name)) problems.push(`${where}: output '${o.name}' is not made by a node of this graph (an input, initializer or outer value needs an Identity)`);
      listed.add(o.name);
    }
  };
  visit(model.graph, `graph '${model.graph.name ?? ''}'`);
  return problems;
}

/** Parses protobuf bytes into a plain model object (int64 fields as numbers, repeated fields always present). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const message = ModelProtoType.decode(bytes);
  const obj = ModelProtoType.toObject(message, { longs: Number, enums: Number, arrays: true, defaults: false });
  return obj as ModelProto;
}

/** A `TensorProto` holding `values` as little-endian `rawData` (exact bits, compact). */
export function makeTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  values: ArrayLike<number> | readonly bigint[],
): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) {
    throw new InternalError(`tensor ${name} has ${values.length} values for shape [${dims.join(',')}]`);
  }
  const width = bytesPerElement(dataType);
  const view = new DataView(new ArrayBuffer(n * width));
  for (let k = 0; k < n; k++) {
    const v = values[k]!;
    switch (dataType) {
      case DataType.FLOAT: view.setFloat32(k * 4, Number(v), true); break;
      case DataType.DOUBLE: view.setFloat64(k * 8, Number(v), true); break;
      case DataType.INT32: view.setInt32(k * 4, Number(v), true); break;
      case DataType.INT64: view.setBigInt64(k * 8, BigInt(v), true); break;
      case DataType.BOOL: view.setUint8(k, Number(v) ? 1 : 0); break;
      default: return unreachable(dataType);
    }
  }
  return { name, dataType, dims: [...dims], rawData: new Uint8Array(view.buffer) };
}

/** The values of a tensor, whichever field holds them (int64 as numbers). */
export function tensorValues(t: TensorProto): number[] {
  if (t.floatData?.length) return [...t.floatData];
  if (t.doubleData?.length) return [...t.doubleData];
  if (t.int32Data?.length) return [...t.int32Data];
  if (t.int64Data?.length) return t.int64Data.map(Number);
  const raw = t.rawData ?? new Uint8Array(0);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const width = bytesPerElement(t.dataType);
  const out: number[] = [];
  for (let off = 0; off + width <= raw.byteLength; off += width) {
    switch (t.dataType) {
      case DataType.FLOAT: out.push(view.getFloat32(off, true)); break;
      case DataType.DOUBLE: out.push(view.getFloat64(off, true)); break;
      case DataType.INT32: out.push(view.getInt32(off, true)); break;
      case DataType.INT64: out.push(Number(view.getBigInt64(off, true))); break;
      case DataType.BOOL: out.push(view.getUint8(off)); break;
      default: return unreachable(t.dataType);
    }
  }
  return out;
}

/** Bytes per element of a data type. */
export function bytesPerElement(dataType: DataType): number {
  switch (dataType) {
    case DataType.FLOAT: case DataType.INT32: return 4;
    case DataType.DOUBLE: case DataType.INT64: return 8;
    case DataType.BOOL: return 1;
    default: return unreachable(dataType);
  }
}

function unreachable(x: never): never {
  throw new InternalError(`unexpected ${String(x)}`);
}
