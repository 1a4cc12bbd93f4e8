/**
 * @file An independent, deliberately naive oracle for a model's ELBO terms, written from the
 * language semantics (docs/language.md) and NOT from the lowering: one sequence at a time, one
 * time step at a time, over plain Float64Arrays, without the IR.
 *
 * Feeds use the lowered graph's input contract: parameters by name, `data.<v>` [T, B, w],
 * `mask` [T, B] (1 for t < L_b, then 0), `noise.<z>` [T, B, w], `beta` (scalar).
 *
 * Semantics, per sequence b of length L (the number of ones in its mask column):
 * - every per-step quantity is computed lazily and memoized per (variable, t), so any order
 *   consistent with same-step reads is used automatically;
 * - a read of a state outside [0, L) is its init (zeros or `<state>.init`): s[-1] for forward
 *   states, s[L] for backward ones; reads of observed/input/latent variables outside [0, L)
 *   are zeros; LSTM cell memories start at zero;
 * - latents are z[t] = loc + scale·ε[t] from the guide's Normal/Laplace parameters;
 * - loglik = Σ_{t<L} Σ_emissions log p, kl = Σ_{t<L} Σ_latents KL_t (analytic Normal–Normal,
 *   else log q(z) − log p(z) at the sample), aux = Σ_{t<L} Σ weight·log p(target);
 *   elbo = loglik − kl; loss = −Σ_b (loglik − β·kl + aux) / Σ mask.
 */
import type { CDist, CExpr, CheckedModel, NetInfo, Activation } from '../../src/compiler/checked.js';
import { children as exprChildren } from '../../src/compiler/checked.js';

/** A fed tensor: row-major data with a shape. */
export interface OracleTensor {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** The oracle's per-sequence terms and the scalar loss. */
export interface OracleResult {
  readonly loss: number;
  readonly elbo: Float64Array;
  readonly loglik: Float64Array;
  readonly kl: Float64Array;
  readonly aux: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

function unaryFn(fn: string, x: number): number {
  switch (fn) {
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return sigmoid(x);
    case 'relu': return x > 0 ? x : 0;
    case 'softplus': return softplus(x);
    case 'abs': return Math.abs(x);
    case 'sqrt': return Math.sqrt(x);
    case 'square': return x * x;
    default: throw new Error(`oracle: unknown unary ${fn}`);
  }
}

function activate(act: Activation, v: Float64Array): Float64Array {
  if (act === 'none') return v;
  return v.map((x) => unaryFn(act, x));
}

/** Value i of a vector broadcast from width 1. */
const at = (v: Float64Array, i: number): number => (v.length === 1 ? v[0]! : v[i]!);

function logsumexp(xs: readonly number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** log N(x; μ, σ) for one coordinate. */
const logNormal1 = (x: number, mu: number, sigma: number): number => {
  const z = (x - mu) / sigma;
  return -0.5 * z * z - Math.log(sigma) - 0.5 * LOG_2PI;
};

/** Log-density of `x` (width n) under a distribution with evaluated parameters. */
export function oracleLogProb(family: CDist['family'], p: Record<string, Float64Array>, x: Float64Array, k: number | null): number {
  const n = x.length;
  let s = 0;
  switch (family) {
    case 'Normal':
      for (let i = 0; i < n; i++) s += logNormal1(x[i]!, at(p.loc!, i), at(p.scale!, i));
      return s;
    case 'Laplace':
      for (let i = 0; i < n; i++) {
        const b = at(p.scale!, i);
        s += -Math.abs(x[i]! - at(p.loc!, i)) / b - Math.log(2 * b);
      }
      return s;
    case 'Categorical': {
      // x is one-hot: log softmax(logits) at its category
      const lw = Array.from({ length: n }, (_, i) => at(p.logits!, i));
      return lw[x.indexOf(1)]! - logsumexp(lw);
    }
    case 'Bernoulli':
      for (let i = 0; i < n; i++) {
        const l = at(p.logits!, i);
        // log σ(l) if x = 1, log(1 - σ(l)) if x = 0
        s += x[i]! * l - softplus(l);
      }
      return s;
    case 'NADE': {
      // Larochelle & Murray 2011: bit i given the bits before it through H hidden units,
      // a = c + Σ_{j<i} x_j W_j, l_i = b_i + V_i·σ(a); W and V key-major (row i at i·H).
      const H = k!;
      const a = Array.from({ length: H }, (_, h) => at(p.hbias!, h));
      for (let i = 0; i < n; i++) {
        let l = at(p.logits!, i);
        for (let h = 0; h < H; h++) l += at(p.wout!, i * H + h) * sigmoid(a[h]!);
        s += x[i]! * l - softplus(l);
        for (let h = 0; h < H; h++) a[h] = a[h]! + x[i]! * at(p.win!, i * H + h);
      }
      return s;
    }
    case 'MixtureNormal': {
      const K = k!;
      const lw = Array.from(p.logits!);
      const norm = logsumexp(lw);
      const terms: number[] = [];
      for (let j = 0; j < K; j++) {
        let lj = lw[j]! - norm;
        for (let i = 0; i < n; i++) lj += logNormal1(x[i]!, p.locs![j * n + i]!, p.scales![j * n + i]!);
        terms.push(lj);
      }
      return logsumexp(terms);
    }
    case 'BivariateNormalMixture': {
      const K = k!;
      const lw = Array.from(p.logits!);
      const norm = logsumexp(lw);
      const terms: number[] = [];
      for (let j = 0; j < K; j++) {
        const m1 = p.locs![2 * j]!, m2 = p.locs![2 * j + 1]!;
        const s1 = p.scales![2 * j]!, s2 = p.scales![2 * j + 1]!;
        const rho = p.corr![j]!;
        const d1 = (x[0]! - m1) / s1, d2 = (x[1]! - m2) / s2;
        // Graves 2013, eq. 24-25
        const Z = d1 * d1 + d2 * d2 - 2 * rho * d1 * d2;
        const om = 1 - rho * rho;
        const logN = -Z / (2 * om) - Math.log(2 * Math.PI * s1 * s2 * Math.sqrt(om));
        terms.push(lw[j]! - norm + logN);
      }
      return logsumexp(terms);
    }
  }
}

/** KL(N(μq, σq) ‖ N(μp, σp)) summed over n coordinates (width-1 parameters broadcast). */
export function oracleKlNormal(q: Record<string, Float64Array>, p: Record<string, Float64Array>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const mq = at(q.loc!, i), sq = at(q.scale!, i), mp = at(p.loc!, i), sp = at(p.scale!, i);
    s += Math.log(sp / sq) + (sq * sq + (mq - mp) * (mq - mp)) / (2 * sp * sp) - 0.5;
  }
  return s;
}

/** The per-sequence evaluator: memoized values of every variable at every step. */
class SequenceOracle {
  private readonly memo = new Map<string, Float64Array>();
  /** LSTM cell memories, keyed like `memo`. */
  private readonly cmemo = new Map<string, Float64Array>();
  private readonly active = new Set<string>();

  constructor(
    private readonly m: CheckedModel,
    private readonly feeds: Readonly<Record<string, OracleTensor>>,
    private readonly b: number,
    private readonly B: number,
    private readonly L: number,
    /** For discrete latents: the category at each step (the path being scored). */
    private readonly paths: ReadonlyMap<string, readonly number[]> = new Map(),
  ) {}

  param(name: string): Float64Array {
    const t = this.feeds[name];
    if (!t) throw new Error(`oracle: no parameter ${name}`);
    return Float64Array.from(t.data);
  }

  /** Slice [T, B, w] feed at (t, b). */
  private row(feed: string, t: number, w: number): Float64Array {
    const f = this.feeds[feed];
    if (!f) throw new Error(`oracle: no feed ${feed}`);
    const off = (t * this.B + this.b) * w;
    return Float64Array.from({ length: w }, (_, i) => f.data[off + i]!);
  }

  private initOf(name: string): Float64Array {
    const v = this.m.vars.get(name)!;
    return v.init === 'learned' ? this.param(`${name}.init`) : new Float64Array(v.width);
  }

  /** The value of variable `name` at step t (any t; edges handled here). */
  value(name: string, t: number): Float64Array {
    const v = this.m.vars.get(name);
    if (!v) throw new Error(`oracle: unknown variable ${name}`);
    if (t < 0 || t >= this.L) return v.role === 'state' ? this.initOf(name) : new Float64Array(v.width);
    const key = `${name}@${t}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    if (this.active.has(key)) throw new Error(`oracle: cycle at ${key}`);
    this.active.add(key);
    let out: Float64Array;
    switch (v.role) {
      case 'observe': case 'input': out = this.row(`data.${name}`, t, v.width); break;
      case 'latent': {
        const path = this.paths.get(name);
        if (path) {
          out = Float64Array.from({ length: v.width }, (_, i) => (i === path[t] ? 1 : 0));
          break;
        }
        const g = this.m.guide?.samples.find((s) => s.target === name);
        if (!g) throw new Error(`oracle: latent ${name} has no guide sample (default guide not supported)`);
        const q = this.distParams(g.dist, t);
        const eps = this.row(`noise.${name}`, t, v.width);
        out = eps.map((e, i) => at(q.loc!, i) + at(q.scale!, i) * e);
        break;
      }
      case 'state': {
        const def = [...this.m.transitions, ...(this.m.guide?.transitions ?? [])].find((a) => a.target === name);
        if (!def) throw new Error(`oracle: state ${name} has no update`);
        out = def.value.k === 'cell' ? this.cell(def.value, t, key) : this.expr(def.value, t);
        break;
      }
      default: throw new Error(`oracle: role ${v.role as string}`);
    }
    if (out.length !== v.width) throw new Error(`oracle: ${key} has width ${out.length}, expected ${v.width}`);
    this.active.delete(key);
    this.memo.set(key, out);
    return out;
  }

  /** The LSTM memory of a cell state at t (zeros outside [0, L)). */
  private cellMemory(name: string, t: number, width: number): Float64Array {
    if (t < 0 || t >= this.L) return new Float64Array(width);
    this.value(name, t);
    return this.cmemo.get(`${name}@${t}`) ?? new Float64Array(width);
  }

  /** x·W + b with W [in, out] row-major. */
  private affine(x: Float64Array, W: Float64Array, bias: Float64Array | null, out: number): Float64Array {
    const inn = x.length;
    if (W.length !== inn * out) throw new Error(`oracle: weight of ${W.length} values for [${inn}, ${out}]`);
    const y = new Float64Array(out);
    for (let j = 0; j < out; j++) {
      let s = bias ? bias[j]! : 0;
      for (let i = 0; i < inn; i++) s += x[i]! * W[i * out + j]!;
      y[j] = s;
    }
    return y;
  }

  private concat(parts: readonly Float64Array[]): Float64Array {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Float64Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  /**
   * Dropout (language.md): a call of a net with `dropout = p` is thinned in training graphs, which
   * have the feeds `dropout.<net>.<call>.<layer>`, `<call>` numbering the net's distinct call
   * sites in source order (a call inside a `fn` once per use: its site is the offsets of the fn
   * calls it came through, then its own): unit j of layer i's input is kept where u ≥ p, scaled
   * by 1/(1−p); a recurrent cell's input x (layer 0) likewise, its state never. Graphs with no
   * dropout feed at all apply every net whole; a training graph missing one mask is an error.
   */
  private dropout(e: Extract<CExpr, { k: 'net' | 'cell' }>, net: NetInfo, layer: number, t: number, h: Float64Array): Float64Array {
    if (net.dropout === 0) return h;
    const site = (x: Extract<CExpr, { k: 'net' | 'cell' }>): string => [...(x.k === 'net' ? x.via ?? [] : []), x.span.start].map((n) => String(n).padStart(12, '0')).join('/');
    if (!this.calls) {
      const sites = new Map<string, Set<string>>();
      const walk = (x: CExpr): void => {
        if (x.k === 'net' || x.k === 'cell') { const s = sites.get(x.net) ?? new Set<string>(); s.add(site(x)); sites.set(x.net, s); }
        for (const c of exprChildren(x)) walk(c);
      };
      const dists = [...this.m.emissions, ...this.m.priors, ...(this.m.guide?.samples ?? []), ...this.m.aux].map((d) => d.dist);
      for (const d of dists) for (const p of Object.values(d.params)) walk(p);
      for (const a of [...this.m.transitions, ...(this.m.guide?.transitions ?? [])]) walk(a.value);
      this.calls = new Map([...sites].map(([n, s]) => [n, [...s].sort()] as const));
    }
    if (!Object.keys(this.feeds).some((k) => k.startsWith('dropout.'))) return h;
    const name = `dropout.${net.name}.${this.calls.get(net.name)!.indexOf(site(e))}.${layer}`;
    if (!this.feeds[name]) throw new Error(`oracle: a training graph without the dropout feed ${name}`);
    const u = this.row(name, t, h.length);
    return h.map((v, j) => (u[j]! >= net.dropout ? v / (1 - net.dropout) : 0));
  }

  private calls: Map<string, string[]> | null = null;

  private ffNet(e: Extract<CExpr, { k: 'net' }>, net: NetInfo, x: Float64Array, t: number): Float64Array {
    if (net.kind === 'linear') return this.affine(this.dropout(e, net, 0, t, x), this.param(`${net.name}.weight`), this.param(`${net.name}.bias`), net.outDim);
    if (net.kind !== 'mlp') throw new Error(`oracle: ${net.kind} net ${net.name} called as a feed-forward net`);
    const dims = [net.inDim, ...net.hidden, net.outDim];
    let h = x;
    for (let i = 0; i + 1 < dims.length; i++) {
      h = this.affine(this.dropout(e, net, i, t, h), this.param(`${net.name}.${i}.weight`), this.param(`${net.name}.${i}.bias`), dims[i + 1]!);
      h = activate(i + 2 === dims.length ? net.outAct : net.act, h);
    }
    return h;
  }

  private cell(e: Extract<CExpr, { k: 'cell' }>, t: number, key: string): Float64Array {
    const net = this.m.nets.get(e.net)!;
    const H = net.outDim;
    if (e.prev.k !== 'read' || e.prev.name !== e.state) throw new Error('oracle: cell prev is not the state');
    const prevT = t + e.prev.offset;
    const h = this.value(e.state, prevT);
    const x = this.dropout(e, net, 0, t, this.concat(e.inputs.map((i) => this.expr(i, t))));
    const Wih = this.param(`${net.name}.weight_ih`), Whh = this.param(`${net.name}.weight_hh`), bih = this.param(`${net.name}.bias_ih`);
    switch (net.kind) {
      case 'rnn': {
        const a = this.affine(x, Wih, bih, H), r = this.affine(h, Whh, null, H);
        return activate(net.act, a.map((v, j) => v + r[j]!));
      }
      case 'lstm': {
        const c = this.cellMemory(e.state, prevT, H);
        const a = this.affine(x, Wih, bih, 4 * H), r = this.affine(h, Whh, null, 4 * H);
        const g = a.map((v, j) => v + r[j]!);
        const c2 = new Float64Array(H), h2 = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          const ig = sigmoid(g[j]!), fg = sigmoid(g[H + j]!), gg = Math.tanh(g[2 * H + j]!), og = sigmoid(g[3 * H + j]!);
          c2[j] = fg * c[j]! + ig * gg;
          h2[j] = og * Math.tanh(c2[j]!);
        }
        this.cmemo.set(key, c2);
        return h2;
      }
      case 'gru': {
        const bhh = this.param(`${net.name}.bias_hh`);
        const a = this.affine(x, Wih, bih, 3 * H), r = this.affine(h, Whh, bhh, 3 * H);
        const h2 = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          const rg = sigmoid(a[j]! + r[j]!), ug = sigmoid(a[H + j]! + r[H + j]!);
          const ng = Math.tanh(a[2 * H + j]! + rg * r[2 * H + j]!);
          h2[j] = (1 - ug) * ng + ug * h[j]!;
        }
        return h2;
      }
      default: throw new Error(`oracle: ${net.kind} is not a cell`);
    }
  }

  /** Evaluates an expression at step t. */
  expr(e: CExpr, t: number): Float64Array {
    switch (e.k) {
      case 'const': return Float64Array.of(e.value);
      case 'read': return this.value(e.name, t + e.offset);
      case 'unary': return this.expr(e.arg, t).map((x) => unaryFn(e.fn, x));
      case 'neg': return this.expr(e.arg, t).map((x) => -x);
      case 'binary': {
        const l = this.expr(e.left, t), r = this.expr(e.right, t);
        const n = Math.max(l.length, r.length);
        if ((l.length !== n && l.length !== 1) || (r.length !== n && r.length !== 1)) throw new Error('oracle: bad broadcast');
        return Float64Array.from({ length: n }, (_, i) => {
          const a = at(l, i), b = at(r, i);
          switch (e.op) { case '+': return a + b; case '-': return a - b; case '*': return a * b; case '/': return a / b; }
        });
      }
      case 'concat': return this.concat(e.parts.map((p) => this.expr(p, t)));
      case 'slice': return this.expr(e.arg, t).slice(e.start, e.end);
      case 'sum': return Float64Array.of(this.expr(e.arg, t).reduce((a, x) => a + x, 0));
      case 'net': return this.ffNet(e, this.m.nets.get(e.net)!, this.concat(e.args.map((a) => this.expr(a, t))), t);
      case 'affine': return this.affine(this.expr(e.arg, t), this.param(e.weight), this.param(e.bias), e.width);
      case 'param': return this.param(e.name);
      case 'cell': throw new Error('oracle: a cell outside a state update');
    }
  }

  distParams(d: CDist, t: number): Record<string, Float64Array> {
    const out: Record<string, Float64Array> = {};
    for (const [k, e] of Object.entries(d.params)) out[k] = this.expr(e, t);
    return out;
  }

  /** log p(x, z, s) − log q(z) for the sampled continuous z and the discrete paths given. */
  logWeight(): number {
    let lw = 0;
    for (let t = 0; t < this.L; t++) {
      for (const em of this.m.emissions) lw += oracleLogProb(em.dist.family, this.distParams(em.dist, t), this.value(em.target, t), em.dist.components);
      for (const pr of this.m.priors) lw += oracleLogProb(pr.dist.family, this.distParams(pr.dist, t), this.value(pr.target, t), pr.dist.components);
      for (const g of this.m.guide?.samples ?? []) lw -= oracleLogProb(g.dist.family, this.distParams(g.dist, t), this.value(g.target, t), g.dist.components);
    }
    return lw;
  }

  /** The per-sequence terms. */
  terms(): { loglik: number; kl: number; aux: number } {
    let loglik = 0, kl = 0, aux = 0;
    for (let t = 0; t < this.L; t++) {
      for (const em of this.m.emissions) {
        loglik += oracleLogProb(em.dist.family, this.distParams(em.dist, t), this.value(em.target, t), em.dist.components);
      }
      for (const pr of this.m.priors) {
        const g = this.m.guide!.samples.find((s) => s.target === pr.target)!;
        const z = this.value(pr.target, t);
        const q = this.distParams(g.dist, t), p = this.distParams(pr.dist, t);
        kl += g.dist.family === 'Normal' && pr.dist.family === 'Normal'
          ? oracleKlNormal(q, p, z.length)
          : oracleLogProb(g.dist.family, q, z, g.dist.components) - oracleLogProb(pr.dist.family, p, z, pr.dist.components);
      }
      for (const a of this.m.aux) {
        aux += a.weight * oracleLogProb(a.dist.family, this.distParams(a.dist, t), this.value(a.target, t), a.dist.components);
      }
    }
    return { loglik, kl, aux };
  }
}

/** The ELBO terms of `model` for a batch, computed naively per sequence and per step. */
export function oracleElbo(model: CheckedModel, feeds: Readonly<Record<string, OracleTensor>>): OracleResult {
  const mask = feeds.mask!;
  const [T, B] = mask.shape as [number, number];
  const beta = feeds.beta!.data[0]!;
  const elbo = new Float64Array(B), loglik = new Float64Array(B), kl = new Float64Array(B), aux = new Float64Array(B);
  let total = 0, nmask = 0;
  for (let b = 0; b < B; b++) {
    let L = 0;
    while (L < T && mask.data[L * B + b] === 1) L++;
    for (let t = L; t < T; t++) if (mask.data[t * B + b] !== 0) throw new Error('oracle: mask is not a prefix of ones');
    nmask += L;
    const r = new SequenceOracle(model, feeds, b, B, L).terms();
    loglik[b] = r.loglik;
    kl[b] = r.kl;
    aux[b] = r.aux;
    elbo[b] = r.loglik - r.kl;
    total += r.loglik - beta * r.kl + r.aux;
  }
  return { loss: -total / nmask, elbo, loglik, kl, aux };
}

/**
 * log Σ_paths p(x, z, s) / q(z) per sequence by brute force: every path of the model's discrete
 * latents (K^L of them) is scored separately and the weights are summed.
 */
export function oracleEnumerated(model: CheckedModel, feeds: Readonly<Record<string, OracleTensor>>): Float64Array {
  const mask = feeds.mask!;
  const [T, B] = mask.shape as [number, number];
  const discrete = [...model.vars.values()].filter((v) => v.role === 'latent' && v.elem === 'cat');
  if (discrete.length !== 1) throw new Error('oracle: brute force expects one discrete latent');
  const [s] = discrete as [typeof discrete[number]];
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let L = 0;
    while (L < T && mask.data[L * B + b] === 1) L++;
    const weights: number[] = [];
    for (let code = 0; code < s.width ** L; code++) {
      const path = Array.from({ length: L }, (_, t) => Math.floor(code / s.width ** t) % s.width);
      weights.push(new SequenceOracle(model, feeds, b, B, L, new Map([[s.name, path]])).logWeight());
    }
    out[b] = logsumexp(weights);
  }
  return out;
}
