/**
 * @file Emitter tests: every IR op lowered to ONNX and run in onnxruntime, compared with the IR's
 * Float64 reference interpreter (float64 to 1e-9; float32 to 2e-5 relative+absolute), every
 * emitted model checked by onnx.checker, and the node count independent of T.
 */
import { expect } from 'chai';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import { tensor, type Tensor } from '../../../src/compiler/ir/tensor.js';
import { allOps, Op, type DType } from '../../../src/compiler/ir/ops.js';
import type { Graph } from '../../../src/compiler/ir/graph.js';
import { emitModel } from '../../../src/compiler/onnx/emit.js';
import { encodeModel, type GraphProto } from '../../../src/compiler/onnx/proto.js';
import { assertValidOnnx, requireOnnxChecker } from '../../helpers/onnxcheck.js';
import { assertClose, runOnnx, seededValues, type Feed } from './run.js';
import { EMIT_CASES, type EmitCase } from './emit-cases.js';

/** Tolerance against the float64 reference, per dtype. */
const TOL: Record<'float32' | 'float64', number> = { float32: 2e-5, float64: 1e-9 };

/** Inputs for a graph: seeded values per input shape (symbols bound by `dims`), positive if asked. */
function makeInputs(g: Graph, c: EmitCase, dtype: 'float32' | 'float64'): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  g.inputs.forEach((p, k) => {
    const shape = g.values[p.id]!.shape.map((d) => (typeof d === 'number' ? d : c.dims[[...d.terms.keys()][0]!]!));
    const n = shape.reduce((a, b) => a * b, 1);
    const raw = c.data?.[p.name] ?? seededValues(n, 11 + k, c.positive?.includes(p.name) ? 0.1 : -2, 2);
    out[p.name] = tensor(shape, dtype === 'float32' ? raw.map(Math.fround) : raw, dtype);
  });
  return out;
}

/** Runs a case in onnxruntime and compares with the reference interpreter. */
async function checkAgainstReference(c: EmitCase, dtype: 'float32' | 'float64'): Promise<void> {
  const g = c.build(new GraphBuilder(), dtype);
  const inputs = makeInputs(g, c, dtype);
  const want = evaluate(g, inputs);
  const feeds: Record<string, Feed> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = { dtype, dims: t.shape, data: [...t.data] };
  const got = await runOnnx(encodeModel(emitModel(g)), feeds);
  for (const [name, w] of Object.entries(want)) {
    const o = got[name];
    if (!o) throw new Error(`${c.title}: output ${name} missing`);
    expect(o.dims, `${c.title}: ${name} dims`).to.deep.equal([...w.shape]);
    assertClose(o.data, [...w.data], w.dtype === 'bool' ? 0 : TOL[dtype], `${c.title} (${dtype}): ${name}`);
  }
}

/** All IR ops used by a graph, including inside Scan bodies. */
function opsOf(g: Graph, acc = new Set<Op>()): Set<Op> {
  for (const n of g.nodes) {
    acc.add(n.op);
    if (n.op === Op.Scan) opsOf(n.attrs.body, acc);
  }
  return acc;
}

/** Number of ONNX nodes, counting Scan bodies. */
function countNodes(g: GraphProto): number {
  return g.node.reduce((s, n) => s + 1 + n.attribute.reduce((t, a) => t + (a.g ? countNodes(a.g) : 0), 0), 0);
}

describe('onnx emit', () => {
  for (const c of EMIT_CASES) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`emit/${dtype}: ${c.title} matches the reference interpreter`, () => checkAgainstReference(c, dtype));
    }
    it(`emit: ${c.title} passes onnx.checker full_check`, async function () {
      const py = requireOnnxChecker(this);
      await assertValidOnnx(py, encodeModel(emitModel(c.build(new GraphBuilder(), 'float64'))), c.title);
    });
  }

  it('emit: the cases cover every IR op', () => {
    const used = new Set<Op>();
    for (const c of EMIT_CASES) opsOf(c.build(new GraphBuilder(), 'float64'), used);
    expect(allOps.filter((op) => !used.has(op)), 'ops without an emit test').to.deep.equal([]);
  });

  it('emit: no ONNX Softplus, and the node count does not depend on T', () => {
    const rnn = EMIT_CASES.find((c) => c.title.startsWith('scan forward'))!;
    const counts = [3, 50, 1000].map((T) => {
      const model = emitModel(rnn.build(new GraphBuilder(), 'float64', T));
      expect(JSON.stringify(model.graph)).to.not.include('"Softplus"');
      return countNodes(model.graph);
    });
    expect(counts[1], 'T=50 vs T=3').to.equal(counts[0]);
    expect(counts[2], 'T=1000 vs T=3').to.equal(counts[0]);
  });

  it('emit: one model runs for several sequence lengths', async () => {
    const rnn = EMIT_CASES.find((c) => c.title.startsWith('scan forward'))!;
    for (const T of [1, 6]) await checkAgainstReference({ ...rnn, dims: { ...rnn.dims, T } }, 'float64');
  });

  it('emit: rejects an opset below 15', () => {
    const b = new GraphBuilder();
    b.output('y', b.exp(b.input('x', 'float64' as DType, [2])));
    expect(() => emitModel(b.build(), { opset: 13 })).to.throw(/opset ≥ 15/);
  });
});
