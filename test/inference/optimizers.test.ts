/** @file The training-step transform against a hand-written reference optimizer on a small least-squares model. */
import { expect } from 'chai';
import { GraphBuilder } from '../../src/compiler/ir/builder.js';
import { evaluate } from '../../src/compiler/ir/eval.js';
import type { Graph } from '../../src/compiler/ir/graph.js';
import type { DType } from '../../src/compiler/ir/ops.js';
import { tensor, type Tensor } from '../../src/compiler/ir/tensor.js';
import { assertValid } from '../../src/compiler/ir/verify.js';
import { clipEpsilon, trainStep, type TrainStepOptions } from '../../src/inference/optimizers.js';
import { assertAllClose } from '../helpers/allclose.js';
import { centralDifference } from '../helpers/gradcheck.js';
import { Rng } from '../helpers/random.js';

const [N, K, J] = [5, 3, 2];
const shapes: Record<string, number[]> = { W: [K, J], b: [J], s: [] };
const params = ['W', 'b', 's'];
const exact = { rtol: 1e-12, atol: 1e-12 };

/** fit = x W + b;  loss = Σ (s · fit − y)².  Outputs `fit` first so `loss` is not output 0. */
function model(dtype: DType = 'float64'): Graph {
  const g = new GraphBuilder();
  const x = g.input('x', dtype, [N, K]), y = g.input('y', dtype, [N, J]);
  const w = g.input('W', dtype, [K, J]), b = g.input('b', dtype, [J]), s = g.input('s', dtype, []);
  const fit = g.add(g.matmul(x, w), b);
  g.output('fit', fit);
  g.output('loss', g.reduceSum(g.square(g.sub(g.mul(fit, s), y)), [0, 1]));
  return g.build();
}

type Flat = Record<string, Float64Array>;

/** The model's loss and hand-derived gradients: dW = 2s xᵀr, db = 2s Σₙ r, ds = 2 Σ r·fit with r = s·fit − y. */
function reference(p: Flat, x: Float64Array, y: Float64Array): { fit: Float64Array; loss: number; grads: Flat } {
  const s = p['s']![0]!, fit = new Float64Array(N * J), grads: Flat = { W: new Float64Array(K * J), b: new Float64Array(J), s: new Float64Array(1) };
  let loss = 0;
  for (let n = 0; n < N; n++) for (let j = 0; j < J; j++) {
    let f = 0;
    for (let k = 0; k < K; k++) f += x[n * K + k]! * p['W']![k * J + j]!;
    f += p['b']![j]!;
    fit[n * J + j] = f;
    const r = s * f - y[n * J + j]!;
    loss += r * r;
    for (let k = 0; k < K; k++) grads['W']![k * J + j]! += 2 * s * r * x[n * K + k]!;
    grads['b']![j]! += 2 * s * r;
    grads['s']![0]! += 2 * r * f;
  }
  return { fit, loss, grads };
}

/** Scalar inputs of one step; `clip: null` means the unclipped reference. */
interface Hyper { lr: number; clip: number | null; wd: number }

/** The reference optimizer: global-norm clipping, then Adam (AdamW decay) or SGD (L2 + heavy-ball momentum). In place. */
function referenceStep(opts: TrainStepOptions, p: Flat, state: Flat, grads: Flat, hp: Hyper, t: number): number {
  const [b1, b2, eps, mu] = [opts.beta1 ?? 0.9, opts.beta2 ?? 0.999, opts.eps ?? 1e-8, opts.momentum ?? 0];
  const norm = Math.sqrt(params.reduce((acc, k) => acc + grads[k]!.reduce((s, g) => s + g * g, 0), 0));
  const factor = hp.clip === null ? 1 : Math.min(1, hp.clip / (norm + 1e-6));
  for (const k of params) {
    const th = p[k]!;
    for (let i = 0; i < th.length; i++) {
      const g = grads[k]![i]! * factor;
      if (opts.optimizer === 'adam') {
        const m = (state[`adam.m.${k}`]![i] = b1 * state[`adam.m.${k}`]![i]! + (1 - b1) * g);
        const v = (state[`adam.v.${k}`]![i] = b2 * state[`adam.v.${k}`]![i]! + (1 - b2) * g * g);
        const mHat = m / (1 - Math.pow(b1, t)), vHat = v / (1 - Math.pow(b2, t));
        th[i] = th[i]! - hp.lr * (mHat / (Math.sqrt(vHat) + eps) + hp.wd * th[i]!);
      } else {
        let u = g + hp.wd * th[i]!;
        if (mu !== 0) u = state[`sgd.momentum.${k}`]![i] = mu * state[`sgd.momentum.${k}`]![i]! + u;
        th[i] = th[i]! - hp.lr * u;
      }
    }
  }
  return norm;
}

const scalar = (v: number): Tensor => tensor([], [v]);

/** Runs `steps` training steps in the graph and in the reference, comparing every output after every step. */
function compareSteps(opts: TrainStepOptions, hp: Hyper, steps: number, seed = 1): { norms: number[] } {
  const ts = trainStep(model(), opts);
  assertValid(ts.graph, 'train step');
  const rng = new Rng(seed);
  const x = rng.normals(N * K), y = rng.normals(N * J);
  const p: Flat = Object.fromEntries(params.map((k) => [k, rng.normals(shapes[k]!.reduce((a, d) => a * d, 1))]));
  const state: Flat = Object.fromEntries(ts.stateInputs.map((s) => [s.name, new Float64Array(p[s.param]!.length)]));
  const feeds: Record<string, Tensor> = {
    x: tensor([N, K], x), y: tensor([N, J], y),
    ...Object.fromEntries(params.map((k) => [k, tensor(shapes[k]!, p[k]!)])),
    ...Object.fromEntries(ts.stateInputs.map((s) => [s.name, tensor(s.shape as number[], state[s.name]!)])),
    lr: scalar(hp.lr), clip_norm: scalar(hp.clip === null ? 0 : hp.clip), weight_decay: scalar(hp.wd),
  };
  const norms: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const out = evaluate(ts.graph, { ...feeds, step: scalar(t) });
    const ref = reference(p, x, y);
    const at = `step ${t}`;
    assertAllClose(out['fit']!.data, ref.fit, `${at} fit`, exact);
    assertAllClose(out['loss']!.data, [ref.loss], `${at} loss`, exact);
    const norm = referenceStep(opts, p, state, ref.grads, hp, t);
    norms.push(norm);
    assertAllClose(out['grad_norm']!.data, [norm], `${at} grad_norm`, exact);
    for (const k of params) assertAllClose(out[`new.${k}`]!.data, p[k]!, `${at} new.${k}`, exact);
    for (const s of ts.stateInputs) assertAllClose(out[`new.${s.name}`]!.data, state[s.name]!, `${at} new.${s.name}`, exact);
    for (const u of ts.updates) feeds[u.input] = out[u.output]!;
  }
  return { norms };
}

const adam: TrainStepOptions = { loss: 'loss', params, optimizer: 'adam' };
const adamCustom: TrainStepOptions = { ...adam, beta1: 0.8, beta2: 0.99, eps: 1e-6 };
const sgdMomentum: TrainStepOptions = { loss: 'loss', params, optimizer: 'sgd', momentum: 0.9 };
const sgdPlain: TrainStepOptions = { loss: 'loss', params, optimizer: 'sgd' };

describe('optimizers: trainStep', () => {
  for (const [label, opts] of [['adam', adam], ['adam (β1 0.8, β2 0.99, ε 1e-6)', adamCustom], ['sgd momentum 0.9', sgdMomentum], ['sgd', sgdPlain]] as const) {
    it(`${label}: three steps, clipping inactive, no weight decay, match the reference to 1e-12`, () => {
      const { norms } = compareSteps(opts, { lr: 0.05, clip: 1e6, wd: 0 }, 3);
      expect(Math.max(...norms)).to.be.below(1e6);
    });
    it(`${label}: three steps, clipping active, weight decay 0.1, match the reference to 1e-12`, () => {
      const { norms } = compareSteps(opts, { lr: 0.01, clip: 0.5, wd: 0.1 }, 3, 2);
      expect(Math.min(...norms), 'clipping must be active at every step').to.be.above(0.5);
    });
    for (const off of [0, -1, Infinity]) {
      it(`${label}: clip_norm = ${off} disables clipping (equals the unclipped reference)`, () => {
        const ts = trainStep(model(), opts);
        const r = compareSteps(opts, { lr: 0.01, clip: null, wd: 0.01 }, 2, 3);
        expect(r.norms[0]).to.be.above(1); // clipping at any c < ‖g‖ would change the step
        // compareSteps feeds 0 for `clip: null`; check the other disabled values give the same outputs.
        const feeds = randomFeeds(ts.stateInputs.map((s) => s.name), 3);
        const a = evaluate(ts.graph, { ...feeds, clip_norm: scalar(0) }), b = evaluate(ts.graph, { ...feeds, clip_norm: scalar(off) });
        for (const o of ts.graph.outputs) assertAllClose(b[o.name]!.data, a[o.name]!.data, `clip_norm ${off}: ${o.name}`, { rtol: 0, atol: 0 });
      });
    }
  }

  it('sgd: an active clip makes the step length lr · c · ‖g‖ / (‖g‖ + 1e-6)', () => {
    const ts = trainStep(model(), sgdPlain);
    const feeds = randomFeeds([], 4);
    const [lr, c] = [0.1, 0.25];
    const out = evaluate(ts.graph, { ...feeds, lr: scalar(lr), clip_norm: scalar(c), weight_decay: scalar(0) });
    const sq = params.reduce((acc, k) => acc + out[`new.${k}`]!.data.reduce((s, v, i) => s + (v - feeds[k]!.data[i]!) ** 2, 0), 0);
    const n = out['grad_norm']!.data[0]!;
    expect(n).to.be.above(c);
    assertAllClose([Math.sqrt(sq)], [lr * c * n / (n + clipEpsilon)], 'step length', exact);
  });

  it('grad_norm equals the norm of the finite-difference gradient of the loss', () => {
    const g = model(), ts = trainStep(g, adam);
    const feeds = randomFeeds(ts.stateInputs.map((s) => s.name), 5);
    const sizes = params.map((k) => feeds[k]!.data.length);
    const flat = Float64Array.from(params.flatMap((k) => [...feeds[k]!.data]));
    const lossAt = (v: Float64Array): number => {
      let o = 0;
      const ps = Object.fromEntries(params.map((k, i) => { const t = tensor(shapes[k]!, v.subarray(o, o + sizes[i]!)); o += sizes[i]!; return [k, t]; }));
      return evaluate(g, { ...feeds, ...ps })['loss']!.data[0]!;
    };
    const fd = centralDifference(lossAt, flat, 1e-5);
    const fdNorm = Math.sqrt(fd.reduce((s, v) => s + v * v, 0));
    const out = evaluate(ts.graph, feeds);
    assertAllClose(out['grad_norm']!.data, [fdNorm], 'grad_norm vs finite differences', { rtol: 1e-7, atol: 0 });
  });

  it('interface: inputs and outputs come in the documented order', () => {
    const a = trainStep(model(), adam);
    expect(a.graph.inputs.map((p) => p.name)).to.deep.equal([
      'x', 'y', 'W', 'b', 's', 'lr', 'clip_norm', 'weight_decay', 'step',
      'adam.m.W', 'adam.v.W', 'adam.m.b', 'adam.v.b', 'adam.m.s', 'adam.v.s',
    ]);
    expect(a.graph.outputs.map((p) => p.name)).to.deep.equal([
      'fit', 'loss', 'new.W', 'new.b', 'new.s',
      'new.adam.m.W', 'new.adam.v.W', 'new.adam.m.b', 'new.adam.v.b', 'new.adam.m.s', 'new.adam.v.s', 'grad_norm',
    ]);
    expect(a.stateInputs.map((s) => [s.name, s.param, s.shape, s.init])).to.deep.equal([
      ['adam.m.W', 'W', [K, J], 0], ['adam.v.W', 'W', [K, J], 0], ['adam.m.b', 'b', [J], 0], ['adam.v.b', 'b', [J], 0], ['adam.m.s', 's', [], 0], ['adam.v.s', 's', [], 0],
    ]);
    expect(a.updates.map((u) => `${u.input}->${u.output}`)).to.deep.equal(
      ['W', 'b', 's', 'adam.m.W', 'adam.v.W', 'adam.m.b', 'adam.v.b', 'adam.m.s', 'adam.v.s'].map((n) => `${n}->new.${n}`));
    expect(a.scalarInputs).to.deep.equal(['lr', 'clip_norm', 'weight_decay', 'step']);
    expect(a.gradNorm).to.equal('grad_norm');
    const m = trainStep(model(), sgdMomentum);
    expect(m.graph.outputs.map((p) => p.name)).to.deep.equal(
      ['fit', 'loss', 'new.W', 'new.b', 'new.s', 'new.sgd.momentum.W', 'new.sgd.momentum.b', 'new.sgd.momentum.s', 'grad_norm']);
    const s = trainStep(model(), sgdPlain);
    expect(s.stateInputs).to.deep.equal([]);
    expect(s.graph.inputs.map((p) => p.name).slice(-4)).to.deep.equal(['lr', 'clip_norm', 'weight_decay', 'step']);
    expect(s.graph.outputs.map((p) => p.name)).to.deep.equal(['fit', 'loss', 'new.W', 'new.b', 'new.s', 'grad_norm']);
  });

  it('dtype: a float32 forward graph gives a float32 training step with no float64 value', () => {
    for (const opts of [adam, sgdMomentum]) {
      const ts = trainStep(model('float32'), opts);
      assertValid(ts.graph, 'float32 train step');
      const f64 = ts.graph.values.filter((v) => v.dtype === 'float64');
      expect(f64.length, `${opts.optimizer}: float64 values in a float32 graph`).to.equal(0);
      expect(ts.stateInputs.every((s) => s.dtype === 'float32')).to.equal(true);
    }
  });

  it('errors: bad parameters, a non-scalar loss, name clashes and bad hyperparameters are refused', () => {
    const g = model();
    expect(() => trainStep(g, { ...adam, params: ['W', 'nope'] })).to.throw("graph has no input 'nope'");
    expect(() => trainStep(g, { ...adam, params: ['W', 'W'] })).to.throw("parameter 'W' is listed twice");
    expect(() => trainStep(g, { ...adam, params: [] })).to.throw('no parameters to train');
    expect(() => trainStep(g, { ...adam, loss: 'fit' })).to.throw("loss 'fit' is f64[5,2], expected a float scalar");
    expect(() => trainStep(g, { ...adam, beta1: 1 })).to.throw('beta1 = 1, expected a number in [0, 1)');
    expect(() => trainStep(g, { ...sgdMomentum, momentum: -0.5 })).to.throw('momentum = -0.5, expected a number ≥ 0');
    const clash = new GraphBuilder();
    const lr = clash.input('lr', 'float64', []);
    clash.output('loss', clash.square(lr));
    expect(() => trainStep(clash.build(), { loss: 'loss', params: ['lr'], optimizer: 'sgd' })).to.throw("already has an input 'lr'");
  });
});

/** Random model inputs and parameters, zero state, step 1 and default scalars. */
function randomFeeds(stateNames: readonly string[], seed: number): Record<string, Tensor> {
  const rng = new Rng(seed);
  const feeds: Record<string, Tensor> = {
    x: tensor([N, K], rng.normals(N * K)), y: tensor([N, J], rng.normals(N * J)),
    lr: scalar(0.01), clip_norm: scalar(1), weight_decay: scalar(0.01), step: scalar(1),
  };
  for (const k of params) feeds[k] = tensor(shapes[k]!, rng.normals(shapes[k]!.reduce((a, d) => a * d, 1)));
  for (const n of stateNames) feeds[n] = tensor(shapes[n.split('.').pop()!]!, new Float64Array(shapes[n.split('.').pop()!]!.reduce((a, d) => a * d, 1)));
  return feeds;
}
