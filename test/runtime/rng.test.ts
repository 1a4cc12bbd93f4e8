/** @file The runtime PRNG: reference outputs, determinism, bit-exact continuation after save/restore, and the moments of each law. */
import { expect } from 'chai';
import { Rng, type Law, type RngState } from '../../src/runtime/rng.js';

/** Outputs of the reference C implementation (Blackman & Vigna) from state {1, 2, 3, 4}. */
const REFERENCE: Record<number, number> = { 0: 11520, 1: 0, 2: 5927040, 3: 70819200, 4: 2031721883, 5: 1637235492, 999: 3170714187 };

/** Exact first and second moments of each law. */
const MOMENTS: Record<Law, { mean: number; variance: number }> = {
  normal: { mean: 0, variance: 1 },
  laplace: { mean: 0, variance: 2 },
  uniform: { mean: 0.5, variance: 1 / 12 },
  gumbel: { mean: 0.5772156649015329, variance: (Math.PI * Math.PI) / 6 },
};

describe('runtime/rng', () => {
  it('rng: xoshiro128** matches the reference C outputs', () => {
    const r = Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spareNormal: null });
    for (let i = 0; i < 1000; i++) {
      const x = r.nextUint32();
      if (i in REFERENCE) expect(x, `output ${i}`).to.equal(REFERENCE[i]);
    }
  });

  it('rng: the same seed gives the same stream, different seeds differ', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = a.fill('normal', new Float64Array(100)), xb = b.fill('normal', new Float64Array(100)), xc = c.fill('normal', new Float64Array(100));
    expect(Array.from(xa)).to.deep.equal(Array.from(xb));
    expect(Array.from(xa)).to.not.deep.equal(Array.from(xc));
    expect(new Rng(2 ** 40).nextUint32()).to.not.equal(new Rng(0).nextUint32());
  });

  it('rng: getState/setState continues bit-identically, including a cached normal, through JSON', () => {
    const laws: Law[] = ['normal', 'uniform', 'laplace', 'gumbel'];
    const a = new Rng(7);
    a.normal(); // leaves the pair's second value cached
    const saved = JSON.parse(JSON.stringify(a.getState())) as RngState;
    expect(saved.spareNormal).to.match(/^[0-9a-f]{16}$/);
    const expected = laws.flatMap((law) => Array.from(a.fill(law, new Float64Array(33))));
    const b = new Rng(999);
    b.setState(saved);
    const got = laws.flatMap((law) => Array.from(b.fill(law, new Float64Array(33))));
    expect(got.map(bitsOf)).to.deep.equal(expected.map(bitsOf));
    expect(b.getState()).to.deep.equal(a.getState());
  });

  it('rng: setState rejects malformed states with a clear message', () => {
    const r = new Rng(1);
    expect(() => r.setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spareNormal: null })).to.throw(/four uint32, not all zero/);
    expect(() => r.setState({ algorithm: 'pcg32', s: [1, 2, 3, 4], spareNormal: null } as unknown as RngState)).to.throw(/not an xoshiro128\*\* state/);
    expect(() => r.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spareNormal: 'zz' })).to.throw(/16 hex digits/);
  });

  for (const law of Object.keys(MOMENTS) as Law[]) {
    it(`rng: ${law} mean and variance are within 5 standard errors`, () => {
      const n = 200_000;
      const xs = new Rng(12345).fill(law, new Float64Array(n));
      let m = 0;
      for (const x of xs) m += x;
      m /= n;
      let v = 0, m4 = 0;
      for (const x of xs) {
        const d = x - m;
        v += d * d;
        m4 += d ** 4;
      }
      v /= n - 1;
      m4 /= n;
      const { mean, variance } = MOMENTS[law];
      const seMean = Math.sqrt(variance / n);
      const seVar = Math.sqrt((m4 - v * v) / n); // Var(s²) ≈ (μ₄ − σ⁴)/n
      expect(Math.abs(m - mean), `${law} mean ${m} vs ${mean} (se ${seMean})`).to.be.below(5 * seMean);
      expect(Math.abs(v - variance), `${law} variance ${v} vs ${variance} (se ${seVar})`).to.be.below(5 * seVar);
    });
  }

  it('rng: uniformOpen stays strictly inside (0, 1); fill rounds into a Float32Array', () => {
    const r = new Rng(3);
    for (let i = 0; i < 10_000; i++) {
      const u = r.uniformOpen();
      expect(u > 0 && u < 1).to.equal(true);
    }
    const f = r.fill('gumbel', new Float32Array(1000));
    expect(f.every(Number.isFinite)).to.equal(true);
  });

  it('rng: int(n) is in range and roughly uniform; shuffle is a permutation', () => {
    const r = new Rng(5), counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000), `count ${c}`).to.be.below(5 * Math.sqrt(10_000 * (6 / 7)));
    const xs = r.shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...xs].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(() => r.int(0)).to.throw(/1 ≤ n ≤ 2\^32/);
  });
});

/** A double's exact bits as a string, so -0 and NaN payloads compare exactly. */
function bitsOf(x: number): string {
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, x);
  return d.getBigUint64(0).toString(16);
}
