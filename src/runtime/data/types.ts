/** @file The data layer's value types: variable specs, sequences, datasets. */
import type { ElemType } from '../../compiler/ast.js';

/** One observed or input variable of the model, as the data must supply it: `x : real[200]`. */
export interface VarSpec {
  readonly name: string;
  readonly width: number;
  readonly elem: ElemType;
  /** How messages name it instead of `name : elem[width]` (the rows read for --columns). */
  readonly label?: string;
}

/**
 * One sequence: `length` steps; for every variable of the spec, `length * width` values,
 * row-major (step `t`, dimension `d` at `t * width + d`). Float64 so nothing is lost before
 * normalization; batches convert to the session's dtype.
 */
export interface Sequence {
  readonly id: string;
  readonly length: number;
  readonly values: ReadonlyMap<string, Float64Array>;
}

/** The three splits a dataset must have, in this order. */
export const splitNames = ['train', 'valid', 'test'] as const;

/** `train`, `valid` or `test`. */
export type SplitName = (typeof splitNames)[number];

/** A loaded dataset: three non-empty splits of validated sequences. */
export interface Dataset {
  /** The path it was loaded from, as given. */
  readonly source: string;
  readonly train: readonly Sequence[];
  readonly valid: readonly Sequence[];
  readonly test: readonly Sequence[];
  /** Samples per second, for WAV data only. */
  readonly sampleRate?: number;
  /** What loading changed and the user should know (channels mixed down, rates converted). */
  readonly notes?: readonly string[];
}

/** `x : real[200]`, the way messages name a variable. */
export function describeVar(v: VarSpec): string {
  return v.label ?? `${v.name} : ${v.elem}[${v.width}]`;
}
