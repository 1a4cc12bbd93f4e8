/**
 * @file JSON and JSONL sequences. A sequence is an array of frames (models with one variable)
 * or an object `{"x": [frames], "pen": [frames], "id"?: ...}`; a frame is an array of `width`
 * numbers (a bare number when width is 1). A JSON file holds an array of sequences,
 * `{"sequences": [...]}`, or — as a whole dataset — `{"train": …, "valid": …, "test": …}`.
 * JSONL holds one sequence per non-blank line. For a model reading one `binary[88]` variable,
 * sequences of MIDI note lists are read as piano rolls (see pianoroll.ts).
 */
import { dataErrors as E, describeValue } from '../errors.js';
import { readText } from '../files.js';
import { splitNames, type Sequence, type SplitName, type VarSpec } from '../types.js';
import { makeSequence, valuesFromJsonFrames, whereOf, type SeqAt } from '../validate.js';
import { isPianoRollSpec, looksLikePianoRoll, pianoRollValues } from './pianoroll.js';

/** How sequences are encoded: dense frames, or piano-roll note lists; `auto` decides per file. */
export type JsonStyle = 'auto' | 'frames' | 'pianoroll';

/**
 * Parses `text` as JSON; otherwise a DataError giving the line and column when the parser
 * reports a position, and the parser's reason. `line` is the file line `text` starts on (JSONL).
 */
export function parseJson(file: string, text: string, line?: number): unknown {
  if (text.trim() === '') throw E.malformed(line === undefined ? { file } : { file, line }, 'file is empty; expected JSON: an array of sequences, {"sequences": [...]}, or {"train": [...], "valid": [...], "test": [...]}');
  try { return JSON.parse(text); } catch (e) {
    const msg = (e as Error).message;
    const reason = msg.replace(/,? in JSON at position.*$/s, '');
    const pos = /at position (\d+)/.exec(msg)?.[1];
    if (pos === undefined) throw E.malformed(line === undefined ? { file } : { file, line }, `not valid JSON: ${reason}`);
    const before = text.slice(0, Number(pos)).split('\n');
    throw E.malformed({ file, line: (line ?? 1) + before.length - 1 }, `not valid JSON at column ${before.at(-1)!.length + 1}: ${reason}`);
  }
}

/** Whether a parsed JSON value is a whole dataset: an object with train, valid and test keys. */
export function isSplitsObject(top: unknown): top is Record<SplitName, unknown> {
  return typeof top === 'object' && top !== null && !Array.isArray(top) && splitNames.every((s) => s in top);
}

/** The sequences of one JSON file that holds a single split. */
export function readJson(file: string, spec: readonly VarSpec[], style: JsonStyle = 'auto'): Sequence[] {
  const top = parseJson(file, readText(file));
  if (isSplitsObject(top)) throw E.malformed({ file }, 'file holds train, valid and test splits; give it as the whole dataset, not as one split');
  return sequencesFromList(file, listOf(file, top), spec, style);
}

/** The three splits of a JSON file `{"train": [...], "valid": [...], "test": [...]}`; messages name the split. */
export function readJsonSplits(file: string, top: Record<SplitName, unknown>, spec: readonly VarSpec[], style: JsonStyle = 'auto'): Record<SplitName, Sequence[]> {
  const lists = splitNames.map((s) => listOf(`${file}, split '${s}'`, top[s]));
  const pianoRoll = resolveStyle(style, spec, lists.flat());
  const [train, valid, test] = splitNames.map((s, i) => sequencesFromList(`${file}, split '${s}'`, lists[i]!, spec, pianoRoll));
  return { train: train!, valid: valid!, test: test! };
}

/** The sequences of a JSONL file, one per non-blank line; messages give the line. */
export function readJsonl(file: string, spec: readonly VarSpec[], style: JsonStyle = 'auto'): Sequence[] {
  const items: { line: number; value: unknown }[] = [];
  readText(file).split('\n').forEach((text, i) => {
    if (text.trim() !== '') items.push({ line: i + 1, value: parseJson(file, text, i + 1) });
  });
  const mode = resolveStyle(style, spec, items.map((x) => x.value));
  return items.map(({ line, value }, index) => sequenceFromJson({ file, index, id: idOf(value, index), lineOf: () => line }, spec, value, mode));
}

function listOf(file: string, top: unknown): unknown[] {
  if (Array.isArray(top)) return top;
  if (typeof top === 'object' && top !== null && Array.isArray((top as { sequences?: unknown }).sequences)) return (top as { sequences: unknown[] }).sequences;
  throw E.malformed({ file }, `found ${describeValue(top)}; expected an array of sequences or {"sequences": [...]}`);
}

function resolveStyle(style: JsonStyle, spec: readonly VarSpec[], seqs: readonly unknown[]): 'frames' | 'pianoroll' {
  if (style !== 'auto') return style;
  return isPianoRollSpec(spec) && looksLikePianoRoll(seqs, spec[0]!.elem === 'binary') ? 'pianoroll' : 'frames';
}

function sequencesFromList(file: string, list: readonly unknown[], spec: readonly VarSpec[], style: JsonStyle): Sequence[] {
  const mode = resolveStyle(style, spec, list);
  return list.map((value, index) => sequenceFromJson({ file, index, id: idOf(value, index) }, spec, value, mode));
}

function idOf(value: unknown, index: number): string {
  const id = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : String(index);
}

function sequenceFromJson(at: SeqAt, spec: readonly VarSpec[], value: unknown, mode: 'frames' | 'pianoroll'): Sequence {
  const read = (v: VarSpec, frames: unknown) => (mode === 'pianoroll' ? pianoRollValues(at, v, frames) : valuesFromJsonFrames(at, v, frames));
  const values = new Map<string, Float64Array>();
  if (Array.isArray(value)) {
    if (spec.length !== 1) throw E.badSequence(whereOf(at), describeValue(value), `an object with keys ${spec.map((v) => v.name).join(', ')} (the model reads several variables)`);
    values.set(spec[0]!.name, read(spec[0]!, value));
  } else if (typeof value === 'object' && value !== null) {
    if (spec.length === 1 && spec[0]!.label) throw E.badSequence(whereOf(at), describeValue(value), `an array of frames: ${spec[0]!.label} maps the columns of plain frames; sequences keyed by variable name need no --columns`);
    for (const key of Object.keys(value)) {
      if (key !== 'id' && !spec.some((v) => v.name === key)) throw E.unknownVariable(whereOf(at), key, spec);
    }
    for (const v of spec) {
      if (!(v.name in value)) throw E.missingVariable(whereOf(at), v, Object.keys(value).filter((k) => k !== 'id'));
      values.set(v.name, read(v, (value as Record<string, unknown>)[v.name]));
    }
  } else {
    throw E.badSequence(whereOf(at), describeValue(value), spec.length === 1 ? 'an array of frames' : `an object with keys ${spec.map((v) => v.name).join(', ')}`);
  }
  return makeSequence(at, spec, values);
}
