/**
 * @file The one table of distribution families, typed over `Family`: parameters and their widths,
 * support, head transforms, reparameterization, log-density, sampling, entropy, KL, enumeration
 * and the noise law of each family. The checker reads the signature part, the lowering and the
 * inference handlers the IR part, the runtime's noise feeds the laws. Adding a family to
 * `familyList` fails `tsc` until every part of its row is written. Every IR function takes
 * parameters of shape [...prefix, ·] (or broadcastable scalars) and returns per-variable sums of
 * shape [...prefix]; nothing here knows a model.
 */
import type { GraphBuilder } from '../compiler/ir/builder.js';
import { dimProduct, shapeEq, toDim, type DimLike } from '../compiler/ir/dim.js';
import type { Value } from '../compiler/ir/graph.js';
import type { DType } from '../compiler/ir/ops.js';

/** Every distribution family of the language. */
export const familyList = ['Normal', 'Laplace', 'Bernoulli', 'NADE', 'Categorical', 'MixtureNormal', 'BivariateNormalMixture'] as const;
/** A distribution family's name. */
export type Family = (typeof familyList)[number];

/** A distribution instance in a graph. */
export interface DistValues {
  readonly family: Family;
  readonly params: Readonly<Record<string, Value>>;
  /** The family's size besides the width (`FamilyRules.size`): mixture components, NADE hidden units. */
  readonly components: number | null;
  /** Width n of the variable. */
  readonly width: number;
  /**
   * Set when the parameters depend on a discrete latent that is being summed out: the name of
   * that latent, whose K values form an extra axis before the width ([...prefix, K, ·]).
   */
  readonly over?: string;
}

/** Where values live: the builder, the batch prefix (['B'] in a scan step, ['T','B'] for sequences) and dtype. */
export interface DistCtx {
  readonly b: GraphBuilder;
  readonly prefix: readonly DimLike[];
  readonly dtype: DType;
}

/** The law of a noise input: standard normal, standard Laplace, uniform(0,1) or standard Gumbel. */
export type NoiseLaw = 'normal' | 'laplace' | 'uniform' | 'gumbel';

/** One noise input a family needs to draw a sample: name suffix, width and law. */
export interface NoiseSpec {
  readonly kind: 'eps' | 'u' | 'gumbel';
  readonly width: number;
  readonly law: NoiseLaw;
}

/**
 * How a `Family.head` makes a parameter: an affine layer from the head's input mapped into the
 * parameter's domain (`identity`, `positive`, `correlation`), or `free`: a learned vector that does
 * not depend on the input (NADE's weight matrices, shared by every step and sequence).
 */
export type HeadTransform = 'identity' | 'positive' | 'correlation' | 'free';

/**
 * An integer a family takes besides the variable's width: a mixture's components, NADE's hidden
 * units. A head takes it as the named option `option` (mixtures also as a third positional
 * argument); written directly, the family reads it from the width of the parameter `from`.
 */
export interface SizeRule {
  readonly option: string;
  /** What the number counts, for messages: `components`, `hidden units`. */
  readonly what: string;
  readonly from: string;
  /** Whether a head accepts it as its third positional argument too. */
  readonly positional: boolean;
}

/** Values a variable drawn from a family takes: element type of the language. */
export type Support = 'real' | 'binary' | 'cat';

/** Everything the compiler knows about one family. */
export interface FamilyRules {
  /** Parameter names, in positional order. */
  readonly params: readonly string[];
  readonly support: Support;
  /** The family's extra size (`k` below), or null when its parameters depend on the width only. */
  readonly size: SizeRule | null;
  /** Widths each parameter may have, given the variable width n and the size k (the first is the full width). */
  readonly widths: (n: number, k: number) => readonly (readonly number[])[];
  /** Why the family cannot describe a variable of width n, or null. */
  readonly widthError: (n: number) => string | null;
  /** Domain of each parameter when produced by a head. */
  readonly head: Readonly<Record<string, HeadTransform>>;
  /** Initialization bound U(-a, a) of a head's `free` parameters, given n and k. */
  readonly freeInit?: (param: string, n: number, k: number) => number;
  /** Noise inputs needed to draw one sample for generation. */
  readonly noise: (n: number, k: number | null) => readonly NoiseSpec[];
  /** log p(x) summed over the variable's width. */
  readonly logProb: (ctx: DistCtx, d: DistValues, x: Value) => Value;
  /** A sample given noise by kind (see `noise`). */
  readonly sample: (ctx: DistCtx, d: DistValues, noise: Readonly<Record<string, Value>>) => Value;
  /** A reparameterized sample from the family's first noise (guides need one), or null. */
  readonly rsample: ((ctx: DistCtx, d: DistValues, eps: Value) => Value) | null;
  /** Entropy summed over the width, where a closed form exists. */
  readonly entropy: ((ctx: DistCtx, d: DistValues) => Value) | null;
  /** KL(q‖p) in closed form against the families that have one. */
  readonly kl: Partial<Record<Family, (ctx: DistCtx, q: DistValues, p: DistValues) => Value>>;
  /** For a finite support: log-probabilities of every value, [...prefix, K] (null otherwise). */
  readonly enumerate: ((ctx: DistCtx, d: DistValues) => Value) | null;
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
function mixtureParams(ctx: DistCtx, d: DistValues): DistValues {
  const K = d.components!;
  const n = d.width;
  const p = d.params;
  const out: Record<string, Value> = { logits: atWidth(ctx, p['logits']!, K), locs: atWidth(ctx, p['locs']!, K * n), scales: atWidth(ctx, p['scales']!, K * n) };
  if (p['corr']) out['corr'] = atWidth(ctx, p['corr'], K);
  return { ...d, params: out };
}

/** Sums the last axis of a [...prefix, n] value (expanding broadcast scalars to n first). */
function sumLast(ctx: DistCtx, v: Value, n: number): Value {
  return ctx.b.reduceSum(atWidth(ctx, v, n), [ctx.prefix.length], false);
}

/** Elementwise Normal log-density: -½((x-μ)/σ)² - log σ - ½ log 2π. */
function normalElems(ctx: DistCtx, x: Value, loc: Value, scale: Value): Value {
  const { b } = ctx;
  const z = b.div(b.sub(x, loc), scale);
  return b.sub(b.sub(b.mul(c(ctx, -0.5), b.square(z)), b.log(scale)), c(ctx, 0.5 * LOG_2PI));
}

/** log softmax over the last axis. */
export function logSoftmax(ctx: DistCtx, logits: Value): Value {
  return ctx.b.sub(logits, ctx.b.logSumExp(logits, logits.shape.length - 1, true));
}

/** loc + scale·ε, broadcast to the variable's width. */
function locScale(ctx: DistCtx, d: DistValues, eps: Value): Value {
  return atWidth(ctx, ctx.b.add(d.params['loc']!, ctx.b.mul(d.params['scale']!, eps)), d.width);
}

/** One-hot of argmax(log π + g) over the last axis: a Gumbel-max component choice. */
function gumbelChoice(ctx: DistCtx, logits: Value, g: Value): Value {
  const { b } = ctx;
  const s = b.add(logSoftmax(ctx, logits), g);
  const m = b.reduceMax(s, [s.shape.length - 1], true);
  return b.cast(b.greaterOrEqual(s, m), ctx.dtype);
}

/** Component-major mixture: locs/scales are [..., K·n] laid out as K blocks of n. */
function mixtureLogProb(ctx: DistCtx, d0: DistValues, x: Value): Value {
  const { b, prefix } = ctx;
  const d = mixtureParams(ctx, d0);
  const K = d.components!;
  const n = d.width;
  const locs = b.reshape(d.params['locs']!, [...prefix, K, n]);
  const scales = b.reshape(d.params['scales']!, [...prefix, K, n]);
  const xk = b.reshape(x, [...prefix, 1, n]);
  // Σ_n log N(x_n | μ_kn, σ_kn) = -½ Σ_n z² - Σ_n log σ - n·½ log 2π: only z², log σ and the two
  // sums touch all K·n elements; the rest is per component.
  const r = prefix.length + 1;
  const quad = b.reduceSum(b.square(b.div(b.sub(xk, locs), scales)), [r], false);
  const comp = b.sub(b.sub(b.mul(c(ctx, -0.5), quad), b.reduceSum(b.log(scales), [r], false)), c(ctx, 0.5 * n * LOG_2PI));
  return b.logSumExp(b.add(logSoftmax(ctx, d.params['logits']!), comp), prefix.length, false);
}

/** Component `i` of the K (x, y) pairs of a bivariate mixture parameter: [..., K]. */
function pairPart(ctx: DistCtx, v: Value, K: number, i: number): Value {
  const { b, prefix } = ctx;
  const r = prefix.length;
  return b.reshape(b.slice(b.reshape(v, [...prefix, K, 2]), r + 1, i, i + 1), [...prefix, K]);
}

/** Bivariate components with correlation (Graves 2013, eqs. 24–26); locs/scales laid out as K pairs. */
function bivariateLogProb(ctx: DistCtx, d0: DistValues, x: Value): Value {
  const { b, prefix } = ctx;
  const d = mixtureParams(ctx, d0);
  const K = d.components!;
  const r = prefix.length;
  const [m1, m2, s1, s2] = [pairPart(ctx, d.params['locs']!, K, 0), pairPart(ctx, d.params['locs']!, K, 1), pairPart(ctx, d.params['scales']!, K, 0), pairPart(ctx, d.params['scales']!, K, 1)];
  const rho = d.params['corr']!;
  const z1 = b.div(b.sub(b.slice(x, r, 0, 1), m1), s1);
  const z2 = b.div(b.sub(b.slice(x, r, 1, 2), m2), s2);
  const omr = b.sub(c(ctx, 1), b.square(rho));
  // Z = z1² + z2² - 2ρ z1 z2; log N = -Z / (2(1-ρ²)) - log(2π s1 s2 √(1-ρ²))
  const Z = b.sub(b.add(b.square(z1), b.square(z2)), b.mul(b.mul(c(ctx, 2), rho), b.mul(z1, z2)));
  const quad = b.div(Z, b.mul(c(ctx, -2), omr));
  const norm = b.add(b.add(b.log(s1), b.log(s2)), b.add(b.mul(c(ctx, 0.5), b.log(omr)), c(ctx, LOG_2PI)));
  return b.logSumExp(b.add(logSoftmax(ctx, d.params['logits']!), b.sub(quad, norm)), r, false);
}

/** KL(N(μq,σq²) ‖ N(μp,σp²)) summed over the width: log(σp/σq) + (σq² + (μq-μp)²)/(2σp²) - ½. */
function klNormalNormal(ctx: DistCtx, q: DistValues, p: DistValues): Value {
  const { b } = ctx;
  const [mq, sq, mp, sp] = [q.params['loc']!, q.params['scale']!, p.params['loc']!, p.params['scale']!];
  const ratio = b.div(b.add(b.square(sq), b.square(b.sub(mq, mp))), b.mul(c(ctx, 2), b.square(sp)));
  return sumLast(ctx, b.sub(b.add(b.sub(b.log(sp), b.log(sq)), ratio), c(ctx, 0.5)), q.width);
}

/** A NADE weight parameter [..., n·H] as [..., n, H]: key j's H weights are features j·H … j·H+H-1. */
function keyMajor(ctx: DistCtx, v: Value, n: number, H: number): Value {
  return ctx.b.reshape(v, [...v.shape.slice(0, -1), n, H]);
}

/** `v` broadcast to exactly [...prefix, w] (a no-op when it already has that shape). */
function full(ctx: DistCtx, v: Value, w: number): Value {
  const want = [...ctx.prefix.map(toDim), w];
  return shapeEq(v.shape, want) ? v : ctx.b.expand(v, want);
}

/**
 * NADE (Larochelle & Murray 2011) over n bits with H hidden units: the logit of bit i given the
 * bits before it, b_i + V_i·σ(c + Σ_{j<i} x_j W_j), for every i at once ([..., n]). The sums over
 * the preceding bits are one exclusive running sum of x_j W_j along the key axis, so the density
 * costs O(n·H) per position and needs no loop.
 *
 * The hidden units of all M positions are laid out key-major, [n, M, H], so that every large
 * step is a product or a running sum over contiguous blocks: x_j W_j is a batched outer product
 * ([n, M, 1]·[n, 1, H]), the running sum goes along the outermost axis, and V_i·h_i is a batched
 * matrix-vector product ([n, M, H]·[n, H, 1]). Their gradients are then products too (the
 * weights' gradients contract M in one pass instead of a broadcast multiply and a reduction),
 * which halves the passes over the [n, M, H] tensors that bound this density's time. Only
 * [M, n]-sized values are transposed.
 */
function nadeLogits(ctx: DistCtx, d: DistValues, x: Value): Value {
  const { b } = ctx;
  const n = d.width;
  const H = d.components!;
  const win = d.params['win']!, wout = d.params['wout']!;
  // Shared weights (no position axes) take the key-major path; per-position ones the direct sum.
  if (win.shape.length !== 1 || wout.shape.length !== 1) return nadeLogitsDirect(ctx, d, x);
  const prefix = ctx.prefix.map(toDim);
  const M = dimProduct(prefix);
  const keysFirst = (v: Value, w: number): Value => b.transpose(b.reshape(full(ctx, v, w), [M, w]), [1, 0]);
  const xT = b.reshape(keysFirst(x, n), [n, M, 1]);
  const a = b.matmul(xT, b.reshape(win, [n, 1, H]));
  const c0 = b.reshape(full(ctx, d.params['hbias']!, H), [1, M, H]);
  const h = b.sigmoid(b.add(b.cumSum(a, 0, false, true), c0));
  const lT = b.matmul(h, b.reshape(wout, [n, H, 1]));
  const l = b.reshape(b.transpose(b.reshape(lT, [n, M]), [1, 0]), [...prefix, n]);
  return b.add(d.params['logits']!, l);
}

/** The same logits with the hidden units laid out [..., n, H] (weights of any shape). */
function nadeLogitsDirect(ctx: DistCtx, d: DistValues, x: Value): Value {
  const { b } = ctx;
  const n = d.width;
  const H = d.components!;
  const W = keyMajor(ctx, d.params['win']!, n, H);
  const a = b.mul(b.reshape(x, [...x.shape, 1]), W);
  const r = a.shape.length;
  const c0 = d.params['hbias']!;
  const pre = b.add(b.cumSum(a, r - 2, false, true), b.reshape(c0, [...c0.shape.slice(0, -1), 1, H]));
  const V = keyMajor(ctx, d.params['wout']!, n, H);
  return b.add(d.params['logits']!, b.reduceSum(b.mul(b.sigmoid(pre), V), [r - 1], false));
}

/** Row i of a [..., n, H] weight as [..., H]. */
function keyRow(ctx: DistCtx, W: Value, i: number): Value {
  const r = W.shape.length;
  return ctx.b.reshape(ctx.b.slice(W, r - 2, i, i + 1), [...W.shape.slice(0, -2), W.shape[r - 1]!]);
}

/**
 * Ancestral sampling from NADE: bit i is drawn from its conditional given the bits already drawn,
 * so the n draws are unrolled into the graph (about ten ops per bit), with the hidden
 * pre-activation carried along.
 */
function nadeSample(ctx: DistCtx, d: DistValues, u: Value): Value {
  const { b, prefix } = ctx;
  const n = d.width;
  const H = d.components!;
  const r = prefix.length;
  const W = keyMajor(ctx, d.params['win']!, n, H);
  const V = keyMajor(ctx, d.params['wout']!, n, H);
  const logits = atWidth(ctx, d.params['logits']!, n);
  let acc = d.params['hbias']!;
  const bits: Value[] = [];
  for (let i = 0; i < n; i++) {
    const hv = b.mul(b.sigmoid(acc), keyRow(ctx, V, i));
    const lg = b.add(b.slice(logits, r, i, i + 1), b.reduceSum(hv, [hv.shape.length - 1], true));
    const xi = b.cast(b.greater(b.sigmoid(lg), b.slice(u, r, i, i + 1)), ctx.dtype);
    bits.push(xi);
    if (i < n - 1) acc = b.add(acc, b.mul(xi, keyRow(ctx, W, i)));
  }
  return bits.length === 1 ? bits[0]! : b.concat(bits, r);
}

const noWidthLimit = (): null => null;
const components: SizeRule = { option: 'k', what: 'components', from: 'logits', positional: true };
const locScaleParams = { params: ['loc', 'scale'], support: 'real', size: null, widths: (n: number) => [[n, 1], [n, 1]], widthError: noWidthLimit, head: { loc: 'identity', scale: 'positive' } } as const;
const mixtureNoise = (n: number, k: number | null): NoiseSpec[] => [{ kind: 'eps', width: n, law: 'normal' }, { kind: 'gumbel', width: k!, law: 'gumbel' }];

/** The table. */
export const families: { readonly [F in Family]: FamilyRules } = {
  Normal: {
    ...locScaleParams,
    noise: (n) => [{ kind: 'eps', width: n, law: 'normal' }],
    logProb: (ctx, d, x) => sumLast(ctx, normalElems(ctx, x, d.params['loc']!, d.params['scale']!), d.width),
    sample: (ctx, d, noise) => locScale(ctx, d, noise['eps']!),
    rsample: (ctx, d, eps) => ctx.b.add(d.params['loc']!, ctx.b.mul(d.params['scale']!, eps)),
    // H = Σ ½log(2πe) + log σ
    entropy: (ctx, d) => sumLast(ctx, ctx.b.add(ctx.b.log(atWidth(ctx, d.params['scale']!, d.width)), c(ctx, 0.5 * (LOG_2PI + 1))), d.width),
    kl: { Normal: klNormalNormal },
    enumerate: null,
  },
  Laplace: {
    ...locScaleParams,
    noise: (n) => [{ kind: 'eps', width: n, law: 'laplace' }],
    // log p = -|x-μ|/s - log(2s)
    logProb: (ctx, d, x) => {
      const { b } = ctx;
      const s = d.params['scale']!;
      return sumLast(ctx, b.sub(b.neg(b.div(b.abs(b.sub(x, d.params['loc']!)), s)), b.log(b.mul(c(ctx, 2), s))), d.width);
    },
    sample: (ctx, d, noise) => locScale(ctx, d, noise['eps']!),
    rsample: (ctx, d, eps) => ctx.b.add(d.params['loc']!, ctx.b.mul(d.params['scale']!, eps)),
    // H = Σ 1 + log 2s
    entropy: (ctx, d) => sumLast(ctx, ctx.b.add(ctx.b.log(ctx.b.mul(c(ctx, 2), atWidth(ctx, d.params['scale']!, d.width))), c(ctx, 1)), d.width),
    kl: {},
    enumerate: null,
  },
  Bernoulli: {
    params: ['logits'], support: 'binary', size: null, widths: (n) => [[n, 1]], widthError: noWidthLimit, head: { logits: 'identity' },
    noise: (n) => [{ kind: 'u', width: n, law: 'uniform' }],
    // log p = x·l - softplus(l)
    logProb: (ctx, d, x) => sumLast(ctx, ctx.b.sub(ctx.b.mul(x, d.params['logits']!), ctx.b.softplus(d.params['logits']!)), d.width),
    sample: (ctx, d, noise) => ctx.b.cast(ctx.b.greater(ctx.b.sigmoid(d.params['logits']!), noise['u']!), ctx.dtype),
    rsample: null,
    // H = Σ softplus(l) - σ(l)·l
    entropy: (ctx, d) => {
      const l = atWidth(ctx, d.params['logits']!, d.width);
      return sumLast(ctx, ctx.b.sub(ctx.b.softplus(l), ctx.b.mul(ctx.b.sigmoid(l), l)), d.width);
    },
    kl: {},
    enumerate: null,
  },
  NADE: {
    // Bits drawn one after another, each given the ones before it (Larochelle & Murray 2011):
    // p(x) = Π_i Bernoulli(x_i | b_i + V_i·σ(c + Σ_{j<i} x_j W_j)). `logits` are the biases b
    // (width n), `hbias` the hidden biases c (width H), `win` and `wout` the key-major weights W
    // and V (n·H each). A head makes b and c from its input and W, V free parameters shared by
    // every step, as RNN-NADE does (Boulanger-Lewandowski et al. 2012).
    params: ['logits', 'hbias', 'win', 'wout'], support: 'binary',
    size: { option: 'hidden', what: 'hidden units', from: 'hbias', positional: false },
    widths: (n, k) => [[n, 1], [k], [n * k], [n * k]], widthError: noWidthLimit,
    head: { logits: 'identity', hbias: 'identity', win: 'free', wout: 'free' },
    freeInit: (param, n, k) => 1 / Math.sqrt(param === 'win' ? n : k),
    noise: (n) => [{ kind: 'u', width: n, law: 'uniform' }],
    // log p = Σ_i x_i·l_i - softplus(l_i), l_i the conditional logit of bit i
    logProb: (ctx, d, x) => {
      const l = nadeLogits(ctx, d, x);
      return sumLast(ctx, ctx.b.sub(ctx.b.mul(x, l), ctx.b.softplus(l)), d.width);
    },
    sample: (ctx, d, noise) => nadeSample(ctx, d, noise['u']!),
    rsample: null,
    entropy: null,
    kl: {},
    enumerate: null,
  },
  Categorical: {
    // A one-hot vector of width K; logits of width K (unnormalized log-probabilities).
    params: ['logits'], support: 'cat', size: null, widths: (n) => [[n]], widthError: (n) => (n >= 2 ? null : 'a categorical variable needs at least 2 categories'),
    head: { logits: 'identity' },
    noise: (n) => [{ kind: 'gumbel', width: n, law: 'gumbel' }],
    // log p(x) = Σ_k x_k log softmax(l)_k for one-hot x
    logProb: (ctx, d, x) => sumLast(ctx, ctx.b.mul(x, logSoftmax(ctx, atWidth(ctx, d.params['logits']!, d.width))), d.width),
    // Gumbel-max: one-hot of argmax(log π + g)
    sample: (ctx, d, noise) => gumbelChoice(ctx, atWidth(ctx, d.params['logits']!, d.width), noise['gumbel']!),
    rsample: null,
    // H = -Σ π log π
    entropy: (ctx, d) => {
      const lp = logSoftmax(ctx, atWidth(ctx, d.params['logits']!, d.width));
      return ctx.b.neg(sumLast(ctx, ctx.b.mul(ctx.b.exp(lp), lp), d.width));
    },
    // KL(q‖p) = Σ π_q (log π_q - log π_p)
    kl: {
      Categorical: (ctx, q, p) => {
        const lq = logSoftmax(ctx, atWidth(ctx, q.params['logits']!, q.width));
        const lp = logSoftmax(ctx, atWidth(ctx, p.params['logits']!, p.width));
        return sumLast(ctx, ctx.b.mul(ctx.b.exp(lq), ctx.b.sub(lq, lp)), q.width);
      },
    },
    enumerate: (ctx, d) => logSoftmax(ctx, atWidth(ctx, d.params['logits']!, d.width)),
  },
  MixtureNormal: {
    params: ['logits', 'locs', 'scales'], support: 'real', size: components, widths: (n, k) => [[k], [k * n], [k * n]], widthError: noWidthLimit,
    head: { logits: 'identity', locs: 'identity', scales: 'positive' },
    noise: mixtureNoise,
    logProb: mixtureLogProb,
    sample: (ctx, d0, noise) => {
      const { b, prefix } = ctx;
      const d = mixtureParams(ctx, d0);
      const K = d.components!;
      const n = d.width;
      const onehot = b.reshape(gumbelChoice(ctx, d.params['logits']!, noise['gumbel']!), [...prefix, K, 1]);
      const pick = (v: Value): Value => b.reduceSum(b.mul(onehot, b.reshape(v, [...prefix, K, n])), [prefix.length], false);
      return b.add(pick(d.params['locs']!), b.mul(pick(d.params['scales']!), noise['eps']!));
    },
    rsample: null,
    entropy: null,
    kl: {},
    enumerate: null,
  },
  BivariateNormalMixture: {
    params: ['logits', 'locs', 'scales', 'corr'], support: 'real', size: components, widths: (_n, k) => [[k], [2 * k], [2 * k], [k]],
    widthError: (n) => (n === 2 ? null : `it is a distribution over 2-d points and the variable has width ${n}`),
    head: { logits: 'identity', locs: 'identity', scales: 'positive', corr: 'correlation' },
    noise: mixtureNoise,
    logProb: bivariateLogProb,
    sample: (ctx, d0, noise) => {
      const { b, prefix } = ctx;
      const d = mixtureParams(ctx, d0);
      const K = d.components!;
      const r = prefix.length;
      const onehot = gumbelChoice(ctx, d.params['logits']!, noise['gumbel']!);
      const pick = (v: Value): Value => b.reduceSum(b.mul(onehot, v), [r], true);
      const rho = pick(d.params['corr']!);
      const e1 = b.slice(noise['eps']!, r, 0, 1);
      const e2 = b.slice(noise['eps']!, r, 1, 2);
      // x2 = μ2 + σ2 (ρ ε1 + √(1-ρ²) ε2): a correlated pair from independent normals
      const x1 = b.add(pick(pairPart(ctx, d.params['locs']!, K, 0)), b.mul(pick(pairPart(ctx, d.params['scales']!, K, 0)), e1));
      const corr = b.add(b.mul(rho, e1), b.mul(b.sqrt(b.sub(c(ctx, 1), b.square(rho))), e2));
      const x2 = b.add(pick(pairPart(ctx, d.params['locs']!, K, 1)), b.mul(pick(pairPart(ctx, d.params['scales']!, K, 1)), corr));
      return b.concat([x1, x2], r);
    },
    rsample: null,
    entropy: null,
    kl: {},
    enumerate: null,
  },
};
