/**
 * @file The inference-handler interface. The lowering walks a step program (src/compiler/
 * program.ts) and hands every latent, observe and aux site, each step's end and the finish to a
 * handler; the handler decides how a latent is drawn and scored, how an observation is scored
 * (or drawn), what per-step terms accumulate, what it carries from step to step (log-weights,
 * log-α), and which graph outputs the per-sequence result becomes. ELBO, IWAE, FIVO, exact
 * enumeration and ancestral sampling are handlers; none of them knows a model.
 */
import type { GraphBuilder } from '../compiler/ir/builder.js';
import type { DimLike } from '../compiler/ir/dim.js';
import type { Value } from '../compiler/ir/graph.js';
import type { DType } from '../compiler/ir/ops.js';
import type { AuxSite, LatentSite, ObserveSite, StepProgram } from '../compiler/program.js';
import type { DistCtx, DistValues, NoiseLaw } from './families.js';

/** What a graph input holds, for the runtime's feeds. */
export type InputRole = 'param' | 'data' | 'mask' | 'noise' | 'beta' | 'optimizer' | 'state' | 'scalar';

/** One graph input as the runtime must feed it. */
export interface InputSpec {
  readonly name: string;
  readonly shape: readonly DimLike[];
  readonly role: InputRole;
  /** For noise: the law to draw it from. */
  readonly law?: NoiseLaw;
}

/**
 * A per-step graph input a handler needs, declared before lowering and sliced per step:
 * shape [T, B, ...tail] for `rows: 'sequences'` (given per sequence) and [T, K, B, ...tail] for
 * `rows: 'particles'` when the handler runs K > 1 particles (noise drawn for every particle).
 */
export interface StepInput {
  readonly name: string;
  readonly tail: readonly DimLike[];
  readonly role: InputRole;
  readonly law?: NoiseLaw;
  readonly rows: 'sequences' | 'particles';
  /** Replace values at padded steps by zeros on entry (so garbage there cannot leak). */
  readonly clean: boolean;
}

/** A value the handler carries from step to step in the stochastic phase ([rows, ...tail]). */
export interface HandlerCarry {
  readonly key: string;
  readonly tail: readonly DimLike[];
  /** Its value before the first step, built in the outer graph. */
  readonly init: (b: GraphBuilder, rows: DimLike, dtype: DType) => Value;
}

/** Where a site is handed over: one step of a scan (prefix [rows]) or whole sequences (prefix ['T', rows]). */
export interface SiteCtx extends DistCtx {
  readonly mode: 'step' | 'sequence';
  /** Rows side by side: `B`, or `K*B` for K particles (row k·B + b is particle k of sequence b). */
  readonly rows: DimLike;
  /** A declared step input ([rows, ...tail] in a step). */
  input(name: string): Value;
  /** Adds `v` to the named per-position term; the finish receives every term stacked over time. */
  term(name: string, v: Value): void;
  /** The named term as accumulated so far at this position (null if nothing was added). */
  current(name: string): Value | null;
  /** 1 at valid positions, 0 at padding: shape [...prefix]. */
  readonly mask: Value;
  /** This context with the values of the discrete latent being summed out as an extra axis: prefix [...prefix, K]. */
  enumerated(): SiteCtx;
  /** A handler carry's value from the previous step (step mode only). */
  prev(key: string): Value;
  /** Sets a handler carry's value for the next step (step mode only; unset carries pass through). */
  next(key: string, v: Value): void;
}

/** Every carry of the stochastic phase at the end of a step: the program's and the handler's. */
export interface StepCarries {
  readonly keys: readonly string[];
  get(key: string): Value;
  set(key: string, v: Value): void;
}

/** What the finish receives. */
export interface FinishCtx {
  readonly b: GraphBuilder;
  readonly dtype: DType;
  readonly rows: DimLike;
  readonly particles: number | string;
  /** Every term, summed over sites and stacked over time: [T, ...]. */
  readonly terms: ReadonlyMap<string, Value>;
  /** [T, rows] mask and the per-sequence [T, B] mask as fed. */
  readonly mask: Value;
  readonly sequenceMask: Value;
  /** Handler carries after the last step. */
  readonly final: ReadonlyMap<string, Value>;
  /** A graph input declared in `prepare`. */
  input(name: string): Value;
  output(name: string, v: Value): void;
}

/** Declares graph inputs that are not per-step (β, scalars). */
export interface Declare {
  input(name: string, shape: readonly DimLike[], role: InputRole): Value;
}

/** An inference algorithm (or the sampler) as a handler over a step program. */
export interface InferenceHandler {
  /** Which program of the step program it walks. */
  readonly program: 'inference' | 'generation';
  /** Particles per sequence, side by side: a number, or a symbol (`K`) chosen when the graph runs. */
  readonly particles: number | string;
  /**
   * Generation only: the step inputs `prefix.<x>` and `prefix_mask` are data to condition on —
   * the inference program's deterministic phases run over them first, and guide distributions
   * read observations from them.
   */
  readonly conditionsOnPrefix?: boolean;
  /** A training objective: nets declared with `dropout` drop units (one uniform noise input per call and layer). */
  readonly dropout?: boolean;
  /** Graph inputs that are not per step, declared after the data and the mask. */
  prepare(d: Declare): void;
  /** The program it was made for. */
  readonly step: StepProgram;
  /** Per-step inputs (noise, given prefixes), in graph-input order. */
  stepInputs(): readonly StepInput[];
  /** Carries of its own in the stochastic phase. */
  carries(): readonly HandlerCarry[];
  /**
   * Which of a latent's distributions it reads (so the lowering computes only those), and
   * whether it sums a discrete latent out (then `enumerate` is called instead of `latent`, the
   * latent has no value, and every distribution reading it at t is lowered with one more axis
   * holding its K values: `DistValues.over`).
   */
  uses(site: LatentSite): { readonly prior: boolean; readonly guide: boolean; readonly enumerate?: boolean };
  /**
   * Sums out a discrete latent: `transition` is its prior with s[t-1] enumerated
   * ([rows, K_prev, K] parameters), `initial` its prior at the first step (s[t-1] = 0).
   */
  enumerate?(ctx: SiteCtx, site: LatentSite, transition: () => DistValues, initial: () => DistValues): void;
  /** Draws (or enumerates) a latent; returns its value for the rest of the step. */
  latent(ctx: SiteCtx, site: LatentSite, prior: () => DistValues, guide: () => DistValues): Value;
  /** Scores or draws an observation; `given` is the data (inference) or a prefix value; returns its value. */
  observe(ctx: SiteCtx, site: ObserveSite, dist: DistValues, given: Value | null): Value;
  /** Scores an auxiliary term. */
  aux(ctx: SiteCtx, site: AuxSite, dist: DistValues, value: Value): void;
  /** At the end of each step, after every site (e.g. resampling); may rewrite any carry. */
  endStep(ctx: SiteCtx, carries: StepCarries): void;
  /** Turns the stacked terms and final carries into graph outputs. */
  finish(f: FinishCtx): void;
}
