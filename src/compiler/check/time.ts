/**
 * @file Time-index rules: what each statement may read at t-1, t and t+1, cycles within a step,
 * priors that peek at the current observation, and backward states that would need latents.
 * The graph searches run on the trampoline: a chain of thousands of states is not deep.
 */
import type { Span } from '../ast.js';
import type { VarInfo } from '../checked.js';
import type { Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';
import { run, type Rec } from '../trampoline.js';

import type { Def, DefKind } from '../checked.js';
export type { Def, DefKind } from '../checked.js';

const generative = (k: DefKind): boolean => k === 'prior' || k === 'emission' || k === 'transition';
const ref = (name: string, offset: number): string => `${name}[t${offset > 0 ? '+' : offset < 0 ? '-' : ''}${offset ? Math.abs(offset) : ''}]`;

/** Checks every read of every definition against the time rules; appends diagnostics. */
export function checkTime(defs: readonly Def[], vars: ReadonlyMap<string, VarInfo>, diags: Diagnostic[]): void {
  for (const d of defs) {
    for (const r of d.reads) {
      const v = vars.get(r.name);
      if (!v || Math.abs(r.offset) > 1) continue;
      const self = r.name === d.target && (d.kind === 'transition' || d.kind === 'guideState');
      if (self && r.offset === 0) {
        diags.push(E.stateReadsItself(r.span, r.name, v.direction === 'backward'));
        continue;
      }
      const drawnSelf = r.name === d.target && (d.kind === 'prior' || d.kind === 'emission' || d.kind === 'guideSample');
      if (drawnSelf && r.offset === 0) {
        diags.push(E.stateReadsItself(r.span, r.name, false, true));
        continue;
      }
      if (generative(d.kind)) {
        if (v.owner === 'guide') diags.push(E.generativeReadsGuide(r.span, r.name, d.where));
        else if (r.offset > 0 && !self) {
          diags.push(E.readsFuture(r.span, ref(r.name, r.offset), d.where, `the generative model runs forward in time: did you mean ${ref(r.name, r.offset - 1)}?`));
        } else if (d.kind === 'prior' && r.offset === 0 && v.role === 'observe') {
          diags.push(E.priorReadsObservation(r.span, d.target, r.name, null));
        }
      } else if (r.offset > 0 && !self) {
        const ok = v.role === 'observe' || v.role === 'input' || (v.owner === 'guide' && v.direction === 'backward');
        if (!ok) {
          diags.push(E.readsFuture(r.span, ref(r.name, r.offset), d.where,
            'only observations, inputs and guide states that run backward can be read at t+1'));
        }
      }
    }
  }
  const genDefs = defs.filter((d) => generative(d.kind));
  const infDefs = defs.filter((d) => d.kind === 'transition' || d.kind === 'guideSample' || d.kind === 'guideState');
  findCycles(genDefs, diags);
  findCycles(infDefs, diags);
  priorsPeeking(genDefs, vars, diags);
  backwardStates(infDefs, vars, diags);
}

type Edges = Map<string, { name: string; span: Span }[]>;

/** Same-step dependency edges (offset 0, self-reads excluded). */
function sameStep(defs: readonly Def[]): Edges {
  const g: Edges = new Map();
  for (const d of defs) {
    const list = g.get(d.target) ?? [];
    for (const r of d.reads) if (r.offset === 0 && r.name !== d.target) list.push({ name: r.name, span: r.span });
    g.set(d.target, list);
  }
  return g;
}

function findCycles(defs: readonly Def[], diags: Diagnostic[]): void {
  const g = sameStep(defs);
  const color = new Map<string, 0 | 1 | 2>();
  const stack: string[] = [];
  const reported = new Set<string>();
  function* visit(n: string): Rec<void> {
    color.set(n, 1);
    stack.push(n);
    for (const e of g.get(n) ?? []) {
      const c = color.get(e.name) ?? 0;
      if (c === 1) {
        const cyc = stack.slice(stack.indexOf(e.name));
        const key = [...cyc].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          diags.push(E.stepCycle(e.span, [...cyc, e.name].map((x) => `${x}[t]`)));
        }
      } else if (c === 0 && g.has(e.name)) yield visit(e.name);
    }
    stack.pop();
    color.set(n, 2);
  }
  for (const n of [...g.keys()].sort()) if ((color.get(n) ?? 0) === 0) run(visit(n));
}

/** A prior may not depend on an observation at t through same-step quantities (direct reads are reported above). */
function priorsPeeking(defs: readonly Def[], vars: ReadonlyMap<string, VarInfo>, diags: Diagnostic[]): void {
  const g = sameStep(defs);
  for (const d of defs) {
    if (d.kind !== 'prior') continue;
    for (const first of g.get(d.target) ?? []) {
      if (vars.get(first.name)?.role === 'observe') continue;
      const seen = new Set<string>([d.target]);
      const todo = [first.name];
      let hit: string | null = null;
      while (todo.length && !hit) {
        const n = todo.pop()!;
        if (seen.has(n)) continue;
        seen.add(n);
        for (const e of g.get(n) ?? []) {
          if (vars.get(e.name)?.role === 'observe') hit = e.name;
          else todo.push(e.name);
        }
      }
      if (hit) diags.push(E.priorReadsObservation(first.span, d.target, hit, `${first.name}[t]`));
    }
  }
}

/** A backward-running state is computed before any latent is sampled, so it may not depend on one. */
function backwardStates(defs: readonly Def[], vars: ReadonlyMap<string, VarInfo>, diags: Diagnostic[]): void {
  const all = new Map<string, Def>();
  for (const d of defs) all.set(d.target, d);
  for (const d of defs) {
    if (d.kind !== 'guideState' || vars.get(d.target)?.direction !== 'backward') continue;
    for (const r of d.reads) {
      if (r.name === d.target) continue;
      const latent = run(reachLatent(r.name, all, vars, new Set([d.target])));
      if (latent) {
        diags.push(E.backwardReadsLatent(r.span, d.target, latent));
        break;
      }
    }
  }
}

function* reachLatent(n: string, all: ReadonlyMap<string, Def>, vars: ReadonlyMap<string, VarInfo>, seen: Set<string>): Rec<string | null> {
  if (vars.get(n)?.role === 'latent') return n;
  if (seen.has(n)) return null;
  seen.add(n);
  const d = all.get(n);
  if (!d || vars.get(n)?.role !== 'state') return null;
  for (const r of d.reads) {
    const hit = yield reachLatent(r.name, all, vars, seen);
    if (hit) return hit;
  }
  return null;
}
