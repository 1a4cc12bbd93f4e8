/**
 * @file The lowered ELBO graph (run by the Float64 IR interpreter) against an independent
 * per-sequence, per-step oracle written from the language semantics (test/helpers/model-oracle.ts),
 * on every example at small sizes, with variable lengths; plus padding and backward-state checks.
 */
import { expect } from 'chai';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import type { CheckedModel } from '../../src/compiler/checked.js';
import { renderDiagnostic } from '../../src/compiler/diagnostics.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { assertValid, evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { lower as lowerProgram, type LoweredGraph } from '../../src/compiler/lower/lower.js';
import { ImportanceHandler } from '../../src/inference/importance.js';
import { schedule } from '../../src/compiler/schedule.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples } from '../helpers/examples.js';
import { oracleElbo } from '../helpers/model-oracle.js';
import { Rng } from '../helpers/random.js';

/** Small, mutually distinct widths for every integer width hyperparameter of each example. */
const sizes: Record<string, string[]> = {
  dmm: ['x_dim=5', 'z_dim=3', 'trans_dim=4', 'emit_dim=6', 'rnn_dim=4'],
  lgssm: ['x_dim=2', 'z_dim=3', 'g_dim=4'],
  rnn_gmm: ['x_dim=5', 'h_dim=4', 'f_dim=6', 'k=2'],
  rnn_normal: ['x_dim=5', 'h_dim=4', 'f_dim=6'],
  srnn: ['x_dim=5', 'z_dim=3', 'd_dim=4', 'a_dim=6', 'f_dim=7'],
  storn: ['x_dim=5', 'z_dim=3', 'h_dim=4'],
  vrnn: ['x_dim=5', 'z_dim=3', 'h_dim=4', 'f_dim=6'],
  vrnn_gmm: ['x_dim=5', 'z_dim=3', 'h_dim=4', 'f_dim=6', 'k=2'],
  vrnn_handwriting: ['z_dim=3', 'h_dim=4', 'f_dim=6', 'k=2'],
  vrnn_polyphonic: ['x_dim=5', 'z_dim=3', 'h_dim=4', 'f_dim=6'],
  zforcing: ['x_dim=5', 'z_dim=3', 'h_dim=4', 'b_dim=6', 'f_dim=7'],
  // Discrete latents are summed out; test/inference/enumeration.test.ts checks these by brute force.
  storn_polyphonic: ['x_dim=5', 'z_dim=3', 'h_dim=4'],
  srnn_polyphonic: ['x_dim=5', 'z_dim=3', 'd_dim=4', 'a_dim=6', 'f_dim=7', 'drop=0.3'],
  rnn_handwriting: ['h_dim=4', 'f_dim=6', 'k=2'],
  rnn_polyphonic: ['x_dim=5', 'h_dim=4', 'f_dim=6', 'drop=0.3'],
  rnn_nade_polyphonic: ['x_dim=5', 'h_dim=4', 'f_dim=6', 'nade_dim=3', 'drop=0.3'],
  srnn_nade_polyphonic: ['x_dim=5', 'z_dim=3', 'd_dim=4', 'a_dim=6', 'f_dim=7', 'nade_dim=3'],
  dmm_gauss: ['x_dim=5', 'z_dim=3', 'trans_dim=4', 'emit_dim=6', 'rnn_dim=4'],
  hmm: ['x_dim=3', 'k=3'],
  switching: ['x_dim=3', 'z_dim=2', 'k=2', 'h_dim=8', 'g_dim=8'],
};
/** Examples whose discrete latents this ELBO oracle does not sum out. */
const enumerated = new Set(['hmm', 'switching']);

/**
 * A model exercising what the examples do not: learned inits on forward and backward states
 * (tanh, LSTM and GRU updates), an rnn cell with relu, an input variable, [t-1] reads of
 * observations in the guide, Laplace prior and guide (Monte Carlo KL), a width-1
 * latent, width-1 broadcasting, every builtin, slices, division, mixtures and an aux term.
 */
const kitchenSink = `
model sink(x_dim = 3, u_dim = 2, z_dim = 2, h_dim = 4, g_dim = 3, k = 2) {
  observe x[t] : real[x_dim]
  observe y[t] : binary[2]
  input   u[t] : real[u_dim]
  latent  z[t] : real[z_dim]
  latent  w[t] : real[1]
  state   h[t] : real[h_dim] = learned
  state   c[t] : real[2] = learned

  net cell = rnn(x_dim + z_dim + u_dim -> h_dim, act = relu)
  net lc   = lstm(x_dim -> 2)
  net f    = mlp(h_dim -> 5, hidden = [3, 4], act = tanh, out_act = none)
  net bl_net = gru(x_dim + u_dim -> 2)

  prior      z[t] ~ Laplace(h[t-1][:z_dim], softplus(h[t-1][z_dim:]) + 0.1)
  prior      w[t] ~ Normal(0, 1)
  emission   x[t] ~ MixtureNormal.head(concat(f(h[t-1]), z[t]), x_dim, k = k)
  emission   y[t] ~ Bernoulli(sum(z[t]) * 0.5 - w[t] + c[t-1] / 2)
  transition h[t] = cell(h[t-1], x[t], z[t], u[t])
  transition c[t] = lc(c[t-1], x[t])
  guide {
    state g[t]  : real[g_dim] = learned
    state bl[t] : real[2] = learned
    g[t] = tanh(g[t+1] * 0.5 + sum(square(x[t])) / 4 + exp(-abs(u[t][0:1])) - sqrt(sigmoid(x[t-1][:1])))
    bl[t] = bl_net(bl[t+1], x[t], u[t])
    z[t] ~ Laplace.head(concat(g[t], h[t-1], x[t-1]), z_dim)
    w[t] ~ Normal(relu(g[t][:1]) + log(softplus(z[t][1:]) + 1) + bl[t][1:], 0.5)
  }
  aux(weight = 0.25) c[t] ~ Normal.head(concat(g[t], bl[t], u[t]), 2)
}
`;

/**
 * Guide reads of an observation and an input at [t+1]: at each sequence's last step
 * (t = L_b - 1) they must read zeros (docs/language.md §9: x[T+1] = 0 with T the sequence's own
 * length), not whatever the batch holds at the first padded step.
 */
const readsNext = `
model next(x_dim = 3, u_dim = 2, z_dim = 2, g_dim = 3) {
  observe x[t] : real[x_dim]
  input   u[t] : real[u_dim]
  latent  z[t] : real[z_dim]
  prior    z[t] ~ Normal(0, 1)
  emission x[t] ~ Normal.head(concat(z[t], u[t]), x_dim)
  guide {
    state g[t] : real[g_dim] = zeros
    g[t] = tanh(g[t+1] + sum(u[t+1]))
    z[t] ~ Normal.head(concat(x[t+1], g[t]), z_dim)
  }
}
`;

const T = 6, B = 3, lengths = [6, 4, 1], beta = 0.7;

function check(path: string, text: string, sets: string[]): CheckedModel {
  const r = checkSource(path, text, parseOverrides(sets));
  if (!r.model) throw new Error(r.diagnostics.map((d) => renderDiagnostic(r.source, d)).join('\n'));
  return r.model;
}

function lower(m: CheckedModel): LoweredGraph {
  const lo = lowerProgram(new ImportanceHandler(schedule(m), 1, 'train'), 'float64');
  assertValid(lo.graph);
  return lo;
}

/** A standard Laplace draw. */
const laplace = (rng: Rng): number => { const u = rng.uniform() - 0.5; return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u)); };

interface FeedOpts {
  readonly T: number;
  readonly B: number;
  readonly lengths: readonly number[];
  readonly seed: number;
  /** Value for data and noise at padded steps (default: drawn like the valid ones). */
  readonly pad?: (rng: Rng) => number;
}

/** Random feeds following the graph's input list: params ~ 0.3·N(0,1), data N(0,1) or 0/1, noise by law. */
function makeFeeds(m: CheckedModel, lo: LoweredGraph, o: FeedOpts): Record<string, Tensor> {
  const rng = new Rng(o.seed), padRng = new Rng(o.seed + 1);
  const feeds: Record<string, Tensor> = {};
  for (const i of lo.inputs) {
    const shape = i.shape.map((d) => (d === 'T' ? o.T : d === 'B' ? o.B : d)) as number[];
    if (shape.some((d) => typeof d !== 'number')) throw new Error(`unexpected dim in ${i.name}: ${JSON.stringify(i.shape)}`);
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float64Array(n);
    switch (i.role) {
      case 'param': for (let k = 0; k < n; k++) data[k] = 0.3 * rng.normal(); break;
      case 'beta': data.fill(beta); break;
      case 'mask': for (let t = 0; t < o.T; t++) for (let b = 0; b < o.B; b++) data[t * o.B + b] = t < o.lengths[b]! ? 1 : 0; break;
      case 'data': case 'noise': {
        const binary = i.role === 'data' && m.vars.get(i.name.slice('data.'.length))!.elem === 'binary';
        const w = shape[2]!;
        for (let t = 0; t < o.T; t++) {
          for (let b = 0; b < o.B; b++) {
            for (let j = 0; j < w; j++) {
              const padded = t >= o.lengths[b]!;
              let v = i.law === 'laplace' ? laplace(rng) : i.law === 'uniform' ? rng.uniform() : rng.normal();
              if (binary) v = v > 0 ? 1 : 0;
              if (padded && o.pad) v = o.pad(padRng);
              data[(t * o.B + b) * w + j] = v;
            }
          }
        }
        break;
      }
    }
    feeds[i.name] = tensor(shape, data);
  }
  return feeds;
}

const outputs = ['elbo', 'loglik', 'kl', 'aux'] as const;

function compareWithOracle(m: CheckedModel, lo: LoweredGraph, seed: number, pad?: (rng: Rng) => number): void {
  const feeds = makeFeeds(m, lo, { T, B, lengths, seed, ...(pad ? { pad } : {}) });
  const got = evaluate(lo.graph, feeds);
  const want = oracleElbo(m, feeds);
  for (const k of outputs) assertAllClose(got[k]!.data, want[k], `${m.name}: ${k}`, { rtol: 1e-9, atol: 1e-12 });
  assertAllClose(got.loss!.data, [want.loss], `${m.name}: loss`, { rtol: 1e-9, atol: 1e-12 });
  // the terms are not trivially zero (aux only where the model has aux terms)
  for (const k of ['loglik', 'elbo'] as const) expect(Array.from(want[k]).every((v) => v !== 0), k).to.equal(true);
  if (m.priors.length) expect(Array.from(want.kl).every((v) => v !== 0), 'kl').to.equal(true);
  if (m.aux.length) expect(Array.from(want.aux).every((v) => v !== 0), 'aux').to.equal(true);
}

const backward = ['srnn', 'dmm', 'lgssm', 'zforcing'];

describe('lower: ELBO graph against the per-step oracle', () => {
  it('lower: every example has small sizes chosen for it', () => {
    expect(examples().map((e) => e.name).filter((n) => !sizes[n])).to.deep.equal([]);
  });

  for (const ex of examples().filter((e) => !enumerated.has(e.name))) {
    it(`lower: ${ex.name} ELBO terms equal the per-step oracle`, () => {
      const m = check(ex.path, ex.text, sizes[ex.name] ?? []);
      const lo = lower(m);
      compareWithOracle(m, lo, 1234);
      compareWithOracle(m, lo, 99);
    });
  }

  it('lower: kitchen-sink model (learned inits, inputs, Laplace, mixtures, aux) ELBO terms equal the per-step oracle', () => {
    const m = check('sink.seq', kitchenSink, []);
    expect([...m.vars.values()].filter((v) => v.direction === 'backward').map((v) => v.name).sort()).to.deep.equal(['bl', 'g']);
    const lo = lower(m);
    compareWithOracle(m, lo, 7);
    compareWithOracle(m, lo, 8);
  });

  it('lower: a backward state reading another backward state at t-1 runs in a later phase (equals the oracle)', () => {
    const text = `model bb(x_dim = 3, z_dim = 2, h = 4) {
  observe x[t] : real[x_dim]
  latent  z[t] : real[z_dim]
  net c1 = gru(x_dim -> h)
  net c2 = gru(h -> h)
  prior    z[t] ~ Normal(0, 1)
  emission x[t] ~ Normal.head(z[t], x_dim)
  guide {
    state a[t] : real[h] = zeros
    state g[t] : real[h] = zeros
    a[t] = c1(a[t+1], x[t])
    g[t] = c2(g[t+1], a[t-1])
    z[t] ~ Normal.head(g[t], z_dim)
  }
}
`;
    const m = check('bb.seq', text, []);
    compareWithOracle(m, lower(m), 3);
  });

  it('lower: guide reads of x[t+1] and u[t+1] are zeros after each sequence\'s last step (equal the per-step oracle)', () => {
    const m = check('next.seq', readsNext, []);
    const lo = lower(m);
    compareWithOracle(m, lo, 3, () => 0); // zeros at padded steps: the edge reads agree
    compareWithOracle(m, lo, 3); // random values at padded steps: x[L_b], u[L_b] must still read as 0
  });
});

describe('lower: padding and backward states', () => {
  const cases = [
    ...examples().map((ex) => ({ name: ex.name, path: ex.path, text: ex.text, sets: sizes[ex.name] ?? [] })),
    { name: 'sink', path: 'sink.seq', text: kitchenSink, sets: [] as string[] },
    { name: 'next', path: 'next.seq', text: readsNext, sets: [] as string[] },
  ];
  const garbageTest = (c: (typeof cases)[number], scale: number, seed: number): void => {
    const m = check(c.path, c.text, c.sets);
    const lo = lower(m);
    const clean = evaluate(lo.graph, makeFeeds(m, lo, { T, B, lengths, seed, pad: () => 0 }));
    const garbage = evaluate(lo.graph, makeFeeds(m, lo, { T, B, lengths, seed, pad: (r) => scale * r.normal() }));
    for (const k of [...outputs, 'loss']) assertAllClose(garbage[k]!.data, clean[k]!.data, `${c.name}: ${k} with garbage (${scale}·N(0,1)) padding`, { rtol: 1e-12, atol: 1e-12 });
  };
  for (const c of cases) {
    it(`lower: ${c.name} outputs do not depend on data or noise at padded steps`, () => {
      garbageTest(c, 3, 5);
      garbageTest(c, 3, 6);
    });
  }
  for (const c of cases) {
    // Padded steps are computed and then masked: a non-finite log-density there (e.g. a
    // saturated tanh correlation, 1 - ρ² = 0) must not leak into the sums as 0·NaN.
    it(`lower: ${c.name} large garbage at padded steps does not leak (no 0·NaN through the mask)`, () => {
      garbageTest(c, 50, 5);
    });
  }

  for (const c of cases.filter((c) => backward.includes(c.name) || c.name === 'sink')) {
    it(`lower: ${c.name} backward guide states start from their init at each sequence's own last step`, () => {
      const m = check(c.path, c.text, c.sets);
      expect([...m.vars.values()].some((v) => v.direction === 'backward')).to.equal(true);
      const lo = lower(m);
      // Batch of T=6 with lengths [6, 4, 1]; then each sequence alone, unpadded (T = its length).
      const full = makeFeeds(m, lo, { T, B, lengths, seed: 11 });
      const got = evaluate(lo.graph, full);
      for (let b = 0; b < B; b++) {
        const L = lengths[b]!;
        const alone: Record<string, Tensor> = {};
        for (const i of lo.inputs) {
          const f = full[i.name]!;
          if (i.role === 'data' || i.role === 'noise' || i.role === 'mask') {
            const w = i.role === 'mask' ? 1 : f.shape[2]!;
            const data = new Float64Array(L * w);
            for (let t = 0; t < L; t++) for (let j = 0; j < w; j++) data[t * w + j] = f.data[(t * B + b) * w + j]!;
            alone[i.name] = tensor(i.role === 'mask' ? [L, 1] : [L, 1, w], data);
          } else alone[i.name] = f;
        }
        const one = evaluate(lo.graph, alone);
        for (const k of outputs) assertAllClose([got[k]!.data[b]!], one[k]!.data, `${c.name}: ${k}[${b}] (length ${L}) in a padded batch vs alone`, { rtol: 1e-9, atol: 1e-12 });
      }
    });
  }
});

describe('lower: dropout', () => {
  // f is called twice inside the stochastic scan (once on the carry z[t-1]); g once in a function
  // used twice, hoisted (a deterministic phase and the guide): two calls; k inside a backward scan;
  // the GRU's input is hoisted, the RNN's (z[t]) is not; the LSTM has no dropout.
  const text = `model dd(x_dim = 3, z_dim = 2, hd = 4, p = 0.5) {
  observe x[t] : real[x_dim]
  latent  z[t] : real[z_dim]
  state   h[t] : real[hd] = zeros
  state   q[t] : real[hd] = zeros
  state   r[t] : real[hd] = zeros
  net f    = mlp(z_dim + hd -> hd, hidden = [5], act = tanh, dropout = p)
  net g    = linear(x_dim -> hd, dropout = p)
  net k    = mlp(hd + x_dim -> hd, act = tanh, dropout = p)
  net cell = gru(hd -> hd, dropout = p)
  net c2   = rnn(z_dim -> hd, dropout = p)
  net c3   = lstm(x_dim -> hd)
  fn gg(v) = g(v)
  transition h[t] = cell(h[t-1], gg(x[t-1]))
  transition q[t] = c2(q[t-1], z[t])
  transition r[t] = c3(r[t-1], x[t-1])
  prior      z[t] ~ Normal.head(f(z[t-1], q[t-1] + r[t]), z_dim)
  emission   x[t] ~ Normal.head(f(z[t], h[t]), x_dim)
  guide {
    state a[t] : real[hd] = zeros
    a[t] = k(a[t+1], x[t])
    z[t] ~ Normal.head(concat(gg(x[t]), a[t]), z_dim)
  }
}
`;
  const names = (lo: LoweredGraph): string[] => lo.inputs.filter((i) => i.name.startsWith('dropout.')).map((i) => `${i.name} [${i.shape.join(', ')}] ${i.role} ${i.law}`);

  it('lower: one uniform noise input per call site and layer, named by the net, the call (in source order) and the layer', () => {
    const lo = lower(check('dd.seq', text, []));
    expect(names(lo).sort()).to.deep.equal([
      'dropout.c2.0.0 [T, B, 2] noise uniform', 'dropout.cell.0.0 [T, B, 4] noise uniform',
      'dropout.f.0.0 [T, B, 6] noise uniform', 'dropout.f.0.1 [T, B, 5] noise uniform',
      'dropout.f.1.0 [T, B, 6] noise uniform', 'dropout.f.1.1 [T, B, 5] noise uniform',
      'dropout.g.0.0 [T, B, 3] noise uniform', 'dropout.g.1.0 [T, B, 3] noise uniform',
      'dropout.k.0.0 [T, B, 7] noise uniform',
    ]);
    // evaluation (and a rate of 0) has none
    expect(names(lowerProgram(new ImportanceHandler(schedule(check('dd.seq', text, [])), 'K', 'evaluate'), 'float64'))).to.deep.equal([]);
    expect(names(lower(check('dd.seq', text, ['p=0'])))).to.deep.equal([]);
  });

  it('lower: the training ELBO with dropout equals the per-step oracle given the same masks, and the masks matter', () => {
    for (const p of ['0.5', '0.2']) {
      const m = check('dd.seq', text, [`p=${p}`]);
      const lo = lower(m);
      compareWithOracle(m, lo, 21);
      compareWithOracle(m, lo, 22);
      // Without the dropout feeds the oracle applies the nets whole: a different ELBO.
      const feeds = makeFeeds(m, lo, { T, B, lengths, seed: 21 });
      const whole = oracleElbo(m, Object.fromEntries(Object.entries(feeds).filter(([k]) => !k.startsWith('dropout.'))));
      const got = evaluate(lo.graph, feeds);
      for (let b = 0; b < B; b++) expect(Math.abs(got['elbo']!.data[b]! - whole.elbo[b]!), `sequence ${b}`).to.be.greaterThan(1e-6);
    }
  });

  it('lower: the evaluation graph applies the nets whole (equals the oracle without masks)', () => {
    const m = check('dd.seq', text, []);
    const lo = lowerProgram(new ImportanceHandler(schedule(m), 1, 'evaluate'), 'float64');
    const feeds = makeFeeds(m, lo, { T, B, lengths, seed: 4 });
    const got = evaluate(lo.graph, feeds);
    assertAllClose(got['elbo']!.data, oracleElbo(m, { ...feeds, beta: tensor([], [1]) }).elbo, 'evaluate elbo', { rtol: 1e-9, atol: 1e-12 });
  });

  it('check: a dropout rate outside [0, 1) is an error at the value', () => {
    for (const [bad, msg] of [['1', 'a dropout rate must be at least 0 and below 1, got 1'], ['-0.1', 'got -0.1']] as const) {
      const r = checkSource('dd.seq', text.replace('dropout = p)\n  net g', `dropout = ${bad})\n  net g`), []);
      expect(r.model).to.equal(null);
      expect(r.diagnostics.map((d) => d.message).join('\n')).to.contain(msg);
    }
    const r = checkSource('dd.seq', text.replace('lstm(x_dim -> hd)', 'lstm(x_dim -> hd, dropout = 2 / 2)'), []);
    expect(r.diagnostics.map((d) => d.message).join('\n')).to.contain('a dropout rate must be at least 0 and below 1, got 1');
  });
});
