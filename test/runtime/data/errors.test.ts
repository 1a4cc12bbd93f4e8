/** @file Bad data: every kind of user mistake gives a DataError whose full message is pinned here. */
import { expect } from 'chai';
import { join } from 'node:path';
import { loadDataset, readSequences } from '../../../src/runtime/data/dataset.js';
import { DataError } from '../../../src/runtime/data/errors.js';
import type { VarSpec } from '../../../src/runtime/data/types.js';
import { binary, le, npyBytes, real, tempDir, wavBytes } from './helpers.js';

/** Asserts `f` throws a DataError with exactly `message`. */
function expectDataError(f: () => unknown, message: string): void {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  if (!(caught instanceof DataError)) throw new Error(`expected a DataError "${message}", got ${caught instanceof Error ? caught.stack : String(caught)}`);
  expect(caught.message).to.equal(message);
}

describe('data/errors', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const read = (name: string, text: string | Uint8Array, spec: readonly VarSpec[]) => () => readSequences(tmp.write(name, text), spec);
  const x200 = [real('x', 200)];
  const p = (name: string) => join(tmp.dir, name);

  it('errors: a JSON frame of the wrong width names file, sequence, step and the variable', () => {
    const seqs = [[Array(200).fill(0)], [Array(200).fill(0), Array(200).fill(1), [1, 2, 3]]];
    expectDataError(read('w.json', JSON.stringify(seqs), x200), `${p('w.json')}: sequence 1 (id "1"), step 2: frame has 3 values, model expects x : real[200]`);
  });

  it('errors: NPY frames of the wrong width', () => {
    expectDataError(read('w.npy', npyBytes('<f4', [1, 1, 3], le(Float32Array.of(1, 2, 3))), x200), `${p('w.npy')}: frame has 3 values, model expects x : real[200]`);
    expectDataError(read('w2.npy', npyBytes('<f4', [1, 1, 1], le(Float32Array.of(1))), [real('x', 1), binary('pen', 1)]),
      `${p('w2.npy')}: frame has 1 values, model expects x : real[1], pen : binary[1] (2 values, concatenated in this order)`);
  });

  it('errors: NaN and Inf are rejected with the dimension', () => {
    expectDataError(read('nan.npy', npyBytes('<f8', [2, 2, 1], le(Float64Array.of(0, 1, 2, NaN))), [real('x', 1)]), `${p('nan.npy')}: sequence 1 (id "1"), step 1: x[0] is NaN, expected a finite number`);
    expectDataError(read('inf.csv', 'id,t,a,b\ns,1,1,-inf\ns,0,1,2\n', [real('x', 2)]), `${p('inf.csv')}:2: sequence 0 (id "s"), step 1: x[1] is -Infinity, expected a finite number`);
    expectDataError(read('null.json', '[[[1, null]]]', [real('x', 2)]), `${p('null.json')}: sequence 0 (id "0"), step 0: x[1] is null, expected a number`);
  });

  it('errors: a binary variable takes only 0 and 1', () => {
    expectDataError(read('b.json', '[[[0, 1, 1], [0, 0.5, 1]]]', [binary('x', 3)]), `${p('b.json')}: sequence 0 (id "0"), step 1: x[1] is 0.5, expected 0 or 1 for x : binary[3]`);
  });

  it('errors: an empty split names the split and the dataset', () => {
    const d = tempDir();
    d.write('train.json', '[[[1]]]'); d.write('valid.json', '[]'); d.write('test.json', '[[[1]]]');
    expectDataError(() => loadDataset(d.dir, [real('x', 1)]), `split 'valid' in ${d.dir} is empty (${join(d.dir, 'valid.json')} has no sequences)`);
    const f = tmp.write('splits.json', '{"train": [[[1]]], "valid": [[[1]]], "test": {"sequences": []}}');
    expectDataError(() => loadDataset(f, [real('x', 1)]), `split 'test' in ${f} is empty`);
    d.remove();
  });

  it('errors: ragged rows — a CSV row with a missing column', () => {
    expectDataError(read('r.csv', 'seq,t,a,b\ns,0,1,2\ns,1,3\n', [real('x', 2)]), `${p('r.csv')}:3: sequence 0 (id "s"): row has 3 columns, header has 4`);
    expectDataError(read('r2.csv', 'seq,a,b\ns,1,2\nu,1,2\ns,3\n', [real('x', 2)]), `${p('r2.csv')}:4: sequence 0 (id "s"), step 1: row has 2 columns, header has 3`);
  });

  it('errors: a missing split lists the files found', () => {
    const d = tempDir();
    d.write('train.json', '[[[1]]]'); d.write('test.json', '[[[1]]]'); d.write('README.md', '');
    expectDataError(() => loadDataset(d.dir, [real('x', 1)]), `${d.dir}: no 'valid' split: expected valid.npy, valid.json, valid.jsonl, valid.csv or a directory valid/ of .wav files; found README.md, test.json, train.json`);
    const e = tempDir();
    e.write('notes.txt', '');
    expectDataError(() => loadDataset(e.dir, [real('x', 1)]), `${e.dir}: no 'train' split: expected train.* (.npy, .json, .jsonl, .csv), a directory train/, or .wav files; found notes.txt`);
    d.remove(); e.remove();
  });

  it('errors: unknown extensions, alone or as a split', () => {
    expectDataError(() => loadDataset(tmp.write('data.xyz', ''), x200), `${p('data.xyz')}: unknown data format '.xyz'; supported: .npy, .json, .jsonl, .csv, or a directory of .wav files`);
    const d = tempDir();
    d.write('train.h5', ''); d.write('valid.json', '[[[1]]]'); d.write('test.json', '[[[1]]]');
    expectDataError(() => loadDataset(d.dir, [real('x', 1)]), `${join(d.dir, 'train.h5')}: unknown data format '.h5'; supported: .npy, .json, .jsonl, .csv, or a directory of .wav files`);
    d.remove();
  });

  it('errors: unreadable and malformed files', () => {
    expectDataError(() => loadDataset(p('nowhere'), x200), `${p('nowhere')}: cannot read: no such file or directory`);
    // the parser's own reason (after the colon) is V8's wording and varies across Node versions
    expect(() => read('bad.jsonl', '[[1]]\n[[1]\n', [real('x', 1)])()).to.throw(DataError, new RegExp(`^${p('bad.jsonl')}:2: not valid JSON at column 5: .*']'`));
    expect(() => read('bad.json', '{"train":\n  [1,, 2]}', [real('x', 1)])()).to.throw(DataError, new RegExp(`^${p('bad.json')}: not valid JSON: `));
    expectDataError(read('bad.npy', 'hello', x200), `${p('bad.npy')}: not an NPY file (no \\x93NUMPY magic string)`);
    expectDataError(read('be.npy', npyBytes('>f8', [1, 1, 1], new Uint8Array(8)), x200), `${p('be.npy')}: dtype '>f8' is not supported; expected one of <f4, <f8, <i4, <i8, |u1, |b1`);
    expectDataError(read('fo.npy', npyBytes('<f8', [1, 1, 1], new Uint8Array(8), true), x200), `${p('fo.npy')}: array is in Fortran order; save it in C order (numpy.ascontiguousarray)`);
    expectDataError(read('short.npy', npyBytes('<f8', [1, 2, 1], new Uint8Array(8)), [real('x', 1)]), `${p('short.npy')}: file is truncated: shape (1, 2, 1) of <f8 needs 16 bytes of data, found 8`);
    expectDataError(() => loadDataset(tmp.write('one.csv', 'id,a\n'), x200), `${p('one.csv')}: one file holds one split only, unless it is a JSON object {"train": [...], "valid": [...], "test": [...]}; give a directory with train.*, valid.* and test.* instead`);
  });

  it('errors: NPY lengths out of range', () => {
    tmp.write('len.lengths.npy', npyBytes('<i8', [2], le(BigInt64Array.of(2n, 3n))));
    expectDataError(read('len.npy', npyBytes('<f8', [2, 2, 1], le(Float64Array.of(1, 2, 3, 4))), [real('x', 1)]), `${p('len.lengths.npy')}: sequence 1 (id "1"): length is 3, expected an integer from 1 to 2 (the array's T)`);
  });

  it('errors: JSON sequence shape — unknown and missing variables, unequal lengths, no steps', () => {
    const xp = [real('x', 1), binary('pen', 1)];
    expectDataError(read('k.json', '[{"x": [1], "y": [1]}]', xp), `${p('k.json')}: sequence 0 (id "0"): 'y' is not a variable the model reads; expected x, pen`);
    expectDataError(read('m.json', '[{"id": "a", "x": [1]}]', xp), `${p('m.json')}: sequence 0 (id "a"): no frames for pen : binary[1]; found x`);
    expectDataError(read('u.json', '[{"x": [1, 2], "pen": [1]}]', xp), `${p('u.json')}: sequence 0 (id "0"): x has 2 steps but pen has 1; every variable needs one frame per step`);
    expectDataError(read('a.json', '[[[1]]]', xp), `${p('a.json')}: sequence 0 (id "0"): sequence is an array of 1, expected an object with keys x, pen (the model reads several variables)`);
    expectDataError(read('e.json', '[[[1]], []]', [real('x', 1)]), `${p('e.json')}: sequence 1 (id "1"): sequence has no steps`);
    expectDataError(read('o.json', '{"seqs": []}', [real('x', 1)]), `${p('o.json')}: found an object with keys seqs; expected an array of sequences or {"sequences": [...]}`);
  });

  it('errors: CSV header and values', () => {
    expectDataError(read('h.csv', 'name,a\ns,1\n', [real('x', 1)]), `${p('h.csv')}:1: no sequence-id column (named seq, sequence or id); header is name, a`);
    expectDataError(read('c.csv', 'id,a,b,c\ns,1,2,3\n', [real('x', 2)]), `${p('c.csv')}:1: 3 feature columns (a, b, c), model expects x : real[2]`);
    expectDataError(read('mc.csv', 'id,x.0,pen\ns,1,0\n', [real('x', 2), binary('pen', 1)]), `${p('mc.csv')}:1: no column x.1 for x : real[2]; header is id, x.0, pen`);
    expectDataError(read('v.csv', 'id,a\ns,1\ns,abc\n', [real('x', 1)]), `${p('v.csv')}:3: sequence 0 (id "s"), step 1: column 'a' is "abc", expected a decimal number such as 16, -0.5 or 1.6e1 (hexadecimal, binary, thousands separators and units are not read)`);
    expectDataError(read('d.csv', 'id,t,a\ns,0,1\ns,0,2\n', [real('x', 1)]), `${p('d.csv')}:3: sequence 0 (id "s"), step 1: t = 0 also on line 2; each step of a sequence needs its own row`);
  });

  it('errors: piano-roll notes outside 21..108 are named', () => {
    const f = tmp.write('piano.json', JSON.stringify({ train: [[[60], [12, 64]]], valid: [[[60]]], test: [[[60]]] }));
    expectDataError(() => loadDataset(f, [binary('x', 88)]), `${f}, split 'train': sequence 0 (id "0"), step 1: note 12 is outside the piano range 21..108`);
    expectDataError(() => loadDataset(f, [binary('x', 88)], { json: 'pianoroll' }), `${f}, split 'train': sequence 0 (id "0"), step 1: note 12 is outside the piano range 21..108`);
  });

  it('errors: WAV files of an unsupported width, too short, or for the wrong model', () => {
    const wav = (dir: string, bytes: Uint8Array, spec: readonly VarSpec[]) => () => { tmp.write(`${dir}/a.wav`, bytes); return readSequences(p(dir), spec); };
    expectDataError(wav('u12', wavBytes(1, 16, 8000, new Uint8Array(8)).fill(12, 34, 35), [real('x', 1)]), `${p('u12/a.wav')}: audio is PCM 12-bit; expected PCM of 8, 16, 24 or 32 bits or float of 32 or 64 bits`);
    expectDataError(wav('sh', wavBytes(1, 16, 8000, new Uint8Array(4)), [real('x', 3)]), `${p('sh/a.wav')}: audio has 2 samples, fewer than one frame of x : real[3]`);
    expectDataError(wav('bin', wavBytes(1, 16, 8000, new Uint8Array(4)), [binary('x', 1)]), `${p('bin')}: WAV data fills one real variable; model expects x : binary[1]`);
    tmp.write('rate/b.wav', wavBytes(1, 16, 16000, new Uint8Array(4)));
    expectDataError(wav('rate', wavBytes(1, 16, 8000, new Uint8Array(4)), [real('x', 1)]), `${p('rate/b.wav')}: sample rate is 16000 Hz, but a.wav has 8000 Hz; all files must share one rate, or give the rate to convert them to in the dataset's dataset.json: {"sampleRate": 8000}`);
    expectDataError(wav('txt', new TextEncoder().encode('not audio'), [real('x', 1)]), `${p('txt/a.wav')}: not a WAV file (no RIFF/WAVE header in its first 12 bytes; it has 9 bytes)`);
  });

  it('errors: DataError is an Error named DataError carrying where and detail', () => {
    try { readSequences(tmp.write('e2.json', '[[]]'), [real('x', 1)]); } catch (e) {
      expect(e).to.be.instanceOf(Error);
      expect((e as DataError).name).to.equal('DataError');
      expect((e as DataError).detail).to.equal('sequence has no steps');
      expect((e as DataError).where).to.deep.equal({ file: p('e2.json'), seq: { index: 0, id: '0' } });
      return;
    }
    expect.fail('no error');
  });
});
