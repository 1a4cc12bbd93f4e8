/**
 * @file The step program: the one description of a model's time step that everything after the
 * scheduler reads. A phase is one scan over time; its sites are typed — a `state` update (with
 * its recurrent cell, if any), a `latent` (prior, guide, support), an `observe` (its emission)
 * and an `aux` term (weight, distribution) — in an order that respects same-step reads, and its
 * carries are resolved (LSTM memories included). Inference algorithms and generation read the
 * same program; none of them re-derives the schedule.
 */
import type { CDist, CExpr, CheckedModel, NetInfo, VarInfo } from './checked.js';
import type { Support } from '../inference/families.js';

/** A deterministic update `name[t] = update` (a recurrent cell step when `cell` is set). */
export interface StateSite {
  readonly kind: 'state';
  readonly name: string;
  readonly width: number;
  readonly owner: 'model' | 'guide';
  readonly update: CExpr;
  readonly cell: NetInfo | null;
  /** The parameter holding a learned initial value, or null for zeros. */
  readonly initParam: string | null;
}

/** A latent variable: its prior, its guide (null only in programs without inference) and support. */
export interface LatentSite {
  readonly kind: 'latent';
  readonly name: string;
  readonly width: number;
  readonly support: Support;
  readonly prior: CDist;
  readonly guide: CDist | null;
}

/** An observed variable and its emission. */
export interface ObserveSite {
  readonly kind: 'observe';
  readonly name: string;
  readonly width: number;
  readonly dist: CDist;
}

/** An auxiliary log-likelihood term of the training objective (Z-forcing), weighted. */
export interface AuxSite {
  readonly kind: 'aux';
  /** The scored variable (observed, or a state). */
  readonly name: string;
  readonly width: number;
  readonly weight: number;
  readonly dist: CDist;
}

/** Any site. */
export type Site = StateSite | LatentSite | ObserveSite | AuxSite;

/** A value carried from one step to the next; key `name`, or `c:name` for an LSTM memory. */
export interface Carry {
  readonly key: string;
  readonly name: string;
  readonly memory: boolean;
  readonly width: number;
  /** The parameter of a learned initial state value, or null for zeros. */
  readonly initParam: string | null;
}

/** One scan over time. */
export interface Phase {
  readonly direction: 'forward' | 'backward';
  /** True for the scan that draws latents (inference) or everything (generation). */
  readonly stochastic: boolean;
  readonly sites: readonly Site[];
  readonly carries: readonly Carry[];
}

/** The scheduled model. */
export interface StepProgram {
  readonly model: CheckedModel;
  /** Observed and control-input variables: what the data feeds. */
  readonly data: readonly VarInfo[];
  /** Control inputs only (given with the data in generation too). */
  readonly controls: readonly VarInfo[];
  /**
   * Inference: deterministic phases (functions of the data only) first, in order; then at most
   * one stochastic forward phase over the latents and everything that depends on them. Observe
   * and aux sites that do not depend on latents are scored over whole sequences (`sequence`).
   */
  readonly inference: { readonly phases: readonly Phase[]; readonly sequence: readonly (ObserveSite | AuxSite)[] };
  /** Generation: one forward phase drawing latents from their priors and observations from their emissions. */
  readonly generation: Phase;
}

/** The sites of a phase that draw or score a distribution. */
export function stochasticSites(p: Phase): (LatentSite | ObserveSite | AuxSite)[] {
  return p.sites.filter((s): s is LatentSite | ObserveSite | AuxSite => s.kind !== 'state');
}
