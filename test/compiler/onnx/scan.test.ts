/**
 * @file Builder tests on Scan: a forward recurrence with an outer-scope capture, a reverse
 * Scan, and the pass-through / duplicated body-output pitfall of onnxruntime (docs/design.md §5.2).
 */
import { expect } from 'chai';
import { encodeModel } from '../../../src/compiler/onnx/proto.js';
import { makeModel, Tape, type Dim, type TensorType } from '../../../src/compiler/onnx/builder.js';
import { asDtype, defineCase, runOnnx, seededValues } from './run.js';

const T = 4;
const B = 2;
const D = 3;

for (const dtype of ['float32', 'float64'] as const) {
  const xs = asDtype(seededValues(T * B * D, 7, -1, 1), dtype);
  const h0 = asDtype(seededValues(B * D, 8, -1, 1), dtype);
  const step: TensorType = { dtype, shape: ['B', D] };
  const seq: TensorType = { dtype, shape: ['T', 'B', D] };
  const feeds = { xs: { dtype, dims: [T, B, D], data: xs }, h0: { dtype, dims: [B, D], data: h0 } };
  const at = (t: number): number[] => xs.slice(t * B * D, (t + 1) * B * D);

  defineCase(`scan/${dtype}: forward recurrence h = tanh(a*h + x) with a captured outer value`, () => {
    const tape = new Tape();
    const x = tape.input('xs', seq);
    const h = tape.input('h0', step);
    const a = tape.initializer('a', dtype, [D], [0.5, -1, 2]);
    const r = tape.scan({
      carries: [{ init: h, type: step }],
      scanned: [{ seq: x, elem: step }],
      outputs: [{ elem: step }],
      body: (b, [hp], [xt]) => {
        const hn = b.op('Tanh', [b.op('Add', [b.op('Mul', [a, hp!]), xt!])]);
        return { carries: [hn], outputs: [hn] };
      },
    });
    tape.output(r.carries[0]!, step, 'h_last');
    tape.output(r.outputs[0]!, seq, 'hs');
    const hs: number[] = [];
    let hv = h0;
    for (let t = 0; t < T; t++) {
      hv = hv.map((v, k) => Math.tanh([0.5, -1, 2][k % D]! * v + at(t)[k]!));
      hs.push(...hv);
    }
    return { model: makeModel(tape.graph('forward_scan')), feeds, expected: { h_last: hv, hs } };
  });

  defineCase(`scan/${dtype}: reverse Scan computes suffix sums, stacked in time order`, () => {
    const tape = new Tape();
    const x = tape.input('xs', seq);
    const h = tape.input('h0', step);
    const r = tape.scan({
      carries: [{ init: h, type: step }],
      scanned: [{ seq: x, elem: step, reverse: true }],
      outputs: [{ elem: step, reverse: true }],
      body: (b, [c], [xt]) => {
        const s = b.op('Add', [c!, xt!]);
        return { carries: [s], outputs: [s] };
      },
    });
    tape.output(r.carries[0]!, step, 'total');
    tape.output(r.outputs[0]!, seq, 'suffix');
    const suffix = new Array<number>(T * B * D);
    let acc = h0;
    for (let t = T - 1; t >= 0; t--) {
      acc = acc.map((v, k) => v + at(t)[k]!);
      suffix.splice(t * B * D, B * D, ...acc);
    }
    return { model: makeModel(tape.graph('reverse_scan')), feeds, expected: { total: acc, suffix } };
  });

  defineCase(`scan/${dtype}: pass-through and duplicated body outputs are correct (Identity inserted)`, () => {
    const tape = new Tape();
    const x = tape.input('xs', seq);
    const h = tape.input('h0', step);
    const r = tape.scan({
      carries: [{ init: h, type: step }, { init: h, type: step }],
      scanned: [{ seq: x, elem: step }],
      outputs: [{ elem: step }, { elem: step }, { elem: step }],
      // carries: (c + x, unchanged c0); outputs: (previous c, x itself, c + x again)
      body: (b, [c, c0], [xt]) => {
        const s = b.op('Add', [c!, xt!]);
        return { carries: [s, c0!], outputs: [c!, xt!, s] };
      },
    });
    const names = ['c_last', 'c0_last', 'prev', 'echo', 'cum'];
    [...r.carries, ...r.outputs].forEach((v, k) => tape.output(v, k < 2 ? step : seq, names[k]));
    const body = tape.nodes.find((n) => n.opType === 'Scan')!.attribute.find((a) => a.name === 'body')!.g!;
    expect(body.node.map((n) => n.opType)).to.deep.equal(['Add', 'Identity', 'Identity', 'Identity', 'Identity']);
    const prev: number[] = [];
    const cum: number[] = [];
    let c = h0;
    for (let t = 0; t < T; t++) {
      prev.push(...c);
      c = c.map((v, k) => v + at(t)[k]!);
      cum.push(...c);
    }
    return {
      model: makeModel(tape.graph('passthrough_scan')),
      feeds,
      expected: { c_last: c, c0_last: h0, prev, echo: xs, cum },
    };
  });
}

/**
 * Unsafe Scan bodies (carry output first, then scan outputs), picked from (c, x, s = c + x).
 * Measured on onnxruntime-node 1.30 without the Identity: the results are zeros, uninitialized
 * memory (garbage, NaN — and sometimes, by chance, the right values) or a runtime error. Only
 * the error is deterministic, so only it is pinned (`throwsSymbolic`: with symbolic dims, a scan
 * output that is a body input fails with "is_concrete_shape_ was false").
 */
const UNSAFE: Record<string, { carries: 1; throwsSymbolic: boolean; pick: (c: string, x: string, s: string) => string[] }> = {
  'carry output is the carry input': { carries: 1, throwsSymbolic: false, pick: (c, _x, s) => [c, s] },
  'scan output is the scanned input': { carries: 1, throwsSymbolic: true, pick: (_c, x, s) => [s, x] },
  'scan output is the carry input': { carries: 1, throwsSymbolic: true, pick: (c, _x, s) => [s, c] },
  'one value is both carry and scan output': { carries: 1, throwsSymbolic: false, pick: (_c, _x, s) => [s, s] },
  'one value is listed as two scan outputs': { carries: 1, throwsSymbolic: true, pick: (_c, x, s) => [s, x, x] },
};

describe('scan: the Identity protection matters', () => {
  for (const dims of ['symbolic', 'static'] as const) {
    for (const [what, variant] of Object.entries(UNSAFE)) {
      it(`scan: ${what} (${dims} dims): right with Identity${dims === 'symbolic' && variant.throwsSymbolic ? ', fails without' : ''}`, async () => {
        const shape = (...d: Dim[]): Dim[] => (dims === 'static' ? d.map((v) => ({ T, B }[v] ?? v)) : d);
        const step: TensorType = { dtype: 'float64', shape: shape('B', D) };
        const seq: TensorType = { dtype: 'float64', shape: shape('T', 'B', D) };
        const xs = Array.from({ length: T * B * D }, (_, k) => k + 1);
        const h0 = new Array<number>(B * D).fill(100);
        const feeds = { xs: { dtype: 'float64', dims: [T, B, D], data: xs }, h0: { dtype: 'float64', dims: [B, D], data: h0 } } as const;
        const roles = variant.pick('c', 'x', 's');
        const expected = expectedUnsafe(roles, variant.carries, h0, xs);
        const results: string[] = [];
        for (const safe of [true, false]) {
          const tape = new Tape();
          const [x, h] = [tape.input('xs', seq), tape.input('h0', step)];
          const body = (b: Tape, c: string, xt: string): string[] => {
            const s = b.op('Add', [c, xt]);
            return variant.pick(c, xt, s);
          };
          let outs: string[];
          if (safe) {
            const r = tape.scan({
              carries: [{ init: h, type: step }], scanned: [{ seq: x, elem: step }],
              outputs: roles.slice(1).map(() => ({ elem: step })),
              body: (b, [c], [xt]) => { const o = body(b, c!, xt!); return { carries: o.slice(0, 1), outputs: o.slice(1) }; },
            });
            outs = [...r.carries, ...r.outputs];
          } else {
            const g = tape.subgraph('unsafe_body', [step, step], (b, [c, xt]) => {
              for (const v of body(b, c!, xt!)) b.unsafeRawOutput(v, step);
              return { values: [], types: [] };
            });
            outs = tape.opN('Scan', [h, x], roles.length, { body: { graph: g }, num_scan_inputs: 1 });
          }
          outs.forEach((v, k) => tape.output(v, k < variant.carries ? step : seq, `o${k}`));
          try {
            const model = makeModel(tape.graph('g'));
            // The encoder refuses the unsafe graph (outputProblems in proto.ts); unchecked, it shows what onnxruntime makes of it.
            if (!safe) expect(() => encodeModel(model)).to.throw(/illegal graph outputs/);
            const got = await runOnnx(encodeModel(model, { unchecked: !safe }), feeds, { quiet: true });
            results.push(expected.map((e, k) => (sameValues(got[`o${k}`]!.data, e) ? '' : `o${k}`)).filter(Boolean).join(','));
          } catch (e) {
            results.push(`error: ${String(e).slice(0, 400)}`);
          }
        }
        expect(results[0], 'with Identity: outputs that differ').to.equal('');
        // If this fails, onnxruntime fixed the bug; the builder's Identity protection stays harmless.
        if (dims === 'symbolic' && variant.throwsSymbolic) expect(results[1]).to.match(/^error: .*is_concrete_shape_/);
      });
    }
  }
});

/** Correct outputs of an unsafe body whose outputs have roles c (carry in), x (step), s (c + x). */
function expectedUnsafe(roles: string[], nCarries: number, h0: number[], xs: number[]): number[][] {
  const n = h0.length;
  const out = roles.map(() => [] as number[]);
  let c = h0;
  for (let t = 0; t * n < xs.length; t++) {
    const x = xs.slice(t * n, (t + 1) * n);
    const s = c.map((v, k) => v + x[k]!);
    const value = { c, x, s } as Record<string, number[]>;
    roles.forEach((r, k) => {
      if (k >= nCarries) out[k]!.push(...value[r]!);
    });
    c = roles[0] === 'c' ? c : s;
  }
  roles.forEach((_, k) => {
    if (k < nCarries) out[k]!.push(...c);
  });
  return out;
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, k) => v === b[k]);
}
