/** @file Parameter initialization from manifest rules and the ParamStore's bookkeeping. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { compile } from '../../src/compiler/pipeline.js';
import { ParamStore, parseInit, type ParamManifest } from '../../src/runtime/params.js';
import { Rng } from '../../src/runtime/rng.js';

const manifest = (dtype: 'float32' | 'float64'): ParamManifest => ({
  dtype,
  parameters: [
    { name: 'W', shape: [40, 50], init: { kind: 'uniform', bound: 0.25 } },
    { name: 'b', shape: [50], init: { kind: 'zeros' } },
    { name: 'log_scale', shape: [], init: { kind: 'const', value: -1.5 } },
  ],
  optimizer: {
    kind: 'adam',
    state: ['W', 'b', 'log_scale'].flatMap((p) => [{ name: `adam.m.${p}`, param: p }, { name: `adam.v.${p}`, param: p }]),
    scalars: ['lr', 'clip_norm', 'weight_decay', 'step'],
    updates: [{ input: 'b', output: 'new.b' }, { input: 'adam.m.b', output: 'new.adam.m.b' }],
  },
});

describe('runtime/params', () => {
  it('params: uniform, zeros and const rules fill arrays of the manifest dtype and shape', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const store = ParamStore.initialize(manifest(dtype), new Rng(1));
      const W = store.get('W'), b = store.get('b'), s = store.get('log_scale');
      expect(W.data).to.be.instanceOf(dtype === 'float32' ? Float32Array : Float64Array);
      expect(W.data.length).to.equal(2000);
      expect(W.shape).to.deep.equal([40, 50]);
      expect(W.data.every((x) => Math.abs(x) <= 0.25)).to.equal(true);
      const w = Array.from(W.data);
      const mean = w.reduce((a, x) => a + x, 0) / 2000;
      const variance = w.reduce((a, x) => a + x * x, 0) / 2000;
      expect(Math.abs(mean), `mean ${mean}`).to.be.below(5 * Math.sqrt(0.25 ** 2 / 3 / 2000));
      expect(Math.abs(variance - 0.25 ** 2 / 3), `variance ${variance}`).to.be.below(0.003);
      expect(Array.from(b.data)).to.deep.equal(new Array(50).fill(0));
      expect(Array.from(s.data)).to.deep.equal([-1.5]);
      expect(s.shape).to.deep.equal([]);
      expect(store.count()).to.equal(2051);
    }
  });

  it('params: optimizer state starts at zeros with its parameter\'s shape', () => {
    const store = ParamStore.initialize(manifest('float32'), new Rng(1));
    expect([...store.state.keys()]).to.deep.equal(['adam.m.W', 'adam.v.W', 'adam.m.b', 'adam.v.b', 'adam.m.log_scale', 'adam.v.log_scale']);
    expect(store.get('adam.v.W').shape).to.deep.equal([40, 50]);
    expect(store.get('adam.v.W').data.every((x) => x === 0)).to.equal(true);
  });

  it('params: the same seed gives identical parameters, another seed different ones', () => {
    const a = ParamStore.initialize(manifest('float64'), new Rng(9)).get('W').data;
    const b = ParamStore.initialize(manifest('float64'), new Rng(9)).get('W').data;
    const c = ParamStore.initialize(manifest('float64'), new Rng(10)).get('W').data;
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    expect(Array.from(a)).to.not.deep.equal(Array.from(c));
  });

  it('params: applyUpdates copies step outputs into the same arrays', () => {
    const store = ParamStore.initialize(manifest('float32'), new Rng(1));
    const before = store.get('b').data;
    const m = manifest('float32');
    store.applyUpdates(m.optimizer.updates, { 'new.b': { data: new Float32Array(50).fill(2) }, 'new.adam.m.b': { data: new Float32Array(50).fill(3) } });
    expect(store.get('b').data).to.equal(before);
    expect(before[7]).to.equal(2);
    expect(store.get('adam.m.b').data[0]).to.equal(3);
    expect(() => store.applyUpdates(m.optimizer.updates, { 'new.b': { data: new Float32Array(3) } })).to.throw(/new.b has 3 elements, b has 50/);
  });

  it('params: fromTensors checks names and shapes, and unknown init rules are named', () => {
    const m = manifest('float64');
    const src = ParamStore.initialize(m, new Rng(4));
    const copy = ParamStore.fromTensors(m, src.params, src.state);
    expect(Array.from(copy.get('W').data)).to.deep.equal(Array.from(src.get('W').data));
    expect(copy.get('W').data).to.not.equal(src.get('W').data);
    const bad = new Map(src.params);
    bad.set('b', { shape: [49], data: new Float64Array(49) });
    expect(() => ParamStore.fromTensors(m, bad, src.state)).to.throw(/parameter b has shape \[49\], the manifest says \[50\]/);
    expect(() => parseInit('W', { kind: 'normal', std: 1 })).to.throw(/parameter W has an unknown init rule/);
  });

  it('params: a compiled manifest initializes every parameter and state input of the train graph', () => {
    const path = 'examples/lgssm.seq';
    const { compiled } = compile(path, readFileSync(path, 'utf8'));
    const m = compiled!.manifest;
    const store = ParamStore.initialize(m, new Rng(0));
    for (const inp of m.graphs.train_step.inputs) {
      if (inp.role !== 'param' && inp.role !== 'state') continue;
      expect(store.get(inp.name).shape, inp.name).to.deep.equal(inp.shape);
    }
  });
});
