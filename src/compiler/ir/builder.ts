/** @file A tape for building graphs: one method per op, shapes inferred by the shape rules. */
import { toDim, type DimLike } from './dim.js';
import type { Graph, Node, Port, Value, ValueType } from './graph.js';
import { Op, type DType, type OpAttrs } from './ops.js';
import { inferTypes } from './shape.js';

/** What a Scan body callback receives: body params by role. */
export interface ScanParams {
  readonly carries: Value[];
  readonly slices: Value[];
  readonly invariants: Value[];
}

/** What a Scan body callback returns, and what `scan` returns (stacked outputs). */
export interface ScanResult {
  readonly carries: Value[];
  readonly outputs: Value[];
}

/** Inputs of a Scan built with `GraphBuilder.scan`. */
export interface ScanSpec {
  readonly carries: readonly Value[];
  /** Time-major inputs, sliced along axis 0. */
  readonly scanned: readonly Value[];
  readonly invariants?: readonly Value[];
  readonly inputReverse?: readonly boolean[];
  /** Defaults to `inputReverse[0]` for every stacked output. */
  readonly outputReverse?: readonly boolean[];
}

/** Records nodes into a graph; every method appends one node (or a few) and returns its result. */
export class GraphBuilder {
  private readonly types: ValueType[] = [];
  private readonly nodeList: Node[] = [];
  private readonly ins: Port[] = [];
  private readonly outs: Port[] = [];

  /** Number of nodes recorded so far. */
  get nodeCount(): number {
    return this.nodeList.length;
  }

  /** The nodes recorded so far. */
  get nodes(): readonly Node[] {
    return this.nodeList;
  }

  /** Declares a named graph input. */
  input(name: string, dtype: DType, shape: readonly DimLike[]): Value {
    if (this.ins.some((p) => p.name === name)) throw new Error(`duplicate graph input '${name}'`);
    const v = this.fresh({ dtype, shape: shape.map(toDim) });
    this.ins.push({ name, id: v.id });
    return v;
  }

  /** Declares a named graph output. */
  output(name: string, v: Value): void {
    if (this.outs.some((p) => p.name === name)) throw new Error(`duplicate graph output '${name}'`);
    this.outs.push({ name, id: v.id });
  }

  /** Appends a node of any op; returns its outputs. Shapes come from the shape rules. */
  emit<K extends Op>(op: K, inputs: readonly Value[], attrs: OpAttrs[K]): Value[] {
    let types: ValueType[];
    try {
      types = inferTypes(op, inputs, attrs);
    } catch (e) {
      throw new Error(`node ${this.nodeList.length} (${op}): ${(e as Error).message}`);
    }
    const outputs = types.map((t) => this.fresh(t));
    this.nodeList.push({ op, inputs: inputs.map((v) => v.id), outputs: outputs.map((v) => v.id), attrs } as Node);
    return outputs;
  }

  /** Appends a single-output node. */
  emit1<K extends Op>(op: K, inputs: readonly Value[], attrs: OpAttrs[K]): Value {
    return this.emit(op, inputs, attrs)[0]!;
  }

  /** The graph recorded so far. */
  build(): Graph {
    return { values: [...this.types], nodes: [...this.nodeList], inputs: [...this.ins], outputs: [...this.outs] };
  }

  /**
   * The graph as a Scan body: an output that is a param or repeats an earlier output gets an
   * Identity (onnxruntime returns zeros for such outputs otherwise).
   */
  buildBody(): Graph {
    const params = new Set(this.ins.map((p) => p.id));
    const seen = new Set<number>();
    const outs = this.outs.map((p) => {
      const v = { id: p.id, ...this.types[p.id]! };
      const id = params.has(p.id) || seen.has(p.id) ? this.identity(v).id : p.id;
      seen.add(id);
      return { name: p.name, id };
    });
    this.outs.splice(0, this.outs.length, ...outs);
    return this.build();
  }

  private fresh(t: ValueType): Value {
    this.types.push({ dtype: t.dtype, shape: t.shape });
    return { id: this.types.length - 1, dtype: t.dtype, shape: t.shape };
  }

  /** a + b */ add(a: Value, b: Value): Value { return this.emit1(Op.Add, [a, b], {}); }
  /** a - b */ sub(a: Value, b: Value): Value { return this.emit1(Op.Sub, [a, b], {}); }
  /** a · b */ mul(a: Value, b: Value): Value { return this.emit1(Op.Mul, [a, b], {}); }
  /** a / b */ div(a: Value, b: Value): Value { return this.emit1(Op.Div, [a, b], {}); }
  /** -x */ neg(x: Value): Value { return this.emit1(Op.Neg, [x], {}); }
  /** eˣ */ exp(x: Value): Value { return this.emit1(Op.Exp, [x], {}); }
  /** ln x */ log(x: Value): Value { return this.emit1(Op.Log, [x], {}); }
  /** tanh x */ tanh(x: Value): Value { return this.emit1(Op.Tanh, [x], {}); }
  /** 1/(1+e⁻ˣ) */ sigmoid(x: Value): Value { return this.emit1(Op.Sigmoid, [x], {}); }
  /** max(x, 0) */ relu(x: Value): Value { return this.emit1(Op.Relu, [x], {}); }
  /** ln(1+eˣ) */ softplus(x: Value): Value { return this.emit1(Op.Softplus, [x], {}); }
  /** |x| */ abs(x: Value): Value { return this.emit1(Op.Abs, [x], {}); }
  /** √x */ sqrt(x: Value): Value { return this.emit1(Op.Sqrt, [x], {}); }
  /** x² */ square(x: Value): Value { return this.emit1(Op.Square, [x], {}); }
  /** elementwise max */ max(a: Value, b: Value): Value { return this.emit1(Op.Max, [a, b], {}); }
  /** elementwise min */ min(a: Value, b: Value): Value { return this.emit1(Op.Min, [a, b], {}); }
  /** a > b (bool) */ greater(a: Value, b: Value): Value { return this.emit1(Op.Greater, [a, b], {}); }
  /** a ≥ b (bool) */ greaterOrEqual(a: Value, b: Value): Value { return this.emit1(Op.GreaterOrEqual, [a, b], {}); }
  /** c ? a : b */ where(c: Value, a: Value, b: Value): Value { return this.emit1(Op.Where, [c, a, b], {}); }
  /** a · b over the last two axes */ matmul(a: Value, b: Value): Value { return this.emit1(Op.MatMul, [a, b], {}); }
  /** permute axes; default swaps the last two */
  transpose(x: Value, perm?: readonly number[]): Value {
    const r = x.shape.length;
    const p = perm ?? [...Array(r).keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
    return this.emit1(Op.Transpose, [x], { perm: p });
  }
  /** reshape to a static (possibly symbolic) shape */
  reshape(x: Value, shape: readonly DimLike[]): Value { return this.emit1(Op.Reshape, [x], { shape: shape.map(toDim) }); }
  /** join along an axis */ concat(xs: readonly Value[], axis: number): Value { return this.emit1(Op.Concat, xs, { axis }); }
  /** elements [start, end) along an axis (`end: null` = to the end) */
  slice(x: Value, axis: number, start: number, end: number | null): Value { return this.emit1(Op.Slice, [x], { axis, start, end }); }
  /** sum over axes */
  reduceSum(x: Value, axes: readonly number[], keepdims = false): Value { return this.emit1(Op.ReduceSum, [x], { axes, keepdims }); }
  /** max over axes */
  reduceMax(x: Value, axes: readonly number[], keepdims = false): Value { return this.emit1(Op.ReduceMax, [x], { axes, keepdims }); }
  /** log Σ exp over one axis */
  logSumExp(x: Value, axis: number, keepdims = false): Value { return this.emit1(Op.LogSumExp, [x], { axis, keepdims }); }
  /** broadcast to a shape */
  expand(x: Value, shape: readonly DimLike[]): Value { return this.emit1(Op.Expand, [x], { shape: shape.map(toDim) }); }
  /** a constant tensor (scalar by default) */
  constant(value: number | readonly number[], shape: readonly number[] = [], dtype: DType = 'float64'): Value {
    return this.emit1(Op.Constant, [], { dtype, shape, value: typeof value === 'number' ? [value] : value });
  }
  /** a tensor of one value, of any (symbolic) shape */
  full(shape: readonly DimLike[], value: number, dtype: DType = 'float64'): Value {
    const c = this.constant(value, [], dtype);
    return shape.length === 0 ? c : this.expand(c, shape);
  }
  /** a copy */ identity(x: Value): Value { return this.emit1(Op.Identity, [x], {}); }
  /** convert the element type */ cast(x: Value, to: DType): Value { return this.emit1(Op.Cast, [x], { to }); }
  /** running sums along an axis */
  cumSum(x: Value, axis: number, reverse = false, exclusive = false): Value { return this.emit1(Op.CumSum, [x], { axis, reverse, exclusive }); }
  /** x[…, idx[…], …] along an axis (int64 indices of x's rank) */
  gatherElements(x: Value, idx: Value, axis: number): Value { return this.emit1(Op.GatherElements, [x, idx], { axis }); }
  /** data with updates added at the indices along an axis */
  scatterAddElements(data: Value, idx: Value, upd: Value, axis: number): Value { return this.emit1(Op.ScatterAddElements, [data, idx, upd], { axis }); }

  /** A Scan whose body is built by `body` in a fresh builder (see `ScanAttrs`). */
  scan(spec: ScanSpec, body: (b: GraphBuilder, p: ScanParams) => ScanResult): ScanResult {
    const inv = spec.invariants ?? [];
    const inputReverse = spec.inputReverse ?? spec.scanned.map(() => false);
    const bb = new GraphBuilder();
    const params: ScanParams = {
      carries: spec.carries.map((v, i) => bb.input(`carry${i}`, v.dtype, v.shape)),
      slices: spec.scanned.map((v, i) => bb.input(`slice${i}`, v.dtype, v.shape.slice(1))),
      invariants: inv.map((v, i) => bb.input(`inv${i}`, v.dtype, v.shape)),
    };
    const r = body(bb, params);
    r.carries.forEach((v, i) => bb.output(`carry_out${i}`, v));
    r.outputs.forEach((v, i) => bb.output(`y${i}`, v));
    const outputReverse = spec.outputReverse ?? r.outputs.map(() => inputReverse[0] ?? false);
    const attrs = { body: bb.buildBody(), numCarry: spec.carries.length, numScanned: spec.scanned.length, inputReverse, outputReverse };
    const outs = this.emit(Op.Scan, [...spec.carries, ...spec.scanned, ...inv], attrs);
    return { carries: outs.slice(0, spec.carries.length), outputs: outs.slice(spec.carries.length) };
  }
}
