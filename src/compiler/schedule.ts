/**
 * @file The time schedule: classifies every per-step quantity by direction and by whether it
 * depends on sampled latents, and orders them into phases. Deterministic states (functions of
 * the data only) run first in forward or backward scans of their own; everything that depends on
 * a latent runs in one final forward "stochastic" scan. Example: SRNN's d runs forward, its guide
 * state a runs backward over (d, x), then z is sampled forward.
 */
import type { AssignDef, CheckedModel, SampleDef } from './checked.js';
import { readsOf, distReads } from './checked.js';
import { InternalError } from './diagnostics.js';

/** A scan over deterministic states. */
export interface DetPhase {
  readonly direction: 'forward' | 'backward';
  /** States in an order that respects same-step dependencies. */
  readonly states: readonly string[];
}

/** The inference-time schedule of a model. */
export interface TimeProgram {
  readonly detPhases: readonly DetPhase[];
  /** Latents and stochastic states of the final forward scan, in same-step dependency order. */
  readonly stochastic: readonly string[];
  /** Every variable whose value depends on a sampled latent. */
  readonly stochasticVars: ReadonlySet<string>;
  /** Update of every state (model and guide). */
  readonly updates: ReadonlyMap<string, AssignDef>;
  /** Guide sample of every latent. */
  readonly guideOf: ReadonlyMap<string, SampleDef>;
}

/** Schedules a checked model that has a guide. */
export function schedule(m: CheckedModel): TimeProgram {
  const hasLatents = [...m.vars.values()].some((v) => v.role === 'latent');
  if (!m.guide && hasLatents) throw new InternalError('schedule: the model has latents but no guide (the default guide is not built yet)');
  const updates = new Map<string, AssignDef>();
  for (const a of [...m.transitions, ...(m.guide?.transitions ?? [])]) updates.set(a.target, a);
  const guideOf = new Map((m.guide?.samples ?? []).map((s) => [s.target, s] as const));
  const deps = new Map<string, { name: string; offset: number }[]>();
  for (const [n, a] of updates) deps.set(n, readsOf(a.value));
  for (const [n, s] of guideOf) deps.set(n, distReads(s.dist));

  // Stochastic: latents, and anything that reads a stochastic variable at any offset.
  const stochasticVars = new Set<string>(guideOf.keys());
  for (let changed = true; changed;) {
    changed = false;
    for (const [n, rs] of deps) {
      if (!stochasticVars.has(n) && rs.some((r) => stochasticVars.has(r.name))) {
        stochasticVars.add(n);
        changed = true;
      }
    }
  }
  const det = [...updates.keys()].filter((n) => !stochasticVars.has(n));
  const detSet = new Set(det);
  const dirOf = (n: string): 'forward' | 'backward' => (m.vars.get(n)!.direction === 'backward' ? 'backward' : 'forward');

  // Strongly connected components of the any-offset dependency graph among deterministic states.
  const edges = new Map(det.map((n) => [n, [...new Set(deps.get(n)!.filter((r) => detSet.has(r.name) && r.name !== n).map((r) => r.name))]] as const));
  const sccs = tarjan(det, edges);
  const detPhases: { direction: 'forward' | 'backward'; states: string[] }[] = [];
  for (const comp of sccs) {
    const dirs = new Set(comp.map(dirOf));
    if (dirs.size > 1) throw new InternalError(`schedule: states ${comp.join(', ')} depend on each other but run in different directions`);
    const direction = dirOf(comp[0]!);
    const last = detPhases[detPhases.length - 1];
    // Inside a scan only t and the step before it in scan order are readable: a backward state
    // reading another's [t-1] needs that one finished first, as a sequence of an earlier phase.
    const against = direction === 'backward' ? -1 : 1;
    const readsAgainst = last !== undefined && comp.some((n) => deps.get(n)!.some((r) => r.offset === against && last.states.includes(r.name)));
    if (last && last.direction === direction && !readsAgainst) last.states.push(...comp);
    else detPhases.push({ direction, states: [...comp] });
  }
  for (const p of detPhases) p.states.splice(0, p.states.length, ...sameStepOrder(p.states, deps));
  const stochastic = sameStepOrder([...stochasticVars].filter((n) => updates.has(n) || guideOf.has(n)).sort(), deps);
  return { detPhases, stochastic, stochasticVars, updates, guideOf };
}

/** Orders names so that whatever reads x[t] comes after x (the checker has ruled out cycles). */
export function sameStepOrder(names: readonly string[], deps: ReadonlyMap<string, readonly { name: string; offset: number }[]>): string[] {
  const set = new Set(names);
  const out: string[] = [];
  const state = new Map<string, number>();
  const visit = (n: string): void => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) throw new InternalError(`schedule: same-step cycle through ${n}`);
    state.set(n, 1);
    for (const r of deps.get(n) ?? []) if (r.offset === 0 && set.has(r.name) && r.name !== n) visit(r.name);
    state.set(n, 2);
    out.push(n);
  };
  for (const n of names) visit(n);
  return out;
}

/** Tarjan's SCC algorithm; components come out dependencies-first (reverse topological order of the condensation). */
function tarjan(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp.sort());
    }
  };
  for (const n of [...nodes].sort()) if (!idx.has(n)) strong(n);
  return out;
}
