/**
 * @file Ancestral sampling from the generative model as one forward Scan: at each step, in
 * same-step dependency order, latents are drawn from their priors, observations from their
 * emissions and states are updated. All randomness is an input (see `noiseFor`).
 *
 * Inputs: every parameter; `data.<u>` [T, B, w] for control inputs; `noise.<v>.<kind>` [T, B, ·]
 * for every latent and observed variable; `prefix.<x>` [T, B, w] and `prefix_mask` [T, B] to
 * continue given observations: where the mask is 1, x[t] is the prefix's value instead of a draw
 * (latents over the prefix are drawn from the prior, not inferred: a documented approximation).
 * Outputs: `sample.<v>` [T, B, w] for each latent and observed variable.
 */
import type { CheckedModel, SampleDef } from '../checked.js';
import { distReads, readsOf } from '../checked.js';
import type { DType } from '../ir/ops.js';
import type { Value } from '../ir/graph.js';
import { noiseFor, sampleFor, type DistCtx } from '../../inference/distributions.js';
import { sameStepOrder } from '../schedule.js';
import { ModelLowering, type LoweredGraph } from './objective.js';
import { Phase } from './phase.js';

/** Lowers the ancestral sampler of a model's generative part. */
export function lowerSampler(m: CheckedModel, dtype: DType): LoweredGraph {
  const L = new ModelLowering(m, dtype);
  const b = L.b;
  for (const v of m.vars.values()) if (v.role === 'input') L.seqs.set(v.name, L.input(`data.${v.name}`, ['T', 'B', v.width], 'data'));
  const drawn = new Map<string, SampleDef>([...m.priors, ...m.emissions].map((d) => [d.target, d] as const));
  const observed = m.emissions.map((e) => e.target);
  const prefixes = new Map(observed.map((n) => [n, L.input(`prefix.${n}`, ['T', 'B', m.vars.get(n)!.width], 'data')] as const));
  const prefixMask = L.input('prefix_mask', ['T', 'B'], 'mask');
  const updates = new Map(m.transitions.map((a) => [a.target, a] as const));
  const deps = new Map<string, { name: string; offset: number }[]>();
  for (const [n, d] of drawn) deps.set(n, distReads(d.dist));
  for (const [n, a] of updates) deps.set(n, readsOf(a.value));
  const members = new Set([...drawn.keys(), ...updates.keys()]);
  const order = sameStepOrder([...members].sort(), deps);
  const phase = new Phase(L.outer(), members, false);
  const used = new Set<string>();
  const noise = new Map<string, Record<string, Value>>();
  for (const n of order) {
    const d = drawn.get(n);
    if (d) {
      for (const e of Object.values(d.dist.params)) { phase.root(e); L.paramsOf(e, used); }
      const ns: Record<string, Value> = {};
      for (const spec of noiseFor(d.dist.family, d.dist.width, d.dist.components)) {
        const key = `noise.${n}.${spec.kind}`;
        ns[spec.kind] = L.input(key, ['T', 'B', spec.width], 'noise', spec.law);
        phase.scanned(key, ns[spec.kind]!);
      }
      noise.set(n, ns);
    } else {
      const v = updates.get(n)!.value;
      if (v.k === 'cell') phase.cellRoot(v);
      else phase.root(v);
      L.paramsOf(v, used);
      if (m.vars.get(n)!.init === 'learned') used.add(`${n}.init`);
    }
  }
  for (const [n, v] of prefixes) phase.scanned(`prefix:${n}`, v);
  phase.scanned('prefix_mask', prefixMask);
  const carried = new Set<string>();
  for (const rs of deps.values()) for (const r of rs) if (r.offset === -1 && members.has(r.name)) carried.add(r.name);
  const carries = [...carried].sort().map((n) => ({
    key: n,
    init: m.vars.get(n)!.role === 'state' ? L.init(b, n, ['B'], (x) => L.param(x)) : b.full(['B', m.vars.get(n)!.width], 0, dtype),
  }));
  for (const [n, a] of updates) {
    if (a.value.k === 'cell' && m.nets.get(a.value.net)!.kind === 'lstm') carries.push({ key: `c:${n}`, init: b.full(['B', m.vars.get(n)!.width], 0, dtype) });
  }
  const outNames = order.filter((n) => drawn.has(n));
  const res = phase.run(carries, [...used].sort(), (p) => {
    const ctx: DistCtx = { b: p.b, prefix: ['B'], dtype };
    const next = new Map<string, Value>();
    for (const n of order) {
      const d = drawn.get(n);
      if (d) {
        const ns: Record<string, Value> = {};
        for (const k of Object.keys(noise.get(n)!)) ns[k] = p.slices.get(`noise.${n}.${k}`)!;
        let v = sampleFor(ctx, L.dist(p.scope, d.dist), ns);
        const given = p.slices.get(`prefix:${n}`);
        if (given) v = p.b.where(p.b.greater(p.b.reshape(p.slices.get('prefix_mask')!, ['B', 1]), p.b.constant(0, [], dtype)), given, v);
        p.cur.set(n, v);
      } else p.cur.set(n, L.update(p, n, updates.get(n)!.value, next));
      if (carried.has(n)) next.set(n, p.cur.get(n)!);
    }
    return { carries: next, outputs: outNames.map((n) => p.cur.get(n)!) };
  });
  outNames.forEach((n, i) => b.output(`sample.${n}`, res.outputs[i]!));
  return { graph: b.build(), inputs: L.inputs };
}
