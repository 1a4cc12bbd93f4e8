/** @file loadDataset: directories of split files in mixed formats, one-file datasets, WAV splits. */
import { expect } from 'chai';
import { loadDataset } from '../../../src/runtime/data/dataset.js';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/examples.js';
import { binary, le, npyBytes, real, tempDir, wavBytes } from './helpers.js';

describe('data/dataset', () => {
  it('dataset: a directory with train.npy (+ lengths), valid.csv and test.jsonl', () => {
    const d = tempDir();
    d.write('train.npy', npyBytes('<f4', [2, 2, 2], le(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8))));
    d.write('train.lengths.npy', npyBytes('<i4', [2], le(Int32Array.of(2, 1))));
    d.write('valid.csv', 'id,a,b\nv,1,2\n');
    d.write('test.jsonl', '[[1, 2], [3, 4]]\n');
    const ds = loadDataset(d.dir, [real('x', 2)]);
    expect([ds.source, ds.train.map((s) => s.length), ds.valid.map((s) => s.id), ds.test.length, ds.sampleRate]).to.deep.equal([d.dir, [2, 1], ['v'], 1, undefined]);
    d.remove();
  });

  it('dataset: train/, valid/, test/ directories of WAV files record the sample rate', () => {
    const d = tempDir();
    for (const s of ['train', 'valid', 'test']) d.write(`${s}/a.wav`, wavBytes(1, 16, 22050, new Uint8Array(8)));
    const ds = loadDataset(d.dir, [real('x', 2)]);
    expect([ds.sampleRate, ds.train[0]!.length, ds.test[0]!.id]).to.deep.equal([22050, 2, 'a.wav']);
    d.remove();
  });

  it('dataset: one JSON file {"train", "valid", "test"} of dense frames or of piano rolls', () => {
    const d = tempDir();
    const f = d.write('all.json', JSON.stringify({ train: [[[1], [2]], [[3]]], valid: [[[4]]], test: { sequences: [[[5]]] } }));
    const ds = loadDataset(f, [real('x', 1)]);
    expect([ds.train.length, [...ds.test[0]!.values.get('x')!]]).to.deep.equal([2, [5]]);
    const pr = d.write('piano.json', JSON.stringify({ train: [[[60, 64], []]], valid: [[[21]]], test: [[[108]]] }));
    const ps = loadDataset(pr, [binary('notes', 88)]);
    expect([ps.train[0]!.length, ps.valid[0]!.values.get('notes')![0], ps.test[0]!.values.get('notes')![87]]).to.deep.equal([2, 1, 1]);
    d.remove();
  });

  it('dataset: a flat directory of WAV files splits 80/10/10 by sorted file name', () => {
    const d = tempDir();
    const names = Array.from({ length: 20 }, (_, i) => `take${String(i).padStart(2, '0')}.wav`);
    for (const n of [...names].reverse()) d.write(n, wavBytes(3, 32, 8000, le(Float32Array.of(0.5))));
    const ds = loadDataset(d.dir, [real('x', 1)]);
    expect([ds.train.map((s) => s.id), ds.valid.map((s) => s.id), ds.test.map((s) => s.id)]).to.deep.equal([names.slice(0, 16), names.slice(16, 18), names.slice(18)]);
    d.remove();
  });

  it('dataset: three WAV files give one per split; two are refused with the rule', () => {
    const d = tempDir();
    for (const n of ['a', 'b', 'c']) d.write(`${n}.wav`, wavBytes(1, 16, 8000, new Uint8Array(2)));
    expect(Object.values(loadDataset(d.dir, [real('x', 1)])).filter(Array.isArray).map((s) => s.length)).to.deep.equal([1, 1, 1]);
    const e = tempDir();
    for (const n of ['a', 'b']) e.write(`${n}.wav`, wavBytes(1, 16, 8000, new Uint8Array(2)));
    expect(() => loadDataset(e.dir, [real('x', 1)])).to.throw(`${e.dir}: a directory of WAV files is split by sorted file name into train, valid and test (the first 80% train, then valid and test with max(1, ⌊N/10⌋) files each), so it needs at least 3 files; found 2 (a.wav, b.wav). Add files, or make train/, valid/ and test/ subdirectories`);
    d.remove(); e.remove();
  });

  it('dataset: dataset.json windows every split: S steps every H steps, short tails and sequences dropped', () => {
    const d = tempDir();
    const seq = (n: number) => JSON.stringify([Array.from({ length: n }, (_, t) => [t])]);
    d.write('train.json', seq(7)); d.write('valid.json', seq(4)); d.write('test.json', seq(5));
    d.write('dataset.json', JSON.stringify({ window: { steps: 4, hop: 2 } }));
    const ds = loadDataset(d.dir, [real('x', 1)]);
    expect(ds.train.map((s) => [s.id, [...s.values.get('x')!]])).to.deep.equal([['0@0', [0, 1, 2, 3]], ['0@2', [2, 3, 4, 5]]]);
    expect([ds.valid.map((s) => s.id), ds.test.map((s) => s.id)]).to.deep.equal([['0@0'], ['0@0']]);
    d.write('dataset.json', JSON.stringify({ window: { steps: 6, hop: 2 } }));
    expect(() => loadDataset(d.dir, [real('x', 1)])).to.throw(`${d.dir}/dataset.json: split 'valid' has no sequence of at least window.steps = 6 steps (the longest has 4); lower window.steps or give longer sequences`);
    d.write('dataset.json', JSON.stringify({ window: { steps: 2.5, hop: 2 } }));
    expect(() => loadDataset(d.dir, [real('x', 1)])).to.throw(`${d.dir}/dataset.json: window.steps is 2.5; expected {"window": {"steps": S, "hop": H}, "sampleRate": R}, each field optional, with positive integers S, H and R`);
    d.write('dataset.json', JSON.stringify({ windows: 3 }));
    expect(() => loadDataset(d.dir, [real('x', 1)])).to.throw(`${d.dir}/dataset.json: unknown field 'windows'; expected {"window": {"steps": S, "hop": H}, "sampleRate": R}, each field optional, with positive integers S, H and R`);
    d.remove();
  });

  it('dataset: the built-in speech data loads as 0.5 s sequences of 200-sample frames at 16 kHz', () => {
    const ds = loadDataset(join(repoRoot, 'data', 'speech'), [real('x', 200)]);
    expect([ds.sampleRate, ds.train.length, ds.valid.length, ds.test.length, ds.train[0]!.length]).to.deep.equal([16000, 420, 66, 46, 40]);
    const ids = (s: readonly { id: string }[]) => new Set(s.map((q) => q.id.replace(/@\d+$/, '')));
    const train = ids(ds.train);
    for (const r of [...ids(ds.valid), ...ids(ds.test)]) expect(train.has(r), `${r} is in train and in another split`).to.equal(false);
  });
});
