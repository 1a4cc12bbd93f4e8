/** @file Small statistics for benchmark timings. */

/** The median (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const p = q * (s.length - 1);
  const lo = Math.floor(p);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (p - lo);
}

/** Wall-clock and CPU milliseconds of timed steps, accumulated over rounds. */
export class Timings {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];

  /** Appends a round. */
  add(t: { readonly wall: readonly number[]; readonly cpu: readonly number[] }): void {
    this.wall.push(...t.wall);
    this.cpu.push(...t.cpu);
  }

  /** Median wall milliseconds. */
  get ms(): number {
    return median(this.wall);
  }

  /** Median CPU milliseconds (all threads of the process). */
  get cpuMs(): number {
    return median(this.cpu);
  }
}
