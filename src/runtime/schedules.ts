/** @file Learning-rate and KL-weight schedules: pure functions of the 1-based step. */

/** A learning-rate schedule. */
export interface LrSchedule {
  readonly kind: 'constant' | 'cosine' | 'exp';
  readonly base: number;
  /** Linear warm-up over this many steps (0 = none). */
  readonly warmup: number;
  /** Total steps (cosine decays to `min` at the last step). */
  readonly total: number;
  /** Floor of the cosine schedule, as a fraction of `base`. */
  readonly min: number;
  /** Per-step factor of the exponential schedule. */
  readonly decay: number;
}

/** The learning rate at `step` (1-based). warm-up: base·step/warmup; cosine: min + (1-min)·½(1+cos(π·progress)). */
export function learningRate(s: LrSchedule, step: number): number {
  const warm = s.warmup > 0 && step <= s.warmup ? step / s.warmup : 1;
  switch (s.kind) {
    case 'constant': return s.base * warm;
    case 'exp': return s.base * warm * Math.pow(s.decay, Math.max(0, step - s.warmup));
    case 'cosine': {
      const span = Math.max(1, s.total - s.warmup);
      const progress = Math.min(1, Math.max(0, (step - s.warmup) / span));
      return s.base * warm * (s.min + (1 - s.min) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

/** KL annealing: β rises linearly from `start` to 1 over `steps` steps (Bowman et al. 2016); 0 steps = always 1. */
export function klWeight(anneal: { readonly start: number; readonly steps: number }, step: number): number {
  if (anneal.steps <= 0) return 1;
  return Math.min(1, anneal.start + (1 - anneal.start) * (step / anneal.steps));
}
