/**
 * @file The polyphonic piano-roll JSON convention (Boulanger-Lewandowski et al. 2012): each
 * sequence is a list of time steps, each a list of the MIDI notes sounding then. Keys 21..108
 * (A0..C8) become 88 dimensions (1 = sounding), note n at dimension n − 21. Samples are also
 * written as MIDI files (pianoRollToMidi, with the `midi-file` package).
 */
import { dataErrors as E, describeValue } from '../errors.js';
import type { VarSpec } from '../types.js';
import { whereOf, type SeqAt } from '../validate.js';
import { writeMidi, type MidiEvent } from 'midi-file';

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

/** Ticks per quarter note in the MIDI files we write; one piano-roll step is an eighth note. */
export const midiTicksPerBeat = 480;

/**
 * A standard MIDI file (format 0, one track, piano on channel 1) playing a piano roll: one step
 * per eighth note at `bpm` beats per minute; a key sounds from the step it turns on (value > 0.5)
 * to the step it turns off; velocity 80. Frames are 88 values, key 21 first.
 */
export function pianoRollToMidi(frames: readonly (readonly number[])[], opts: { bpm?: number; title?: string } = {}): Uint8Array {
  const step = midiTicksPerBeat / 2;
  const events: MidiEvent[] = [
    { deltaTime: 0, meta: true, type: 'trackName', text: opts.title ?? 'seqppl sample' },
    { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: Math.round(60e6 / (opts.bpm ?? 120)) },
    { deltaTime: 0, type: 'programChange', channel: 0, programNumber: 0 },
  ];
  let last = 0;
  const on = new Array<boolean>(pianoKeys).fill(false);
  const at = (t: number, type: 'noteOn' | 'noteOff', k: number) => {
    events.push({ deltaTime: t * step - last, type, channel: 0, noteNumber: pianoLow + k, velocity: type === 'noteOn' ? 80 : 0 });
    last = t * step;
  };
  for (let t = 0; t <= frames.length; t++) {
    for (let k = 0; k < pianoKeys; k++) {
      const now = t < frames.length && frames[t]![k]! > 0.5;
      if (on[k] && !now) at(t, 'noteOff', k);
      else if (!on[k] && now) at(t, 'noteOn', k);
      on[k] = now;
    }
  }
  events.push({ deltaTime: frames.length * step - last, meta: true, type: 'endOfTrack' });
  return Uint8Array.from(writeMidi({ header: { format: 0, numTracks: 1, ticksPerBeat: midiTicksPerBeat }, tracks: [events] }));
}
