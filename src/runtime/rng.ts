/**
 * @file The runtime's seeded PRNG: xoshiro128** on 32-bit integers with a JSON-serializable
 * state, so that `--resume` continues every noise and shuffling stream bit for bit.
 */
import { InternalError } from '../compiler/diagnostics.js';

/** The noise laws a graph input can ask for (`InputSpec.law`). */
export type Law = 'normal' | 'laplace' | 'uniform' | 'gumbel';

/** A float buffer the generator can fill in place. */
export type FloatArray = Float32Array | Float64Array;

/**
 * The whole generator state as plain JSON: the four xoshiro words, and the polar method's
 * cached second normal as the 16 hex digits of its IEEE-754 bits (exact, `-0` included).
 */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly s: readonly [number, number, number, number];
  readonly spareNormal: string | null;
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/** xoshiro128** (Blackman & Vigna 2018): period 2^128 − 1, 32-bit outputs, all-integer state. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** The second value of the last polar-method pair, served by the next `normal()`. */
  private spare: number | null = null;

  /** A generator seeded from any safe integer (both 32-bit halves are used). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`rng: seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / 4294967296) >>> 0 ^ (seed < 0 ? 0x9e3779b9 : 0);
    // Expand the seed with a splitmix-style counter through murmur3's finalizer; never all-zero.
    let x = (lo ^ Math.imul(hi, 0x85ebca6b)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return fmix32(x ^ hi);
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator continuing exactly from a saved state. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** The next raw 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0; // rotl(s1·5, 7)·9
    const t = s1 << 9;
    const n2 = s2 ^ s0, n3 = s3 ^ s1;
    this.s1 = (s1 ^ n2) >>> 0;
    this.s0 = (s0 ^ n3) >>> 0;
    this.s2 = (n2 ^ t) >>> 0;
    this.s3 = rotl(n3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /** Uniform on the open interval (0, 1): safe under `log`. */
  uniformOpen(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b + 0.5) / TWO_POW_53;
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling), for n ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new Error(`rng: int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n); // largest multiple of n ≤ 2^32
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `xs` in place (Fisher–Yates) and returns it. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = tmp;
    }
    return xs;
  }

  /** Standard normal N(0, 1) by Marsaglia's polar method; the pair's second value is cached in the state. */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1, v = 2 * this.uniform() - 1;
      const q = u * u + v * v;
      if (q === 0 || q >= 1) continue;
      const f = Math.sqrt((-2 * Math.log(q)) / q); // (u, v)·√(−2 ln q / q) are two independent N(0,1)
      this.spare = v * f;
      return u * f;
    }
  }

  /** Standard Laplace (location 0, scale 1; variance 2) by inversion: ±ln(2u) on each half. */
  laplace(): number {
    const u = this.uniformOpen();
    return u < 0.5 ? Math.log(2 * u) : -Math.log(2 * (1 - u));
  }

  /** Standard Gumbel (mean γ ≈ 0.5772, variance π²/6) by inversion: −ln(−ln u). */
  gumbel(): number {
    return -Math.log(-Math.log(this.uniformOpen()));
  }

  /** One draw of the given law (`uniform` is U[0, 1)). */
  draw(law: Law): number {
    switch (law) {
      case 'normal': return this.normal();
      case 'laplace': return this.laplace();
      case 'uniform': return this.uniform();
      case 'gumbel': return this.gumbel();
      default: return unreachable(law);
    }
  }

  /** Fills `out` in place with independent draws of `law` (rounded to float32 for a Float32Array); returns it. */
  fill<A extends FloatArray>(law: Law, out: A): A {
    switch (law) {
      case 'normal': for (let i = 0; i < out.length; i++) out[i] = this.normal(); break;
      case 'laplace': for (let i = 0; i < out.length; i++) out[i] = this.laplace(); break;
      case 'uniform': for (let i = 0; i < out.length; i++) out[i] = this.uniform(); break;
      case 'gumbel': for (let i = 0; i < out.length; i++) out[i] = this.gumbel(); break;
      default: return unreachable(law);
    }
    return out;
  }

  /** A snapshot of the state (plain JSON); `setState` of it continues the stream bit-identically. */
  getState(): RngState {
    return {
      algorithm: 'xoshiro128**',
      s: [this.s0, this.s1, this.s2, this.s3],
      spareNormal: this.spare === null ? null : doubleToHex(this.spare),
    };
  }

  /** Restores a state from `getState` (validated: four uint32 words, not all zero). */
  setState(state: RngState): void {
    if (state === null || typeof state !== 'object' || state.algorithm !== 'xoshiro128**') {
      throw new Error(`rng: not an xoshiro128** state: ${JSON.stringify(state)}`);
    }
    const s: unknown = state.s;
    if (!Array.isArray(s) || s.length !== 4 || s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) || s.every((w) => w === 0)) {
      throw new Error(`rng: state words must be four uint32, not all zero, got ${JSON.stringify(s)}`);
    }
    if (state.spareNormal !== null && !/^[0-9a-f]{16}$/.test(state.spareNormal)) {
      throw new Error(`rng: spareNormal must be null or 16 hex digits, got ${JSON.stringify(state.spareNormal)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = s as number[];
    this.spare = state.spareNormal === null ? null : hexToDouble(state.spareNormal);
  }
}

/** Rotates a 32-bit word left by k bits. */
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** murmur3's 32-bit finalizer: a bijection with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const bits = new DataView(new ArrayBuffer(8));

/** The big-endian hex of a double's IEEE-754 bits. */
function doubleToHex(x: number): string {
  bits.setFloat64(0, x);
  return bits.getUint32(0).toString(16).padStart(8, '0') + bits.getUint32(4).toString(16).padStart(8, '0');
}

/** Inverse of `doubleToHex`. */
function hexToDouble(h: string): number {
  bits.setUint32(0, parseInt(h.slice(0, 8), 16));
  bits.setUint32(4, parseInt(h.slice(8), 16));
  return bits.getFloat64(0);
}

function unreachable(x: never): never {
  throw new InternalError(`unexpected law ${String(x)}`);
}
