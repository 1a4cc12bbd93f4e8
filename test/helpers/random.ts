/** @file A seeded random number generator for reproducible tests. */

/** Uniform [0,1) and standard-normal draws from a 32-bit seed (mulberry32 + Box–Muller). */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  /** Uniform in [0, 1). */
  uniform(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal. */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
  /** `n` standard normals. */
  normals(n: number): Float64Array {
    return Float64Array.from({ length: n }, () => this.normal());
  }
}
