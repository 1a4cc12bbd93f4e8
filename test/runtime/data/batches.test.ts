/** @file Batching: padded time-major tensors and masks, cropping, seeded shuffling, epochs. */
import { expect } from 'chai';
import { batchesPerEpoch, cropSequences, epochBatches, epochLengths, epochs, makeBatch, shuffled } from '../../../src/runtime/data/batches.js';
import type { Sequence } from '../../../src/runtime/data/types.js';
import { Rng } from '../../helpers/random.js';
import { binary, real } from './helpers.js';

/** Sequence `id` of `len` steps: x[t] = (k·100 + t, −(k·100 + t)), pen[t] = t mod 2. */
const seq = (k: number, len: number): Sequence => ({
  id: `s${k}`, length: len, values: new Map([
    ['x', Float64Array.from({ length: 2 * len }, (_, i) => (i % 2 ? -1 : 1) * (k * 100 + Math.floor(i / 2)))],
    ['pen', Float64Array.from({ length: len }, (_, t) => t % 2)],
  ]),
});
const spec = [real('x', 2), binary('pen', 1)];

describe('data/batches', () => {
  it('batches: time-major [T, B, w] values and [T, B] mask, zero padding at the end', () => {
    const b = makeBatch([seq(1, 3), seq(2, 1)], spec);
    expect([b.steps, b.size, b.ids, b.lengths]).to.deep.equal([3, 2, ['s1', 's2'], [3, 1]]);
    expect(b.mask).to.be.instanceOf(Float32Array);
    expect([...b.mask]).to.deep.equal([1, 1, 1, 0, 1, 0]);
    expect([...b.values.get('x')!]).to.deep.equal([100, -100, 200, -200, 101, -101, 0, 0, 102, -102, 0, 0]);
    expect([...b.values.get('pen')!]).to.deep.equal([0, 0, 1, 0, 0, 0]);
    expect(makeBatch([seq(1, 1)], spec, Float64Array).values.get('x')).to.be.instanceOf(Float64Array);
  });

  it('batches: cropping cuts windows of at most maxLen from the start, sharing memory', () => {
    const w = cropSequences([seq(1, 7), seq(2, 2)], 3);
    expect(w.map((s) => [s.id, s.length])).to.deep.equal([['s1@0', 3], ['s1@3', 3], ['s1@6', 1], ['s2', 2]]);
    expect([...w[1]!.values.get('x')!]).to.deep.equal([103, -103, 104, -104, 105, -105]);
    expect([...w[2]!.values.get('pen')!]).to.deep.equal([0]);
    expect(() => cropSequences([], 0)).to.throw('maxLen must be a positive integer, got 0');
  });

  it('batches: shuffling is a permutation determined by the seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = shuffled(items, new Rng(7)), b = shuffled(items, new Rng(7)), c = shuffled(items, new Rng(8));
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
    expect([...a].sort((x, y) => x - y)).to.deep.equal(items);
  });

  it('batches: every sequence appears exactly once per epoch; the last batch is kept unless dropLast', () => {
    const seqs = Array.from({ length: 7 }, (_, k) => seq(k, 1 + (k % 3)));
    const rng = new Rng(1);
    for (const { epoch, batches } of epochs(seqs, spec, { batchSize: 3 }, rng, 3)) {
      const bs = [...batches];
      expect(bs.map((b) => b.size), `epoch ${epoch}`).to.deep.equal([3, 3, 1]);
      expect(bs.flatMap((b) => b.ids).sort(), `epoch ${epoch}`).to.deep.equal(seqs.map((s) => s.id).sort());
      for (const b of bs) expect(b.steps).to.equal(Math.max(...b.lengths));
    }
    expect([...epochBatches(seqs, spec, { batchSize: 3, dropLast: true }, rng)].length).to.equal(2);
    expect([batchesPerEpoch(7, { batchSize: 3 }), batchesPerEpoch(7, { batchSize: 3, dropLast: true })]).to.deep.equal([3, 2]);
  });

  it('batches: the same seed gives the same epochs; successive epochs differ', () => {
    const seqs = Array.from({ length: 20 }, (_, k) => seq(k, 2));
    const run = (seed: number) => [...epochs(seqs, spec, { batchSize: 4, maxLen: 1 }, new Rng(seed), 2)].map((e) => [...e.batches].map((b) => b.ids));
    const [a, b] = [run(3), run(3)];
    expect(a).to.deep.equal(b);
    expect(a[0]).to.not.deep.equal(a[1]);
    expect(a[0]!.flat().length).to.equal(40);
    expect(new Set(a[0]!.flat()).size).to.equal(40);
  });

  it('batches: random crops cover every step once per epoch, with other window boundaries each epoch', () => {
    const seqs = [seq(1, 23), seq(2, 5), seq(3, 40), seq(4, 9)];
    const L = 6;
    const rng = new Rng(11);
    const starts: string[][] = [];
    for (let e = 0; e < 6; e++) {
      const ws = cropSequences(seqs, L, rng);
      // every step of every sequence exactly once, in order, in windows of at most L steps
      for (const s of seqs) {
        const mine = ws.filter((w) => w.id === s.id || w.id.startsWith(`${s.id}@`));
        const xs = mine.flatMap((w) => [...w.values.get('x')!].filter((_, i) => i % 2 === 0));
        expect(xs, `${s.id}, epoch ${e}`).to.deep.equal([...s.values.get('x')!].filter((_, i) => i % 2 === 0));
        for (const w of mine) expect(w.length).to.be.within(1, L);
        // only the first window may be shorter than L, besides the last
        mine.slice(1, -1).forEach((w) => expect(w.length, `${w.id}`).to.equal(L));
      }
      expect(ws.find((w) => w.id === 's2')?.length, 'a sequence shorter than L is not cut').to.equal(5);
      starts.push(ws.map((w) => w.id));
    }
    expect(new Set(starts.map((x) => x.join())).size, 'the windows differ between epochs').to.be.greaterThan(3);
    // offsets take every value in [0, L) over enough draws, none outside
    const firsts = new Set<number>();
    const r2 = new Rng(5);
    for (let k = 0; k < 200; k++) {
      const w = cropSequences([seq(1, 30)], L, r2);
      firsts.add(w[0]!.length === L && w[0]!.id === 's1@0' ? 0 : w[0]!.length);
    }
    expect([...firsts].sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    // without offsets: the windows from the start, as before
    expect(cropSequences([seq(1, 13)], L).map((w) => w.id)).to.deep.equal(['s1@0', 's1@6', 's1@12']);
  });

  it('batches: epochLengths predicts the batches of successive epochs, random crops included', () => {
    const seqs = Array.from({ length: 9 }, (_, k) => seq(k, 3 + 4 * k));
    for (const crop of ['start', 'random'] as const) {
      const opts = { batchSize: 4, maxLen: 5, crop };
      const predicted = epochLengths(seqs, opts, new Rng(2), 5);
      const actual = [...epochs(seqs, spec, opts, new Rng(2), 5)].map((e) => [...e.batches].length);
      expect(predicted, crop).to.deep.equal(actual);
      if (crop === 'random') expect(new Set(actual).size, 'random crops vary the count').to.be.greaterThan(1);
    }
  });
});
