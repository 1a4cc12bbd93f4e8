/**
 * @file Posterior inference as a handler: the importance handler with one particle, which also
 * reports, per sequence and step, what the guide believes about every continuous latent (its
 * location, scale and the sample drawn) and, for a discrete latent summed out, the quantities
 * filtering, smoothing and Viterbi decoding need: the filtered marginals p(s_t | x_≤t, z_≤t),
 * the log transition matrix used at each step and the log evidence each value of s_t received.
 *
 * Outputs (besides the ELBO terms): `posterior.<z>.loc|scale|sample` [T, B, w];
 * `posterior.<s>.filtered` [T, B, K], `posterior.<s>.logtrans` [T, B, K, K] (row j: from s_{t-1}
 * = j; at t = 0 every row is the initial distribution), `posterior.<s>.evidence` [T, B, K].
 * Smoothing and Viterbi decoding run on these in float64 (src/runtime/infer.ts).
 */
import type { Value } from '../compiler/ir/graph.js';
import type { LatentSite, StepProgram } from '../compiler/program.js';
import { families, logSoftmax, type DistValues } from './families.js';
import type { FinishCtx, SiteCtx, StepCarries } from './handler.js';
import { ImportanceHandler, summedLatents } from './importance.js';

/** Caches a thunk's value (a distribution is lowered once even if asked twice). */
function once<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}

/** The guide's beliefs and the discrete latents' filtering quantities, per step. */
export class PosteriorHandler extends ImportanceHandler {
  constructor(step: StepProgram) {
    super(step, 1, 'evaluate');
  }

  latent(ctx: SiteCtx, site: LatentSite, prior: () => DistValues, guide: () => DistValues): Value {
    const q = once(guide);
    const z = super.latent(ctx, site, prior, q);
    const { b } = ctx;
    const full = (v: Value): Value => (v.shape.length === 2 && v.shape[1] === site.width ? v : b.expand(v, [ctx.rows, site.width]));
    const d = q();
    for (const p of ['loc', 'scale'] as const) if (d.params[p]) ctx.term(`posterior.${site.name}.${p}`, full(d.params[p]!));
    ctx.term(`posterior.${site.name}.sample`, z);
    return z;
  }

  enumerate(ctx: SiteCtx, site: LatentSite, transition: () => DistValues, initial: () => DistValues): void {
    const [tr, init] = [once(transition), once(initial)];
    super.enumerate(ctx, site, tr, init);
    const { b } = ctx;
    const K = site.width;
    const rules = families[site.prior.family].enumerate!;
    const started = b.greater(b.reshape(ctx.prev(`started:${site.name}`), [ctx.rows, 1, 1]), b.constant(0, [], ctx.dtype));
    const first = b.expand(b.reshape(rules(ctx, init()), [ctx.rows, 1, K]), [ctx.rows, K, K]);
    ctx.term(`posterior.${site.name}.logtrans`, b.where(started, rules(ctx.enumerated(), tr()), first));
    // What enumerate predicted, so the evidence can be told apart at the end of the step.
    ctx.term(`posterior.${site.name}.predicted`, ctx.current(`enum:${site.name}`)!);
  }

  endStep(ctx: SiteCtx, carries: StepCarries): void {
    for (const s of summedLatents(this.step)) {
      const all = ctx.current(`enum:${s.name}`)!;
      ctx.term(`posterior.${s.name}.evidence`, ctx.b.sub(all, ctx.current(`posterior.${s.name}.predicted`)!));
      ctx.term(`posterior.${s.name}.filtered`, ctx.b.exp(logSoftmax(ctx.enumerated(), all)));
    }
    super.endStep(ctx, carries);
  }

  finish(f: FinishCtx): void {
    super.finish(f);
    for (const [name, v] of f.terms) if (name.startsWith('posterior.') && !name.endsWith('.predicted')) f.output(name, v);
  }
}
