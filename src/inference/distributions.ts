/**
 * @file Distributions as IR: log-densities, analytic KL, reparameterized samples and sampling for
 * generation. Every function takes parameter values of shape [...batch, width] (or broadcastable
 * scalars) and returns per-element-summed results of shape [...batch]. Nothing here knows a model.
 */
import type { Family } from '../compiler/checked.js';
import type { GraphBuilder } from '../compiler/ir/builder.js';
import type { DimLike } from '../compiler/ir/dim.js';
import type { Value } from '../compiler/ir/graph.js';
import type { DType } from '../compiler/ir/ops.js';

/** A distribution instance in a graph. */
export interface DistValues {
  readonly family: Family;
  readonly params: Readonly<Record<string, Value>>;
  /** Mixture components (mixtures only). */
  readonly components: number | null;
  /** Width n of the variable. */
  readonly width: number;
}

/** Where values live: the builder, the batch prefix (['B'] in a scan step, ['T','B'] for sequences) and dtype. */
export interface DistCtx {
  readonly b: GraphBuilder;
  readonly prefix: readonly DimLike[];
  readonly dtype: DType;
}

const LOG_2PI = Math.log(2 * Math.PI);

function c(ctx: DistCtx, v: number): Value {
  return ctx.b.constant(v, [], ctx.dtype);
}

/** A parameter broadcast to [...prefix, w] (parameters may be constants without batch axes). */
function atWidth(ctx: DistCtx, v: Value, w: number): Value {
  const r = ctx.prefix.length;
  return v.shape.length === r + 1 && v.shape[r] === w ? v : ctx.b.expand(v, [...ctx.prefix, w]);
}

/** Mixture parameters broadcast to full [...prefix, ·] shapes. */
function mixtureParams(ctx: DistCtx, d: DistValues): Record<string, Value> {
  const K = d.components!;
  const n = d.width;
  const p = d.params;
  const out: Record<string, Value> = { logits: atWidth(ctx, p['logits']!, K), locs: atWidth(ctx, p['locs']!, K * n), scales: atWidth(ctx, p['scales']!, K * n) };
  if (p['corr']) out['corr'] = atWidth(ctx, p['corr'], K);
  return out;
}

/** Sums the last axis of a [...prefix, n] value (expanding broadcast scalars to n first). */
function sumLast(ctx: DistCtx, v: Value, n: number): Value {
  const full = v.shape.length === ctx.prefix.length + 1 && v.shape[v.shape.length - 1] === n ? v : ctx.b.expand(v, [...ctx.prefix, n]);
  return ctx.b.reduceSum(full, [ctx.prefix.length], false);
}

/** Elementwise Normal log-density: -½((x-μ)/σ)² - log σ - ½ log 2π. */
function normalElems(ctx: DistCtx, x: Value, loc: Value, scale: Value): Value {
  const { b } = ctx;
  const z = b.div(b.sub(x, loc), scale);
  return b.sub(b.sub(b.mul(c(ctx, -0.5), b.square(z)), b.log(scale)), c(ctx, 0.5 * LOG_2PI));
}

/** log p(x) summed over the variable's width: shape [...prefix]. */
export function logProb(ctx: DistCtx, d: DistValues, x: Value): Value {
  const { b } = ctx;
  const p = d.params;
  switch (d.family) {
    case 'Normal': return sumLast(ctx, normalElems(ctx, x, p['loc']!, p['scale']!), d.width);
    case 'Laplace': {
      // log p = -|x-μ|/s - log(2s)
      const s = p['scale']!;
      const e = b.sub(b.neg(b.div(b.abs(b.sub(x, p['loc']!)), s)), b.log(b.mul(c(ctx, 2), s)));
      return sumLast(ctx, e, d.width);
    }
    case 'Bernoulli': {
      // log p = x·l - softplus(l)
      const l = p['logits']!;
      return sumLast(ctx, b.sub(b.mul(x, l), b.softplus(l)), d.width);
    }
    case 'MixtureNormal': return mixtureLogProb(ctx, { ...d, params: mixtureParams(ctx, d) }, x);
    case 'BivariateNormalMixture': return bivariateLogProb(ctx, { ...d, params: mixtureParams(ctx, d) }, x);
  }
}

/** log softmax over the last axis. */
function logSoftmax(ctx: DistCtx, logits: Value): Value {
  const ax = logits.shape.length - 1;
  return ctx.b.sub(logits, ctx.b.logSumExp(logits, ax, true));
}

/** Component-major mixture: locs/scales are [..., K·n] laid out as K blocks of n. */
function mixtureLogProb(ctx: DistCtx, d: DistValues, x: Value): Value {
  const { b, prefix } = ctx;
  const K = d.components!;
  const n = d.width;
  const locs = b.reshape(d.params['locs']!, [...prefix, K, n]);
  const scales = b.reshape(d.params['scales']!, [...prefix, K, n]);
  const xk = b.reshape(x, [...prefix, 1, n]);
  const comp = b.reduceSum(normalElems(ctx, xk, locs, scales), [prefix.length + 1], false);
  return b.logSumExp(b.add(logSoftmax(ctx, d.params['logits']!), comp), prefix.length, false);
}

/** Bivariate components with correlation (Graves 2013, eqs. 24–26); locs/scales laid out as K pairs. */
function bivariateLogProb(ctx: DistCtx, d: DistValues, x: Value): Value {
  const { b, prefix } = ctx;
  const K = d.components!;
  const r = prefix.length;
  const pair = (v: Value, i: number): Value => b.reshape(b.slice(b.reshape(v, [...prefix, K, 2]), r + 1, i, i + 1), [...prefix, K]);
  const m1 = pair(d.params['locs']!, 0);
  const m2 = pair(d.params['locs']!, 1);
  const s1 = pair(d.params['scales']!, 0);
  const s2 = pair(d.params['scales']!, 1);
  const rho = d.params['corr']!;
  const x1 = b.slice(x, r, 0, 1);
  const x2 = b.slice(x, r, 1, 2);
  const z1 = b.div(b.sub(x1, m1), s1);
  const z2 = b.div(b.sub(x2, m2), s2);
  const omr = b.sub(c(ctx, 1), b.square(rho));
  // Z = z1² + z2² - 2ρ z1 z2; log N = -Z / (2(1-ρ²)) - log(2π s1 s2 √(1-ρ²))
  const Z = b.sub(b.add(b.square(z1), b.square(z2)), b.mul(b.mul(c(ctx, 2), rho), b.mul(z1, z2)));
  const quad = b.div(Z, b.mul(c(ctx, -2), omr));
  const norm = b.add(b.add(b.log(s1), b.log(s2)), b.add(b.mul(c(ctx, 0.5), b.log(omr)), c(ctx, LOG_2PI)));
  return b.logSumExp(b.add(logSoftmax(ctx, d.params['logits']!), b.sub(quad, norm)), r, false);
}

/**
 * Entropy H[p] summed over the width, where a closed form exists:
 * Normal Σ ½log(2πe) + log σ; Laplace Σ 1 + log 2s; Bernoulli Σ softplus(l) - σ(l)·l.
 * Mixtures have none: null, and -log p(x) at a sample from `sampleFor` is the unbiased estimate.
 */
export function entropy(ctx: DistCtx, d: DistValues): Value | null {
  const { b } = ctx;
  const p = d.params;
  switch (d.family) {
    case 'Normal': return sumLast(ctx, b.add(b.log(atWidth(ctx, p['scale']!, d.width)), c(ctx, 0.5 * (LOG_2PI + 1))), d.width);
    case 'Laplace': return sumLast(ctx, b.add(b.log(b.mul(c(ctx, 2), atWidth(ctx, p['scale']!, d.width))), c(ctx, 1)), d.width);
    case 'Bernoulli': {
      const l = atWidth(ctx, p['logits']!, d.width);
      return sumLast(ctx, b.sub(b.softplus(l), b.mul(b.sigmoid(l), l)), d.width);
    }
    case 'MixtureNormal': case 'BivariateNormalMixture': return null;
  }
}

/** True when KL(q‖p) has a closed form here (Normal–Normal, including the standard normal). */
export function hasAnalyticKl(q: DistValues, p: DistValues): boolean {
  return q.family === 'Normal' && p.family === 'Normal';
}

/** KL(N(μq,σq²) ‖ N(μp,σp²)) summed over the width: log(σp/σq) + (σq² + (μq-μp)²)/(2σp²) - ½. */
export function klNormal(ctx: DistCtx, q: DistValues, p: DistValues): Value {
  const { b } = ctx;
  const mq = q.params['loc']!;
  const sq = q.params['scale']!;
  const mp = p.params['loc']!;
  const sp = p.params['scale']!;
  const ratio = b.div(b.add(b.square(sq), b.square(b.sub(mq, mp))), b.mul(c(ctx, 2), b.square(sp)));
  const e = b.sub(b.add(b.sub(b.log(sp), b.log(sq)), ratio), c(ctx, 0.5));
  return sumLast(ctx, e, q.width);
}

/** Reparameterized sample loc + scale·ε for location-scale families (ε from the family's standard form). */
export function rsample(ctx: DistCtx, d: DistValues, eps: Value): Value {
  if (d.family !== 'Normal' && d.family !== 'Laplace') throw new Error(`internal: ${d.family} has no reparameterized sample`);
  return ctx.b.add(d.params['loc']!, ctx.b.mul(d.params['scale']!, eps));
}

/** The noise a family needs to draw one sample for generation: name suffix, width, and its law. */
export interface NoiseSpec {
  readonly kind: 'eps' | 'u' | 'gumbel';
  readonly width: number;
  /** Standard normal, standard Laplace, uniform(0,1) or standard Gumbel. */
  readonly law: 'normal' | 'laplace' | 'uniform' | 'gumbel';
}

/** Noise inputs needed to sample `family` for generation. */
export function noiseFor(family: Family, width: number, components: number | null): NoiseSpec[] {
  switch (family) {
    case 'Normal': return [{ kind: 'eps', width, law: 'normal' }];
    case 'Laplace': return [{ kind: 'eps', width, law: 'laplace' }];
    case 'Bernoulli': return [{ kind: 'u', width, law: 'uniform' }];
    case 'MixtureNormal': case 'BivariateNormalMixture':
      return [{ kind: 'eps', width, law: 'normal' }, { kind: 'gumbel', width: components!, law: 'gumbel' }];
  }
}

/** One-hot of argmax(log π + g) over the last axis: a Gumbel-max component choice. */
function gumbelChoice(ctx: DistCtx, logits: Value, g: Value): Value {
  const { b } = ctx;
  const s = b.add(logSoftmax(ctx, logits), g);
  const m = b.reduceMax(s, [s.shape.length - 1], true);
  return b.cast(b.greaterOrEqual(s, m), ctx.dtype);
}

/** A sample for generation, given noise by kind (see `noiseFor`). */
export function sampleFor(ctx: DistCtx, d0: DistValues, noise: Readonly<Record<string, Value>>): Value {
  const { b, prefix } = ctx;
  const d = d0.components ? { ...d0, params: mixtureParams(ctx, d0) } : d0;
  const r = prefix.length;
  const full = (v: Value): Value => (v.shape.length === r + 1 && v.shape[r] === d.width ? v : b.expand(v, [...prefix, d.width]));
  switch (d.family) {
    case 'Normal': case 'Laplace': return full(rsample(ctx, d, noise['eps']!));
    case 'Bernoulli': return b.cast(b.greater(b.sigmoid(d.params['logits']!), noise['u']!), ctx.dtype);
    case 'MixtureNormal': {
      const K = d.components!;
      const n = d.width;
      const onehot = b.reshape(gumbelChoice(ctx, d.params['logits']!, noise['gumbel']!), [...prefix, K, 1]);
      const pick = (v: Value): Value => b.reduceSum(b.mul(onehot, b.reshape(v, [...prefix, K, n])), [r], false);
      return b.add(pick(d.params['locs']!), b.mul(pick(d.params['scales']!), noise['eps']!));
    }
    case 'BivariateNormalMixture': {
      const K = d.components!;
      const onehot = gumbelChoice(ctx, d.params['logits']!, noise['gumbel']!);
      const pick = (v: Value): Value => b.reduceSum(b.mul(onehot, v), [r], true);
      const pair = (v: Value, i: number): Value => pick(b.reshape(b.slice(b.reshape(v, [...prefix, K, 2]), r + 1, i, i + 1), [...prefix, K]));
      const rho = pick(d.params['corr']!);
      const e1 = b.slice(noise['eps']!, r, 0, 1);
      const e2 = b.slice(noise['eps']!, r, 1, 2);
      // x2 = μ2 + σ2 (ρ ε1 + √(1-ρ²) ε2): correlated pair from independent normals
      const x1 = b.add(pair(d.params['locs']!, 0), b.mul(pair(d.params['scales']!, 0), e1));
      const corr = b.add(b.mul(rho, e1), b.mul(b.sqrt(b.sub(b.constant(1, [], ctx.dtype), b.square(rho))), e2));
      const x2 = b.add(pair(d.params['locs']!, 1), b.mul(pair(d.params['scales']!, 1), corr));
      return b.concat([x1, x2], r);
    }
  }
}
