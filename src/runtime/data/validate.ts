/** @file Builds validated sequences from per-variable values: widths, equal lengths, finite, 0/1 for binary. */
import { dataErrors as E, describeValue, type Where } from './errors.js';
import type { Sequence, VarSpec } from './types.js';

/** Which sequence of which file is being built; `lineOf` maps a step to a source line (CSV, JSONL). */
export interface SeqAt {
  readonly file: string;
  readonly index: number;
  readonly id: string;
  readonly lineOf?: (step: number) => number | undefined;
}

/** The Where of step `step` (or of the whole sequence when omitted). */
export function whereOf(at: SeqAt, step?: number): Where {
  const line = at.lineOf?.(step ?? 0);
  return {
    file: at.file, seq: { index: at.index, id: at.id },
    ...(line === undefined ? {} : { line }), ...(step === undefined ? {} : { step }),
  };
}

/**
 * The row-major values of `v` from a JSON array of frames. Each frame is an array of
 * `v.width` numbers; a width-1 frame may also be a bare number.
 */
export function valuesFromJsonFrames(at: SeqAt, v: VarSpec, frames: unknown): Float64Array {
  if (!Array.isArray(frames)) throw E.badSequence(whereOf(at), describeValue(frames), `an array of frames for ${v.name}`);
  const out = new Float64Array(frames.length * v.width);
  for (let t = 0; t < frames.length; t++) {
    const f: unknown = frames[t];
    if (typeof f === 'number' && v.width === 1) { out[t] = f; continue; }
    if (!Array.isArray(f)) throw E.badFrame(whereOf(at, t), describeValue(f), v);
    if (f.length !== v.width) throw E.frameWidth(whereOf(at, t), f.length, v);
    for (let d = 0; d < v.width; d++) {
      const x: unknown = f[d];
      if (typeof x !== 'number') throw E.notNumber(whereOf(at, t), `${v.name}[${d}]`, describeValue(x));
      out[t * v.width + d] = x;
    }
  }
  return out;
}

/** Throws at the first value that is not finite, or not 0/1 for a binary variable. */
export function checkValues(at: SeqAt, v: VarSpec, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) throw E.notFinite(whereOf(at, Math.floor(i / v.width)), v, i % v.width, x);
    if (v.elem === 'binary' && x !== 0 && x !== 1) throw E.notBinary(whereOf(at, Math.floor(i / v.width)), v, i % v.width, x);
  }
}

/** A Sequence from every variable's row-major values, after checking lengths and values. */
export function makeSequence(at: SeqAt, spec: readonly VarSpec[], values: ReadonlyMap<string, Float64Array>): Sequence {
  let length = -1;
  let first: VarSpec | undefined;
  for (const v of spec) {
    const vals = values.get(v.name);
    if (!vals) throw E.missingVariable(whereOf(at), v, [...values.keys()]);
    if (vals.length % v.width !== 0) throw E.frameWidth(whereOf(at), vals.length % v.width, v);
    const n = vals.length / v.width;
    if (first && n !== length) throw E.unequalLengths(whereOf(at), first, length, v, n);
    if (!first) { first = v; length = n; }
  }
  if (length <= 0) throw E.noSteps(whereOf(at));
  for (const v of spec) checkValues(at, v, values.get(v.name)!);
  return { id: at.id, length, values };
}

/** Splits a row-major [T, sum(widths)] block into per-variable arrays, variables in spec order. */
export function splitColumns(spec: readonly VarSpec[], block: Float64Array, length: number): Map<string, Float64Array> {
  const total = spec.reduce((s, v) => s + v.width, 0);
  const out = new Map<string, Float64Array>();
  let off = 0;
  for (const v of spec) {
    const a = new Float64Array(length * v.width);
    for (let t = 0; t < length; t++) for (let d = 0; d < v.width; d++) a[t * v.width + d] = block[t * total + off + d]!;
    out.set(v.name, a);
    off += v.width;
  }
  return out;
}

/** The total width of the spec's variables (the D of a single-array format). */
export function totalWidth(spec: readonly VarSpec[]): number {
  return spec.reduce((s, v) => s + v.width, 0);
}
