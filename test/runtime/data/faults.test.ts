/**
 * @file Bad files of every supported format (issue 10): truncated, empty, wrong dtype, NaN/Inf,
 * ragged, malformed headers. Each gives a DataError whose full message names the file (and
 * sequence/step or line/column), says what was expected and how to fix it; through the CLI each
 * exits 4 with no stack trace.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { readSequences } from '../../../src/runtime/data/dataset.js';
import { DataError } from '../../../src/runtime/data/errors.js';
import type { VarSpec } from '../../../src/runtime/data/types.js';
import { fixtures, le, npyBytes, real, tempDir, wavBytes } from './helpers.js';

function expectDataError(f: () => unknown, message: string): void {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  if (!(caught instanceof DataError)) throw new Error(`expected a DataError "${message}", got ${caught instanceof Error ? caught.stack : String(caught)}`);
  expect(caught.message).to.equal(message);
}

describe('data/faults: bad files of every format', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const x1 = [real('x', 1)], x2 = [real('x', 2)];
  const read = (name: string, data: string | Uint8Array, spec: readonly VarSpec[] = x1) => () => readSequences(tmp.write(name, data), spec);
  const p = (n: string) => join(tmp.dir, n);

  it('faults: WAV cut to 30 bytes, cut inside its data, empty, and a directory without WAV files', () => {
    const good = readFileSync(join(fixtures, 'python-wave-16bit.wav'));
    expectDataError(() => readSequences(join(tmp.dir, 'w30'), x1), `${p('w30')}: cannot read: no such file or directory`);
    tmp.write('w30/a.wav', good.subarray(0, 30));
    expectDataError(() => readSequences(p('w30'), x1), `${p('w30/a.wav')}: file is truncated: it ends at byte 30, inside the fmt chunk (bytes 20..35); the file was probably cut short while copying`);
    tmp.write('wcut/a.wav', good.subarray(0, good.length - 3));
    expectDataError(() => readSequences(p('wcut'), x1), `${p('wcut/a.wav')}: file is truncated: the data chunk declares 16 bytes, the file holds 13 after its header; the file was probably cut short while copying`);
    tmp.write('wempty/a.wav', new Uint8Array(0));
    expectDataError(() => readSequences(p('wempty'), x1), `${p('wempty/a.wav')}: file is empty; expected a WAV file (RIFF/WAVE header, fmt and data chunks)`);
    tmp.write('nowav/notes.txt', 'x');
    expectDataError(() => readSequences(p('nowav'), x1), `${p('nowav')}: no .wav files in this directory; expected WAV files or one data file (.npy, .json, .jsonl, .csv); found notes.txt`);
    tmp.write('splits/train.json', '[[1]]'); tmp.write('splits/valid.json', '[[1]]'); tmp.write('splits/test.json', '[[1]]');
    expectDataError(() => readSequences(p('splits'), x1), `${p('splits')}: this is a dataset directory with splits (test.json, train.json, valid.json), but one split's sequences are expected here: give one of them, e.g. ${p('splits/test.json')}`);
  });

  it('faults: a float WAV holding NaN names the step', () => {
    tmp.write('wnan/a.wav', wavBytes(3, 32, 8000, le(Float32Array.of(0, 0.5, NaN, 1))));
    expectDataError(() => readSequences(p('wnan'), x2), `${p('wnan/a.wav')}: sequence 0 (id "a.wav"), step 1: x[0] is NaN, expected a finite number`);
  });

  it('faults: NPY headers with a negative or fractional dimension blame the header, not the data', () => {
    const hdr = (shape: string) => {
      const b = npyBytes('<f8', [1, 1, 1], le(Float64Array.of(1)));
      const text = Buffer.from(b.subarray(10, 74)).toString('latin1').replace('(1, 1, 1)', shape.padEnd(9, ' '));
      b.set(Buffer.from(text, 'latin1'), 10);
      return b;
    };
    expectDataError(read('neg.npy', hdr('(1, -3, 1)')), `${p('neg.npy')}: NPY header field 'shape' is (1, -3, 1): dimension 1 is '-3', expected a non-negative integer. The header is malformed, not the data: rewrite the file with numpy.save`);
    expectDataError(read('frac.npy', hdr('(1, 2.5)')), `${p('frac.npy')}: NPY header field 'shape' is (1, 2.5): dimension 1 is '2.5', expected a non-negative integer. The header is malformed, not the data: rewrite the file with numpy.save`);
    expectDataError(read('empty.npy', ''), `${p('empty.npy')}: file is empty; expected an NPY file (numpy.save)`);
    const b = npyBytes('<f8', [1, 1, 1], le(Float64Array.of(1)));
    expectDataError(read('hcut.npy', b.subarray(0, 40)), `${p('hcut.npy')}: NPY header is truncated: its length field says 118 bytes, the file has 30 after it`);
    expectDataError(read('c16.npy', npyBytes('<c16', [1, 1, 1], new Uint8Array(16))), `${p('c16.npy')}: dtype '<c16' is not supported; expected one of <f4, <f8, <i4, <i8, |u1, |b1`);
    expectDataError(read('inf.npy', npyBytes('<f4', [1, 2, 1], le(Float32Array.of(1, Infinity)))), `${p('inf.npy')}: sequence 0 (id "0"), step 1: x[0] is Infinity, expected a finite number`);
  });

  it('faults: CSV cells that are not decimal numbers (0x10 is not 16) name the line, sequence, step and column', () => {
    expectDataError(read('hex.csv', 'id,a\ns,1\ns,0x10\n'), `${p('hex.csv')}:3: sequence 0 (id "s"), step 1: column 'a' is "0x10", expected a decimal number such as 16, -0.5 or 1.6e1 (hexadecimal, binary, thousands separators and units are not read)`);
    expectDataError(read('unit.csv', 'id,a\ns,3kg\n'), `${p('unit.csv')}:2: sequence 0 (id "s"), step 0: column 'a' is "3kg", expected a decimal number such as 16, -0.5 or 1.6e1 (hexadecimal, binary, thousands separators and units are not read)`);
    expect(readSequences(tmp.write('ok.csv', 'id,a\ns,-1.5e2\ns,.5\ns,7.\n'), x1).sequences[0]!.values.get('x')).to.deep.equal(Float64Array.of(-150, 0.5, 7));
    expectDataError(read('empty.csv', ''), `${p('empty.csv')}: file is empty; expected a header row`);
  });

  it('faults: JSON and JSONL files that are empty, truncated, ragged or of the wrong type', () => {
    expectDataError(read('empty.json', '  \n'), `${p('empty.json')}: file is empty; expected JSON: an array of sequences, {"sequences": [...]}, or {"train": [...], "valid": [...], "test": [...]}`);
    expect(() => read('cut.json', '[[[1, 2], [3')()).to.throw(DataError, new RegExp(`^${p('cut.json')}:1: not valid JSON at column`));
    expectDataError(read('rag.json', '[[[1, 2], [3]]]', x2), `${p('rag.json')}: sequence 0 (id "0"), step 1: frame has 1 values, model expects x : real[2]`);
    expectDataError(read('str.jsonl', '[[1, "2"]]\n', x2), `${p('str.jsonl')}:1: sequence 0 (id "0"), step 0: x[1] is the string "2", expected a number`);
    expectDataError(read('big.json', '[[1e999]]'), `${p('big.json')}: sequence 0 (id "0"), step 0: x[0] is Infinity, expected a finite number`);
    expectDataError(read('bool.json', '[[true]]'), `${p('bool.json')}: sequence 0 (id "0"), step 0: frame is true, expected an array of 1 numbers for x : real[1]`);
  });

  it('faults: piano rolls with non-integer notes, non-list steps and wrong widths', () => {
    const roll = [{ name: 'x', width: 88, elem: 'binary' as const }];
    expectDataError(read('pr1.json', '[[[60], [61.5]]]', roll), `${p('pr1.json')}: sequence 0 (id "0"), step 1: note 61.5 is not an integer MIDI note number`);
    expectDataError(() => readSequences(tmp.write('pr2.json', '[[[60], 61]]'), roll, { json: 'pianoroll' }), `${p('pr2.json')}: sequence 0 (id "0"), step 1: step is 61, expected a list of MIDI note numbers`);
  });

  it('faults: through the CLI every bad file exits 4 with one message and no stack trace', async () => {
    const d = tempDir();
    const good = readFileSync(join(fixtures, 'python-wave-16bit.wav'));
    for (const s of ['train', 'valid', 'test']) d.write(`data/${s}/a.wav`, s === 'valid' ? good.subarray(0, 30) : good);
    let err = '';
    const term = { out: () => {}, err: (t: string) => { err += t; } };
    const model = new URL('../../../examples/rnn_normal.seq', import.meta.url).pathname;
    const code = await main(['train', model, '--data', `${d.dir}/data`, '--set', 'x_dim=2', '--set', 'h_dim=4', '--set', 'f_dim=4', '--steps', '1', '--out', `${d.dir}/run`], term);
    expect(code).to.equal(4);
    expect(err.trim()).to.equal(`seqc: bad data: ${d.dir}/data/valid/a.wav: file is truncated: it ends at byte 30, inside the fmt chunk (bytes 20..35); the file was probably cut short while copying`);
    expect(err).to.not.match(/\n\s+at /);
    d.remove();
  });
});
