/**
 * @file The ELBO as one IR graph: deterministic phases, then the stochastic scan that samples
 * latents from the guide (noise is an input), then per-sequence terms. Analytic KL where both
 * sides are Normal, Monte Carlo log q - log p otherwise; padded steps are masked out.
 *
 * Inputs: every parameter by name; `data.<v>` [T, B, w] for observed and input variables;
 * `mask` [T, B]; `noise.<z>` [T, B, w] per latent (standard form of its guide family); `beta`.
 * Outputs: `loss` (scalar), `elbo`, `loglik`, `kl`, `aux`, `logw` ([B] each, in nats). `logw` is the
 * importance log-weight log p(x, z) - log q(z | x) of the sampled z (Monte Carlo KL even where an
 * analytic one exists): the runtime combines K of them into the IWAE estimate.
 * loss = -Σ_b (loglik_b - β·kl_b + aux_b) / Σ mask: the negative training objective per valid step.
 */
import type { CDist, CExpr, CheckedModel } from '../checked.js';
import { children, readsOf } from '../checked.js';
import { InternalError } from '../diagnostics.js';
import { GraphBuilder } from '../ir/builder.js';
import type { DimLike } from '../ir/dim.js';
import type { Graph, Value } from '../ir/graph.js';
import type { DType } from '../ir/ops.js';
import type { TimeProgram } from '../schedule.js';
import { hasAnalyticKl, klNormal, logProb, rsample, type DistCtx, type DistValues } from '../../inference/distributions.js';
import { cellInput, cellStep, concatLast, lowerExpr, type LowerScope } from './exprs.js';
import { Phase, type PhaseBody } from './phase.js';

/** One graph input as the runtime must feed it. */
export interface InputSpec {
  readonly name: string;
  readonly shape: readonly DimLike[];
  readonly role: 'param' | 'data' | 'mask' | 'noise' | 'beta' | 'optimizer' | 'state';
  /** For noise: the law to draw it from. */
  readonly law?: 'normal' | 'laplace' | 'uniform' | 'gumbel';
}

/** A lowered graph and the description of its inputs. */
export interface LoweredGraph {
  readonly graph: Graph;
  readonly inputs: readonly InputSpec[];
}

/** Shared lowering state: the outer builder, parameter inputs, sequences computed so far. */
export class ModelLowering {
  readonly b = new GraphBuilder();
  readonly inputs: InputSpec[] = [];
  private readonly params = new Map<string, Value>();
  /** [T, B, w] sequences: data and finished deterministic states. */
  readonly seqs = new Map<string, Value>();

  /** The batch axis: `B`, or `K*B` when K importance samples of each sequence run side by side. */
  constructor(readonly m: CheckedModel, readonly dtype: DType, readonly batch: DimLike = 'B') {
    for (const p of m.params) {
      this.params.set(p.name, this.b.input(p.name, dtype, p.shape));
      this.inputs.push({ name: p.name, shape: p.shape, role: 'param' });
    }
  }

  /** Declares a graph input. */
  input(name: string, shape: readonly DimLike[], role: InputSpec['role'], law?: InputSpec['law']): Value {
    this.inputs.push({ name, shape, role, ...(law ? { law } : {}) });
    return this.b.input(name, this.dtype, shape);
  }

  /** A parameter input. */
  param(name: string): Value {
    const v = this.params.get(name);
    if (!v) throw new InternalError(`lower: no parameter ${name}`);
    return v;
  }

  /** A state's value before the first step, broadcast to [...prefix, w]. */
  init(b: GraphBuilder, name: string, prefix: readonly DimLike[], param: (n: string) => Value): Value {
    const v = this.m.vars.get(name)!;
    return v.init === 'learned' ? b.expand(param(`${name}.init`), [...prefix, v.width]) : b.full([...prefix, v.width], 0, this.dtype);
  }

  /** The sequence-mode scope: reads shift finished sequences in time (zeros or the state's init at the edge). */
  outer(): LowerScope {
    const b = this.b;
    return {
      b, prefix: ['T', this.batch], dtype: this.dtype, nets: this.m.nets, param: (n) => this.param(n),
      read: (name, offset) => {
        const s = this.seqs.get(name);
        if (!s) throw new InternalError(`lower: ${name} is not available as a sequence`);
        if (offset === 0) return s;
        const isState = this.m.vars.get(name)!.role === 'state';
        const edge = isState ? this.init(b, name, [1, this.batch], (n) => this.param(n)) : b.full([1, this.batch, this.m.vars.get(name)!.width], 0, this.dtype);
        return offset < 0 ? b.concat([edge, b.slice(s, 0, 0, -1)], 0) : b.concat([b.slice(s, 0, 1, null), edge], 0);
      },
    };
  }

  /** Parameters an expression touches (for a Scan's invariants). */
  paramsOf(e: CExpr, out: Set<string>): Set<string> {
    if (e.k === 'net' || e.k === 'cell') {
      for (const p of this.m.params) if (p.name.startsWith(`${e.net}.`)) out.add(p.name);
    }
    if (e.k === 'affine') {
      out.add(`${e.prefix}.weight`);
      out.add(`${e.prefix}.bias`);
    }
    if (e.k === 'cell' && this.m.vars.get(e.state)!.init === 'learned') out.add(`${e.state}.init`);
    for (const c of children(e)) this.paramsOf(c, out);
    return out;
  }

  /** Lowers a distribution's parameters. */
  dist(s: LowerScope, d: CDist): DistValues {
    const params: Record<string, Value> = {};
    for (const [k, e] of Object.entries(d.params)) params[k] = lowerExpr(s, e);
    return { family: d.family, params, components: d.components, width: d.width };
  }

  /** Computes one state update in a scan body (cells step their own carries). */
  update(p: PhaseBody, name: string, value: CExpr, next: Map<string, Value>): Value {
    const s = p.scope;
    if (value.k !== 'cell') return lowerExpr(s, value);
    const net = this.m.nets.get(value.net)!;
    const gx = p.cellInputs.get(value) ?? cellInput(s, net, concatLast(s, value.inputs.map((i) => lowerExpr(s, i)), value.inputs.map((i) => i.width)));
    const r = cellStep(s, net, gx, p.prev.get(name)!, net.kind === 'lstm' ? p.prev.get(`c:${name}`)! : null);
    if (r.c) next.set(`c:${name}`, r.c);
    return r.h;
  }

  /** Runs every deterministic phase, filling `seqs`. */
  detPhases(tp: TimeProgram): void {
    const o = this.outer();
    for (const ph of tp.detPhases) {
      const members = new Set(ph.states);
      const phase = new Phase(o, members, ph.direction === 'backward');
      const used = new Set<string>();
      for (const n of ph.states) {
        const v = tp.updates.get(n)!.value;
        if (v.k === 'cell') phase.cellRoot(v);
        else phase.root(v);
        this.paramsOf(v, used);
        if (this.m.vars.get(n)!.init === 'learned') used.add(`${n}.init`);
      }
      const reverse = ph.direction === 'backward';
      // Backward phases mask their carries; every phase scans the mask, so a Scan always has a scanned input.
      phase.scanned('mask', this.seqs.get('$mask')!);
      const carries = ph.states.flatMap((n) => {
        const c = [{ key: n, init: this.init(this.b, n, [this.batch], (x) => this.param(x)) }];
        const v = tp.updates.get(n)!.value;
        if (v.k === 'cell' && this.m.nets.get(v.net)!.kind === 'lstm') c.push({ key: `c:${n}`, init: this.b.full([this.batch, this.m.vars.get(n)!.width], 0, this.dtype) });
        return c;
      });
      const res = phase.run(carries, [...used].sort(), (p) => {
        const next = new Map<string, Value>();
        for (const n of ph.states) {
          let h = this.update(p, n, tp.updates.get(n)!.value, next);
          if (reverse) {
            // Padding sits at the end: a backward state must start from its init at each sequence's last step.
            const m = p.b.reshape(p.slices.get('mask')!, [this.batch, 1]);
            const keep = (v: Value, init: Value): Value => p.b.add(p.b.mul(m, v), p.b.mul(p.b.sub(p.b.constant(1, [], this.dtype), m), init));
            h = keep(h, this.init(p.b, n, [this.batch], p.scope.param));
            const c = next.get(`c:${n}`);
            if (c) next.set(`c:${n}`, keep(c, p.b.full([this.batch, this.m.vars.get(n)!.width], 0, this.dtype)));
          }
          p.cur.set(n, h);
          next.set(n, h);
        }
        return { carries: next, outputs: ph.states.map((n) => p.cur.get(n)!) };
      });
      ph.states.forEach((n, i) => this.seqs.set(n, res.outputs[i]!));
    }
  }
}

/**
 * Lowers the per-sequence ELBO (and training loss) of a model with a guide. With `iwaeK` = K > 1
 * the graph trains on the importance-weighted bound instead (Burda et al. 2016): every sequence
 * is tiled K times inside the graph (rows k·B + b; noise comes as [T, K·B, w]), and
 * loss = -Σ_b (log (1/K) Σ_k w_kb + aux_b) / Σ mask; elbo, loglik, kl and aux are K-averages and
 * `logw` is then the per-sequence IWAE-K bound.
 */
export function lowerElbo(m: CheckedModel, tp: TimeProgram, dtype: DType, opts: { iwaeK?: number } = {}): LoweredGraph {
  const K = opts.iwaeK ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new InternalError(`lower: IWAE needs an integer K ≥ 1, got ${K}`);
  const BD: DimLike = K > 1 ? `${K}*B` : 'B';
  const L = new ModelLowering(m, dtype, BD);
  const b = L.b;
  /** [T, B, ...] → [T, K·B, ...] with row k·B + b holding sequence b. */
  const tile = (v: Value, tail: readonly DimLike[]): Value =>
    K === 1 ? v : b.reshape(b.expand(b.reshape(v, ['T', 1, 'B', ...tail]), ['T', K, 'B', ...tail]), ['T', BD, ...tail]);
  const dataIn = [...m.vars.values()].filter((v) => v.role === 'observe' || v.role === 'input')
    .map((v) => [v.name, tile(L.input(`data.${v.name}`, ['T', 'B', v.width], 'data'), [v.width])] as const);
  const mask0 = L.input('mask', ['T', 'B'], 'mask');
  const mask = tile(mask0, []);
  // Padded steps are replaced by zeros as they enter the graph, so whatever the runtime leaves
  // there (garbage, NaN) can neither leak into x[t+1] reads nor poison the sums below.
  const valid = b.greater(b.reshape(mask, ['T', BD, 1]), b.constant(0, [], dtype));
  const clean = (v: Value): Value => b.where(valid, v, b.constant(0, [], dtype));
  for (const [n, v] of dataIn) L.seqs.set(n, clean(v));
  L.seqs.set('$mask', mask);
  // β weights the KL term of the ELBO; the IWAE bound (K > 1) has none, but keeps the input so every train graph has the same interface.
  const beta = L.input('beta', [], 'beta');
  L.detPhases(tp);
  const o = L.outer();
  const sto = tp.stochasticVars;
  const dependsOnLatents = (d: CDist, extra: string[] = []): boolean =>
    extra.some((n) => sto.has(n)) || Object.values(d.params).some((e) => readsOf(e).some((r) => sto.has(r.name)));
  const zerosTB = (): Value => b.full(['T', BD], 0, dtype);
  const seqCtx: DistCtx = { b, prefix: ['T', BD], dtype };

  // Terms that do not touch latents are computed over whole sequences, outside any scan.
  let llOut = zerosTB();
  let auxOut = zerosTB();
  const inScanEmissions = m.emissions.filter((e) => dependsOnLatents(e.dist));
  const inScanAux = m.aux.filter((a) => dependsOnLatents(a.dist, [a.target]));
  for (const e of m.emissions.filter((x) => !inScanEmissions.includes(x))) llOut = b.add(llOut, logProb(seqCtx, L.dist(o, e.dist), L.seqs.get(e.target)!));
  for (const a of m.aux.filter((x) => !inScanAux.includes(x))) {
    auxOut = b.add(auxOut, b.mul(b.constant(a.weight, [], dtype), logProb(seqCtx, L.dist(o, a.dist), L.seqs.get(a.target)!)));
  }

  let llIn = zerosTB();
  let klIn = zerosTB();
  let klMcIn = zerosTB();
  let auxIn = zerosTB();
  if (tp.stochastic.length) {
    const phase = new Phase(o, sto, false);
    const used = new Set<string>();
    const priorOf = new Map(m.priors.map((p) => [p.target, p] as const));
    const noise = new Map<string, Value>();
    for (const n of tp.stochastic) {
      const g = tp.guideOf.get(n);
      if (g) {
        for (const e of Object.values(g.dist.params)) { phase.root(e); L.paramsOf(e, used); }
        const law = g.dist.family === 'Laplace' ? 'laplace' : 'normal';
        noise.set(n, clean(L.input(`noise.${n}`, ['T', BD, g.dist.width], 'noise', law)));
        phase.scanned(`noise:${n}`, noise.get(n)!);
        for (const e of Object.values(priorOf.get(n)!.dist.params)) { phase.root(e); L.paramsOf(e, used); }
      } else {
        const v = tp.updates.get(n)!.value;
        if (v.k === 'cell') phase.cellRoot(v);
        else phase.root(v);
        L.paramsOf(v, used);
        if (m.vars.get(n)!.init === 'learned') used.add(`${n}.init`);
      }
    }
    for (const d of [...inScanEmissions, ...inScanAux]) {
      for (const e of Object.values(d.dist.params)) { phase.root(e); L.paramsOf(e, used); }
      if (!sto.has(d.target)) phase.scanned(`target:${d.target}`, L.seqs.get(d.target)!);
    }
    phase.scanned('mask', mask);
    const carried = new Set<string>();
    const collectPrev = (e: CExpr): void => { for (const r of readsOf(e)) if (r.offset === -1 && sto.has(r.name)) carried.add(r.name); };
    for (const n of tp.stochastic) {
      const g = tp.guideOf.get(n);
      if (g) [...Object.values(g.dist.params), ...Object.values(priorOf.get(n)!.dist.params)].forEach(collectPrev);
      else collectPrev(tp.updates.get(n)!.value);
    }
    for (const d of [...inScanEmissions, ...inScanAux]) Object.values(d.dist.params).forEach(collectPrev);
    const carries = [...carried].sort().map((n) => ({
      key: n,
      init: m.vars.get(n)!.role === 'state' ? L.init(b, n, [BD], (x) => L.param(x)) : b.full([BD, m.vars.get(n)!.width], 0, dtype),
    }));
    for (const n of tp.stochastic) {
      const v = tp.updates.get(n)?.value;
      if (v?.k === 'cell' && m.nets.get(v.net)!.kind === 'lstm') carries.push({ key: `c:${n}`, init: b.full([BD, m.vars.get(n)!.width], 0, dtype) });
      if (v?.k === 'cell' && !carried.has(n)) throw new InternalError(`lower: cell state ${n} is not carried`);
    }
    const res = phase.run(carries, [...used].sort(), (p) => {
      const ctx: DistCtx = { b: p.b, prefix: [BD], dtype };
      const next = new Map<string, Value>();
      let ll = p.b.full([BD], 0, dtype);
      let kl = p.b.full([BD], 0, dtype);
      let klMc = p.b.full([BD], 0, dtype);
      let aux = p.b.full([BD], 0, dtype);
      for (const n of tp.stochastic) {
        const g = tp.guideOf.get(n);
        if (g) {
          const q = L.dist(p.scope, g.dist);
          const z = rsample(ctx, q, p.slices.get(`noise:${n}`)!);
          p.cur.set(n, z);
          const prior = L.dist(p.scope, priorOf.get(n)!.dist);
          // KL(q‖p) in closed form when both are Normal, else the one-sample estimate log q(z) - log p(z).
          const mc = p.b.sub(logProb(ctx, q, z), logProb(ctx, prior, z));
          kl = p.b.add(kl, hasAnalyticKl(q, prior) ? klNormal(ctx, q, prior) : mc);
          klMc = p.b.add(klMc, mc);
        } else p.cur.set(n, L.update(p, n, tp.updates.get(n)!.value, next));
        if (carried.has(n)) next.set(n, p.cur.get(n)!);
      }
      const target = (name: string): Value => p.cur.get(name) ?? p.slices.get(`target:${name}`)!;
      for (const e of inScanEmissions) ll = p.b.add(ll, logProb(ctx, L.dist(p.scope, e.dist), target(e.target)));
      for (const a of inScanAux) aux = p.b.add(aux, p.b.mul(p.b.constant(a.weight, [], dtype), logProb(ctx, L.dist(p.scope, a.dist), target(a.target))));
      return { carries: next, outputs: [ll, kl, aux, klMc] };
    });
    [llIn, klIn, auxIn, klMcIn] = res.outputs as [Value, Value, Value, Value];
  }

  const validTB = b.greater(mask, b.constant(0, [], dtype));
  const perSeq = (v: Value): Value => b.reduceSum(b.where(validTB, v, b.constant(0, [], dtype)), [0], false);
  const loglik = perSeq(b.add(llIn, llOut));
  const kl = perSeq(klIn);
  const aux = perSeq(b.add(auxIn, auxOut));
  const logw = b.sub(loglik, perSeq(klMcIn));
  const steps = b.reduceSum(mask0, [0, 1], false);
  if (K === 1) {
    const objective = b.sub(b.add(loglik, aux), b.mul(beta, kl));
    b.output('loss', b.div(b.neg(b.reduceSum(objective, [0], false)), steps));
    b.output('elbo', b.sub(loglik, kl));
    b.output('loglik', loglik);
    b.output('kl', kl);
    b.output('aux', aux);
    b.output('logw', logw);
  } else {
    // log (1/K) Σ_k w_kb over the K copies of each sequence; β does not apply to this bound.
    const byK = (v: Value): Value => b.reshape(v, [K, 'B']);
    const meanK = (v: Value): Value => b.div(b.reduceSum(byK(v), [0], false), b.constant(K, [], dtype));
    const iwae = b.sub(b.logSumExp(byK(logw), 0, false), b.constant(Math.log(K), [], dtype));
    b.output('loss', b.div(b.neg(b.reduceSum(b.add(iwae, meanK(aux)), [0], false)), steps));
    b.output('elbo', meanK(b.sub(loglik, kl)));
    b.output('loglik', meanK(loglik));
    b.output('kl', meanK(kl));
    b.output('aux', meanK(aux));
    b.output('logw', iwae);
  }
  return { graph: b.build(), inputs: L.inputs };
}
