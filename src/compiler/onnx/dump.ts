/**
 * @file A deterministic text dump of a ModelProto, one node per line, recursing into subgraphs
 * (Scan bodies); used for golden files and `seqc compile --print onnx`.
 *
 *   model ir_version=8 opset=ai.onnx:17 producer=seqppl
 *   graph main {
 *     input x: float32[B,T,3]
 *     init w: float32[3] = [1, 2, 3]
 *     add_0 = Add(x, w)
 *     scan_2, scan_3 = Scan(h0, x) num_scan_inputs=1 body=scan_body_1 {
 *       ...
 *     }
 *     output add_0: float32[B,T,3]
 *   }
 */
import {
  AttrType, DataType, tensorValues,
  type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto.js';

/** At most this many tensor values are printed; larger tensors print a count and a sum. */
const MAX_VALUES = 8;

/** The text dump of a model (ends with a newline). */
export function dumpModel(model: ModelProto): string {
  const opsets = model.opsetImport.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(',');
  const lines = [`model ir_version=${model.irVersion} opset=${opsets} producer=${model.producerName ?? ''}`];
  for (const { key, value } of model.metadataProps ?? []) lines.push(`meta ${key}=${JSON.stringify(value)}`);
  dumpGraph(model.graph, '', lines);
  return lines.join('\n') + '\n';
}

/** The text dump of one graph, as lines appended to `out`, each prefixed by `indent`. */
export function dumpGraph(graph: GraphProto, indent: string, out: string[]): void {
  out.push(`${indent}graph ${graph.name} {`);
  const inner = indent + '  ';
  for (const v of graph.input) out.push(`${inner}input ${valueInfoText(v)}`);
  for (const t of graph.initializer) out.push(`${inner}init ${t.name ?? ''}: ${tensorText(t)}`);
  for (const n of graph.node) dumpNode(n, inner, out);
  for (const v of graph.output) out.push(`${inner}output ${valueInfoText(v)}`);
  out.push(`${indent}}`);
}

function dumpNode(node: NodeProto, indent: string, out: string[]): void {
  const op = node.domain ? `${node.domain}.${node.opType}` : node.opType;
  const attrs = node.attribute.map(attrText).join(' ');
  const graphs = node.attribute.flatMap((a) => (a.type === AttrType.GRAPH && a.g ? [a.g] : a.graphs ?? []));
  const head = `${indent}${node.output.join(', ')} = ${op}(${node.input.join(', ')})${attrs ? ' ' + attrs : ''}`;
  if (graphs.length === 0) {
    out.push(head);
    return;
  }
  out.push(`${head} {`);
  for (const g of graphs) dumpGraph(g, indent + '  ', out);
  out.push(`${indent}}`);
}

function attrText(a: AttributeProto): string {
  const utf8 = (b: Uint8Array): string => JSON.stringify(new TextDecoder().decode(b));
  switch (a.type) {
    case AttrType.FLOAT: return `${a.name}=${numberText(a.f ?? 0)}f`;
    case AttrType.INT: return `${a.name}=${a.i ?? 0}`;
    case AttrType.STRING: return `${a.name}=${utf8(a.s ?? new Uint8Array())}`;
    case AttrType.TENSOR: return `${a.name}=${a.t ? tensorText(a.t) : '?'}`;
    case AttrType.GRAPH: return `${a.name}=${a.g?.name ?? '?'}`;
    case AttrType.FLOATS: return `${a.name}=[${(a.floats ?? []).map(numberText).join(', ')}]`;
    case AttrType.INTS: return `${a.name}=[${(a.ints ?? []).join(', ')}]`;
    case AttrType.STRINGS: return `${a.name}=[${(a.strings ?? []).map(utf8).join(', ')}]`;
    case AttrType.TENSORS: return `${a.name}=[${(a.tensors ?? []).map(tensorText).join(', ')}]`;
    case AttrType.GRAPHS: return `${a.name}=[${(a.graphs ?? []).map((g) => g.name).join(', ')}]`;
    default: return `${(a as AttributeProto).name}=<attribute type ${String((a as AttributeProto).type)}>`;
  }
}

/** `name: float32[B,T,3]`; an unknown rank prints as `float32[*]`. */
function valueInfoText(v: ValueInfoProto): string {
  const t = v.type?.tensorType;
  if (!t) return `${v.name}: <non-tensor>`;
  const dims = t.shape ? t.shape.dim.map((d) => ('dimParam' in d && d.dimParam ? d.dimParam : 'dimValue' in d ? String(d.dimValue) : '?')) : ['*'];
  return `${v.name}: ${dtypeName(t.elemType)}[${dims.join(',')}]`;
}

/** `float32[2,2] = [1, 2, 3, 4]`, or a count and a sum for large tensors. */
function tensorText(t: TensorProto): string {
  const values = tensorValues(t);
  const head = `${dtypeName(t.dataType)}[${t.dims.join(',')}]`;
  if (values.length <= MAX_VALUES) return `${head} = [${values.map(numberText).join(', ')}]`;
  return `${head} = <${values.length} values, sum ${numberText(values.reduce((a, b) => a + b, 0))}>`;
}

function numberText(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Our name for an ONNX data type (`float32`, `float64`, …). */
export function dtypeName(t: DataType): string {
  const names: Partial<Record<DataType, string>> = {
    [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT32]: 'int32',
    [DataType.INT64]: 'int64', [DataType.BOOL]: 'bool',
  };
  return names[t] ?? `dtype${t}`;
}
