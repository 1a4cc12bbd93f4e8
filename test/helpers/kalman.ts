/** @file The exact log-likelihood of a linear-Gaussian state-space model by the Kalman filter (float64 reference). */

/** z_t = z_{t-1} Wa + ba + N(0, q² I) with z_{-1} = 0;  x_t = z_t Wc + bc + N(0, r² I). Weights are [in, out]. */
export interface Lgssm {
  readonly Wa: number[][];
  readonly ba: number[];
  readonly Wc: number[][];
  readonly bc: number[];
  readonly q: number;
  readonly r: number;
}

const T = (m: number[][]): number[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));
const mm = (a: number[][], b: number[][]): number[][] => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const mv = (a: number[][], v: number[]): number[] => a.map((row) => row.reduce((s, x, k) => s + x * v[k]!, 0));
const add = (a: number[][], b: number[][]): number[][] => a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
const eye = (n: number, s = 1): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? s : 0)));

/** Inverse and log-determinant of a small SPD matrix by Gauss–Jordan elimination. */
function invLogDet(a: number[][]): { inv: number[][]; logDet: number } {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...eye(n)[i]!]);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]!;
    logDet += Math.log(Math.abs(piv));
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return { inv: m.map((row) => row.slice(n)), logDet };
}

/** The Kalman filter over one sequence: log p(x_0..x_{L-1}) and the predictive p(x_L | x_0..x_{L-1}). */
function kalman(p: Lgssm, xs: readonly number[][]): { logLik: number; next: { mean: number[]; cov: number[][] } } {
  const F = T(p.Wa);
  const H = T(p.Wc);
  const dz = p.ba.length;
  const dx = p.bc.length;
  let m = new Array<number>(dz).fill(0);
  let P = eye(dz, 0);
  let ll = 0;
  /** The state's and the frame's predictive at step t. */
  const predict = (t: number) => {
    const mPred = t === 0 ? [...p.ba] : mv(F, m).map((v, i) => v + p.ba[i]!);
    const PPred = t === 0 ? eye(dz, p.q * p.q) : add(mm(mm(F, P), T(F)), eye(dz, p.q * p.q));
    return { mPred, PPred, xMean: mv(H, mPred).map((v, i) => v + p.bc[i]!), S: add(mm(mm(H, PPred), T(H)), eye(dx, p.r * p.r)) };
  };
  xs.forEach((x, t) => {
    const { mPred, PPred, xMean, S } = predict(t);
    const { inv, logDet } = invLogDet(S);
    const v = x.map((xi, i) => xi - xMean[i]!);
    const quad = v.reduce((s, vi, i) => s + vi * mv(inv, v)[i]!, 0);
    ll += -0.5 * (quad + logDet + dx * Math.log(2 * Math.PI));
    const K = mm(mm(PPred, T(H)), inv);
    m = mPred.map((mi, i) => mi + mv(K, v)[i]!);
    P = mm(add(eye(dz), mm(K, H).map((row) => row.map((val) => -val))), PPred);
  });
  const last = predict(xs.length);
  return { logLik: ll, next: { mean: last.xMean, cov: last.S } };
}

/** log p(x_0..x_{L-1}) for one sequence (frames as arrays). */
export function kalmanLogLik(p: Lgssm, xs: readonly number[][]): number {
  return kalman(p, xs).logLik;
}

/** The predictive distribution p(x_L | x_0..x_{L-1}) of the next frame: its mean and covariance. */
export function kalmanPredict(p: Lgssm, xs: readonly number[][]): { mean: number[]; cov: number[][] } {
  return kalman(p, xs).next;
}
