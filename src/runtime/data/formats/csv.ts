/**
 * @file CSV sequences: a header row, then one row per step. One column (`seq`, `sequence` or
 * `id`) names the sequence; an optional `t` or `step` column orders its rows (otherwise file
 * order). Sequences come in order of first appearance. For a model with one variable the other
 * columns are its dimensions in order; with several, columns are named `x.0, x.1, …` (a
 * width-1 variable may be just `pen`). Fields may be double-quoted.
 */
import { dataErrors as E, type Where } from '../errors.js';
import { readText } from '../files.js';
import { describeVar, type Sequence, type VarSpec } from '../types.js';
import { makeSequence, whereOf, type SeqAt } from '../validate.js';

/** Column names accepted for the sequence id and the step index. */
export const idColumns = ['seq', 'sequence', 'id'], stepColumns = ['t', 'step'];

interface Row { readonly line: number; readonly fields: string[]; readonly t: number }

/** Splits one CSV line into fields, honouring double quotes (`""` inside quotes is a quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur.trim()); cur = ''; } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Reads a CSV file as sequences of the spec's variables. */
export function readCsv(file: string, spec: readonly VarSpec[]): Sequence[] {
  const lines = readText(file).split(/\r?\n/).map((text, i) => ({ text, line: i + 1 })).filter((l) => l.text.trim() !== '');
  if (lines.length === 0) throw E.malformed({ file }, 'file is empty; expected a header row');
  const header = splitCsvLine(lines[0]!.text);
  const lower = header.map((h) => h.toLowerCase());
  const idCol = lower.findIndex((h) => idColumns.includes(h));
  if (idCol < 0) throw E.malformed({ file, line: lines[0]!.line }, `no sequence-id column (named seq, sequence or id); header is ${header.join(', ')}`);
  const tCol = lower.findIndex((h, i) => i !== idCol && stepColumns.includes(h));
  const features = header.map((_, i) => i).filter((i) => i !== idCol && i !== tCol);
  const columns = columnsOf(file, lines[0]!.line, header, features, spec);

  const groups = new Map<string, Row[]>();
  for (const { text, line } of lines.slice(1)) {
    const fields = splitCsvLine(text);
    const id = fields[idCol] ?? '';
    const rows = groups.get(id) ?? [];
    const where: Where = { file, line, seq: { index: indexOf(groups, id), id }, ...(tCol < 0 ? { step: rows.length } : {}) };
    if (fields.length !== header.length) throw E.malformed(where, `row has ${fields.length} columns, header has ${header.length}`);
    const t = tCol < 0 ? 0 : number(where, `column '${header[tCol]}'`, fields[tCol]);
    rows.push({ line, fields, t });
    groups.set(id, rows);
  }
  return [...groups].map(([id, rows], index) => {
    if (tCol >= 0) rows.sort((a, b) => a.t - b.t);
    const at: SeqAt = { file, index, id, lineOf: (step) => rows[step]?.line };
    rows.forEach((r, step) => {
      if (tCol >= 0 && step > 0 && r.t === rows[step - 1]!.t) throw E.malformed(whereOf(at, step), `${header[tCol]} = ${r.t} also on line ${rows[step - 1]!.line}; each step of a sequence needs its own row`);
    });
    const values = new Map<string, Float64Array>();
    spec.forEach((v, k) => {
      const a = new Float64Array(rows.length * v.width);
      rows.forEach((r, step) => columns[k]!.forEach((c, d) => { a[step * v.width + d] = number(whereOf(at, step), `column '${header[c]}'`, r.fields[c]); }));
      values.set(v.name, a);
    });
    return makeSequence(at, spec, values);
  });
}

function indexOf(groups: Map<string, Row[]>, id: string): number {
  let i = 0;
  for (const k of groups.keys()) { if (k === id) return i; i++; }
  return i;
}

/** For each variable, the column indices of its dimensions. */
function columnsOf(file: string, line: number, header: string[], features: number[], spec: readonly VarSpec[]): number[][] {
  const where: Where = { file, line };
  if (spec.length === 1) {
    const v = spec[0]!;
    if (features.length !== v.width) throw E.malformed(where, `${features.length} feature columns (${features.map((i) => header[i]).join(', ')}), model expects ${describeVar(v)}`);
    return [features];
  }
  const used = new Set<number>();
  const cols = spec.map((v) => Array.from({ length: v.width }, (_, d) => {
    const names = v.width === 1 ? [v.name, `${v.name}.0`] : [`${v.name}.${d}`];
    const i = features.find((c) => names.includes(header[c]!));
    if (i === undefined) throw E.malformed(where, `no column ${names.join(' or ')} for ${describeVar(v)}; header is ${header.join(', ')}`);
    used.add(i);
    return i;
  }));
  const extra = features.find((c) => !used.has(c));
  if (extra !== undefined) throw E.malformed(where, `column '${header[extra]}' is not a dimension of ${spec.map(describeVar).join(', ')}`);
  return cols;
}

/** Parses a numeric field; `nan`/`inf` parse (and are rejected later as not finite). */
function number(where: Where, what: string, text: string | undefined): number {
  if (text === undefined || text === '') throw E.notNumber(where, what, 'empty');
  const special = /^([+-]?)(nan|inf|infinity)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  // Decimal only: Number() would also read 0x10 as 16, 0b1 as 1 and '1_000' as NaN.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw E.notDecimal(where, what, text);
  return Number(text);
}
