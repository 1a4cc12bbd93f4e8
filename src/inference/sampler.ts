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
import { rsample, sampleFor } from './distributions.js';
import { families, type DistValues, type DistCtx } from './families.js';
import type { FinishCtx, HandlerCarry, InferenceHandler, SiteCtx, StepInput } from './handler.js';

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
  readonly particles = 1;

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

  endStep(): void {}

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
