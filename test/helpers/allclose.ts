/** @file Elementwise closeness assertion that reports where and by how much arrays differ. */

/** Tolerances: |a - e| ≤ atol + rtol·|e|. */
export interface Tol {
  readonly rtol?: number;
  readonly atol?: number;
}

/** Throws naming the worst element, both values and the difference, unless all elements are close. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol: Tol = {}): void {
  const rtol = tol.rtol ?? 1e-6, atol = tol.atol ?? 1e-9;
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (Number.isNaN(a) !== Number.isNaN(e) || excess > worstExcess) { worst = i; worstExcess = Number.isNaN(excess) ? Infinity : excess; }
  }
  if (worst >= 0) {
    const a = actual[worst]!, e = expected[worst]!;
    throw new Error(`${what}: element ${worst} is ${a}, expected ${e} (|diff| = ${Math.abs(a - e).toExponential(3)}, rtol ${rtol}, atol ${atol})`);
  }
}
