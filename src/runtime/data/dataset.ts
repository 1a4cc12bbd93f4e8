/**
 * @file Loading a dataset: three splits from a directory of `train.*`, `valid.*`, `test.*`
 * (files of any supported format, or subdirectories of WAV files), or from one file or
 * directory that holds all three: a JSON object `{"train", "valid", "test"}` (dense frames or
 * piano rolls), or a directory of WAV files split by sorted file name — the first 80% train,
 * then valid and test with max(1, ⌊N/10⌋) files each, the last ones test. A directory may also
 * hold `dataset.json`, `{"window": {"steps": S, "hop": H}}`: every sequence of every split is
 * then cut into windows of S steps every H steps when it is loaded (see windowSequences).
 */
import { join } from 'node:path';
import { dataErrors as E, describeValue } from './errors.js';
import { existsSync } from 'node:fs';
import { extensionOf, isDirectory, listDirectory, readText } from './files.js';
import { windowSequences } from './batches.js';
import { applyColumns, rowSpec, type ColumnMap } from './columns.js';
import { isSplitsObject, parseJson, readJson, readJsonl, readJsonSplits, type JsonStyle } from './formats/json.js';
import { readCsv } from './formats/csv.js';
import { readNpy } from './formats/npy.js';
import { readWavDirectory, readWavFiles, wavFilesIn } from './formats/wav.js';
import { splitNames, type Dataset, type Sequence, type SplitName, type VarSpec } from './types.js';

/** File extensions a split may have. */
export const splitExtensions = ['.npy', '.json', '.jsonl', '.csv'] as const;

/** Options of {@link loadDataset}: how JSON sequences are encoded (`auto` detects piano rolls), and a column mapping. */
export interface LoadOptions {
  readonly json?: JsonStyle;
  readonly columns?: ColumnMap;
  /** Convert WAV files to this rate (from dataset.json). */
  readonly sampleRate?: number;
}

/** One split's sequences from a file (by extension) or a directory of WAV files; sample rate for WAV. */
export function readSequences(path: string, spec: readonly VarSpec[], opts: LoadOptions = {}): { sequences: Sequence[]; sampleRate?: number; notes?: string[] } {
  const map = opts.columns;
  if (!map) return readSplit(path, spec, opts);
  if (isDirectory(path)) throw E.malformed({ file: path }, `--columns ${map.text} maps the columns of frames in JSON, JSONL, NPY or CSV files; WAV audio has one column`);
  const rows = readSplit(path, [rowSpec(map)], opts).sequences;
  return { sequences: rows.map((s, index) => applyColumns({ file: path, index, id: s.id }, s, map, spec)) };
}

function readSplit(path: string, spec: readonly VarSpec[], opts: LoadOptions): { sequences: Sequence[]; sampleRate?: number; notes?: string[] } {
  if (isDirectory(path)) return readWavDirectory(path, spec, opts.sampleRate);
  const ext = extensionOf(path);
  switch (ext) {
    case '.npy': return { sequences: readNpy(path, spec) };
    case '.json': return { sequences: readJson(path, spec, opts.json) };
    case '.jsonl': return { sequences: readJsonl(path, spec, opts.json) };
    case '.csv': return { sequences: readCsv(path, spec) };
    default: throw E.unknownFormat(path, ext || '(no extension)');
  }
}

/** Loads and validates the dataset at `path` for a model reading the variables of `spec`. */
export function loadDataset(path: string, spec: readonly VarSpec[], opts: LoadOptions = {}): Dataset {
  if (isDirectory(path)) return loadDirectory(path, spec, opts);
  const ext = extensionOf(path);
  if (ext === '.json') {
    const top = parseJson(path, readText(path));
    if (isSplitsObject(top)) {
      const map = opts.columns;
      if (!map) return finish(path, readJsonSplits(path, top, spec, opts.json));
      const rows = readJsonSplits(path, top, [rowSpec(map)], opts.json);
      const mapped = (s: SplitName) => rows[s].map((q, index) => applyColumns({ file: `${path}, split '${s}'`, index, id: q.id }, q, map, spec));
      return finish(path, { train: mapped('train'), valid: mapped('valid'), test: mapped('test') });
    }
  } else if (!(splitExtensions as readonly string[]).includes(ext)) {
    throw E.unknownFormat(path, ext || '(no extension)');
  }
  throw E.malformed({ file: path }, 'one file holds one split only, unless it is a JSON object {"train": [...], "valid": [...], "test": [...]}; give a directory with train.*, valid.* and test.* instead');
}

/** The name of the optional descriptor file of a dataset directory. */
export const descriptorFile = 'dataset.json';

/** What a dataset directory's `dataset.json` may say. */
export interface Descriptor {
  readonly window?: { readonly steps: number; readonly hop: number };
  /** The rate every WAV file is converted to. */
  readonly sampleRate?: number;
}

/** Reads `dir/dataset.json` if it exists; a DataError naming the field if it is not a valid descriptor. */
export function readDescriptor(dir: string): Descriptor {
  const file = join(dir, descriptorFile);
  if (!existsSync(file)) return {};
  const top = parseJson(file, readText(file));
  const expected = 'expected {"window": {"steps": S, "hop": H}, "sampleRate": R}, each field optional, with positive integers S, H and R';
  if (typeof top !== 'object' || top === null || Array.isArray(top)) throw E.malformed({ file }, `found ${describeValue(top)}; ${expected}`);
  for (const key of Object.keys(top)) if (key !== 'window' && key !== 'sampleRate') throw E.malformed({ file }, `unknown field '${key}'; ${expected}`);
  const rate = (top as { sampleRate?: unknown }).sampleRate;
  if (rate !== undefined && !(typeof rate === 'number' && Number.isInteger(rate) && rate >= 1)) throw E.malformed({ file }, `sampleRate is ${describeValue(rate)}; ${expected}`);
  const sr = rate === undefined ? {} : { sampleRate: rate as number };
  const w = (top as { window?: unknown }).window;
  if (w === undefined) return sr;
  const field = (k: 'steps' | 'hop'): number => {
    const v = (w as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw E.malformed({ file }, `window.${k} is ${describeValue(v)}; ${expected}`);
    return v;
  };
  if (typeof w !== 'object' || w === null || Array.isArray(w)) throw E.malformed({ file }, `window is ${describeValue(w)}; ${expected}`);
  return { window: { steps: field('steps'), hop: field('hop') }, ...sr };
}

function loadDirectory(dir: string, spec: readonly VarSpec[], opts: LoadOptions): Dataset {
  const { window, sampleRate } = readDescriptor(dir);
  const ds = loadSplitsOf(dir, spec, sampleRate === undefined ? opts : { ...opts, sampleRate });
  if (!window) return ds;
  const cut = (s: SplitName) => windowSequences(ds[s], window.steps, window.hop);
  const windowed = { train: cut('train'), valid: cut('valid'), test: cut('test') };
  for (const s of splitNames) {
    if (windowed[s].length === 0) throw E.malformed({ file: join(dir, descriptorFile) }, `split '${s}' has no sequence of at least window.steps = ${window.steps} steps (the longest has ${Math.max(...ds[s].map((q) => q.length))}); lower window.steps or give longer sequences`);
  }
  return { ...ds, ...windowed };
}

function loadSplitsOf(dir: string, spec: readonly VarSpec[], opts: LoadOptions): Dataset {
  const entries = listDirectory(dir).filter((e) => e !== descriptorFile);
  const candidates = (s: SplitName) => entries.filter((e) => e === s || (e.startsWith(`${s}.`) && !e.toLowerCase().endsWith('.lengths.npy')));
  if (splitNames.some((s) => candidates(s).length > 0)) {
    const splits = {} as Record<SplitName, Sequence[]>;
    const files = {} as Record<SplitName, string>;
    let sampleRate: number | undefined;
    const notes: string[] = [];
    for (const s of splitNames) {
      const found = candidates(s);
      if (found.length === 0) throw E.missingSplit(dir, s, `${splitExtensions.map((x) => s + x).join(', ')} or a directory ${s}/ of .wav files`, entries);
      if (found.length > 1) throw E.malformed({ file: dir }, `split '${s}' is given more than once (${found.join(', ')}); keep one`);
      const r = readSequences(join(dir, found[0]!), spec, opts);
      if (r.sampleRate !== undefined && sampleRate !== undefined && r.sampleRate !== sampleRate) {
        throw E.malformed({ file: join(dir, found[0]!) }, `sample rate is ${r.sampleRate} Hz, other splits have ${sampleRate} Hz`);
      }
      sampleRate = r.sampleRate ?? sampleRate;
      notes.push(...(r.notes ?? []));
      splits[s] = r.sequences;
      files[s] = join(dir, found[0]!);
    }
    return finish(dir, splits, sampleRate, files, notes);
  }
  const wavs = wavFilesIn(dir);
  if (wavs.length === 0) throw E.missingSplit(dir, 'train', `train.* (${splitExtensions.join(', ')}), a directory train/, or .wav files`, entries);
  if (wavs.length < 3) {
    throw E.malformed({ file: dir }, `a directory of WAV files is split by sorted file name into train, valid and test (the first 80% train, then valid and test with max(1, ⌊N/10⌋) files each), so it needs at least 3 files; found ${wavs.length} (${wavs.join(', ')}). Add files, or make train/, valid/ and test/ subdirectories`);
  }
  const held = Math.max(1, Math.floor(wavs.length / 10));
  if (opts.columns) throw E.malformed({ file: dir }, `--columns ${opts.columns.text} maps the columns of frames in JSON, JSONL, NPY or CSV files; WAV audio has one column`);
  const { sequences, sampleRate, notes } = readWavFiles(dir, wavs, spec, opts.sampleRate);
  const n = wavs.length - 2 * held;
  return finish(dir, { train: sequences.slice(0, Math.max(0, n)), valid: sequences.slice(Math.max(0, n), n + held), test: sequences.slice(n + held) }, sampleRate, undefined, notes);
}

function finish(source: string, splits: Record<SplitName, Sequence[]>, sampleRate?: number, files?: Record<SplitName, string>, notes: readonly string[] = []): Dataset {
  for (const s of splitNames) if (splits[s].length === 0) throw E.emptySplit(source, s, files?.[s]);
  return { source, ...splits, ...(sampleRate === undefined ? {} : { sampleRate }), ...(notes.length ? { notes } : {}) };
}
