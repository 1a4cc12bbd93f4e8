/**
 * @file The filtering variational objective (FIVO; Maddison et al. 2017, Le et al. 2018,
 * Naesseth et al. 2018) as a handler: K particles per sequence run side by side, each drawn from
 * the guide as in IWAE; at the end of every step the particles' log-weights are updated with
 * the step's incremental weight α = log p(x_t | ·) + log p(z_t | ·) - log q(z_t | ·), the log of
 * the step's normalizer estimate is accumulated,
 *
 *     log Ẑ_t = logsumexp_k(W_k + α_k) - logsumexp_k(W_k),
 *
 * and, for every sequence whose effective sample size (Σw)²/Σw² falls below `threshold`·K,
 * systematic resampling (one uniform draw per sequence and step) picks ancestors; every carry
 * of the step (states, previous latents, LSTM memories) is gathered from the ancestors and the
 * log-weights are reset to 0. Without resampling the sum telescopes to the IWAE bound exactly.
 * Padded steps add nothing and never resample.
 *
 * Training uses the standard biased gradient: ancestor indices are integers, so no gradient flows
 * through the resampling decisions (the score-function term of the resampling is dropped).
 *
 * Outputs ([B], nats): `fivo` (the bound, log Ẑ), `resampled` (number of resampling steps per
 * sequence), `elbo`, `loglik`, `kl`, `aux` (particle averages); train graphs add `loss` =
 * -Σ_b (fivo_b + aux_b) / Σ mask. Inputs beyond IWAE's: `resample.u` [T, B] uniform noise.
 * The resampling threshold is a compile-time constant (default 0.5; 0 never resamples).
 */
import type { Value } from '../compiler/ir/graph.js';
import type { ObserveSite } from '../compiler/program.js';
import { logProb } from './distributions.js';
import type { DistValues } from './families.js';
import type { FinishCtx, HandlerCarry, SiteCtx, StepCarries, StepInput } from './handler.js';
import { ImportanceHandler } from './importance.js';
import type { StepProgram } from '../compiler/program.js';

/** The default resampling threshold, as a fraction of K (Doucet & Johansen 2009). */
export const DEFAULT_RESAMPLE_THRESHOLD = 0.5;

/** FIVO with K particles (a number for training, or a symbol chosen at run time). */
export class FivoHandler extends ImportanceHandler {
  /** Resamples a sequence when its effective sample size falls below `threshold`·K. */
  constructor(step: StepProgram, particles: number | string, purpose: 'train' | 'evaluate', readonly threshold = DEFAULT_RESAMPLE_THRESHOLD) {
    super(step, particles, purpose);
  }

  stepInputs(): StepInput[] {
    return [...super.stepInputs(), { name: 'resample.u', tail: [], role: 'noise', law: 'uniform', rows: 'sequences', clean: false }];
  }

  carries(): HandlerCarry[] {
    return [...super.carries(), { key: 'logw', tail: [], init: (b, rows, dtype) => b.full([rows], 0, dtype) }];
  }

  observe(ctx: SiteCtx, site: ObserveSite, dist: DistValues, given: Value | null): Value {
    // Emissions outside the scan are the same for every particle: they add to the bound directly.
    if (ctx.mode === 'sequence') {
      ctx.term('loglik_seq', logProb(ctx, dist, given!));
      return given!;
    }
    return super.observe(ctx, site, dist, given);
  }

  endStep(ctx: SiteCtx, carries: StepCarries): void {
    super.endStep(ctx, carries);
    const { b, dtype } = ctx;
    const increment = b.sub(ctx.current('loglik') ?? b.full([ctx.rows], 0, dtype), ctx.current('klmc') ?? b.full([ctx.rows], 0, dtype));
    const r = filterStep(ctx, carries, this.particles, this.threshold, increment);
    ctx.term('fivo', r.logZ);
    ctx.term('resampled', r.resampled);
  }

  finish(f: FinishCtx): void {
    const { b, dtype } = f;
    const K = f.particles;
    const zero = b.constant(0, [], dtype);
    const valid = b.greater(f.mask, zero);
    const perSeq = (name: string): Value => b.reduceSum(b.where(valid, f.terms.get(name) ?? b.full(['T', f.rows], 0, dtype), zero), [0], false);
    const count = typeof K === 'number' ? b.constant(K, [], dtype) : b.reduceSum(b.full([K, 'B'], 1, dtype), [0], false);
    const meanK = (v: Value): Value => b.div(b.reduceSum(b.reshape(v, [K, 'B']), [0], false), count);
    const sumT = (name: string): Value => (f.terms.has(name) ? b.reduceSum(f.terms.get(name)!, [0], false) : b.full(['B'], 0, dtype));
    const outside = meanK(perSeq('loglik_seq'));
    const fivo = b.add(sumT('fivo'), outside);
    const loglik = b.add(meanK(perSeq('loglik')), outside);
    const kl = meanK(perSeq('kl'));
    const aux = meanK(perSeq('aux'));
    if (this.purpose === 'train') f.output('loss', b.div(b.neg(b.reduceSum(b.add(fivo, aux), [0], false)), b.reduceSum(f.sequenceMask, [0, 1], false)));
    f.output('fivo', fivo);
    f.output('resampled', sumT('resampled'));
    f.output('elbo', b.sub(loglik, kl));
    f.output('loglik', loglik);
    f.output('kl', kl);
    f.output('aux', aux);
  }
}

/**
 * One step of a particle filter at the end of a step, shared by FIVO and the filtered prefix
 * continuation: adds the step's incremental log-weight `increment` ([rows]) to the carried
 * log-weights where `ctx.mask` is 1, and for every sequence whose effective sample size
 * (Σw)²/Σw² falls below `threshold`·K picks ancestors by systematic resampling (one uniform
 * `resample.u` per sequence and step) and gathers every carry of the step from them, the
 * log-weights reset to 0. Returns the log of the step's normalizer estimate,
 * logsumexp_k(W_k + α_k) - logsumexp_k(W_k), and 1 where the sequence was resampled ([B]).
 */
export function filterStep(ctx: SiteCtx, carries: StepCarries, K: number | string, threshold: number, increment: Value): { logZ: Value; resampled: Value } {
  const { b, dtype } = ctx;
  const c = (v: number): Value => b.constant(v, [], dtype);
  const zero = c(0);
  const valid = b.greater(ctx.mask, zero);
  const alpha = b.where(valid, increment, zero);
  const prev = ctx.prev('logw');
  const W = b.add(prev, alpha);
  const byK = (v: Value): Value => b.reshape(v, [K, 'B', ...v.shape.slice(1)]);
  const Wk = byK(W);
  const lse = b.logSumExp(Wk, 0, false);
  const logZ = b.sub(lse, b.logSumExp(byK(prev), 0, false));
  // ESS = (Σ w)² / Σ w² = exp(2 lse(W) - lse(2W)), compared with threshold · K per sequence.
  const ones = b.full([K, 'B'], 1, dtype);
  const count = b.reduceSum(ones, [0], false);
  const ess = b.exp(b.sub(b.mul(c(2), lse), b.logSumExp(b.mul(c(2), Wk), 0, false)));
  const seqValid = b.reshape(b.slice(byK(ctx.mask), 0, 0, 1), ['B']);
  const resampleF = b.mul(b.cast(b.greater(b.mul(c(threshold), count), ess), dtype), seqValid);
  const resample = b.greater(resampleF, zero);
  // Systematic resampling: positions (k + u)/K, ancestor k = #{j : cumulative weight_j < position_k}.
  const wn = b.exp(b.sub(Wk, b.reshape(lse, [1, 'B'])));
  const cw = b.cumSum(wn, 0);
  const u = b.reshape(b.slice(byK(ctx.input('resample.u')), 0, 0, 1), [1, 'B']);
  const pos = b.div(b.add(b.cumSum(ones, 0, false, true), u), count);
  const below = b.cast(b.greater(b.reshape(pos, [K, 1, 'B']), b.reshape(cw, [1, K, 'B'])), dtype);
  const ancestors = b.cast(b.min(b.reduceSum(below, [1], false), b.sub(count, c(1))), 'int64');
  const pick = b.reshape(resample, [1, 'B']);
  // Resampled sequences restart from uniform weights; every other carry follows its ancestor.
  carries.set('h:logw', b.reshape(b.where(pick, b.full([K, 'B'], 0, dtype), Wk), [ctx.rows]));
  for (const key of carries.keys.filter((k) => k !== 'h:logw')) {
    const v = carries.get(key);
    const tail = v.shape.slice(1);
    const idx = b.expand(b.reshape(ancestors, [K, 'B', ...tail.map(() => 1)]), [K, 'B', ...tail]);
    const keep = b.reshape(pick, [1, 'B', ...tail.map(() => 1)]);
    carries.set(key, b.reshape(b.where(keep, b.gatherElements(byK(v), idx, 0), byK(v)), [ctx.rows, ...tail]));
  }
  return { logZ, resampled: resampleF };
}
