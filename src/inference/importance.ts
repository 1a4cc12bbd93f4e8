/**
 * @file Importance-sampling handlers: the ELBO and the importance-weighted bound (IWAE, Burda et
 * al. 2016). Every latent is drawn from its guide by reparameterization (noise is an input);
 * each site adds to per-position terms: `loglik` (emissions), `kl` (closed form where the
 * families have one, else the one-sample estimate log q(z) - log p(z)), `klmc` (always the
 * one-sample estimate) and `aux`. Padded steps are masked out at the finish.
 *
 * ELBO outputs ([B] each, nats): `elbo`, `loglik`, `kl`, `aux`, `logw` = log p(x, z) - log q(z | x)
 * of the sampled z, and `loss` = -Σ_b (loglik_b - β·kl_b + aux_b) / Σ mask.
 * With K particles (a number, or the symbol `K` chosen at run time) every sequence is tiled K
 * times (row k·B + b); `logw` is then per particle ([K·B]), `iwae` = log (1/K) Σ_k w_kb per
 * sequence, `elbo`, `loglik`, `kl`, `aux` are K-averages, and the training loss is
 * -Σ_b (iwae_b + aux_b) / Σ mask (β does not apply to this bound).
 *
 * A discrete latent (`cat[K]`) is summed out exactly by the forward algorithm inside the scan
 * (Rabiner 1989, in log space): a [rows, K] carry log α_t(k) = log p(x_≤t, z_≤t, s_t = k)
 * is predicted through the prior of s (its transition, with s[t-1] enumerated) and updated with
 * every term that reads s[t] (emissions, priors of continuous latents), which arrive with the K
 * values of s as an extra axis. Each step adds log Σ_k α_t(k) − log Σ_k α_{t-1}(k) to `loglik`,
 * so the sums telescope to log p(x, z) with s summed out; continuous latents whose prior reads s
 * contribute log q(z) to `kl`/`klmc` (their prior term is inside the sum). A model whose only
 * latents are discrete has nothing to sample, and its `logw` is the exact log-likelihood.
 */
import type { Value } from '../compiler/ir/graph.js';
import type { AuxSite, LatentSite, ObserveSite, StepProgram } from '../compiler/program.js';
import { stochasticSites } from '../compiler/program.js';
import { analyticKl, logProb, rsample } from './distributions.js';
import { families, type DistValues } from './families.js';
import type { Declare, FinishCtx, HandlerCarry, InferenceHandler, SiteCtx, StepCarries, StepInput } from './handler.js';

/** The latent sites of a program's inference scan, in scan order. */
export function inferenceLatents(p: StepProgram): LatentSite[] {
  return p.inference.phases.flatMap((ph) => stochasticSites(ph)).filter((s): s is LatentSite => s.kind === 'latent');
}

/** Latents drawn from the guide (continuous). */
export function sampledLatents(p: StepProgram): LatentSite[] {
  return inferenceLatents(p).filter((s) => s.support !== 'cat');
}

/** Discrete latents, summed out exactly. */
export function summedLatents(p: StepProgram): LatentSite[] {
  return inferenceLatents(p).filter((s) => s.support === 'cat');
}

/** Reparameterized draws from the guide, scored against the prior and the emissions. */
export class ImportanceHandler implements InferenceHandler {
  readonly program = 'inference';

  /**
   * `particles` = 1 is the ELBO; more (or a symbol) gives the importance-weighted bound too.
   * A `train` graph outputs the loss it minimizes and takes β; an `evaluate` graph does neither.
   */
  constructor(readonly step: StepProgram, readonly particles: number | string, protected readonly purpose: 'train' | 'evaluate') {}

  /** Only the training objective thins its nets; evaluation applies them whole. */
  get dropout(): boolean {
    return this.purpose === 'train';
  }

  prepare(d: Declare): void {
    // The IWAE bound has no KL weight, but keeps the input so every train graph has the same interface.
    if (this.purpose === 'train') d.input('beta', [], 'beta');
  }

  stepInputs(): StepInput[] {
    return sampledLatents(this.step).map((z) => {
      const law = families[z.guide!.family].noise(z.guide!.width, z.guide!.components)[0]!.law;
      return { name: `noise.${z.name}`, tail: [z.guide!.width], role: 'noise', law, rows: 'particles', clean: true };
    });
  }

  carries(): HandlerCarry[] {
    return summedLatents(this.step).flatMap((s) => [
      { key: `alpha:${s.name}`, tail: [s.width], init: (b, rows, dtype) => b.full([rows, s.width], 0, dtype) },
      { key: `started:${s.name}`, tail: [], init: (b, rows, dtype) => b.full([rows], 0, dtype) },
    ]);
  }

  uses(site: LatentSite): { prior: boolean; guide: boolean; enumerate: boolean } {
    const summed = site.support === 'cat';
    return { prior: true, guide: !summed, enumerate: summed };
  }

  /** Predicts log α_t through the prior of s: transition from α_{t-1}, or the initial distribution at the first step. */
  enumerate(ctx: SiteCtx, site: LatentSite, transition: () => DistValues, initial: () => DistValues): void {
    const { b } = ctx;
    const rules = families[site.prior.family].enumerate!;
    const prev = ctx.prev(`alpha:${site.name}`);
    const trans = rules(ctx.enumerated(), transition());
    const moved = b.logSumExp(b.add(b.reshape(prev, [ctx.rows, site.width, 1]), trans), 1, false);
    const started = b.greater(b.reshape(ctx.prev(`started:${site.name}`), [ctx.rows, 1]), b.constant(0, [], ctx.dtype));
    ctx.term(`enum:${site.name}`, b.where(started, moved, rules(ctx, initial())));
  }

  latent(ctx: SiteCtx, site: LatentSite, prior: () => DistValues, guide: () => DistValues): Value {
    const q = guide();
    const z = rsample(ctx, q, ctx.input(`noise.${site.name}`));
    const p = prior();
    if (p.over) {
      const lq = logProb(ctx, q, z);
      ctx.term(`enum:${p.over}`, logProb(ctx.enumerated(), p, this.spread(ctx, z)));
      ctx.term('kl', lq);
      ctx.term('klmc', lq);
      return z;
    }
    const mc = ctx.b.sub(logProb(ctx, q, z), logProb(ctx, p, z));
    ctx.term('kl', analyticKl(ctx, q, p) ?? mc);
    ctx.term('klmc', mc);
    return z;
  }

  observe(ctx: SiteCtx, _site: ObserveSite, dist: DistValues, given: Value | null): Value {
    if (dist.over) ctx.term(`enum:${dist.over}`, logProb(ctx.enumerated(), dist, this.spread(ctx, given!)));
    else ctx.term('loglik', logProb(ctx, dist, given!));
    return given!;
  }

  /** A [rows, w] value as [rows, 1, w], to broadcast over the K values of a summed-out latent. */
  private spread(ctx: SiteCtx, v: Value): Value {
    return ctx.b.reshape(v, [ctx.rows, 1, ...v.shape.slice(1)]);
  }

  aux(ctx: SiteCtx, site: AuxSite, dist: DistValues, value: Value): void {
    ctx.term('aux', ctx.b.mul(ctx.b.constant(site.weight, [], ctx.dtype), logProb(ctx, dist, value)));
  }

  /** Updates log α with the step's terms that read s, and adds the step's share of log p(x, z) to `loglik`. */
  endStep(ctx: SiteCtx, _carries: StepCarries): void {
    const { b, dtype } = ctx;
    const zero = b.constant(0, [], dtype);
    for (const s of summedLatents(this.step)) {
      const prev = ctx.prev(`alpha:${s.name}`);
      const started = ctx.prev(`started:${s.name}`);
      const valid = b.greater(ctx.mask, zero);
      const alpha = b.where(b.reshape(valid, [ctx.rows, 1]), ctx.current(`enum:${s.name}`)!, prev);
      const before = b.where(b.greater(started, zero), b.logSumExp(prev, 1, false), zero);
      ctx.term('loglik', b.where(valid, b.sub(b.logSumExp(alpha, 1, false), before), zero));
      ctx.next(`alpha:${s.name}`, alpha);
      ctx.next(`started:${s.name}`, b.max(started, ctx.mask));
    }
  }

  finish(f: FinishCtx): void {
    const { b, dtype } = f;
    const zero = b.constant(0, [], dtype);
    const valid = b.greater(f.mask, zero);
    const perSeq = (name: string): Value => b.reduceSum(b.where(valid, f.terms.get(name) ?? b.full(['T', f.rows], 0, dtype), zero), [0], false);
    const loglik = perSeq('loglik');
    const kl = perSeq('kl');
    const aux = perSeq('aux');
    const logw = b.sub(loglik, perSeq('klmc'));
    const steps = b.reduceSum(f.sequenceMask, [0, 1], false);
    const K = f.particles;
    const train = this.purpose === 'train';
    if (K === 1) {
      if (train) {
        const objective = b.sub(b.add(loglik, aux), b.mul(f.input('beta'), kl));
        f.output('loss', b.div(b.neg(b.reduceSum(objective, [0], false)), steps));
      }
      f.output('elbo', b.sub(loglik, kl));
      f.output('loglik', loglik);
      f.output('kl', kl);
      f.output('aux', aux);
      f.output('logw', logw);
      if (!train) f.output('iwae', logw);
      return;
    }
    // log (1/K) Σ_k w_kb over the K particles of each sequence.
    const byK = (v: Value): Value => b.reshape(v, [K, 'B']);
    const count = typeof K === 'number' ? b.constant(K, [], dtype) : b.reduceSum(b.full([K, 'B'], 1, dtype), [0], false);
    const meanK = (v: Value): Value => b.div(b.reduceSum(byK(v), [0], false), count);
    const iwae = b.sub(b.logSumExp(byK(logw), 0, false), b.log(count));
    if (train) f.output('loss', b.div(b.neg(b.reduceSum(b.add(iwae, meanK(aux)), [0], false)), steps));
    f.output('elbo', meanK(b.sub(loglik, kl)));
    f.output('loglik', meanK(loglik));
    f.output('kl', meanK(kl));
    f.output('aux', meanK(aux));
    f.output('logw', logw);
    f.output('iwae', iwae);
  }
}
