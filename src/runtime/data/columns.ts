/**
 * @file Column mappings: `--columns dxy=0:2,pen=2` reads a plain file of frames (each step one
 * row of numbers, as users have it) into a model's several variables. Each variable takes a
 * half-open range of columns `a:b` (columns a .. b-1) or one column `a`; ranges may not
 * overlap, every variable the model reads must be given, and a range must be as wide as its
 * variable. Rows have as many values as the highest column used plus one; columns no variable
 * names are ignored. Applies to JSON/JSONL frames, NPY `[N, T, D]` and CSV feature columns.
 */
import { describeVar, type Sequence, type VarSpec } from './types.js';
import { makeSequence, type SeqAt } from './validate.js';

/** One variable's columns: `start` (inclusive) to `end` (exclusive). */
export interface ColumnRange {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** A parsed mapping, with its text for messages and the row width it implies. */
export interface ColumnMap {
  readonly text: string;
  readonly ranges: readonly ColumnRange[];
  /** Values per row: the highest column used plus one. */
  readonly width: number;
}

/** A --columns text that does not fit the model: a usage error, not a data error. */
export class ColumnsError extends Error {
  constructor(readonly text: string, detail: string) {
    super(`--columns ${text}: ${detail}`);
    this.name = 'ColumnsError';
  }
}

const syntax = 'expected NAME=A:B (columns A to B-1) or NAME=A, separated by commas, e.g. dxy=0:2,pen=2';

/** Parses and checks `text` against the variables the model reads. */
export function parseColumns(text: string, spec: readonly VarSpec[]): ColumnMap {
  const bad = (detail: string): ColumnsError => new ColumnsError(text, detail);
  const ranges: ColumnRange[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw bad(`'${part}' is not a column assignment; ${syntax}`);
    const [, name, a, b] = m;
    const start = Number(a), end = b === undefined ? start + 1 : Number(b);
    const v = spec.find((x) => x.name === name);
    if (!v) throw bad(`'${name}' is not a variable the model reads; it reads ${spec.map(describeVar).join(', ')}`);
    if (ranges.some((r) => r.name === name)) throw bad(`${name} is given twice`);
    if (end <= start) throw bad(`${name}=${a}:${b} is empty; a range A:B needs B > A (columns A to B-1)`);
    if (end - start !== v.width) throw bad(`${name}=${b === undefined ? a : `${a}:${b}`} gives ${end - start} column${end - start === 1 ? '' : 's'}, but ${describeVar(v)} has ${v.width}`);
    const clash = ranges.find((r) => r.start < end && start < r.end);
    if (clash) throw bad(`${name} (columns ${start}..${end - 1}) overlaps ${clash.name} (columns ${clash.start}..${clash.end - 1}); each column feeds one variable`);
    ranges.push({ name: name!, start, end });
  }
  const missing = spec.filter((v) => !ranges.some((r) => r.name === v.name));
  if (missing.length) throw bad(`no columns for ${missing.map(describeVar).join(', ')}; every variable the model reads needs columns`);
  return { text, ranges, width: Math.max(...ranges.map((r) => r.end)) };
}

/** The one-variable spec a mapped file is read with: rows of `map.width` real values. */
export function rowSpec(map: ColumnMap): VarSpec {
  return { name: 'columns', width: map.width, elem: 'real', label: `rows of ${map.width} values (--columns ${map.text})` };
}

/** The sequence `s` (read with {@link rowSpec}) split into the spec's variables and validated. */
export function applyColumns(at: SeqAt, s: Sequence, map: ColumnMap, spec: readonly VarSpec[]): Sequence {
  const rows = s.values.get('columns')!;
  const values = new Map<string, Float64Array>();
  for (const v of spec) {
    const r = map.ranges.find((x) => x.name === v.name)!;
    const out = new Float64Array(s.length * v.width);
    for (let t = 0; t < s.length; t++) for (let d = 0; d < v.width; d++) out[t * v.width + d] = rows[t * map.width + r.start + d]!;
    values.set(v.name, out);
  }
  return makeSequence(at, spec, values);
}
