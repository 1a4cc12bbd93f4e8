/**
 * @file Distributions as IR, through the family table (families.ts): the generic operations an
 * inference handler asks of any distribution instance.
 */
import { InternalError } from '../compiler/diagnostics.js';
import type { Value } from '../compiler/ir/graph.js';
import { families, type DistCtx, type DistValues, type Family, type NoiseSpec } from './families.js';

export type { DistCtx, DistValues, NoiseSpec } from './families.js';

/** log p(x) summed over the variable's width: shape [...prefix]. */
export function logProb(ctx: DistCtx, d: DistValues, x: Value): Value {
  return families[d.family].logProb(ctx, d, x);
}

/** Entropy H[p] summed over the width where a closed form exists, else null. */
export function entropy(ctx: DistCtx, d: DistValues): Value | null {
  return families[d.family].entropy?.(ctx, d) ?? null;
}

/** True when KL(q‖p) has a closed form. */
export function hasAnalyticKl(q: DistValues, p: DistValues): boolean {
  return families[q.family].kl[p.family] !== undefined;
}

/** KL(q‖p) in closed form, summed over the width; null when there is none. */
export function analyticKl(ctx: DistCtx, q: DistValues, p: DistValues): Value | null {
  return families[q.family].kl[p.family]?.(ctx, q, p) ?? null;
}

/** KL between two Normals (kept for tests and callers that know both are Normal). */
export function klNormal(ctx: DistCtx, q: DistValues, p: DistValues): Value {
  if (q.family !== 'Normal' || p.family !== 'Normal') throw new InternalError(`klNormal of ${q.family} and ${p.family}`);
  return analyticKl(ctx, q, p)!;
}

/** Reparameterized sample from the family's standard noise ε. */
export function rsample(ctx: DistCtx, d: DistValues, eps: Value): Value {
  const r = families[d.family].rsample;
  if (!r) throw new InternalError(`${d.family} has no reparameterized sample`);
  return r(ctx, d, eps);
}

/** Noise inputs needed to sample `family` for generation. */
export function noiseFor(family: Family, width: number, components: number | null): readonly NoiseSpec[] {
  return families[family].noise(width, components);
}

/** A sample for generation, given noise by kind (see `noiseFor`). */
export function sampleFor(ctx: DistCtx, d: DistValues, noise: Readonly<Record<string, Value>>): Value {
  return families[d.family].sample(ctx, d, noise);
}
