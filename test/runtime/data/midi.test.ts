/** @file Piano-roll samples as MIDI: the file parses back (midi-file) to the same notes, and the dataset builder's quantizer recovers the roll. */
import { expect } from 'chai';
import { parseMidi } from 'midi-file';
import { midiToRoll } from '../../../scripts/datasets/music.js';
import { pianoRollToMidi } from '../../../src/runtime/data/formats/pianoroll.js';

describe('data/midi', () => {
  const roll = (notes: number[][]) => notes.map((ns) => Array.from({ length: 88 }, (_, k) => (ns.includes(k + 21) ? 1 : 0)));

  it('midi: notes start and stop on eighth-note steps at 120 bpm; a held key is one note', () => {
    const bytes = pianoRollToMidi(roll([[60, 64], [60, 64], [60], [], [21, 108]]));
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).to.equal('MThd');
    const midi = parseMidi(bytes);
    expect([midi.header.format, midi.header.ticksPerBeat, midi.tracks.length]).to.deep.equal([0, 480, 1]);
    let t = 0;
    const notes = midi.tracks[0]!.flatMap((e) => { t += e.deltaTime; return e.type === 'noteOn' || e.type === 'noteOff' ? [[t, e.type, e.noteNumber]] : []; });
    expect(notes).to.deep.equal([
      [0, 'noteOn', 60], [0, 'noteOn', 64], [480, 'noteOff', 64], [720, 'noteOff', 60], [960, 'noteOn', 21], [960, 'noteOn', 108], [1200, 'noteOff', 21], [1200, 'noteOff', 108],
    ]);
    const tempo = midi.tracks[0]!.find((e) => e.type === 'setTempo') as { microsecondsPerBeat: number };
    expect(tempo.microsecondsPerBeat).to.equal(500000);
  });

  it('midi: the music builder quantizes a written roll back to the same steps', () => {
    const steps = [[60, 64, 67], [60], [], [72], [72, 76], [40]];
    expect(midiToRoll(pianoRollToMidi(roll(steps)), 'sample.mid').steps).to.deep.equal(steps);
  });
});
