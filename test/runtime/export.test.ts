/**
 * @file The export contract on every example: exported graphs hold no unused initializer or
 * input, document every input and output, carry seqppl's metadata, pass onnx.checker, load in
 * onnxruntime without a single warning, and — in data units and batch-major — give the numbers
 * of the compiled graphs fed the way `seqc eval` and `seqc sample` feed them.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { unusedInitializers, unusedInputs } from '../../src/compiler/onnx/edit.js';
import { encodeModel } from '../../src/compiler/onnx/proto.js';
import { compile, onnxBytes, type Compiled } from '../../src/compiler/pipeline.js';
import { makeBatch, normalize, type NormStats, type Sequence, type VarSpec } from '../../src/runtime/data/index.js';
import { logJacobian } from '../../src/runtime/evaluate.js';
import { exportTrained, type Exportable, type ExportOptions } from '../../src/runtime/export.js';
import { graphFeeds } from '../../src/runtime/feeds.js';
import { ParamStore } from '../../src/runtime/params.js';
import { Rng } from '../../src/runtime/rng.js';
import { dataSpec } from '../../src/runtime/run.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples, repoRoot, smallSizes as small } from '../helpers/examples.js';
import { assertValidOnnx, requireOnnxChecker } from '../helpers/onnxcheck.js';

const tmp = mkdtempSync(join(tmpdir(), 'seqc-export-'));
const lengths = [5, 3, 1];

/** An untrained model with random parameters and made-up statistics: enough to test the contract. */
function fakeTrained(name: string, text: string): Exportable & { spec: VarSpec[] } {
  const r = compile(`${name}.seq`, text, { overrides: parseOverrides(small[name] ?? []) });
  const compiled = r.compiled as Compiled;
  const rng = new Rng(11);
  const store = ParamStore.initialize(compiled.manifest, rng);
  const spec = dataSpec(compiled);
  const stats: NormStats = new Map(spec.filter((v) => v.elem === 'real').map((v) => [v.name, {
    mean: Float64Array.from({ length: v.width }, () => 3 * rng.normal()),
    std: Float64Array.from({ length: v.width }, () => 0.5 + 2 * rng.uniform()),
  }] as const));
  return { compiled, store, stats, checkpoint: { step: 7 }, spec };
}

/** Sequences in data units around the made-up statistics, with lengths 5, 3 and 1. */
function dataFor(t: Exportable & { spec: VarSpec[] }, rng: Rng): Sequence[] {
  return lengths.map((len, n) => ({
    id: String(n), length: len,
    values: new Map(t.spec.map((v) => {
      const st = t.stats.get(v.name);
      const x = Float64Array.from({ length: len * v.width }, (_, i) => (v.elem === 'binary' ? (rng.uniform() < 0.5 ? 1 : 0) : st!.mean[i % v.width]! + st!.std[i % v.width]! * rng.normal()));
      return [v.name, x] as const;
    })),
  }));
}

type Shape = readonly (number | string)[];

/**
 * `a` with axes of shape `from` rearranged to shape `to` (the same symbols; numeric sizes are
 * matched in order), e.g. [T, K, B, 2] → [B, T, K, 2].
 */
function arrange(a: Float32Array, from: Shape, to: Shape, sizes: Readonly<Record<string, number>>): Float32Array {
  const size = (d: number | string): number => (typeof d === 'number' ? d : sizes[d]!);
  const used = new Set<number>();
  const src = to.map((d) => {
    const i = from.findIndex((f, k) => f === d && !used.has(k));
    if (i < 0) throw new Error(`arrange: ${String(d)} is not an axis of [${from.join(', ')}]`);
    used.add(i);
    return i;
  });
  const fromSizes = from.map(size);
  const strides = fromSizes.map((_, i) => fromSizes.slice(i + 1).reduce((x, y) => x * y, 1));
  const toSizes = to.map(size);
  const out = new Float32Array(a.length);
  const idx = new Array<number>(to.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    out[k] = a[idx.reduce((off, v, ax) => off + v * strides[src[ax]!]!, 0)]!;
    for (let ax = to.length - 1; ax >= 0 && ++idx[ax]! === toSizes[ax]; ax--) idx[ax] = 0;
  }
  return out;
}

const data = (o: ort.Tensor): Float32Array => o.data as Float32Array;

/** Runs a compiled graph and its export on the same sequences and noise; the exported numbers must be seqc's. */
async function compareWithSeqc(t: Exportable & { spec: VarSpec[] }, opts: Required<ExportOptions>, what: string): Promise<void> {
  const { models, description } = exportTrained(t, opts);
  const c = t.compiled;
  const rng = new Rng(5);
  const seqs = dataFor(t, rng);
  const baked = opts.normalization === 'baked';
  const raw = makeBatch(seqs, t.spec);
  const norm = makeBatch(seqs.map((s) => normalize(s, t.stats)), t.spec);
  const sizes = { T: raw.steps, B: raw.size, K: 3 };
  const jac = baked ? logJacobian(t.spec.filter((v) => c.manifest.variables.find((x) => x.name === v.name)?.role === 'observe'), t.stats) : 0;
  const feedsFor = (g: 'sample' | 'evaluate', internal: Record<string, ort.Tensor>): Record<string, ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const i of description.graphs[g].inputs) {
      const spec = c.manifest.graphs[g].inputs.find((x) => x.name === i.name)!;
      const internalShape = spec.shape as Shape;
      const v = i.name.slice(i.name.indexOf('.') + 1);
      const given = i.role === 'data' && baked ? raw.values.get(v)! : data(internal[i.name]!);
      feeds[i.name] = new ort.Tensor('float32', arrange(given, internalShape, i.shape, sizes), i.shape.map((d) => (typeof d === 'number' ? d : sizes[d as 'T'])));
    }
    return feeds;
  };

  // evaluate (K = 3 particles): seqc feeds normalized data and adds len · log-Jacobian afterwards
  const ef = graphFeeds(c.manifest.graphs.evaluate.inputs, { store: t.store, T: sizes.T, B: sizes.B, K: sizes.K, values: (v) => norm.values.get(v), mask: norm.mask, noise: new Rng(9), scalars: {} });
  const ref = await (await ort.InferenceSession.create(onnxBytes(c.evaluate))).run(ef);
  const got = await (await ort.InferenceSession.create(encodeModel(models.evaluate))).run(feedsFor('evaluate', ef));
  const outs = description.graphs.evaluate.outputs;
  expect(outs.map((o) => o.name), `${what}: evaluate outputs`).to.have.members(['elbo', 'loglik', 'kl', 'aux', 'logw', 'iwae']);
  for (const o of outs) {
    const shift = ['elbo', 'loglik', 'logw', 'iwae'].includes(o.name) ? jac : 0;
    const expected = Array.from(data(ref[o.name]!), (x, r) => x + lengths[r % sizes.B]! * shift);
    const from = o.shape.includes('K') ? ['K', 'B'] : ['B'];
    assertAllClose(data(got[o.name]!), arrange(Float32Array.from(expected), from, o.shape, sizes), `${what}: evaluate ${o.name}`, { rtol: 2e-6, atol: 2e-4 });
  }

  // sample: seqc draws with normalized values and denormalizes observed real draws afterwards
  const sf = graphFeeds(c.manifest.graphs.sample.inputs, { store: t.store, T: sizes.T, B: sizes.B, values: (v) => norm.values.get(v), mask: norm.mask, noise: new Rng(13), scalars: {} });
  const sref = await (await ort.InferenceSession.create(onnxBytes(c.sample))).run(sf);
  const sgot = await (await ort.InferenceSession.create(encodeModel(models.sample))).run(feedsFor('sample', sf));
  for (const o of description.graphs.sample.outputs) {
    const st = baked ? t.stats.get(o.name.slice('sample.'.length)) : undefined;
    const w = sref[o.name]!.dims[2]!;
    const expected = Float32Array.from(data(sref[o.name]!), (z, i) => (st ? z * st.std[i % w]! + st.mean[i % w]! : z));
    assertAllClose(data(sgot[o.name]!), arrange(expected, ['T', 'B', w], o.shape, sizes), `${what}: sample ${o.name}`, { rtol: 2e-6, atol: 2e-5 });
  }
}

/** Every example's exported models (data units, batch-major) and compiled graphs, written to files once. */
let files: { exported: string[]; compiled: string[] } | undefined;
function modelFiles(): { exported: string[]; compiled: string[] } {
  if (files) return files;
  files = { exported: [], compiled: [] };
  for (const ex of examples()) {
    const t = fakeTrained(ex.name, ex.text);
    for (const [g, m] of Object.entries(exportTrained(t, { layout: 'batch-major' }).models)) {
      files.exported.push(join(tmp, `${ex.name}.${g}.onnx`));
      writeFileSync(files.exported.at(-1)!, encodeModel(m));
    }
    for (const [g, a] of [['train_step', t.compiled.train], ['evaluate', t.compiled.evaluate], ['sample', t.compiled.sample]] as const) {
      files.compiled.push(join(tmp, `${ex.name}.compiled.${g}.onnx`));
      writeFileSync(files.compiled.at(-1)!, onnxBytes(a));
    }
  }
  return files;
}

describe('export: the contract, on every example', function () {
  this.timeout(120_000);

  for (const ex of examples()) {
    it(`export ${ex.name}: no unused initializers or inputs, every input and output documented, seqppl metadata`, async () => {
      const t = fakeTrained(ex.name, ex.text);
      for (const layout of ['time-major', 'batch-major'] as const) {
        for (const normalization of ['baked', 'none'] as const) {
          const { models, description } = exportTrained(t, { layout, normalization });
          for (const [g, m] of Object.entries(models)) {
            const what = `${ex.name} ${g} (${layout}, ${normalization})`;
            expect(unusedInitializers(m), `${what}: unused initializers`).to.deep.equal([]);
            expect(unusedInputs(m), `${what}: unused inputs`).to.deep.equal([]);
            const params = new Set(t.compiled.manifest.parameters.map((p) => p.name));
            expect(m.graph.input.filter((i) => params.has(i.name)), `${what}: parameter inputs`).to.deep.equal([]);
            expect(m.graph.input.map((i) => i.name), `${what}: training inputs`).to.not.include.members(['beta', 'lr']);
            expect(m.graph.output.map((o) => o.name), `${what}: training outputs`).to.not.include('loss');
            for (const v of [...m.graph.input, ...m.graph.output]) expect(v.docString ?? '', `${what}: doc of ${v.name}`).to.have.length.above(20);
            const meta = Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value]));
            expect(meta).to.include({ 'seqppl.model': t.compiled.manifest.model, 'seqppl.graph': g, 'seqppl.source_hash': t.compiled.manifest.sourceHash, 'seqppl.step': '7', 'seqppl.layout': layout, 'seqppl.normalization': normalization });
            expect(meta['seqppl.version']).to.match(/^\d+\.\d+\.\d+/);
            expect(m.docString).to.contain(t.compiled.manifest.model);
            // export.json lists exactly the graph's interface, with shapes in this layout
            const sig = description.graphs[g as 'sample'];
            expect(sig.inputs.map((i) => i.name)).to.deep.equal(m.graph.input.map((i) => i.name));
            expect(sig.outputs.map((o) => o.name)).to.deep.equal(m.graph.output.map((o) => o.name));
            for (const i of [...sig.inputs, ...sig.outputs]) {
              if (i.shape.includes('T')) expect(i.shape.slice(0, 2), `${what}: ${i.name}`).to.deep.equal(layout === 'batch-major' ? ['B', 'T'] : ['T', i.name.startsWith('noise.') && g === 'evaluate' ? 'K' : 'B']);
              if (i.name === 'logw' && i.shape.includes('K')) expect(i.shape).to.deep.equal(layout === 'batch-major' ? ['B', 'K'] : ['K', 'B']);
            }
            for (const i of sig.inputs.filter((x) => x.role === 'noise')) expect(description.noise).to.have.property(i.law!);
          }
        }
      }
    });

    it(`export ${ex.name}: in data units and batch-major (and as compiled), the numbers of the compiled graphs`, async () => {
      const t = fakeTrained(ex.name, ex.text);
      await compareWithSeqc(t, { normalization: 'baked', layout: 'batch-major' }, `${ex.name} baked batch-major`);
      await compareWithSeqc(t, { normalization: 'none', layout: 'time-major' }, `${ex.name} none time-major`);
    });
  }

  it('export: every exported model passes onnx.checker (full check)', async function () {
    const py = requireOnnxChecker(this);
    for (const f of modelFiles().exported) await assertValidOnnx(py, new Uint8Array(readFileSync(f)), f);
  });

  it('export: onnxruntime loads every exported and compiled model without a warning (no "Removing initializer")', () => {
    const { exported, compiled } = modelFiles();
    expect(exported.length).to.equal(2 * examples().length);
    // onnxruntime logs from native code to the process's stderr: load the models in a child at warning level.
    const script = `import * as ort from 'onnxruntime-node';
for (const f of JSON.parse(process.argv[1])) await ort.InferenceSession.create(f, { logSeverityLevel: 2 });
console.log('loaded');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([...exported, ...compiled])], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.stdout.trim(), r.stderr).to.equal('loaded');
    expect(r.stderr, 'onnxruntime printed warnings').to.equal('');
  });
});
