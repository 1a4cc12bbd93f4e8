/**
 * @file Lowering: walks a step program into one IR graph and hands every latent, observe and
 * aux site, each step's end and the finish to an inference handler (src/inference/handler.ts).
 * The lowering owns what every algorithm shares — graph inputs, tiling K particles side by side,
 * deterministic phases, hoisting, scans and carries — and nothing of any algorithm's arithmetic.
 *
 * Inputs: every parameter by name; `data.<v>` [T, B, w] for observed and control-input
 * variables (inference) or control inputs (generation); `mask` [T, B] (inference); then the
 * handler's inputs (`prepare`), its per-step inputs (`stepInputs`) and, for a training handler,
 * the dropout noise of every net call with dropout (src/compiler/lower/dropout.ts). Padded data and
 * `clean` step inputs are replaced by zeros on entry, so whatever the runtime leaves there
 * (garbage, NaN) can neither leak into x[t+1] reads nor poison the sums.
 */
import type { CDist, CExpr, CheckedModel } from '../checked.js';
import { children, readsOf } from '../checked.js';
import { InternalError } from '../diagnostics.js';
import { GraphBuilder } from '../ir/builder.js';
import type { DimLike } from '../ir/dim.js';
import type { Graph, Value } from '../ir/graph.js';
import type { DType } from '../ir/ops.js';
import type { Carry, LatentSite, Phase, Site } from '../program.js';
import type { DistValues } from '../../inference/families.js';
import type { InferenceHandler, InputRole, InputSpec, SiteCtx, StepCarries } from '../../inference/handler.js';
import { cellInput, cellStep, concatLast, lowerExpr, type LowerScope } from './exprs.js';
import { Phase as PhaseScan, type PhaseBody } from './phase.js';
import { callKey, dropoutSites } from './dropout.js';

/** A lowered graph and the description of its inputs. */
export interface LoweredGraph {
  readonly graph: Graph;
  readonly inputs: readonly InputSpec[];
}

/** The batch rows of K particles side by side. */
export function particleRows(k: number | string): DimLike {
  return k === 1 ? 'B' : `${k}*B`;
}

/** Lowers a step program with an inference handler. */
export function lower(h: InferenceHandler, dtype: DType): LoweredGraph {
  const p = h.step;
  const L = new Lowering(p.model, dtype, particleRows(h.particles));
  const b = L.b;
  const inference = h.program === 'inference';
  const K = h.particles;
  /** [T, B, ...] → [T, K·B, ...] with row k·B + b holding sequence b. */
  const tile = (v: Value, tail: readonly DimLike[]): Value =>
    K === 1 ? v : b.reshape(b.expand(b.reshape(v, ['T', 1, 'B', ...tail]), ['T', K, 'B', ...tail]), ['T', L.rows, ...tail]);
  let mask: Value | null = null;
  let seqMask: Value | null = null;
  /** Zeros where `m` ([T, rows]) marks padding. */
  const cleanWith = (m: Value | null, rows: DimLike) => (v: Value): Value => {
    if (!m) return v;
    const valid = b.greater(b.reshape(m, ['T', rows, ...v.shape.slice(2).map(() => 1)]), b.constant(0, [], dtype));
    return b.where(valid, v, b.constant(0, [], dtype));
  };
  const clean = (v: Value): Value => cleanWith(mask, L.rows)(v);
  // With K particles, the phases that read only data (a forward RNN over x, a smoothing guide's
  // backward RNN) are the same for every particle: they run once per sequence, on B rows, and
  // their states are tiled to the K·B particle rows where the stochastic phase reads them.
  const once = inference && K !== 1 && p.inference.phases.some((x) => !x.stochastic);
  const data = inference ? p.data : p.controls;
  const dataIn = data.map((v) => { const x = L.input(`data.${v.name}`, ['T', 'B', v.width], 'data'); return [v.name, once ? x : tile(x, [v.width])] as const; });
  if (inference) {
    seqMask = L.input('mask', ['T', 'B'], 'mask');
    mask = tile(seqMask, []);
  }
  for (const [n, v] of dataIn) L.seqs.set(n, once ? cleanWith(seqMask, 'B')(v) : clean(v));
  const declared = new Map<string, Value>();
  h.prepare({ input: (name, shape, role) => { const v = L.input(name, shape, role); declared.set(name, v); return v; } });
  const stepIn = new Map<string, Value>();
  for (const si of h.stepInputs()) {
    const particles = si.rows === 'particles' && K !== 1;
    const v = L.input(si.name, particles ? ['T', K, 'B', ...si.tail] : ['T', 'B', ...si.tail], si.role, si.law);
    const rows = particles ? b.reshape(v, ['T', L.rows, ...si.tail]) : si.rows === 'particles' ? v : tile(v, si.tail);
    stepIn.set(si.name, si.clean ? clean(rows) : rows);
  }
  if (h.dropout === true) {
    for (const d of dropoutSites(p.model, p)) {
      const u = L.input(d.input, ['T', 'B', d.width], 'noise', 'uniform');
      const keep = b.where(b.greaterOrEqual(u, b.constant(d.rate, [], dtype)), b.constant(1 / (1 - d.rate), [], dtype), b.constant(0, [], dtype));
      const masks = L.drops.get(d.call) ?? [];
      masks.push(once ? keep : tile(keep, [d.width]));
      L.drops.set(d.call, masks);
    }
  }
  // A generation handler that conditions on a prefix sees the prefix as data: the inference
  // program's deterministic phases (guide states, smoothing summaries) run over it first.
  const given = !inference && h.conditionsOnPrefix === true;
  if (given) {
    mask = stepIn.get('prefix_mask')!;
    for (const v of p.data) if (v.role === 'observe') L.seqs.set(v.name, clean(stepIn.get(`prefix.${v.name}`)!));
  }
  const phases = inference ? p.inference.phases : [...(given ? p.inference.phases.filter((x) => !x.stochastic) : []), p.generation];
  if (once) {
    const particleRows = L.rows;
    L.rows = 'B';
    L.seqs.set('$mask', seqMask!);
    for (const ph of phases.filter((x) => !x.stochastic)) L.deterministic(ph);
    L.rows = particleRows;
    for (const [n, v] of L.seqs) L.seqs.set(n, tile(v, v.shape.slice(2)));
    for (const [k, ms] of L.drops) L.drops.set(k, ms.map((m) => tile(m, m.shape.slice(2))));
  } else {
    if (mask) L.seqs.set('$mask', mask);
    for (const ph of phases.filter((x) => !x.stochastic)) L.deterministic(ph);
  }

  const terms = new Map<string, Value>();
  const addTerm = (name: string, v: Value): void => { const t = terms.get(name); terms.set(name, t ? b.add(t, v) : v); };
  // Sites that depend on no latent are scored over whole sequences, outside any scan.
  const seqTerms = new Map<string, Value>();
  if (inference && p.inference.sequence.length) {
    const o = L.outer();
    const ctx = L.siteCtx(o, 'sequence', mask!, (n) => stepIn.get(n)!, seqTerms);
    for (const s of p.inference.sequence) {
      const d = L.dist(o, s.dist);
      if (s.kind === 'observe') h.observe(ctx, s, d, L.seqs.get(s.name)!);
      else h.aux(ctx, s, d, L.seqs.get(s.name)!);
    }
  }
  const final = new Map<string, Value>();
  const sto = phases.find((x) => x.stochastic);
  if (sto) {
    const r = L.stochastic(sto, h, { inference, given, mask, stepIn });
    for (const [k, v] of r.terms) addTerm(k, v);
    for (const [k, v] of r.final) final.set(k, v);
  }
  for (const [k, v] of seqTerms) addTerm(k, v);
  h.finish({
    b, dtype, rows: L.rows, particles: K, terms, mask: mask ?? b.full(['T', L.rows], 1, dtype), sequenceMask: seqMask ?? b.full(['T', 'B'], 1, dtype), final,
    input: (name) => { const v = declared.get(name); if (!v) throw new InternalError(`lower: the handler did not declare ${name}`); return v; },
    output: (name, v) => b.output(name, v),
  });
  return { graph: b.build(), inputs: L.inputs };
}

/** Whether a distribution reads variable `name` at `offset`. */
function readsAt(d: CDist, name: string, offset: number): boolean {
  return Object.values(d.params).some((e) => readsOf(e).some((r) => r.name === name && r.offset === offset));
}

/** Lowering state: the outer builder, parameter inputs and the sequences computed so far. */
class Lowering {
  readonly b = new GraphBuilder();
  readonly inputs: InputSpec[] = [];
  private readonly params = new Map<string, Value>();
  /** [T, rows, w] sequences: data and finished deterministic states. */
  readonly seqs = new Map<string, Value>();
  /** Training graphs: [T, rows, w] dropout masks of each net call, one per layer, by call key. */
  readonly drops = new Map<string, Value[]>();

  constructor(readonly m: CheckedModel, readonly dtype: DType, public rows: DimLike) {
    for (const p of m.params) {
      this.params.set(p.name, this.b.input(p.name, dtype, p.shape));
      this.inputs.push({ name: p.name, shape: p.shape, role: 'param' });
    }
  }

  /** Declares a graph input. */
  input(name: string, shape: readonly DimLike[], role: InputRole, law?: InputSpec['law']): Value {
    this.inputs.push({ name, shape, role, ...(law ? { law } : {}) });
    return this.b.input(name, this.dtype, shape);
  }

  /** A parameter input. */
  param(name: string): Value {
    const v = this.params.get(name);
    if (!v) throw new InternalError(`lower: no parameter ${name}`);
    return v;
  }

  /** A carried value before the first step (or after the last, for backward phases), broadcast to [...prefix, w]. */
  init(b: GraphBuilder, c: Pick<Carry, 'initParam' | 'width'>, prefix: readonly DimLike[], param: (n: string) => Value): Value {
    return c.initParam ? b.expand(param(c.initParam), [...prefix, c.width]) : b.full([...prefix, c.width], 0, this.dtype);
  }

  /** The sequence-mode scope: reads shift finished sequences in time (zeros or the state's init at the edge). */
  outer(): LowerScope {
    const b = this.b;
    return {
      b, prefix: ['T', this.rows], dtype: this.dtype, nets: this.m.nets, param: (n) => this.param(n),
      ...(this.drops.size ? { dropout: (k: string) => this.drops.get(k) } : {}),
      read: (name, offset) => {
        const s = this.seqs.get(name);
        if (!s) throw new InternalError(`lower: ${name} is not available as a sequence`);
        if (offset === 0) return s;
        const v = this.m.vars.get(name)!;
        const edge = this.init(b, v, [1, this.rows], (n) => this.param(n));
        return offset < 0 ? b.concat([edge, b.slice(s, 0, 0, -1)], 0) : b.concat([b.slice(s, 0, 1, null), edge], 0);
      },
    };
  }

  /** Parameters an expression touches (for a scan's invariants). */
  paramsOf(e: CExpr, out: Set<string>): Set<string> {
    const stack: CExpr[] = [e];
    for (let x = stack.pop(); x; x = stack.pop()) {
      if (x.k === 'net' || x.k === 'cell') {
        const ps = this.m.nets.get(x.net)!.params;
        if (ps.kind === 'layers') for (const l of ps.layers) out.add(l.weight).add(l.bias);
        else [ps.weightIh, ps.weightHh, ps.biasIh, ps.biasHh].forEach((n) => { if (n) out.add(n); });
      }
      if (x.k === 'affine') out.add(x.weight).add(x.bias);
      if (x.k === 'param') out.add(x.name);
      if (x.k === 'cell') { const ip = this.m.vars.get(x.state)!.initParam; if (ip) out.add(ip); }
      stack.push(...children(x));
    }
    return out;
  }

  /** Lowers a distribution's parameters. */
  dist(s: LowerScope, d: CDist): DistValues {
    const params: Record<string, Value> = {};
    for (const [k, e] of Object.entries(d.params)) params[k] = lowerExpr(s, e);
    return { family: d.family, params, components: d.components, width: d.width };
  }

  /**
   * A distribution that reads the discrete latent `en` being summed out, lowered with its K
   * values as an axis after the rows: `en` read at `offset` is the one-hot of each value (every
   * other value is broadcast over the axis). With `offset` null the latent is at the edge of
   * time (its value before the first step, zeros) and no axis is added.
   */
  summedDist(base: LowerScope, d: CDist, en: LatentSite, offset: number | null): DistValues {
    const b = base.b;
    const K = en.width;
    if (offset === null) {
      const zeros = b.full([this.rows, K], 0, this.dtype);
      return this.dist({ ...base, read: (n, off) => (n === en.name && off === -1 ? zeros : base.read(n, off)) }, d);
    }
    const eye = Array.from({ length: K * K }, (_, i) => (Math.floor(i / K) === i % K ? 1 : 0));
    const onehot = b.expand(b.reshape(b.constant(eye, [K, K], this.dtype), [1, K, K]), [this.rows, K, K]);
    const spread = (v: Value): Value => b.expand(b.reshape(v, [this.rows, 1, ...v.shape.slice(1)]), [this.rows, K, ...v.shape.slice(1)]);
    const scope: LowerScope = {
      ...base, prefix: [this.rows, K],
      read: (n, off) => {
        if (n !== en.name) return spread(base.read(n, off));
        if (off !== offset) throw new InternalError(`lower: ${n}[t${off}] read where ${n}[t${offset}] is summed out`);
        return onehot;
      },
      hoisted: { get: (e) => { const v = base.hoisted?.get(e); return v && spread(v); } },
      ...(base.dropout ? { dropout: (k: string) => base.dropout!(k)?.map(spread) } : {}),
    };
    return { ...this.dist(scope, d), over: en.name };
  }

  /** Registers an expression for hoisting and its parameters as invariants. */
  private register(phase: PhaseScan, e: CExpr, used: Set<string>, cell = false): void {
    if (cell) phase.cellRoot(e);
    else phase.root(e);
    this.paramsOf(e, used);
  }

  /** Computes one state update in a scan body (cells step their own carries). */
  update(p: PhaseBody, name: string, value: CExpr, next: Map<string, Value>): Value {
    const s = p.scope;
    if (value.k !== 'cell') return lowerExpr(s, value);
    const net = this.m.nets.get(value.net)!;
    const gx = p.cellInputs.get(value) ?? cellInput(s, net, concatLast(s, value.inputs.map((i) => lowerExpr(s, i)), value.inputs.map((i) => i.width)), s.dropout?.(callKey(value)));
    const r = cellStep(s, net, gx, p.prev.get(name)!, net.kind === 'lstm' ? p.prev.get(`c:${name}`)! : null);
    if (r.c) next.set(`c:${name}`, r.c);
    return r.h;
  }

  /** Runs one deterministic phase, adding its states to `seqs`. */
  deterministic(ph: Phase): void {
    const o = this.outer();
    const states = ph.sites.filter((s) => s.kind === 'state');
    const scan = new PhaseScan(o, new Set(states.map((s) => s.name)), ph.direction === 'backward');
    const used = new Set<string>();
    for (const s of states) {
      this.register(scan, s.update, used, s.update.k === 'cell');
      if (s.initParam) used.add(s.initParam);
    }
    const reverse = ph.direction === 'backward';
    // Backward phases mask their carries; every phase scans the mask, so a scan always has a scanned input.
    scan.scanned('mask', this.seqs.get('$mask')!);
    const carries = ph.carries.map((c) => ({ key: c.key, init: this.init(this.b, c, [this.rows], (x) => this.param(x)) }));
    const res = scan.run(carries, [...used].sort(), (p) => {
      const next = new Map<string, Value>();
      for (const s of states) {
        let h = this.update(p, s.name, s.update, next);
        if (reverse) {
          // Padding sits at the end: a backward state must start from its init at each sequence's last step.
          const m = p.b.reshape(p.slices.get('mask')!, [this.rows, 1]);
          const keep = (v: Value, init: Value): Value => p.b.add(p.b.mul(m, v), p.b.mul(p.b.sub(p.b.constant(1, [], this.dtype), m), init));
          h = keep(h, this.init(p.b, s, [this.rows], p.scope.param));
          const c = next.get(`c:${s.name}`);
          if (c) next.set(`c:${s.name}`, keep(c, p.b.full([this.rows, s.width], 0, this.dtype)));
        }
        p.cur.set(s.name, h);
        next.set(s.name, h);
      }
      return { carries: next, outputs: states.map((s) => p.cur.get(s.name)!) };
    });
    states.forEach((s, i) => this.seqs.set(s.name, res.outputs[i]!));
  }

  /** A handler's view of a site: terms go to `term`, step inputs come from `input`. */
  siteCtx(s: Pick<LowerScope, 'b' | 'prefix'>, mode: SiteCtx['mode'], mask: Value | null, input: (n: string) => Value | undefined, terms: Map<string, Value>,
    carries?: { prev: ReadonlyMap<string, Value>; next: Map<string, Value> }, enumK: number | null = null): SiteCtx {
    return {
      b: s.b, prefix: s.prefix, dtype: this.dtype, mode, rows: this.rows,
      enumerated: () => {
        if (enumK === null) throw new InternalError('lower: no discrete latent is summed out here');
        return this.siteCtx({ b: s.b, prefix: [...s.prefix, enumK] }, mode, mask, input, terms, carries, null);
      },
      term: (name, v) => { const t = terms.get(name); terms.set(name, t ? s.b.add(t, v) : v); },
      current: (name) => terms.get(name) ?? null,
      get mask(): Value {
        if (!mask) throw new InternalError('lower: this program has no mask');
        return mask;
      },
      input: (n) => { const v = input(n); if (!v) throw new InternalError(`lower: step input ${n} was not declared`); return v; },
      prev: (k) => { const v = carries?.prev.get(k); if (!v) throw new InternalError(`lower: no carry ${k} here`); return v; },
      next: (k, v) => { if (!carries) throw new InternalError('lower: carries exist only in a step'); carries.next.set(k, v); },
    };
  }

  /** Lowers the stochastic phase, handing its sites to `h`; returns stacked terms and final handler carries. */
  stochastic(ph: Phase, h: InferenceHandler, o: { inference: boolean; given: boolean; mask: Value | null; stepIn: ReadonlyMap<string, Value> }): { terms: Map<string, Value>; final: Map<string, Value> } {
    const outer = this.outer();
    const members = new Set(ph.sites.filter((s) => s.kind === 'state' || s.kind === 'latent' || (!o.inference && s.kind === 'observe')).map((s) => s.name));
    // A discrete latent the handler sums out has no value: it becomes an axis of what reads it.
    const summed = ph.sites.filter((s): s is LatentSite => s.kind === 'latent' && h.uses(s).enumerate === true);
    if (summed.length > 1) throw new InternalError(`lower: more than one discrete latent (${summed.map((s) => s.name).join(', ')})`);
    const en = summed[0] ?? null;
    if (en && !h.enumerate) throw new InternalError('lower: the handler asked to sum out a latent but cannot');
    const phCarries = ph.carries.filter((c) => c.name !== en?.name);
    const scan = new PhaseScan(outer, members, false);
    const used = new Set<string>();
    const distOf = (s: Site): CDist[] => {
      if (s.kind === 'latent') { const u = h.uses(s); return [...(u.guide ? [s.guide!] : []), ...(u.prior ? [s.prior] : [])]; }
      return s.kind === 'state' ? [] : [s.dist];
    };
    for (const s of ph.sites) {
      if (s.kind === 'state') {
        this.register(scan, s.update, used, s.update.k === 'cell');
        if (s.initParam) used.add(s.initParam);
      }
      for (const d of distOf(s)) for (const e of Object.values(d.params)) this.register(scan, e, used);
      if ((s.kind === 'observe' || s.kind === 'aux') && !members.has(s.name)) scan.scanned(`target:${s.name}`, this.seqs.get(s.name)!);
    }
    for (const [n, v] of o.stepIn) scan.scanned(`in:${n}`, v);
    // Guides read observations from the given prefix (in generation, x[t] is drawn after z[t]).
    const guideReads = new Set<string>();
    if (o.given) {
      for (const s of ph.sites) {
        if (s.kind !== 'latent' || !h.uses(s).guide) continue;
        for (const e of Object.values(s.guide!.params)) for (const r of readsOf(e)) if (this.m.vars.get(r.name)!.role === 'observe') guideReads.add(`${r.name}@${r.offset}`);
      }
      for (const k of guideReads) {
        const [n, off] = k.split('@') as [string, string];
        scan.scanned(`given:${k}`, outer.read(n, Number(off)));
      }
    }
    if (o.mask) scan.scanned('mask', o.mask);
    const hc = h.carries();
    const carries = [
      ...phCarries.map((c) => ({ key: c.key, init: this.init(this.b, c, [this.rows], (x) => this.param(x)) })),
      ...hc.map((c) => ({ key: `h:${c.key}`, init: c.init(this.b, this.rows, this.dtype) })),
    ];
    const carried = new Set(phCarries.filter((c) => !c.memory).map((c) => c.name));
    const termNames: string[] = [];
    const res = scan.run(carries, [...used].sort(), (pb) => {
      const next = new Map<string, Value>();
      const hPrev = new Map(hc.map((c) => [c.key, pb.prev.get(`h:${c.key}`)!] as const));
      const hNext = new Map<string, Value>();
      const stepTerms = new Map<string, Value>();
      const ctx = this.siteCtx(pb.scope, 'step', o.mask ? pb.slices.get('mask')! : null, (n) => pb.slices.get(`in:${n}`), stepTerms, { prev: hPrev, next: hNext }, en?.width ?? null);
      const valueOf = (name: string): Value => pb.cur.get(name) ?? pb.slices.get(`target:${name}`)!;
      const dist = (d: CDist): DistValues => (en && readsAt(d, en.name, 0) ? this.summedDist(pb.scope, d, en, 0) : this.dist(pb.scope, d));
      const givenScope: LowerScope = {
        ...pb.scope,
        read: (n, off) => pb.slices.get(`given:${n}@${off}`) ?? pb.scope.read(n, off),
      };
      const guideDist = (d: CDist): DistValues => (o.given ? this.dist(givenScope, d) : dist(d));
      for (const s of ph.sites) {
        switch (s.kind) {
          case 'state': pb.cur.set(s.name, this.update(pb, s.name, s.update, next)); break;
          case 'latent':
            if (s === en) h.enumerate!(ctx, s, () => this.summedDist(pb.scope, s.prior, en, -1), () => this.summedDist(pb.scope, s.prior, en, null));
            else pb.cur.set(s.name, h.latent(ctx, s, () => dist(s.prior), () => guideDist(s.guide!)));
            break;
          case 'observe': {
            const v = h.observe(ctx, s, dist(s.dist), o.inference ? valueOf(s.name) : null);
            if (members.has(s.name)) pb.cur.set(s.name, v);
            break;
          }
          case 'aux': h.aux(ctx, s, dist(s.dist), valueOf(s.name)); break;
        }
        if (carried.has(s.name) && members.has(s.name)) next.set(s.name, pb.cur.get(s.name)!);
      }
      const all: StepCarries = {
        keys: [...phCarries.map((c) => c.key), ...hc.map((c) => `h:${c.key}`)],
        get: (k) => (k.startsWith('h:') ? hNext.get(k.slice(2)) ?? hPrev.get(k.slice(2))! : next.get(k)!),
        set: (k, v) => { if (k.startsWith('h:')) hNext.set(k.slice(2), v); else next.set(k, v); },
      };
      h.endStep(ctx, all);
      for (const c of hc) next.set(`h:${c.key}`, hNext.get(c.key) ?? hPrev.get(c.key)!);
      termNames.push(...stepTerms.keys());
      return { carries: next, outputs: [...stepTerms.values()] };
    });
    return {
      terms: new Map(termNames.map((n, i) => [n, res.outputs[i]!] as const)),
      final: new Map(hc.map((c) => [c.key, res.carries.get(`h:${c.key}`)!] as const)),
    };
  }
}
