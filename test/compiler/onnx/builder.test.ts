/**
 * @file Builder tests on straight-line graphs: elementwise ops, softplus, MatMul, Concat, Slice,
 * ReduceSum and Where, in float32 and float64, run in onnxruntime and checked by onnx.checker.
 */
import { expect } from 'chai';
import { makeModel, Tape, type ElemType } from '../../../src/compiler/onnx/builder.js';
import { asDtype, defineCase, seededValues } from './run.js';

const B = 2;
const D = 3;

/** Applies `f` to every element. */
const map = (xs: readonly number[], f: (x: number, k: number) => number): number[] => xs.map((x, k) => f(x, k));

for (const dtype of ['float32', 'float64'] as const) {
  const round = (xs: readonly number[]): number[] => asDtype(xs, dtype);
  const x = round(seededValues(B * D, 1));
  const y = round(seededValues(B * D, 2, 0.5, 2));

  defineCase(`builder/${dtype}: elementwise ops`, () => {
    const t = new Tape();
    const xi = t.input('x', { dtype, shape: ['B', D] });
    const yi = t.input('y', { dtype, shape: ['B', D] });
    const type = { dtype, shape: ['B', D] };
    const unary = ['Exp', 'Tanh', 'Sigmoid', 'Relu', 'Neg', 'Abs'] as const;
    t.output(t.op('Add', [xi, yi]), type, 'add');
    t.output(t.op('Sub', [xi, yi]), type, 'sub');
    t.output(t.op('Mul', [xi, yi]), type, 'mul');
    t.output(t.op('Div', [xi, yi]), type, 'div');
    t.output(t.op('Log', [yi]), type, 'log');
    t.output(t.op('Sqrt', [yi]), type, 'sqrt');
    t.output(t.op('Pow', [xi, t.scalar(dtype, 2)]), type, 'square');
    for (const u of unary) t.output(t.op(u, [xi]), type, u.toLowerCase());
    return {
      model: makeModel(t.graph('elementwise')),
      feeds: { x: { dtype, dims: [B, D], data: x }, y: { dtype, dims: [B, D], data: y } },
      expected: {
        add: map(x, (a, k) => a + y[k]!), sub: map(x, (a, k) => a - y[k]!),
        mul: map(x, (a, k) => a * y[k]!), div: map(x, (a, k) => a / y[k]!),
        log: map(y, Math.log), sqrt: map(y, Math.sqrt), square: map(x, (a) => a * a),
        exp: map(x, Math.exp), tanh: map(x, Math.tanh), sigmoid: map(x, (a) => 1 / (1 + Math.exp(-a))),
        relu: map(x, (a) => Math.max(a, 0)), neg: map(x, (a) => -a), abs: map(x, Math.abs),
      },
    };
  });

  defineCase(`builder/${dtype}: softplus lowered without Softplus, stable at large |x|`, () => {
    const xs = round([-800, -30, -1, -1e-3, 0, 1e-3, 1, 30, 800]);
    const t = new Tape();
    const xi = t.input('x', { dtype, shape: [xs.length] });
    t.output(t.softplus(xi, dtype), { dtype, shape: [xs.length] }, 'sp');
    expect(t.nodes.map((n) => n.opType)).to.not.include('Softplus');
    return {
      model: makeModel(t.graph('softplus')),
      feeds: { x: { dtype, dims: [xs.length], data: xs } },
      expected: { sp: xs.map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))) },
    };
  });

  defineCase(`builder/${dtype}: MatMul with an initializer and a bias, and a batched MatMul`, () => {
    const w = round(seededValues(D * 2, 3));
    const bias = round([0.5, -0.25]);
    const t = new Tape();
    const xi = t.input('x', { dtype, shape: ['B', D] });
    const wi = t.initializer('w', dtype, [D, 2], w);
    const bi = t.initializer('b', dtype, [2], bias);
    t.output(t.op('Add', [t.op('MatMul', [xi, wi]), bi]), { dtype, shape: ['B', 2] }, 'lin');
    // [B,1,D] @ [B,D,1] -> [B,1,1]: per-row dot product x·x
    const x3 = t.op('Unsqueeze', [xi, t.constant('int64', [1], [1])]);
    const x3t = t.op('Transpose', [x3], { perm: [0, 2, 1] });
    t.output(t.op('MatMul', [x3, x3t]), { dtype, shape: ['B', 1, 1] }, 'dot');
    const lin: number[] = [];
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < 2; j++) {
        let s = bias[j]!;
        for (let k = 0; k < D; k++) s += x[i * D + k]! * w[k * 2 + j]!;
        lin.push(s);
      }
    }
    const dot = [0, 1].map((i) => x.slice(i * D, i * D + D).reduce((s, v) => s + v * v, 0));
    return { model: makeModel(t.graph('matmul')), feeds: { x: { dtype, dims: [B, D], data: x } }, expected: { lin, dot } };
  });

  defineCase(`builder/${dtype}: Concat, Slice, ReduceSum and Where`, () => {
    const t = new Tape();
    const xi = t.input('x', { dtype, shape: ['B', D] });
    const yi = t.input('y', { dtype, shape: ['B', D] });
    const cat = t.op('Concat', [xi, yi], { axis: -1 });
    t.output(cat, { dtype, shape: ['B', 2 * D] }, 'cat');
    const i64 = (v: number[]): string => t.constant('int64', [v.length], v);
    t.output(t.op('Slice', [cat, i64([1]), i64([4]), i64([1])]), { dtype, shape: ['B', 3] }, 'slice');
    t.output(t.op('ReduceSum', [xi, i64([1])], { keepdims: 0 }), { dtype, shape: ['B'] }, 'sum');
    const cond = t.op('Greater', [xi, t.scalar(dtype, 0)]);
    t.output(t.op('Where', [cond, xi, yi]), { dtype, shape: ['B', D] }, 'where');
    const row = (a: readonly number[], i: number): number[] => a.slice(i * D, i * D + D);
    const catv = [0, 1].flatMap((i) => [...row(x, i), ...row(y, i)]);
    return {
      model: makeModel(t.graph('shapes')),
      feeds: { x: { dtype, dims: [B, D], data: x }, y: { dtype, dims: [B, D], data: y } },
      expected: {
        cat: catv,
        slice: [0, 1].flatMap((i) => catv.slice(i * 2 * D + 1, i * 2 * D + 4)),
        sum: [0, 1].map((i) => row(x, i).reduce((s, v) => s + v, 0)),
        where: map(x, (a, k) => (a > 0 ? a : y[k]!)),
      },
    };
  });
}

describe('builder: invariants', () => {
  it('builder: refuses the Softplus op (no float64 kernel on the CPU provider)', () => {
    const t = new Tape();
    const x = t.input('x', { dtype: 'float64', shape: [1] });
    expect(() => t.op('Softplus', [x])).to.throw(/Tape.softplus/);
  });

  it('builder: refuses undefined inputs and duplicate names', () => {
    const t = new Tape();
    t.input('x', { dtype: 'float64', shape: [1] });
    expect(() => t.op('Exp', ['nope'])).to.throw(/'nope' is not defined/);
    expect(() => t.input('x', { dtype: 'float64', shape: [1] })).to.throw(/defined twice/);
  });

  it('builder: plain numbers are INT attributes, fractions must be tagged', () => {
    const t = new Tape();
    const x = t.input('x', { dtype: 'float64' as ElemType });
    expect(() => t.op('LeakyRelu', [x], { alpha: 0.5 })).to.throw(/not an integer/);
    t.op('LeakyRelu', [x], { alpha: { float: 0.5 } });
    expect(t.nodes[0]!.attribute[0]).to.include({ name: 'alpha', f: 0.5 });
  });

  it('builder: a graph output that is an input or listed twice goes through Identity', () => {
    const t = new Tape();
    const x = t.input('x', { dtype: 'float64', shape: [1] });
    const e = t.op('Exp', [x]);
    const type = { dtype: 'float64' as const, shape: [1] };
    const names = [t.output(x, type), t.output(e, type), t.output(e, type)];
    expect(names[0]).to.not.equal(x);
    expect(names[1]).to.equal(e);
    expect(names[2]).to.not.equal(e);
    expect(t.nodes.map((n) => n.opType)).to.deep.equal(['Exp', 'Identity', 'Identity']);
  });
});

describe('builder: outputs and constants', () => {
  it('builder: renaming a fresh node output renames it in place, also inside Scan bodies', () => {
    const t = new Tape();
    const type = { dtype: 'float64' as const, shape: [2] };
    const x = t.input('x', type);
    const e = t.op('Exp', [x]);
    const r = t.scan({
      carries: [{ init: x, type }], scanned: [{ seq: t.op('Unsqueeze', [x, t.constant('int64', [1], [0])]), elem: type }],
      outputs: [], body: (b, [c], [s]) => ({ carries: [b.op('Add', [b.op('Mul', [c!, e]), s!])], outputs: [] }),
    });
    t.output(e, type, 'ex');
    t.output(r.carries[0]!, type, 'last');
    const g = t.graph('g');
    expect(g.node.map((n) => n.opType)).to.deep.equal(['Exp', 'Constant', 'Unsqueeze', 'Scan']);
    expect(g.node[0]!.output).to.deep.equal(['ex']);
    const body = g.node[3]!.attribute.find((a) => a.name === 'body')!.g!;
    expect(body.node[0]!.input).to.deep.equal([body.input[0]!.name, 'ex']);
  });

  it('builder: small constants are shared within a graph', () => {
    const t = new Tape();
    expect(t.scalar('float64', 1)).to.equal(t.constant('float64', [], [1]));
    expect(t.constant('int64', [2], [0, 1])).to.equal(t.constant('int64', [2], [0, 1]));
    expect(t.scalar('float64', 0)).to.not.equal(t.scalar('float64', -0));
    expect(t.scalar('float64', 1)).to.not.equal(t.scalar('float32', 1));
  });
});
