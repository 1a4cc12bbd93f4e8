/**
 * @file The scheduler: CheckedModel → StepProgram. Classifies every per-step quantity by
 * direction and by whether it depends on sampled latents, using the checker's dependency graph.
 * For inference, deterministic states (functions of the data only) run first in forward or
 * backward phases of their own; everything that depends on a latent runs in one final forward
 * stochastic phase; emissions and aux terms that depend on no latent are scored over whole
 * sequences. For generation, every generative site runs in one forward phase.
 * Example: SRNN's d runs forward, its guide state a runs backward over (d, x), then z is
 * sampled forward and x scored beside it.
 */
import type { CheckedModel, Def, Read } from './checked.js';
import { InternalError } from './diagnostics.js';
import type { AuxSite, Carry, LatentSite, ObserveSite, Phase, Site, StateSite, StepProgram } from './program.js';
import { families } from '../inference/families.js';

/** Reads of every definition, by target and kind. */
function readsByKind(defs: readonly Def[], kinds: readonly Def['kind'][]): Map<string, Read[]> {
  const out = new Map<string, Read[]>();
  for (const d of defs) if (kinds.includes(d.kind)) out.set(d.target, [...(out.get(d.target) ?? []), ...d.reads]);
  return out;
}

/** Schedules a checked model that has a guide (or no latents). */
export function schedule(m: CheckedModel): StepProgram {
  const latentVars = [...m.vars.values()].filter((v) => v.role === 'latent');
  if (!m.guide && latentVars.some((v) => v.elem !== 'cat')) throw new InternalError('schedule: the model has continuous latents but no guide');
  const stateSite = (a: { target: string; value: StateSite['update'] }): StateSite => {
    const v = m.vars.get(a.target)!;
    const cell = a.value.k === 'cell' ? m.nets.get(a.value.net)! : null;
    return { kind: 'state', name: v.name, width: v.width, owner: v.owner, update: a.value, cell, initParam: v.initParam };
  };
  const states = new Map([...m.transitions, ...(m.guide?.transitions ?? [])].map((a) => [a.target, stateSite(a)] as const));
  const priorOf = new Map(m.priors.map((p) => [p.target, p.dist] as const));
  const guideOf = new Map((m.guide?.samples ?? []).map((s) => [s.target, s.dist] as const));
  const latents = new Map(latentVars.map((v) => [v.name, {
    kind: 'latent', name: v.name, width: v.width, support: families[priorOf.get(v.name)!.family].support,
    prior: priorOf.get(v.name)!, guide: guideOf.get(v.name) ?? null,
  } satisfies LatentSite] as const));
  const observes: ObserveSite[] = m.emissions.map((e) => ({ kind: 'observe', name: e.target, width: m.vars.get(e.target)!.width, dist: e.dist }));
  const auxes: AuxSite[] = m.aux.map((a) => ({ kind: 'aux', name: a.target, width: m.vars.get(a.target)!.width, weight: a.weight, dist: a.dist }));

  // Inference reads: state updates, guides and priors of latents (both are scored at the latent).
  const inferenceReads = readsByKind(m.defs, ['transition', 'guideState', 'guideSample', 'prior']);
  const emissionReads = readsByKind(m.defs, ['emission']);
  const auxReads = readsByKind(m.defs, ['aux']);

  // Stochastic: latents, and anything whose update or guide reads a stochastic variable at any offset.
  const guideReads = readsByKind(m.defs, ['transition', 'guideState', 'guideSample']);
  const stochasticVars = new Set<string>(latents.keys());
  for (let changed = true; changed;) {
    changed = false;
    for (const [n, rs] of guideReads) {
      if (!stochasticVars.has(n) && rs.some((r) => stochasticVars.has(r.name))) {
        stochasticVars.add(n);
        changed = true;
      }
    }
  }
  const phases: Phase[] = detPhases(m, states, stochasticVars, inferenceReads);

  const dependsOnLatents = (reads: readonly Read[] | undefined): boolean => (reads ?? []).some((r) => stochasticVars.has(r.name));
  const inScan = (s: ObserveSite | AuxSite): boolean => dependsOnLatents((s.kind === 'observe' ? emissionReads : auxReads).get(s.name)) || (s.kind === 'aux' && stochasticVars.has(s.name));
  const scored = [...observes, ...auxes];
  const members = [...stochasticVars].filter((n) => states.has(n) || latents.has(n)).sort();
  if (members.length) {
    const order = sameStepOrder(members, inferenceReads);
    const sites: Site[] = [...order.map((n) => states.get(n) ?? latents.get(n)!), ...scored.filter(inScan)];
    const reads = [...order.flatMap((n) => inferenceReads.get(n) ?? []), ...scored.filter(inScan).flatMap((s) => (s.kind === 'observe' ? emissionReads : auxReads).get(s.name) ?? [])];
    phases.push({ direction: 'forward', stochastic: true, sites, carries: carriesOf(m, sites, reads, new Set(members)) });
  }

  // Generation: latents from priors, observations from emissions, model states.
  const genReads = readsByKind(m.defs, ['prior', 'emission', 'transition']);
  const guideReadsOf = readsByKind(m.defs, ['guideSample']);
  const genMembers = [...latents.keys(), ...observes.map((o) => o.name), ...m.transitions.map((t) => t.target)].sort();
  const genOrder = sameStepOrder(genMembers, genReads);
  const obsByName = new Map(observes.map((o) => [o.name, o] as const));
  const genSites: Site[] = genOrder.map((n) => latents.get(n) ?? obsByName.get(n) ?? states.get(n)!);
  const generation: Phase = {
    direction: 'forward', stochastic: true, sites: genSites,
    // Guides are read too (prefix continuation draws latents from them), so their [t-1] reads are carried.
    carries: carriesOf(m, genSites, [...genOrder.flatMap((n) => genReads.get(n) ?? []), ...[...guideReadsOf.values()].flat()], new Set(genMembers)),
  };

  const data = [...m.vars.values()].filter((v) => v.role === 'observe' || v.role === 'input');
  return {
    model: m, data, controls: data.filter((v) => v.role === 'input'),
    inference: { phases, sequence: scored.filter((s) => !inScan(s)) }, generation,
  };
}

/**
 * Deterministic phases: strongly connected components of the any-offset dependency graph among
 * deterministic states, merged into one scan per run of the same direction unless a state reads
 * another against the scan's direction (that one must be a finished sequence of an earlier phase).
 */
function detPhases(m: CheckedModel, states: ReadonlyMap<string, StateSite>, stochastic: ReadonlySet<string>, reads: ReadonlyMap<string, readonly Read[]>): Phase[] {
  const det = [...states.keys()].filter((n) => !stochastic.has(n));
  const detSet = new Set(det);
  const dirOf = (n: string): 'forward' | 'backward' => (m.vars.get(n)!.direction === 'backward' ? 'backward' : 'forward');
  const edges = new Map(det.map((n) => [n, [...new Set((reads.get(n) ?? []).filter((r) => detSet.has(r.name) && r.name !== n).map((r) => r.name))]] as const));
  const groups: { direction: 'forward' | 'backward'; states: string[] }[] = [];
  for (const comp of tarjan(det, edges)) {
    const dirs = new Set(comp.map(dirOf));
    if (dirs.size > 1) throw new InternalError(`schedule: states ${comp.join(', ')} depend on each other but run in different directions`);
    const direction = dirOf(comp[0]!);
    const last = groups[groups.length - 1];
    // Inside a scan only t and the step before it in scan order are readable: a backward state
    // reading another's [t-1] needs that one finished first, as a sequence of an earlier phase.
    const against = direction === 'backward' ? -1 : 1;
    const readsAgainst = last !== undefined && comp.some((n) => (reads.get(n) ?? []).some((r) => r.offset === against && last.states.includes(r.name)));
    if (last && last.direction === direction && !readsAgainst) last.states.push(...comp);
    else groups.push({ direction, states: [...comp] });
  }
  return groups.map((g) => {
    const sites = sameStepOrder(g.states, reads).map((n) => states.get(n)!);
    // Every state of a deterministic phase is carried (its own previous value in scan order).
    const carries = sites.flatMap((s) => stateCarries(s));
    return { direction: g.direction, stochastic: false, sites, carries };
  });
}

/** The carries of a state: its value and, for an LSTM, its memory. */
function stateCarries(s: StateSite): Carry[] {
  const c: Carry[] = [{ key: s.name, name: s.name, memory: false, width: s.width, initParam: s.initParam }];
  if (s.cell?.kind === 'lstm') c.push({ key: `c:${s.name}`, name: s.name, memory: true, width: s.width, initParam: null });
  return c;
}

/** Carries of a forward stochastic phase: members (the variables it computes) read at t-1, plus LSTM memories. */
function carriesOf(m: CheckedModel, sites: readonly Site[], reads: readonly Read[], members: ReadonlySet<string>): Carry[] {
  const carried = new Set(reads.filter((r) => r.offset === -1 && members.has(r.name)).map((r) => r.name));
  const out: Carry[] = [...carried].sort().map((n) => {
    const v = m.vars.get(n)!;
    return { key: n, name: n, memory: false, width: v.width, initParam: v.initParam };
  });
  for (const s of sites) {
    if (s.kind !== 'state' || !s.cell) continue;
    if (!carried.has(s.name)) throw new InternalError(`schedule: cell state ${s.name} is not carried`);
    if (s.cell.kind === 'lstm') out.push({ key: `c:${s.name}`, name: s.name, memory: true, width: s.width, initParam: null });
  }
  return out;
}

/** Orders names so that whatever reads x[t] comes after x (the checker has ruled out cycles). */
export function sameStepOrder(names: readonly string[], deps: ReadonlyMap<string, readonly { name: string; offset: number }[]>): string[] {
  const set = new Set(names);
  const out: string[] = [];
  const state = new Map<string, number>();
  // Iterative depth-first search (the dependency chain within a step can be long).
  for (const root of names) {
    if (state.get(root) === 2) continue;
    const stack: { n: string; next: number; deps: string[] }[] = [];
    const push = (n: string): void => {
      if (state.get(n) === 1) throw new InternalError(`schedule: same-step cycle through ${n}`);
      state.set(n, 1);
      stack.push({ n, next: 0, deps: (deps.get(n) ?? []).filter((r) => r.offset === 0 && set.has(r.name) && r.name !== n).map((r) => r.name) });
    };
    push(root);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const d = top.deps[top.next++];
      if (d === undefined) {
        stack.pop();
        state.set(top.n, 2);
        out.push(top.n);
      } else if (state.get(d) !== 2) push(d);
    }
  }
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
