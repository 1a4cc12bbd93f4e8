/**
 * @file The polyphonic piano-roll JSON convention (Boulanger-Lewandowski et al. 2012): each
 * sequence is a list of time steps, each a list of the MIDI notes sounding then. Keys 21..108
 * (A0..C8) become 88 dimensions (1 = sounding), note n at dimension n − 21.
 */
import { dataErrors as E, describeValue } from '../errors.js';
import type { VarSpec } from '../types.js';
import { whereOf, type SeqAt } from '../validate.js';

/** The lowest and highest piano keys as MIDI note numbers. */
export const pianoLow = 21, pianoHigh = 108;
/** Number of piano keys, the width of a piano-roll frame. */
export const pianoKeys = pianoHigh - pianoLow + 1;

/** Whether the spec is the one variable a piano roll can fill: 88 wide, `binary` (Bernoulli keys) or `real` (Gaussian baselines). */
export function isPianoRollSpec(spec: readonly VarSpec[]): boolean {
  return spec.length === 1 && spec[0]!.width === pianoKeys;
}

/**
 * Whether JSON sequences (lists of frames) are note lists rather than dense frames: some frame
 * is empty, or is a list of MIDI note numbers 21..108 of another length than 88, or (for a binary
 * variable) holds a number above 1. Dense 88-wide frames are none of these.
 */
export function looksLikePianoRoll(sequences: readonly unknown[], binary = true): boolean {
  for (const s of sequences) {
    if (!Array.isArray(s)) continue;
    for (const f of s) {
      if (!Array.isArray(f)) continue;
      if (f.length === 0) return true;
      if (f.length !== pianoKeys && f.every((x) => Number.isInteger(x) && x >= pianoLow && x <= pianoHigh)) return true;
      if (binary && f.some((x) => typeof x === 'number' && x > 1)) return true;
    }
  }
  return false;
}

/** The 88-wide row-major binary values of one piano-roll sequence. */
export function pianoRollValues(at: SeqAt, v: VarSpec, seq: unknown): Float64Array {
  if (v.width !== pianoKeys) throw E.malformed(whereOf(at), `piano-roll data has ${pianoKeys} binary values per step (keys ${pianoLow}..${pianoHigh}), model expects ${v.name} : ${v.elem}[${v.width}]`);
  if (!Array.isArray(seq)) throw E.badSequence(whereOf(at), describeValue(seq), 'a list of time steps, each a list of MIDI notes');
  const out = new Float64Array(seq.length * pianoKeys);
  seq.forEach((step: unknown, t) => {
    if (!Array.isArray(step)) throw E.malformed(whereOf(at, t), `step is ${describeValue(step)}, expected a list of MIDI note numbers`);
    for (const note of step as unknown[]) {
      if (typeof note !== 'number' || !Number.isInteger(note)) throw E.malformed(whereOf(at, t), `note ${describeValue(note)} is not an integer MIDI note number`);
      if (note < pianoLow || note > pianoHigh) throw E.malformed(whereOf(at, t), `note ${note} is outside the piano range ${pianoLow}..${pianoHigh}`);
      out[t * pianoKeys + note - pianoLow] = 1;
    }
  });
  return out;
}
