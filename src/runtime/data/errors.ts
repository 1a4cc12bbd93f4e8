/** @file DataError and the catalogue of bad-data messages; every user mistake in data ends here. */
import { describeVar, type VarSpec } from './types.js';

/** Where in the data a problem is: the file, optionally a line, a sequence (index and id) and a step (0-based). */
export interface Where {
  readonly file: string;
  readonly line?: number;
  readonly seq?: { readonly index: number; readonly id: string };
  readonly step?: number;
}

/** A problem with the user's data (not a bug): the CLI prints its message without a stack trace. */
export class DataError extends Error {
  /** `where` is omitted only when `detail` itself names the path. */
  constructor(readonly where: Where | undefined, readonly detail: string) {
    super(where ? `${placeOf(where)}: ${detail}` : detail);
    this.name = 'DataError';
  }
}

/** `file:line: sequence 3 (id "a"), step 7` — the prefix of every message. */
export function placeOf(w: Where): string {
  const file = w.line === undefined ? w.file : `${w.file}:${w.line}`;
  const inner: string[] = [];
  if (w.seq) inner.push(`sequence ${w.seq.index} (id ${JSON.stringify(w.seq.id)})`);
  if (w.step !== undefined) inner.push(`step ${w.step}`);
  return inner.length ? `${file}: ${inner.join(', ')}` : file;
}

const nodeReasons: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'it is a directory',
  ENOTDIR: 'a path component is not a directory', EMFILE: 'too many open files',
};

/** The catalogue: one constructor per kind of bad data, each returning a DataError to throw. */
export const dataErrors = {
  frameWidth: (w: Where, got: number, v: VarSpec) =>
    new DataError(w, `frame has ${got} values, model expects ${describeVar(v)}`),
  notFinite: (w: Where, v: VarSpec, dim: number, x: number) =>
    new DataError(w, `${v.label ? `column ${dim}` : `${v.name}[${dim}]`} is ${x}, expected a finite number`),
  notBinary: (w: Where, v: VarSpec, dim: number, x: number) =>
    new DataError(w, `${v.name}[${dim}] is ${x}, expected 0 or 1 for ${describeVar(v)}`),
  notNumber: (w: Where, what: string, got: string) =>
    new DataError(w, `${what} is ${got}, expected a number`),
  notDecimal: (w: Where, what: string, text: string) =>
    new DataError(w, `${what} is ${JSON.stringify(text)}, expected a decimal number such as 16, -0.5 or 1.6e1 (hexadecimal, binary, thousands separators and units are not read)`),
  badFrame: (w: Where, got: string, v: VarSpec) =>
    new DataError(w, `frame is ${got}, expected an array of ${v.width} numbers for ${describeVar(v)}`),
  badSequence: (w: Where, got: string, expected: string) =>
    new DataError(w, `sequence is ${got}, expected ${expected}`),
  noSteps: (w: Where) => new DataError(w, 'sequence has no steps'),
  unequalLengths: (w: Where, a: VarSpec, la: number, b: VarSpec, lb: number) =>
    new DataError(w, `${a.name} has ${la} steps but ${b.name} has ${lb}; every variable needs one frame per step`),
  missingVariable: (w: Where, v: VarSpec, found: readonly string[]) =>
    new DataError(w, `no frames for ${describeVar(v)}; found ${found.length ? found.join(', ') : 'nothing'}`),
  unknownVariable: (w: Where, key: string, spec: readonly VarSpec[]) =>
    new DataError(w, `'${key}' is not a variable the model reads; expected ${spec.map((v) => v.name).join(', ')}`),
  emptySplit: (dataset: string, split: string, file?: string) =>
    new DataError(undefined, `split '${split}' in ${dataset} is empty${file ? ` (${file} has no sequences)` : ''}`),
  missingSplit: (dataset: string, split: string, expected: string, found: readonly string[]) =>
    new DataError({ file: dataset }, `no '${split}' split: expected ${expected}; found ${found.length ? found.join(', ') : 'nothing'}`),
  unknownFormat: (file: string, ext: string) =>
    new DataError({ file }, `unknown data format '${ext}'; supported: .npy, .json, .jsonl, .csv, or a directory of .wav files`),
  unreadable: (file: string, err: unknown) => {
    const code = (err as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' && nodeReasons[code] ? nodeReasons[code] : err instanceof Error ? err.message : String(err);
    return new DataError({ file }, `cannot read: ${reason}`);
  },
  /** Anything else about a file's structure; `detail` says what was found and what was expected. */
  malformed: (w: Where, detail: string) => new DataError(w, detail),
};

/** Short description of a JSON value for messages: `a string`, `an object with keys a, b`, `5`. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  switch (typeof x) {
    case 'number': return String(x);
    case 'string': return `the string ${JSON.stringify(x.length > 20 ? x.slice(0, 20) + '…' : x)}`;
    case 'boolean': return String(x);
    case 'object': return `an object with keys ${Object.keys(x as object).join(', ') || '(none)'}`;
    default: return typeof x;
  }
}
