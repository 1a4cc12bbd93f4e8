/** @file NPY reader: numpy-written fixtures, every dtype, lengths siblings, and the writer's bytes. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, readNpy } from '../../../src/runtime/data/formats/npy.js';
import { binary, fixtures, le, npyBytes, real, tempDir } from './helpers.js';

describe('data/npy', () => {
  const tmp = tempDir();
  after(() => tmp.remove());
  const numpyFile = join(fixtures, 'numpy-f8-2x3x2.npy');
  const x = Array.from({ length: 12 }, (_, i) => i * 0.5 - 1);

  it('npy: decodes a file numpy wrote (<f8, shape (2, 3, 2))', () => {
    const a = decodeNpy(readFileSync(numpyFile), 'f.npy');
    expect(a.shape).to.deep.equal([2, 3, 2]);
    expect([...a.data]).to.deep.equal(x);
  });

  it('npy: encodeNpy writes exactly the bytes numpy writes', () => {
    expect(Buffer.from(encodeNpy([2, 3, 2], '<f8', x)).equals(readFileSync(numpyFile))).to.equal(true);
  });

  it('npy: hand-built version 1.0 headers pad the data start to 64 bytes, and match encodeNpy', () => {
    for (const shape of [[1, 1, 1], [2, 3, 2], [123456, 1000, 88], [7]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (n > 100) continue;
      const data = new Float64Array(n).map((_, i) => i);
      const hand = npyBytes('<f8', shape, le(data));
      expect((hand.length - data.byteLength) % 64, `header for ${shape}`).to.equal(0);
      expect(Buffer.from(encodeNpy(shape, '<f8', data)).equals(Buffer.from(hand))).to.equal(true);
    }
    expect(npyBytes('<f4', [123456, 1000, 88], new Uint8Array(0)).length % 64).to.equal(0);
  });

  it('npy: reads [N, T, D] with a lengths sibling (numpy <i8) as sequences of true length', () => {
    const seqs = readNpy(numpyFile, [real('x', 2)]);
    expect(seqs.map((s) => [s.id, s.length])).to.deep.equal([['0', 3], ['1', 2]]);
    expect([...seqs[0]!.values.get('x')!]).to.deep.equal(x.slice(0, 6));
    expect([...seqs[1]!.values.get('x')!]).to.deep.equal(x.slice(6, 10));
  });

  it('npy: reads every supported dtype', () => {
    const cases: [string, Uint8Array, number[]][] = [
      ['<f4', le(Float32Array.of(0.5, -2, 3, 4)), [0.5, -2, 3, 4]],
      ['<f8', le(Float64Array.of(0.1, -2, 3, 4)), [0.1, -2, 3, 4]],
      ['<i4', le(Int32Array.of(-1, 2, 3, 4)), [-1, 2, 3, 4]],
      ['<i8', le(BigInt64Array.of(-1n, 2n, 3n, 4n)), [-1, 2, 3, 4]],
      ['|u1', Uint8Array.of(0, 1, 255, 4), [0, 1, 255, 4]],
    ];
    for (const [descr, bytes, want] of cases) {
      const f = tmp.write(`${descr.slice(1)}.npy`, npyBytes(descr, [1, 2, 2], bytes));
      expect([...readNpy(f, [real('x', 2)])[0]!.values.get('x')!], descr).to.deep.equal(want);
    }
    const b = tmp.write('b1.npy', npyBytes('|b1', [2, 2, 1], Uint8Array.of(1, 0, 0, 1)));
    expect(readNpy(b, [binary('k', 1)]).map((s) => [...s.values.get('k')!])).to.deep.equal([[1, 0], [0, 1]]);
  });

  it('npy: reads [N, T] as width 1 and splits D among several variables in spec order', () => {
    const f2 = tmp.write('two.npy', npyBytes('<f8', [1, 3], le(Float64Array.of(1, 2, 3))));
    expect([...readNpy(f2, [real('y', 1)])[0]!.values.get('y')!]).to.deep.equal([1, 2, 3]);
    const f3 = tmp.write('multi.npy', npyBytes('<f8', [1, 2, 3], le(Float64Array.of(1, 2, 0, 3, 4, 1))));
    const s = readNpy(f3, [real('x', 2), binary('pen', 1)])[0]!;
    expect([...s.values.get('x')!]).to.deep.equal([1, 2, 3, 4]);
    expect([...s.values.get('pen')!]).to.deep.equal([0, 1]);
  });
});
