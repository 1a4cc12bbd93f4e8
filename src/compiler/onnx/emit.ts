/**
 * @file IR graph → ONNX ModelProto: walks the nodes through the lowering table (`rules.ts`),
 * recursing into Scan bodies, and computes symbolic dims (`B`, `T`, `B*T`) at run time from the
 * shapes of graph inputs where a rule needs them as tensors.
 */
import { dimToString, singleSymbol, type Dim } from '../ir/dim.js';
import type { Graph, NodeOf, ValueType } from '../ir/graph.js';
import { Op } from '../ir/ops.js';
import { makeModel, Tape, type ModelOptions, type TensorType } from './builder.js';
import { DEFAULT_OPSET, type ModelProto } from './proto.js';
import { onnxRules, type EmitCtx, type OnnxRule } from './rules.js';
import { InternalError } from '../diagnostics.js';

/** Options of `emitModel`: model options (opset, IR version, metadata) and the graph's name. */
export interface EmitOptions extends ModelOptions {
  graphName?: string;
}

/** The oldest opset the rules support (`Shape` with start/end, `Slice`/`Squeeze` inputs). */
export const MIN_OPSET = 15;

/** The ONNX tensor type of an IR value type: a symbolic dim becomes a `dim_param` (`B`, `B*T`). */
export function onnxType(t: ValueType): TensorType {
  return { dtype: t.dtype, shape: t.shape.map((d) => (typeof d === 'number' ? d : singleSymbol(d) ?? dimToString(d))) };
}

/** Lowers an IR graph to a model; graph inputs and outputs keep their IR names. */
export function emitModel(g: Graph, options: EmitOptions = {}): ModelProto {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (opset < MIN_OPSET) throw new InternalError(`the ONNX emitter needs opset ≥ ${MIN_OPSET}, got ${opset}`);
  const tape = new Tape();
  for (const p of g.outputs) tape.names.reserve(p.name);
  const scope = new Scope(tape, g, opset);
  for (const p of g.inputs) scope.bind(p.id, tape.input(p.name, onnxType(g.values[p.id]!)));
  scope.emitNodes();
  for (const p of g.outputs) tape.output(scope.name(p.id), onnxType(g.values[p.id]!), p.name);
  return makeModel(tape.graph(options.graphName ?? 'main'), options);
}

/** One graph being emitted: IR value ids → ONNX names, and runtime dim tensors. */
class Scope implements EmitCtx {
  private readonly names = new Map<number, string>();
  private readonly dims = new Map<string, string>();

  constructor(readonly tape: Tape, private readonly graph: Graph, readonly opset: number, private readonly parent?: Scope) {}

  bind(id: number, onnxName: string): void {
    this.names.set(id, onnxName);
  }

  name(id: number): string {
    const n = this.names.get(id);
    if (n === undefined) throw new InternalError(`IR value %${id} used before it is defined`);
    return n;
  }

  emitNodes(): void {
    this.graph.nodes.forEach((node, k) => {
      const ins = node.inputs.map((id) => this.name(id));
      const types = { ins: node.inputs.map((id) => this.graph.values[id]!), outs: node.outputs.map((id) => this.graph.values[id]!) };
      const rule = onnxRules[node.op] as OnnxRule<Op>;
      const outs = rule(this, ins, node.attrs, types, node);
      if (outs.length !== node.outputs.length) {
        throw new InternalError(`ONNX rule for node ${k} (${node.op}) gave ${outs.length} outputs, expected ${node.outputs.length}`);
      }
      node.outputs.forEach((id, i) => this.bind(id, outs[i]!));
    });
  }

  shapeTensor(dims: readonly Dim[]): string {
    if (dims.every((d): d is number => typeof d === 'number')) return this.tape.constant('int64', [dims.length], dims);
    return this.tape.op('Concat', dims.map((d) => this.dimTensor(d)), { axis: 0 });
  }

  /** int64[1] holding a dim: Σ coefficient · Π symbols, each symbol read from an input's shape. */
  private dimTensor(d: Dim): string {
    if (typeof d === 'number') return this.tape.constant('int64', [1], [d]);
    const key = dimToString(d);
    const cached = this.cachedDim(key);
    if (cached !== undefined) return cached;
    const t = this.tape;
    let sum: string | undefined;
    for (const [monomial, coef] of d.terms) {
      let term = monomial === '' ? undefined : monomial.split('*').map((s) => this.symbol(s)).reduce((a, b) => t.op('Mul', [a, b]));
      if (term === undefined || coef !== 1) term = term === undefined ? this.dimTensor(coef) : t.op('Mul', [term, this.dimTensor(coef)]);
      sum = sum === undefined ? term : t.op('Add', [sum, term]);
    }
    this.dims.set(key, sum!);
    return sum!;
  }

  private cachedDim(key: string): string | undefined {
    return this.dims.get(key) ?? this.parent?.cachedDim(key);
  }

  /** int64[1] holding a symbol's size, from the first input of this graph (or an enclosing one) that has it. */
  private symbol(s: string): string {
    const cached = this.cachedDim(s);
    if (cached !== undefined) return cached;
    for (const p of this.graph.inputs) {
      const axis = this.graph.values[p.id]!.shape.findIndex((d) => singleSymbol(d) === s);
      if (axis < 0) continue;
      const v = this.tape.op('Shape', [this.name(p.id)], { start: axis, end: axis + 1 });
      this.dims.set(s, v);
      return v;
    }
    if (this.parent) return this.parent.symbol(s);
    throw new InternalError(`no graph input has the symbolic dim '${s}', so its size is unknown at run time`);
  }

  scan(node: NodeOf<Op.Scan>, inputs: readonly string[]): string[] {
    const { body, numCarry: nc, numScanned: ns, inputReverse, outputReverse } = node.attrs;
    const typeOf = (id: number): TensorType => onnxType(body.values[id]!);
    const params = body.inputs.map((p) => p.id);
    const invariants = inputs.slice(nc + ns);
    const r = this.tape.scan({
      carries: inputs.slice(0, nc).map((init, i) => ({ init, type: typeOf(params[i]!) })),
      scanned: inputs.slice(nc, nc + ns).map((seq, j) => ({ seq, elem: typeOf(params[nc + j]!), reverse: inputReverse[j] ?? false })),
      outputs: body.outputs.slice(nc).map((p, j) => ({ elem: typeOf(p.id), reverse: outputReverse[j] ?? false })),
      body: (b, carries, elems) => {
        const inner = new Scope(b, body, this.opset, this);
        // invariants are not ONNX body inputs: the body refers to the outer values by name
        [...carries, ...elems, ...invariants].forEach((n, i) => inner.bind(params[i]!, n));
        inner.emitNodes();
        const outs = body.outputs.map((p) => inner.name(p.id));
        return { carries: outs.slice(0, nc), outputs: outs.slice(nc) };
      },
    });
    return [...r.carries, ...r.outputs];
  }
}
