/**
 * @file `multiStep`: K optimizer steps in one `session.run` (an IR Scan over K around the
 * train-step graph) equal K successive single-step runs bit for bit; the model passes
 * onnx.checker; the body pass-through pitfall (docs/design.md §5.2) is handled.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../../src/compiler/check/dims.js';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import { tensor } from '../../../src/compiler/ir/tensor.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { emitModel } from '../../../src/compiler/onnx/emit.js';
import { multiStep, multiStepInfo, multiStepModel, multiStepSpec } from '../../../src/compiler/onnx/multistep.js';
import { encodeModel, type ModelProto } from '../../../src/compiler/onnx/proto.js';
import { compile, type Compiled } from '../../../src/compiler/pipeline.js';
import { repoRoot } from '../../helpers/examples.js';
import { assertValidOnnx, requireOnnxChecker } from '../../helpers/onnxcheck.js';
import { Rng } from '../../helpers/random.js';

const T = 4;
const B = 2;
const lengths = [4, 2];

async function session(model: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model), {
    intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

/** Bit patterns of a float tensor (so -0/NaN payloads count as differences). */
function bits(t: ort.Tensor): number[] {
  const d = t.data as Float32Array | Float64Array;
  return d instanceof Float32Array ? Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length)) : Array.from(new BigUint64Array(d.buffer, d.byteOffset, d.length), Number);
}

function expectBitEqual(actual: ort.Tensor, expected: ort.Tensor, what: string): void {
  expect(actual.dims, `${what} dims`).to.deep.equal(expected.dims);
  const a = bits(actual);
  const e = bits(expected);
  const k = a.findIndex((x, i) => x !== e[i]);
  if (k >= 0) throw new Error(`${what}[${k}]: ${String(actual.data[k])} (multi-step) vs ${String(expected.data[k])} (single steps)`);
}

describe('multiStep: K optimizer steps per session.run', function () {
  this.timeout(120_000);
  const path = 'examples/vrnn.seq';
  let c: Compiled;
  before(() => {
    const text = readFileSync(join(repoRoot, path), 'utf8');
    c = compile(path, text, { dtype: 'float32', overrides: parseOverrides(['x_dim=3', 'z_dim=2', 'h_dim=4', 'f_dim=5']) }).compiled!;
  });

  /** Initial feeds (params, state, scalars) and K batches of per-step feeds. */
  function feeds(K: number, seed: number): { fixed: Record<string, ort.Tensor>; batches: Record<string, ort.Tensor>[] } {
    const rng = new Rng(seed);
    const fixed: Record<string, ort.Tensor> = {};
    const batches: Record<string, ort.Tensor>[] = Array.from({ length: K }, () => ({}));
    for (const i of c.manifest.graphs.train_step.inputs) {
      const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : (d as number)));
      const n = shape.reduce((a, b) => a * b, 1);
      const make = (f: (k: number) => number): ort.Tensor => new ort.Tensor('float32', Float32Array.from({ length: n }, (_, k) => f(k)), shape);
      switch (i.role) {
        case 'param': fixed[i.name] = make(() => 0.3 * rng.normal()); break;
        case 'state': fixed[i.name] = make(() => (i.name.startsWith('adam.v.') ? 0.01 * rng.uniform() : 0.1 * rng.normal())); break;
        // β and the optimizer's scalars change per step (schedules); only `step` is carried
        case 'beta': batches.forEach((b, k) => { b[i.name] = make(() => 0.5 + 0.1 * k); }); break;
        case 'optimizer':
          if (i.name === 'step') fixed[i.name] = make(() => 3);
          else batches.forEach((b, k) => { b[i.name] = make(() => ({ lr: 0.01 * (k + 1), clip_norm: 5 - k, weight_decay: 0.01 } as Record<string, number>)[i.name] ?? 0); });
          break;
        case 'mask': for (const b of batches) b[i.name] = make((k) => (Math.floor(k / B) < lengths[k % B]! ? 1 : 0)); break;
        default: for (const b of batches) b[i.name] = make(() => rng.normal()); // data.x (real) and noise.z (normal)
      }
    }
    return { fixed, batches };
  }

  /** Stacks K per-step tensors along a new leading axis. */
  function stack(ts: ort.Tensor[]): ort.Tensor {
    const n = ts[0]!.data.length;
    const out = new Float32Array(ts.length * n);
    ts.forEach((t, k) => out.set(t.data as Float32Array, k * n));
    return new ort.Tensor('float32', out, [ts.length, ...ts[0]!.dims]);
  }

  /** K single-step runs, feeding back per manifest.optimizer.updates and step + 1. */
  async function singleSteps(K: number, seed: number): Promise<{ final: Record<string, ort.Tensor>; perStep: Record<string, ort.Tensor>[] }> {
    const { fixed, batches } = feeds(K, seed);
    const s = await session(c.train.onnx);
    try {
      const cur = { ...fixed };
      const perStep: Record<string, ort.Tensor>[] = [];
      for (const batch of batches) {
        const out = await s.run({ ...cur, ...batch });
        perStep.push(out);
        for (const u of c.manifest.optimizer.updates) cur[u.input] = out[u.output]!;
        cur.step = new ort.Tensor('float32', Float32Array.of((cur.step!.data as Float32Array)[0]! + 1), []);
      }
      return { final: cur, perStep };
    } finally {
      await s.release();
    }
  }

  async function multi(K: number, seed: number): Promise<Record<string, ort.Tensor>> {
    const { fixed, batches } = feeds(K, seed);
    const stacked = Object.fromEntries(Object.keys(batches[0]!).map((n) => [n, stack(batches.map((b) => b[n]!))]));
    const s = await session(multiStepModel(c.train, c.manifest));
    try {
      return await s.run({ ...fixed, ...stacked });
    } finally {
      await s.release();
    }
  }

  it('keeps the train step\'s inputs (stacked ones gain a leading K) and names its outputs', () => {
    const spec = multiStepSpec(c.manifest);
    expect(spec.stacked).to.deep.equal(['data.x', 'mask', 'beta', 'noise.z', 'lr', 'clip_norm', 'weight_decay']);
    const g = multiStep(c.train.ir, spec);
    assertValid(g, 'multi-step graph');
    const m = multiStepModel(c.train, c.manifest);
    expect(m.graph.input.map((v) => v.name)).to.deep.equal(c.train.onnx.graph.input.map((v) => v.name));
    const dims = (name: string): (string | number)[] => m.graph.input.find((v) => v.name === name)!.type.tensorType.shape!.dim.map((d) => ('dimValue' in d ? d.dimValue : d.dimParam));
    expect(dims('data.x')).to.deep.equal(['K', 'T', 'B', 3]);
    expect(dims('mask')).to.deep.equal(['K', 'T', 'B']);
    expect(dims('lr')).to.deep.equal(['K']);
    expect(dims('step')).to.deep.equal([]);
    const info = multiStepInfo(c.train.ir, spec);
    expect(info.perStep).to.deep.equal(['loss', 'elbo', 'loglik', 'kl', 'aux', 'grad_norm']);
    expect(m.graph.output.map((v) => v.name)).to.deep.equal([...c.manifest.optimizer.updates.map((u) => u.output), 'new.step', ...info.perStep]);
    expect(m.opsetImport).to.deep.equal([{ domain: '', version: 17 }]);
    expect(g.nodes.filter((n) => n.op === 'scan').length, 'one Scan over K at the top').to.equal(1);
    expect(m.metadataProps?.find((p) => p.key === 'seqppl.multistep')?.value).to.equal('K');
  });

  it('float32: K=3 steps in one call equal 3 single-step calls bit for bit (params, states, step, per-step outputs)', async () => {
    const K = 3;
    const ref = await singleSteps(K, 11);
    const out = await multi(K, 11);
    for (const u of c.manifest.optimizer.updates) expectBitEqual(out[u.output]!, ref.final[u.input]!, u.output);
    expectBitEqual(out['new.step']!, ref.final.step!, 'new.step');
    expect(Array.from(out['new.step']!.data as Float32Array)).to.deep.equal([6]);
    for (const name of ['loss', 'elbo', 'loglik', 'kl', 'grad_norm']) {
      expectBitEqual(out[name]!, stack(ref.perStep.map((o) => o[name]!)), `${name} (stacked)`);
    }
    expect(out.loss!.dims).to.deep.equal([K]);
    expect(out.elbo!.dims).to.deep.equal([K, B]);
    // the steps really moved the parameters
    const p = c.manifest.parameters[0]!.name;
    expect(bits(out[`new.${p}`]!)).to.not.deep.equal(bits(feeds(K, 11).fixed[p]!));
  });

  it('K is read at run time: the same model runs K=1 equal to one single step', async () => {
    const ref = await singleSteps(1, 5);
    const out = await multi(1, 5);
    for (const u of c.manifest.optimizer.updates) expectBitEqual(out[u.output]!, ref.final[u.input]!, u.output);
    expectBitEqual(out.grad_norm!, stack([ref.perStep[0]!.grad_norm!]), 'grad_norm');
  });

  it('passes onnx.checker full_check', async function () {
    const py = requireOnnxChecker(this);
    await assertValidOnnx(py, encodeModel(multiStepModel(c.train, c.manifest)), 'vrnn multi-step train graph');
  });

  it('a fed-back value passed through unchanged and a constant output come back right (Identity, no zeros)', async function () {
    // a toy "train step": w is fed back unchanged, u accumulates x·w, and `c` is a constant
    const b = new GraphBuilder();
    const w = b.input('w', 'float32', [2]);
    const u = b.input('u', 'float32', [2]);
    const x = b.input('x', 'float32', [2]);
    const nu = b.add(u, b.mul(x, w));
    b.output('loss', b.reduceSum(nu, [0]));
    b.output('new.w', w);
    b.output('new.u', nu);
    b.output('c', b.constant([1.5, -2], [2], 'float32'));
    const toy = b.build();
    const spec = { updates: [{ input: 'w', output: 'new.w' }, { input: 'u', output: 'new.u' }], stacked: ['x'], step: null };
    expect(() => multiStep(toy, { ...spec, perStep: ['loss', 'new.u'] })).to.throw(/listed twice/);
    const g = multiStep(toy, spec);
    assertValid(g, 'toy multi-step');
    const feeds = { w: tensor([2], [2, -1], 'float32'), u: tensor([2], [0.5, 0], 'float32'), x: tensor([3, 2], [1, 2, 3, 4, 5, 6], 'float32') };
    const want = { 'new.w': [2, -1], 'new.u': [0.5 + 2 * (1 + 3 + 5), -(2 + 4 + 6)], loss: [2.5 - 2, 2.5 - 2 + 6 - 4, 2.5 - 2 + 6 - 4 + 10 - 6], c: [1.5, -2, 1.5, -2, 1.5, -2] };
    const ref = evaluate(g, feeds);
    for (const [k, v] of Object.entries(want)) expect(Array.from(ref[k]!.data), `interpreter ${k}`).to.deep.equal(v);
    const m = emitModel(g);
    const s = await session(m);
    try {
      const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape])])));
      for (const [k, v] of Object.entries(want)) expect(Array.from(out[k]!.data as Float32Array), `onnxruntime ${k}`).to.deep.equal(v);
      expect(out.c!.dims).to.deep.equal([3, 2]);
    } finally {
      await s.release();
    }
    const py = requireOnnxChecker(this);
    await assertValidOnnx(py, encodeModel(m), 'toy multi-step model');
  });

  it('rejects a spec that does not match the graph', () => {
    const m = c.train.ir;
    expect(() => multiStep(m, { updates: [], stacked: [] })).to.throw(/no stacked/);
    expect(() => multiStep(m, { updates: [], stacked: ['nope'] })).to.throw(/'nope'.*not an input/);
    expect(() => multiStep(m, { updates: [{ input: 'lr', output: 'new.lr' }], stacked: ['mask'] })).to.throw(/'new.lr'.*not an output/);
    expect(() => multiStep(m, { updates: [], stacked: ['mask', 'mask'] })).to.throw(/both stacked and stacked/);
  });
});
