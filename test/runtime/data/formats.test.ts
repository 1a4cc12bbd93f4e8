/** @file JSON, JSONL, CSV, WAV and piano-roll readers round-trip small generated files. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv, splitCsvLine } from '../../../src/runtime/data/formats/csv.js';
import { readJson, readJsonl } from '../../../src/runtime/data/formats/json.js';
import { decodeWav, encodeWav16, readWavDirectory } from '../../../src/runtime/data/formats/wav.js';
import type { Sequence } from '../../../src/runtime/data/types.js';
import { binary, fixtures, le, real, tempDir, wavBytes } from './helpers.js';

const vals = (s: Sequence, name: string) => [...s.values.get(name)!];

describe('data/formats', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const a = [[1, 2], [3, 4], [5, 6]], b = [[-1, 0.5]];

  it('json: reads a bare array, {"sequences"}, and width-1 frames given as numbers', () => {
    for (const text of [JSON.stringify([a, b]), JSON.stringify({ sequences: [a, b] })]) {
      const seqs = readJson(tmp.write('s.json', text), [real('x', 2)]);
      expect(seqs.map((s) => [s.id, s.length, vals(s, 'x')])).to.deep.equal([['0', 3, a.flat()], ['1', 1, b.flat()]]);
    }
    const one = readJson(tmp.write('w1.json', '[[1, [2], 3]]'), [real('y', 1)]);
    expect(vals(one[0]!, 'y')).to.deep.equal([1, 2, 3]);
  });

  it('json: reads several variables from objects, with an optional id', () => {
    const text = JSON.stringify([{ id: 'w1', x: a, pen: [[0], [1], [1]] }, { pen: [0], x: b }]);
    const seqs = readJson(tmp.write('m.json', text), [real('x', 2), binary('pen', 1)]);
    expect(seqs.map((s) => [s.id, s.length, vals(s, 'x'), vals(s, 'pen')])).to.deep.equal([
      ['w1', 3, a.flat(), [0, 1, 1]], ['1', 1, b.flat(), [0]],
    ]);
  });

  it('jsonl: one sequence per line, blank lines skipped, same forms as JSON', () => {
    const f = tmp.write('s.jsonl', `${JSON.stringify(a)}\n\n${JSON.stringify({ id: 7, x: b })}\n`);
    expect(readJsonl(f, [real('x', 2)]).map((s) => [s.id, vals(s, 'x')])).to.deep.equal([['0', a.flat()], ['7', b.flat()]]);
  });

  it('csv: groups rows by sequence id and sorts each by t when rows are shuffled', () => {
    const rows = [['b', 1, 30, 31], ['a', 2, 5, 6], ['a', 0, 1, 2], ['b', 0, 20, 21], ['a', 1, 3, 4]];
    const f = tmp.write('s.csv', ['seq,t,u,v', ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n');
    const seqs = readCsv(f, [real('x', 2)]);
    expect(seqs.map((s) => [s.id, s.length, vals(s, 'x')])).to.deep.equal([
      ['b', 2, [20, 21, 30, 31]], ['a', 3, [1, 2, 3, 4, 5, 6]],
    ]);
  });

  it('csv: without a t column keeps file order; names columns x.0, x.1 / pen for several variables', () => {
    const f = tmp.write('m.csv', 'pen,x.1,"id",x.0\n1,2,s1,1\n0,4,s1,3\n');
    const [s] = readCsv(f, [real('x', 2), binary('pen', 1)]);
    expect([s!.id, vals(s!, 'x'), vals(s!, 'pen')]).to.deep.equal(['s1', [1, 2, 3, 4], [1, 0]]);
  });

  it('csv: splits quoted fields', () => {
    expect(splitCsvLine('"a,b", 1 ,"say ""hi"""')).to.deep.equal(['a,b', '1', 'say "hi"']);
  });

  it('wav: decodes a file Python\'s wave module wrote; encodeWav16 writes the same bytes', () => {
    const bytes = readFileSync(join(fixtures, 'python-wave-16bit.wav'));
    const audio = decodeWav(bytes, 'f.wav');
    const ints = [0, 16384, -16384, 32767, -32768, 1, -1, 8192];
    expect(audio.sampleRate).to.equal(8000);
    expect([...audio.samples]).to.deep.equal(ints.map((i) => i / 32768));
    expect(Buffer.from(encodeWav16(audio.samples, 8000)).equals(bytes)).to.equal(true);
  });

  it('wav: frames a directory of 16-bit PCM and 32-bit float files into D-sample frames, dropping the tail', () => {
    const dir = tempDir();
    dir.write('b.wav', wavBytes(1, 16, 16000, le(Int16Array.of(16384, -16384, 8192, 0, 1, 2, 3))));
    dir.write('a.wav', wavBytes(3, 32, 16000, le(Float32Array.of(0.25, -0.5, 1, 0.125))));
    dir.write('notes.txt', 'ignored');
    const { sequences, sampleRate } = readWavDirectory(dir.dir, [real('x', 3)]);
    expect(sampleRate).to.equal(16000);
    expect(sequences.map((s) => [s.id, s.length, vals(s, 'x')])).to.deep.equal([
      ['a.wav', 1, [0.25, -0.5, 1]], ['b.wav', 2, [0.5, -0.5, 0.25, 0, 1 / 32768, 2 / 32768]],
    ]);
    dir.remove();
  });

  it('pianoroll: note lists become 88 binary dims, note n at n - 21', () => {
    const f = tmp.write('p.json', JSON.stringify([[[21, 60, 108], [], [60, 60]]]));
    const [s] = readJson(f, [binary('x', 88)]);
    const x = s!.values.get('x')!;
    expect(s!.length).to.equal(3);
    const on = (t: number) => [...x.subarray(t * 88, (t + 1) * 88)].flatMap((v, d) => (v ? [d + 21] : []));
    expect([on(0), on(1), on(2)]).to.deep.equal([[21, 60, 108], [], [60]]);
  });

  it('pianoroll: dense 88-wide 0/1 frames for the same model still read as frames', () => {
    const frame = Array.from({ length: 88 }, (_, d) => (d % 2));
    const [s] = readJson(tmp.write('d.json', JSON.stringify([[frame]])), [binary('x', 88)]);
    expect(vals(s!, 'x')).to.deep.equal(frame);
  });
});
