/**
 * @file Tests of the protobuf layer and the text dump: round trips, the subset schema's field
 * numbers against the installed onnx package, and the dump format of a model with a Scan.
 */
import { expect } from 'chai';
import { onnxRoot } from '../../../src/compiler/onnx/schema.js';
import { DataType, decodeModel, encodeModel, makeTensor, tensorValues } from '../../../src/compiler/onnx/proto.js';
import { makeModel, Tape } from '../../../src/compiler/onnx/builder.js';
import { dumpModel } from '../../../src/compiler/onnx/dump.js';
import { checkOnnx, onnxSchema, requireOnnxChecker } from '../../helpers/onnxcheck.js';

/** A small model with symbolic dims, an initializer, metadata and a reverse Scan. */
function sampleModel(opset?: number) {
  const t = new Tape();
  const xs = t.input('xs', { dtype: 'float64', shape: ['T', 'B', 2] });
  const h0 = t.input('h0', { dtype: 'float64', shape: ['B', 2] });
  const w = t.initializer('w', 'float64', [2], [0.5, -1]);
  const r = t.scan({
    carries: [{ init: h0, type: { dtype: 'float64', shape: ['B', 2] } }],
    scanned: [{ seq: xs, elem: { dtype: 'float64', shape: ['B', 2] }, reverse: true }],
    outputs: [{ elem: { dtype: 'float64', shape: ['B', 2] } }],
    body: (b, [h], [x]) => {
      const n = b.op('Add', [b.op('Mul', [h!, w]), x!]);
      return { carries: [n], outputs: [n] };
    },
  });
  t.output(r.outputs[0]!, { dtype: 'float64', shape: ['T', 'B', 2] }, 'hs');
  return makeModel(t.graph('main'), { metadata: { source_hash: 'abc' }, ...(opset ? { opset } : {}) });
}

describe('onnx proto', () => {
  it('proto: encode then decode gives the same model', () => {
    const m = sampleModel();
    const back = decodeModel(encodeModel(m));
    expect(back.irVersion).to.equal(8);
    expect(back.opsetImport).to.deep.equal([{ domain: '', version: 17 }]);
    expect(back.metadataProps).to.deep.equal([{ key: 'source_hash', value: 'abc' }]);
    expect(dumpModel(back)).to.equal(dumpModel(m));
    expect(encodeModel(back)).to.deep.equal(encodeModel(m));
  });

  it('proto: the opset is a parameter', () => {
    expect(decodeModel(encodeModel(sampleModel(13))).opsetImport[0]!.version).to.equal(13);
  });

  it('proto: tensors keep exact bits for every data type', () => {
    const cases: [DataType, number[]][] = [
      [DataType.FLOAT, [1.5, -0.1, 3e38]], [DataType.DOUBLE, [Math.PI, -1e-300, 0]],
      [DataType.INT64, [-3, 0, 2 ** 40]], [DataType.INT32, [-7, 8, 9]], [DataType.BOOL, [1, 0, 1]],
    ];
    for (const [dt, vs] of cases) {
      const want = dt === DataType.FLOAT ? vs.map(Math.fround) : vs;
      expect(tensorValues(makeTensor('t', dt, [3], vs)), `dtype ${dt}`).to.deep.equal(want);
    }
    expect(() => makeTensor('t', DataType.FLOAT, [2, 2], [1])).to.throw(/1 values for shape \[2,2\]/);
  });

  it('proto: subset field numbers equal the installed onnx package', function () {
    const official = onnxSchema(requireOnnxChecker(this));
    const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    let compared = 0;
    for (const [message, fields] of Object.entries(official)) {
      if (message.endsWith('AttributeType')) {
        const ours = onnxRoot.lookupEnum(message).values;
        for (const [name, num] of Object.entries(ours)) expect(fields[name], `${message}.${name}`).to.equal(num);
        continue;
      }
      const ours = onnxRoot.lookupType(message);
      for (const f of ours.fieldsArray) {
        const snake = Object.keys(fields).find((k) => camel(k) === f.name);
        expect(snake, `${message}.${f.name} exists upstream`).to.not.equal(undefined);
        expect(f.id, `${message}.${snake} field number`).to.equal(fields[snake!]);
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(50);
  });

  it('proto: the checker helper rejects an invalid model (so passing means something)', async function () {
    const py = requireOnnxChecker(this);
    const t = new Tape();
    const a = t.input('a', { dtype: 'float32', shape: [2] });
    const b = t.input('b', { dtype: 'float64', shape: [2] });
    t.output(t.op('Add', [a, b]), { dtype: 'float64', shape: [2] }, 'c');
    const r = await checkOnnx(py, encodeModel(makeModel(t.graph('bad'))));
    expect(r.ok).to.equal(false);
    expect(r.error).to.match(/type|Type/);
  });
});

describe('onnx dump', () => {
  it('dump: one node per line, recursing into Scan bodies', () => {
    expect(dumpModel(sampleModel())).to.equal([
      'model ir_version=8 opset=ai.onnx:17 producer=seqppl',
      'meta source_hash="abc"',
      'graph main {',
      '  input xs: float64[T,B,2]',
      '  input h0: float64[B,2]',
      '  init w: float64[2] = [0.5, -1]',
      '  scan_6, hs = Scan(h0, xs) body=scan_body_0 num_scan_inputs=1 scan_input_directions=[1] {',
      '    graph scan_body_0 {',
      '      input scan_body_0_in_1: float64[B,2]',
      '      input scan_body_0_in_2: float64[B,2]',
      '      mul_3 = Mul(scan_body_0_in_1, w)',
      '      add_4 = Add(mul_3, scan_body_0_in_2)',
      '      identity_5 = Identity(add_4)',
      '      output add_4: float64[B,2]',
      '      output identity_5: float64[B,2]',
      '    }',
      '  }',
      '  output hs: float64[T,B,2]',
      '}',
      '',
    ].join('\n'));
  });

  it('dump: is deterministic across rebuilds', () => {
    expect(dumpModel(sampleModel())).to.equal(dumpModel(sampleModel()));
  });
});
