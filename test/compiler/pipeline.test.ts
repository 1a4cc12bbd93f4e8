/**
 * @file The whole compiler on every example: onnxruntime equals the Float64 interpreter for all
 * three graphs, the training graph's gradient passes a random-direction check against central
 * differences, every model passes onnx.checker, and evaluate/sample dumps are pinned.
 */
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { lower } from '../../src/compiler/lower/lower.js';
import { ImportanceHandler } from '../../src/inference/importance.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { printGraph } from '../../src/compiler/ir/print.js';
import type { InputSpec } from '../../src/inference/handler.js';
import type { Graph } from '../../src/compiler/ir/graph.js';
import { dumpModel } from '../../src/compiler/onnx/dump.js';
import { compile, onnxBytes, type Artifact, type Compiled } from '../../src/compiler/pipeline.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples, smallSizes as small } from '../helpers/examples.js';
import { expectGolden } from '../helpers/golden.js';
import { assertValidOnnx, requireOnnxChecker } from '../helpers/onnxcheck.js';
import { lossGradientCheck } from '../helpers/loss-gradcheck.js';
import { Rng } from '../helpers/random.js';


const T = 5;
const B = 3;
const lengths = [5, 3, 1];
/** Particles fed to evaluation graphs (their K is chosen at run time). */
const Kev = 2;

/** The K = 1 training objective of a compiled model (loss and per-sequence terms, no optimizer). */
function objectiveOf(c: Compiled): Graph {
  return lower(new ImportanceHandler(c.program, 1, 'train'), 'float64').graph;
}

/** Feeds for a graph: params ~ N(0, 0.3²), data and noise from their laws, masks from `lengths`. */
function feedsFor(c: Compiled, inputs: readonly InputSpec[], rng: Rng): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const i of inputs) {
    const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : d === 'K' ? Kev : (d as number)));
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float64Array(n);
    const binary = i.role === 'data' && c.model.vars.get(i.name.slice(5))?.elem === 'binary';
    for (let k = 0; k < n; k++) {
      switch (i.role) {
        case 'param': v[k] = 0.3 * rng.normal(); break;
        case 'mask': v[k] = Math.floor(k / B) < lengths[k % B]! ? 1 : 0; break;
        case 'beta': v[k] = 0.7; break;
        case 'state': v[k] = i.name.startsWith('adam.v.') ? 0.01 * rng.uniform() : 0.1 * rng.normal(); break;
        case 'optimizer': v[k] = { lr: 0.01, clip_norm: 5, weight_decay: 0.01, step: 3 }[i.name as 'lr'] ?? 0; break;
        case 'noise': v[k] = i.law === 'uniform' ? rng.uniform() : i.law === 'gumbel' ? -Math.log(-Math.log(rng.uniform() + 1e-12)) : rng.normal(); break;
        default: v[k] = binary ? (rng.uniform() < 0.5 ? 1 : 0) : rng.normal();
      }
    }
    out[i.name] = tensor(shape, v);
  }
  return out;
}

async function runOrt(a: Artifact, feeds: Record<string, Tensor>, dtype: 'float32' | 'float64'): Promise<Record<string, Float64Array>> {
  const sess = await ort.InferenceSession.create(onnxBytes(a), { intraOpNumThreads: 1 });
  const f: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) f[k] = new ort.Tensor(dtype, dtype === 'float64' ? t.data : Float32Array.from(t.data), [...t.shape]);
  const r = await sess.run(f);
  return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, Float64Array.from(t.data as Float32Array)]));
}

describe('pipeline: every example, end to end', function () {
  this.timeout(120_000);
  for (const ex of examples()) {
    describe(`pipeline: ${ex.name}`, () => {
      const c64 = (): Compiled => compile(ex.path, ex.text, { dtype: 'float64', overrides: parseOverrides(small[ex.name] ?? []) }).compiled!;
      let c: Compiled;
      before(() => { c = c64(); });

      it('onnxruntime equals the float64 interpreter on evaluate, evaluate_fivo, sample and train_step (1e-9)', async () => {
        const rng = new Rng(ex.name.length * 7919);
        for (const [name, art] of [['evaluate', c.evaluate], ['evaluate_fivo', c.evaluateFivo], ['sample', c.sample], ['train_step', c.train]] as const) {
          const feeds = feedsFor(c, art.inputs, rng);
          const ref = evaluate(art.ir, feeds);
          const got = await runOrt(art, feeds, 'float64');
          for (const o of art.ir.outputs) assertAllClose(got[o.name]!, ref[o.name]!.data, `${name}.${o.name}`, { rtol: 1e-9, atol: 1e-9 });
        }
      });

      it('float32 onnxruntime matches the float64 interpreter within 1e-4 relative', async () => {
        const c32 = compile(ex.path, ex.text, { dtype: 'float32', overrides: parseOverrides(small[ex.name] ?? []) }).compiled!;
        const feeds = feedsFor(c, c.evaluate.inputs, new Rng(5));
        const ref = evaluate(c.evaluate.ir, feeds);
        const got = await runOrt(c32.evaluate, feeds, 'float32');
        for (const o of c.evaluate.ir.outputs) assertAllClose(got[o.name]!, ref[o.name]!.data, `evaluate.${o.name}`, { rtol: 1e-4, atol: 1e-4 });
      });

      it('the training gradient passes a random-direction check against central differences (float64)', () => {
        const rng = new Rng(99);
        const obj = objectiveOf(c);
        const feeds = feedsFor(c, lower(new ImportanceHandler(c.program, 1, 'train'), 'float64').inputs, rng);
        const params = c.model.params.map((p) => p.name);
        // ReLU kinks can sit inside a finite-difference interval: a correct gradient agrees at some step size.
        const { ad, fds, err } = lossGradientCheck(obj, feeds, params, rng, [1e-5, 1e-6, 1e-7]);
        expect(err, `<grad, v> = ${ad}, central differences = ${fds.join(', ')}`).to.be.lessThan(1e-6);
      });

      it('every emitted model passes onnx.checker.check_model(full_check=True)', async function () {
        const py = requireOnnxChecker(this);
        for (const [name, art] of [['train_step', c.train], ['evaluate', c.evaluate], ['evaluate_fivo', c.evaluateFivo], ['sample', c.sample]] as const) {
          await assertValidOnnx(py, onnxBytes(art), `${ex.name}/${name}.onnx`);
        }
      });

      it('evaluate and sample graphs match their golden IR and ONNX dumps', () => {
        expectGolden(`ir/${ex.name}.evaluate.txt`, printGraph(c.evaluate.ir) + '\n');
        expectGolden(`ir/${ex.name}.sample.txt`, printGraph(c.sample.ir) + '\n');
        expectGolden(`onnx/${ex.name}.evaluate.txt`, dumpModel(c.evaluate.onnx) + '\n');
        expectGolden(`onnx/${ex.name}.sample.txt`, dumpModel(c.sample.onnx) + '\n');
      });

      it('graphs are sized by symbols: time and batch stay symbolic in the ONNX interface', () => {
        const dims = c.train.onnx.graph.input.flatMap((i) => (i.type?.tensorType?.shape?.dim ?? []) as unknown[]);
        const params = dims.filter((d) => typeof d === 'object' && d !== null && 'dimParam' in d).map((d) => (d as { dimParam: string }).dimParam);
        expect(params).to.include('T');
        expect(params).to.include('B');
      });
    });
  }
});

describe('pipeline: the importance-weighted training bound', function () {
  this.timeout(120_000);
  const logMeanExp = (v: readonly number[]): number => {
    const m = Math.max(...v);
    return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0) / v.length);
  };
  // srnn_polyphonic's small sizes train with dropout (drop = 0.3): its K particles share one
  // mask per call site and layer, so the K = 1 graph is fed the same mask on every tiled copy.
  for (const name of ['vrnn', 'srnn', 'zforcing', 'srnn_polyphonic']) {
    it(`iwae: ${name} with K = 3 equals log-mean-exp of the K = 1 graph's log-weights over tiled copies, and its gradient checks`, () => {
      const ex = examples().find((e) => e.name === name)!;
      const sets = parseOverrides(small[name]!);
      const one = compile(ex.path, ex.text, { dtype: 'float64', overrides: sets }).compiled!;
      const K = 3;
      const lowered = compile(ex.path, ex.text, { dtype: 'float64', overrides: sets, iwaeK: K }).compiled!;
      // The train graph's forward part: recover the IWAE objective by differentiating nothing —
      // compare its loss with the one computed from the K = 1 evaluate graph on tiled inputs.
      const rng = new Rng(17);
      const oneObj = lower(new ImportanceHandler(one.program, 1, 'train'), 'float64');
      const feeds = feedsFor(one, oneObj.inputs, rng);
      const dropout = (n: string): boolean => n.startsWith('dropout.');
      expect(oneObj.inputs.some((i) => dropout(i.name)), 'dropout inputs iff the model trains with dropout').to.equal(name === 'srnn_polyphonic');
      const tiled: Record<string, Tensor> = {};
      for (const i of oneObj.inputs) {
        const t = feeds[i.name]!;
        if (i.role === 'data' || i.role === 'mask' || dropout(i.name)) {
          const rowLen = t.shape.slice(2).reduce((a, b) => a * b, 1);
          const out = new Float64Array(t.data.length * K);
          for (let s = 0; s < T; s++) for (let k = 0; k < K; k++) out.set(t.data.subarray(s * B * rowLen, (s + 1) * B * rowLen), (s * K + k) * B * rowLen);
          tiled[i.name] = tensor([T, K * B, ...t.shape.slice(2)], out);
        } else if (i.role === 'noise') tiled[i.name] = tensor([T, K * B, ...t.shape.slice(2)], rng.normals(t.data.length * K));
        else tiled[i.name] = t;
      }
      const perSeq = (lw: Float64Array): number[] => Array.from({ length: B }, (_, b) => logMeanExp(Array.from({ length: K }, (_, k) => lw[k * B + b]!)));
      const ref = evaluate(oneObj.graph, tiled);
      const expected = perSeq(ref['logw']!.data);
      const trainFeeds: Record<string, Tensor> = { ...feeds };
      for (const i of lowered.train.inputs) {
        if (i.role === 'noise' && !dropout(i.name)) trainFeeds[i.name] = tensor([T, K, B, ...tiled[i.name]!.shape.slice(2)], tiled[i.name]!.data);
        else if (!(i.name in trainFeeds)) trainFeeds[i.name] = tensor([], [i.name === 'step' ? 1 : i.name === 'clip_norm' ? 0 : 0]);
      }
      for (const s of lowered.manifest.optimizer.state) trainFeeds[s.name] = tensor([...feeds[s.param]!.shape], new Float64Array(feeds[s.param]!.data.length));
      const got = evaluate(lowered.train.ir, trainFeeds);
      assertAllClose(got['iwae']!.data, expected, 'IWAE-3 per sequence', { rtol: 1e-10, atol: 1e-10 });
      // The evaluation graph takes K at run time and forms the same bound itself, with whole nets:
      // with dropout its reference is the same model compiled without it (the same parameters).
      let expectedWhole = expected;
      if (name === 'srnn_polyphonic') {
        const whole = compile(ex.path, ex.text, { dtype: 'float64', overrides: parseOverrides([...small[name]!.filter((s) => !s.startsWith('drop=')), 'drop=0']) }).compiled!;
        const wholeObj = lower(new ImportanceHandler(whole.program, 1, 'train'), 'float64');
        expect(wholeObj.inputs.filter((i) => dropout(i.name))).to.deep.equal([]);
        expectedWhole = perSeq(evaluate(wholeObj.graph, Object.fromEntries(wholeObj.inputs.map((i) => [i.name, tiled[i.name]!])))['logw']!.data);
        for (let b = 0; b < B; b++) expect(Math.abs(expectedWhole[b]! - expected[b]!), `sequence ${b}: the masks change the bound`).to.be.greaterThan(1e-6);
      }
      const evFeeds: Record<string, Tensor> = {};
      for (const i of one.evaluate.inputs) evFeeds[i.name] = i.role === 'noise' ? tensor([T, K, B, ...tiled[i.name]!.shape.slice(2)], tiled[i.name]!.data) : feeds[i.name]!;
      assertAllClose(evaluate(one.evaluate.ir, evFeeds)['iwae']!.data, expectedWhole, 'evaluate.onnx IWAE-3 per sequence', { rtol: 1e-10, atol: 1e-10 });
      const steps = feeds['mask']!.data.reduce((a, b) => a + b, 0);
      const aux = Array.from({ length: B }, (_, b) => Array.from({ length: K }, (_, k) => ref['aux']!.data[k * B + b]!).reduce((s, x) => s + x, 0) / K);
      expect(got['loss']!.data[0]).to.be.closeTo(-(expected.reduce((s, x) => s + x, 0) + aux.reduce((s, x) => s + x, 0)) / steps, 1e-10);
      // Gradient of the IWAE loss against central differences along a random direction.
      const g = lower(new ImportanceHandler(one.program, K, 'train'), 'float64').graph;
      const params = one.model.params.map((p) => p.name);
      const gf: Record<string, Tensor> = {};
      for (const p of g.inputs) gf[p.name] = trainFeeds[p.name]!;
      const { ad, fds, err } = lossGradientCheck(g, gf, params, rng, [1e-5, 1e-6, 1e-7]);
      expect(err, `<grad, v> = ${ad}, central differences = ${fds.join(', ')}`).to.be.lessThan(1e-6);
    });
  }
});
