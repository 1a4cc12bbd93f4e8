/** @file The SSA graph data structure: typed values, nodes and named graph inputs/outputs. */
import { shapeToString, type Shape } from './dim.js';
import type { DType, Op, OpAttrs } from './ops.js';
import { InternalError } from '../diagnostics.js';

/** The static type of a value: element type and shape. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** A reference to a value of a graph being built: its id and type. */
export interface Value extends ValueType {
  readonly id: number;
}

/** One operation with op-typed attributes; inputs and outputs are value ids of the same graph. */
export interface NodeOf<K extends Op> {
  readonly op: K;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly attrs: OpAttrs[K];
}

/** A node of any op (a tagged union on `op`). */
export type Node = { [K in Op]: NodeOf<K> }[Op];

/** A named graph input or output. */
export interface Port {
  readonly name: string;
  readonly id: number;
}

/**
 * A graph in SSA form. Value `i` has type `values[i]` and is defined exactly once, by a graph
 * input or a node output. Nodes are in topological order. Scan bodies are graphs too; values
 * never cross graph boundaries (loop invariants are explicit Scan inputs).
 */
export interface Graph {
  readonly values: readonly ValueType[];
  readonly nodes: readonly Node[];
  readonly inputs: readonly Port[];
  readonly outputs: readonly Port[];
}

/** A value reference for id `id` of graph `g`. */
export function valueOf(g: Graph, id: number): Value {
  const t = g.values[id];
  if (t === undefined) throw new InternalError(`value %${id} does not exist`);
  return { id, dtype: t.dtype, shape: t.shape };
}

/** Type as text: `f64[B,3]`. */
export function typeToString(t: ValueType): string {
  const d = t.dtype === 'float64' ? 'f64' : t.dtype === 'float32' ? 'f32' : t.dtype === 'int64' ? 'i64' : 'bool';
  return `${d}${shapeToString(t.shape)}`;
}

/** The graph output named `name`. */
export function outputNamed(g: Graph, name: string): Port {
  const p = g.outputs.find((o) => o.name === name);
  if (p === undefined) throw new Error(`graph has no output '${name}' (has ${g.outputs.map((o) => o.name).join(', ')})`);
  return p;
}

/** The graph input named `name`. */
export function inputNamed(g: Graph, name: string): Port {
  const p = g.inputs.find((o) => o.name === name);
  if (p === undefined) throw new Error(`graph has no input '${name}' (has ${g.inputs.map((o) => o.name).join(', ')})`);
  return p;
}
