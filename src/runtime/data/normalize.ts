/**
 * @file Per-dimension normalization of real variables: statistics from the training split,
 * (x − mean) / std on the way in, x · std + mean on the way out. Binary variables are left as
 * they are. Statistics serialize to JSON for checkpoints.
 *
 * A dimension that is constant over the training split (std at most {@link constantTolerance}
 * times its variable's scale) is shifted by its mean but not scaled: its std is set to 1. Dividing
 * by a std near zero would turn any deviation in another split into an enormous value (a
 * validation ELBO of −1e24 per step); with std 1 such deviations stay in data units, and the
 * model still sees 0 for the constant in training. {@link constantDimensions} lists them so the
 * caller can warn.
 */
import { dataErrors as E } from './errors.js';
import type { Sequence, VarSpec } from './types.js';

/** Relative size below which a dimension's std counts as zero: std ≤ tolerance · the variable's scale. */
export const constantTolerance = 1e-6;

/** Mean and std (population; 1 for a constant dimension) of each dimension of one variable. */
export interface VarStats {
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** Dimensions that were constant over the training split (their std is 1). */
  readonly constant?: readonly number[];
}

/** Statistics of every real variable, by name. */
export type NormStats = ReadonlyMap<string, VarStats>;

/** The JSON form of {@link NormStats}: `{"version": 1, "variables": {"x": {"mean": [...], "std": [...]}}}`. */
export interface NormStatsJson {
  readonly version: 1;
  readonly variables: Record<string, { readonly mean: number[]; readonly std: number[] }>;
}

/**
 * Per-dimension mean and std over every step of every sequence, for the real variables of
 * `spec` (two passes); constant dimensions get std 1 (see the file comment).
 */
export function computeStats(train: readonly Sequence[], spec: readonly VarSpec[]): NormStats {
  const out = new Map<string, VarStats>();
  for (const v of spec) {
    if (v.elem !== 'real') continue;
    const mean = new Float64Array(v.width), sq = new Float64Array(v.width);
    let n = 0;
    for (const s of train) {
      const x = s.values.get(v.name)!;
      for (let i = 0; i < x.length; i++) mean[i % v.width]! += x[i]!;
      n += s.length;
    }
    for (let d = 0; d < v.width; d++) mean[d]! /= n;
    for (const s of train) {
      const x = s.values.get(v.name)!;
      for (let i = 0; i < x.length; i++) sq[i % v.width]! += (x[i]! - mean[i % v.width]!) ** 2;
    }
    const std = sq.map((q) => Math.sqrt(q / n));
    // The variable's scale: its largest std or mean magnitude (1e-300 keeps an all-zero variable finite).
    let scale = 1e-300;
    for (let d = 0; d < v.width; d++) scale = Math.max(scale, std[d]!, Math.abs(mean[d]!));
    const constant: number[] = [];
    for (let d = 0; d < v.width; d++) if (std[d]! <= constantTolerance * scale) { std[d] = 1; constant.push(d); }
    out.set(v.name, { mean, std, ...(constant.length ? { constant } : {}) });
  }
  return out;
}

/** One line per variable with constant dimensions, for the caller to show as a warning. */
export function constantDimensions(stats: NormStats): string[] {
  const out: string[] = [];
  for (const [name, st] of stats) {
    const c = st.constant ?? [];
    if (!c.length) continue;
    const dims = c.length > 8 ? `${c.slice(0, 8).map((d) => `${name}[${d}]`).join(', ')} and ${c.length - 8} more` : c.map((d) => `${name}[${d}]`).join(', ');
    out.push(`${dims} ${c.length === 1 ? 'is' : 'are'} constant over the training split (${c.length} of ${st.mean.length} dimensions): ${c.length === 1 ? 'it is' : 'they are'} centred but not scaled (std 1), so other splits are compared in data units`);
  }
  return out;
}

/** A copy of `seq` with every real variable standardized; other variables shared unchanged. */
export function normalize(seq: Sequence, stats: NormStats): Sequence {
  const values = new Map(seq.values);
  for (const [name, st] of stats) {
    const x = seq.values.get(name);
    if (x) values.set(name, x.map((xi, i) => (xi - st.mean[i % st.mean.length]!) / st.std[i % st.std.length]!));
  }
  return { id: seq.id, length: seq.length, values };
}

/** Row-major values of variable `name` (any number of rows) mapped back to data units; a copy. */
export function denormalize<A extends Float32Array | Float64Array>(name: string, values: A, stats: NormStats): A {
  const st = stats.get(name);
  if (!st) return values.slice() as A;
  const w = st.mean.length;
  return values.map((z, i) => z * st.std[i % w]! + st.mean[i % w]!) as A;
}

/** The JSON form of statistics, for checkpoints. */
export function statsToJson(stats: NormStats): NormStatsJson {
  const variables: Record<string, { mean: number[]; std: number[] }> = {};
  for (const [name, st] of stats) variables[name] = { mean: [...st.mean], std: [...st.std] };
  return { version: 1, variables };
}

/** Statistics from their JSON form, checked against the spec's real variables; `file` names the source in errors. */
export function statsFromJson(json: unknown, spec: readonly VarSpec[], file: string): NormStats {
  const vars = (json as Partial<NormStatsJson> | null)?.variables;
  if ((json as Partial<NormStatsJson> | null)?.version !== 1 || typeof vars !== 'object' || vars === null) {
    throw E.malformed({ file }, 'normalization statistics are not {"version": 1, "variables": {...}}');
  }
  const out = new Map<string, VarStats>();
  for (const v of spec) {
    if (v.elem !== 'real') continue;
    const st = vars[v.name];
    const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length === v.width && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!st || !ok(st.mean) || !ok(st.std) || st.std.some((s) => s <= 0)) {
      throw E.malformed({ file }, `normalization statistics for ${v.name} are missing or not ${v.width} means and ${v.width} positive stds`);
    }
    out.set(v.name, { mean: Float64Array.from(st.mean), std: Float64Array.from(st.std) });
  }
  return out;
}
