/**
 * @file WAV audio: PCM of 8 (unsigned), 16, 24 or 32 bits, or IEEE float of 32 or 64 bits (plain
 * or WAVE_FORMAT_EXTENSIBLE), any number of channels (mixed down to their mean, with a note). A
 * file's samples (PCM scaled by 2^-(bits-1) into [-1, 1)) are cut into frames of D consecutive
 * samples, D the width of the model's one real variable; a last partial frame is dropped.
 * Every file must have the same sample rate, unless the dataset's dataset.json names one to
 * convert them all to (`{"sampleRate": 16000}`, see resample.ts).
 */
import { join } from 'node:path';
import { dataErrors as E, type DataError } from '../errors.js';
import { extensionOf, listDirectory, readBytes } from '../files.js';
import { describeVar, type Sequence, type VarSpec } from '../types.js';
import { makeSequence } from '../validate.js';
import { resample } from './resample.js';

/** Decoded audio: samples per second, mono samples as float64, and how many channels were mixed down. */
export interface Audio {
  readonly sampleRate: number;
  readonly samples: Float64Array;
  readonly channels: number;
}

/** Sequences cut from WAV files and their common sample rate. */
export interface WavSequences {
  readonly sequences: Sequence[];
  readonly sampleRate: number;
  /** What was changed on the way in (channels mixed down, rates converted), one line per kind, for the caller to show. */
  readonly notes: string[];
}

const PCM = 1, FLOAT = 3, EXTENSIBLE = 0xfffe;

/** Decodes the bytes of a WAV file; `file` names it in errors. */
export function decodeWav(bytes: Uint8Array, file: string): Audio {
  const bad = (detail: string): DataError => E.malformed({ file }, detail);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length === 0) throw bad('file is empty; expected a WAV file (RIFF/WAVE header, fmt and data chunks)');
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw bad(`not a WAV file (no RIFF/WAVE header in its first 12 bytes; it has ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at), size = view.getUint32(at + 4, true), body = at + 8;
    if (id === 'fmt ') {
      if (size < 16) throw bad(`fmt chunk is ${size} bytes; expected at least 16`);
      if (body + 16 > bytes.length) throw bad(`file is truncated: it ends at byte ${bytes.length}, inside the fmt chunk (bytes ${body}..${body + size - 1}); the file was probably cut short while copying`);
      let format = view.getUint16(body, true);
      if (format === EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt) throw bad('data chunk comes before the fmt chunk');
      if (fmt.channels < 1) throw bad('fmt chunk says 0 channels');
      // 0 and 0xFFFFFFFF are what streaming writers leave when they cannot seek back: read to the end.
      const streamed = size === 0 || size === 0xffffffff;
      if (!streamed && body + size > bytes.length) throw bad(`file is truncated: the data chunk declares ${size} bytes, the file holds ${bytes.length - body} after its header; the file was probably cut short while copying`);
      const len = streamed ? bytes.length - body : size;
      const get = sampleReader(view, fmt.format, fmt.bits);
      if (!get) throw bad(`audio is ${fmt.format === PCM ? 'PCM' : fmt.format === FLOAT ? 'float' : `format ${fmt.format}`} ${fmt.bits}-bit; expected PCM of 8, 16, 24 or 32 bits or float of 32 or 64 bits`);
      const bytesPer = fmt.bits / 8, frameBytes = bytesPer * fmt.channels;
      const n = Math.floor(len / frameBytes);
      const samples = new Float64Array(n);
      // Several channels are mixed down to their mean.
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < fmt.channels; c++) s += get(body + i * frameBytes + c * bytesPer);
        samples[i] = s / fmt.channels;
      }
      return { sampleRate: fmt.rate, samples, channels: fmt.channels };
    }
    at = body + size + (size & 1);
  }
  throw bad(fmt ? 'no data chunk (the file ends after its header chunks; it may be truncated)' : `no fmt chunk in ${bytes.length} bytes (the file may be truncated)`);
}

/** A reader of one sample scaled to [-1, 1) (PCM by 2^(bits-1); 8-bit PCM is unsigned), or undefined if unsupported. */
function sampleReader(view: DataView, format: number, bits: number): ((at: number) => number) | undefined {
  if (format === PCM) {
    switch (bits) {
      case 8: return (at) => (view.getUint8(at) - 128) / 128;
      case 16: return (at) => view.getInt16(at, true) / 32768;
      case 24: return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16))) / 8388608;
      case 32: return (at) => view.getInt32(at, true) / 2147483648;
    }
  }
  if (format === FLOAT && bits === 32) return (at) => view.getFloat32(at, true);
  if (format === FLOAT && bits === 64) return (at) => view.getFloat64(at, true);
  return undefined;
}

/** Encodes mono samples in [-1, 1] as a 16-bit PCM WAV file (values clipped, rounded to nearest). */
export function encodeWav16(samples: ArrayLike<number>, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const tag = (at: number, s: string) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  tag(0, 'RIFF'); view.setUint32(4, 36 + samples.length * 2, true); tag(8, 'WAVE');
  tag(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, PCM, true); view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true); view.setUint32(28, sampleRate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  tag(36, 'data'); view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768))), true);
  return out;
}

/** The `.wav` file names of a directory, sorted. */
export function wavFilesIn(dir: string): string[] {
  return listDirectory(dir).filter((f) => extensionOf(f) === '.wav');
}

/** Reads the named WAV files of `dir` (in the order given) as one sequence each, id = file name. */
export function readWavFiles(dir: string, names: readonly string[], spec: readonly VarSpec[], targetRate?: number): WavSequences {
  const v = spec[0]!;
  if (spec.length !== 1 || v.elem !== 'real') {
    throw E.malformed({ file: dir }, `WAV data fills one real variable; model expects ${spec.map(describeVar).join(', ')}`);
  }
  let sampleRate = targetRate ?? 0;
  let mixed = 0, converted = 0;
  const sequences = names.map((name, index) => {
    const file = join(dir, name);
    const audio = decodeWav(readBytes(file), file);
    if (audio.channels > 1) mixed++;
    let samples = audio.samples;
    if (targetRate !== undefined && audio.sampleRate !== targetRate) { samples = resample(samples, audio.sampleRate, targetRate); converted++; }
    if (targetRate === undefined && index > 0 && audio.sampleRate !== sampleRate) {
      throw E.malformed({ file }, `sample rate is ${audio.sampleRate} Hz, but ${names[0]} has ${sampleRate} Hz; all files must share one rate, or give the rate to convert them to in the dataset's dataset.json: {"sampleRate": ${sampleRate}}`);
    }
    if (targetRate === undefined) sampleRate = audio.sampleRate;
    const frames = Math.floor(samples.length / v.width);
    if (frames === 0) throw E.malformed({ file }, `audio has ${samples.length} samples, fewer than one frame of ${describeVar(v)}`);
    return makeSequence({ file, index, id: name }, spec, new Map([[v.name, samples.slice(0, frames * v.width)]]));
  });
  const notes = [
    ...(mixed ? [`${dir}: ${mixed} of ${names.length} WAV files have several channels; each was mixed down to mono (the mean of its channels)`] : []),
    ...(converted ? [`${dir}: ${converted} of ${names.length} WAV files were resampled to ${targetRate} Hz (dataset.json sampleRate)`] : []),
  ];
  return { sequences, sampleRate, notes };
}

/** Reads every `.wav` file of `dir`, sorted by name. */
export function readWavDirectory(dir: string, spec: readonly VarSpec[], targetRate?: number): WavSequences {
  const names = wavFilesIn(dir);
  if (names.length === 0) {
    const entries = listDirectory(dir);
    const splits = entries.filter((e) => /^(train|valid|test)(\.|$)/.test(e));
    if (splits.length) {
      const pick = splits.find((e) => e.startsWith('test')) ?? splits[0]!;
      throw E.malformed({ file: dir }, `this is a dataset directory with splits (${splits.join(', ')}), but one split's sequences are expected here: give one of them, e.g. ${join(dir, pick)}`);
    }
    throw E.malformed({ file: dir }, `no .wav files in this directory; expected WAV files or one data file (.npy, .json, .jsonl, .csv); found ${entries.length ? entries.join(', ') : 'nothing'}`);
  }
  return readWavFiles(dir, names, spec, targetRate);
}
