/** @file Finite-difference gradients of scalar functions of flat float64 vectors. */

/** Central differences ∂f/∂x_i ≈ (f(x + h e_i) - f(x - h e_i)) / 2h for every i. */
export function centralDifference(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const y = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i]! + h;
    const fp = f(y);
    y[i] = x[i]! - h;
    const fm = f(y);
    y[i] = x[i]!;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Directional derivative (f(x + h v) - f(x - h v)) / 2h. */
export function directionalDifference(f: (x: Float64Array) => number, x: Float64Array, v: Float64Array, h = 1e-6): number {
  const at = (s: number): Float64Array => x.map((xi, i) => xi + s * h * v[i]!);
  return (f(at(1)) - f(at(-1))) / (2 * h);
}

/** Inner product. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
