/**
 * @file Ancestral sampling as a handler over the generation program: at each step, in same-step
 * order, latents are drawn from their priors, observations from their emissions (or taken from
 * a given prefix where `prefix_mask` is 1) and states are updated. All randomness is an input.
 *
 * Step inputs: `prefix.<x>` [T, B, w] and `prefix_mask` [T, B] for each observed variable, then
 * `noise.<v>.<kind>` [T, B, ·] for every drawn variable (laws from the family table).
 * Outputs: `sample.<v>` [T, B, w] for each latent and observed variable.
 * `AncestralSampler` draws latents from the prior everywhere; `PrefixContinuation` infers them
 * over the prefix with the guide instead (prefix continuation through the guide).
 */
import type { Value } from '../compiler/ir/graph.js';
import { InternalError } from '../compiler/diagnostics.js';
import type { LatentSite, ObserveSite, StepProgram } from '../compiler/program.js';
import { logProb, rsample, sampleFor } from './distributions.js';
import { filterStep } from './fivo.js';
import { families, type DistValues, type DistCtx } from './families.js';
import type { FinishCtx, HandlerCarry, InferenceHandler, SiteCtx, StepCarries, StepInput } from './handler.js';

/** The drawn sites of the generation program, in step order. */
export function drawnSites(p: StepProgram): (LatentSite | ObserveSite)[] {
  return p.generation.sites.filter((s): s is LatentSite | ObserveSite => s.kind === 'latent' || s.kind === 'observe');
}

/** The distribution a generation site draws from. */
function drawnDist(s: LatentSite | ObserveSite): LatentSite['prior'] {
  return s.kind === 'latent' ? s.prior : s.dist;
}

/** Noise inputs of a drawn site, named `noise.<v>.<kind>`. */
export function noiseInputs(s: LatentSite | ObserveSite): StepInput[] {
  const d = drawnDist(s);
  return families[d.family].noise(d.width, d.components).map((n) => ({ name: `noise.${s.name}.${n.kind}`, tail: [n.width], role: 'noise', law: n.law, rows: 'particles', clean: false }));
}

/** Draws a site's value from its distribution with its noise inputs. */
export function drawSite(ctx: SiteCtx, s: LatentSite | ObserveSite, d: DistValues): Value {
  const noise: Record<string, Value> = {};
  for (const n of noiseInputs(s)) noise[n.name.slice(n.name.lastIndexOf('.') + 1)] = ctx.input(n.name);
  return sampleFor(ctx, d, noise);
}

/** Where `prefix_mask` is 1, the given prefix value; else `v`. */
export function givenOr(ctx: DistCtx & { input(n: string): Value }, name: string, v: Value): Value {
  const { b } = ctx;
  const m = b.greater(b.reshape(ctx.input('prefix_mask'), [...ctx.prefix, 1]), b.constant(0, [], ctx.dtype));
  return b.where(m, ctx.input(`prefix.${name}`), v);
}

/** Ancestral sampling from the priors and emissions. */
export class AncestralSampler implements InferenceHandler {
  readonly program = 'generation';
  readonly particles: number | string = 1;

  constructor(readonly step: StepProgram) {}

  prepare(): void {}

  stepInputs(): StepInput[] {
    const observed = drawnSites(this.step).filter((s) => s.kind === 'observe');
    return [
      ...observed.map((x): StepInput => ({ name: `prefix.${x.name}`, tail: [x.width], role: 'data', rows: 'sequences', clean: false })),
      { name: 'prefix_mask', tail: [], role: 'mask', rows: 'sequences', clean: false },
      ...drawnSites(this.step).flatMap(noiseInputs),
    ];
  }

  carries(): HandlerCarry[] {
    return [];
  }

  uses(_site: LatentSite): { prior: boolean; guide: boolean } {
    return { prior: true, guide: false };
  }

  latent(ctx: SiteCtx, site: LatentSite, prior: () => DistValues, _guide?: () => DistValues): Value {
    const v = drawSite(ctx, site, prior());
    ctx.term(`sample.${site.name}`, v);
    return v;
  }

  observe(ctx: SiteCtx, site: ObserveSite, dist: DistValues): Value {
    const v = givenOr(ctx, site.name, drawSite(ctx, site, dist));
    ctx.term(`sample.${site.name}`, v);
    return v;
  }

  aux(): void {
    throw new InternalError('sampler: the generation program has no aux sites');
  }

  endStep(_ctx: SiteCtx, _carries: StepCarries): void {}

  finish(f: FinishCtx): void {
    for (const s of drawnSites(this.step)) f.output(`sample.${s.name}`, f.terms.get(`sample.${s.name}`)!);
  }
}

/**
 * Continues given prefixes: where `prefix_mask` is 1 the observations are the given ones and
 * every continuous latent is drawn from its guide (reparameterized, `noise.<z>.guide`), which
 * sees the prefix — guide states such as a backward summary of x run over the prefix before the
 * scan; after the prefix, latents come from their priors and observations from their emissions.
 * Discrete latents are drawn from their priors throughout.
 */
export class PrefixContinuation extends AncestralSampler {
  readonly conditionsOnPrefix = true;

  /** Latents with a reparameterized guide. */
  private guided(): LatentSite[] {
    return drawnSites(this.step).filter((s): s is LatentSite => s.kind === 'latent' && s.guide !== null && families[s.guide.family].rsample !== null);
  }

  stepInputs(): StepInput[] {
    const guideNoise = this.guided().map((z): StepInput => {
      const n = families[z.guide!.family].noise(z.guide!.width, z.guide!.components)[0]!;
      return { name: `noise.${z.name}.guide`, tail: [n.width], role: 'noise', law: n.law, rows: 'particles', clean: false };
    });
    return [...super.stepInputs(), ...guideNoise];
  }

  uses(site: LatentSite): { prior: boolean; guide: boolean } {
    return { prior: true, guide: this.guided().includes(site) };
  }

  latent(ctx: SiteCtx, site: LatentSite, prior: () => DistValues, guide: () => DistValues): Value {
    if (!this.uses(site).guide) return super.latent(ctx, site, prior);
    const { b } = ctx;
    const fromGuide = rsample(ctx, guide(), ctx.input(`noise.${site.name}.guide`));
    const inPrefix = b.greater(b.reshape(ctx.input('prefix_mask'), [...ctx.prefix, 1]), b.constant(0, [], ctx.dtype));
    const v = b.where(inPrefix, fromGuide, drawSite(ctx, site, prior()));
    ctx.term(`sample.${site.name}`, v);
    return v;
  }
}

/**
 * Continues given prefixes with a particle filter over the prefix (`seqc sample --prefix D
 * --particles K`): K particles per sequence run side by side; over the prefix each continuous
 * latent is proposed by its guide (other latents, such as discrete ones, by their prior), the
 * particle's log-weight gains log p(x_t | ·) + log p(z_t | ·) - log q(z_t | ·), and a sequence
 * whose effective sample size falls below `threshold`·K is resampled, every carry following the
 * ancestors (`filterStep`, shared with FIVO). After the prefix nothing is weighted or resampled:
 * each particle continues ancestrally. Outputs `sample.<v>` [T, K·B, w] and the final
 * log-weights `logw` [K·B], from which the runtime picks one particle per sequence (probability
 * ∝ its weight). Over the prefix the latents in a slot are the filter's particles at each step
 * (filtering draws), not one ancestral path; from the end of the prefix on, a slot is one path.
 */
export class FilteredContinuation extends PrefixContinuation {
  constructor(step: StepProgram, override readonly particles: number | string, readonly threshold: number) {
    super(step);
  }

  stepInputs(): StepInput[] {
    return [...super.stepInputs(), { name: 'resample.u', tail: [], role: 'noise', law: 'uniform', rows: 'sequences', clean: false }];
  }

  carries(): HandlerCarry[] {
    return [{ key: 'logw', tail: [], init: (b, rows, dtype) => b.full([rows], 0, dtype) }];
  }

  latent(ctx: SiteCtx, site: LatentSite, priorOf: () => DistValues, guideOf: () => DistValues): Value {
    const once = (f: () => DistValues): (() => DistValues) => { let d: DistValues | undefined; return () => (d ??= f()); };
    const [prior, guide] = [once(priorOf), once(guideOf)];
    const v = super.latent(ctx, site, prior, guide);
    // A guided latent's weight is p/q; a latent drawn from its prior (bootstrap proposal) adds nothing.
    if (this.uses(site).guide) ctx.term('weight', ctx.b.sub(logProb(ctx, prior(), v), logProb(ctx, guide(), v)));
    return v;
  }

  observe(ctx: SiteCtx, site: ObserveSite, dist: DistValues): Value {
    const v = super.observe(ctx, site, dist);
    ctx.term('weight', logProb(ctx, dist, v));
    return v;
  }

  endStep(ctx: SiteCtx, carries: StepCarries): void {
    // ctx.mask is the prefix mask here: weights and resampling act over the prefix only.
    filterStep(ctx, carries, this.particles, this.threshold, ctx.current('weight') ?? ctx.b.full([ctx.rows], 0, ctx.dtype));
  }

  finish(f: FinishCtx): void {
    super.finish(f);
    f.output('logw', f.final.get('logw')!);
  }
}
