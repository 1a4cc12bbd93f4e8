/**
 * @file Prefix continuation through the guide. With no prefix the sample graph is exactly the
 * ancestral sampler (every example, same noise); over a prefix its continuous latents are the
 * guide's reparameterized draws; and a trained model continues real sequences measurably
 * closer to their true next frames than an unconditional sample.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { lower } from '../../src/compiler/lower/lower.js';
import { optimize, compile, filterArtifact, onnxBytes } from '../../src/compiler/pipeline.js';
import { AncestralSampler } from '../../src/inference/sampler.js';
import { encodeNpy, loadDataset, normalize } from '../../src/runtime/data/index.js';
import { drawSamples } from '../../src/runtime/sample.js';
import { createSession } from '../../src/runtime/session.js';
import { loadTrained } from '../../src/runtime/trained.js';
import { train, type Reporter } from '../../src/runtime/train.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples, repoRoot, smallSizes } from '../helpers/examples.js';
import { Rng } from '../helpers/random.js';

describe('inference: prefix continuation through the guide', function () {
  this.timeout(300_000);

  for (const ex of examples()) {
    it(`continuation: ${ex.name} without a prefix equals the ancestral sampler`, () => {
      const c = compile(ex.path, ex.text, { dtype: 'float64', overrides: parseOverrides(smallSizes[ex.name] ?? []) }).compiled!;
      const anc = lower(new AncestralSampler(c.program), 'float64');
      const rng = new Rng(9);
      const feeds: Record<string, Tensor> = {};
      for (const i of c.sample.inputs) {
        const shape = i.shape.map((d) => (d === 'T' ? 5 : d === 'B' ? 3 : (d as number)));
        const n = shape.reduce((a, b) => a * b, 1);
        feeds[i.name] = tensor(shape, i.role === 'mask' ? new Float64Array(n) : i.law === 'uniform' ? Array.from({ length: n }, () => rng.uniform())
          : i.law === 'gumbel' ? Array.from({ length: n }, () => -Math.log(-Math.log(rng.uniform() + 1e-12))) : rng.normals(n));
      }
      const got = evaluate(c.sample.ir, feeds);
      const want = evaluate(optimize(anc.graph), Object.fromEntries(anc.inputs.map((i) => [i.name, feeds[i.name]!])));
      for (const o of anc.graph.outputs) assertAllClose(got[o.name]!.data, want[o.name]!.data, o.name, { rtol: 1e-12, atol: 1e-12 });
    });
  }

  it('continuation: a trained VRNN continues sinusoids closer to their true next frames than unconditional samples', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'seqc-cont-'));
    const data = join(tmp, 'data');
    mkdirSync(data);
    const rng = new Rng(4);
    const T = 16, D = 3;
    const make = (N: number): Float32Array => {
      const a = new Float32Array(N * T * D);
      for (let n = 0; n < N; n++) {
        const phase = rng.uniform() * 6.28, freq = 0.4 + 0.6 * rng.uniform();
        for (let t = 0; t < T; t++) for (let k = 0; k < D; k++) a[(n * T + t) * D + k] = Math.sin(phase + freq * t + k) + 0.05 * rng.normal();
      }
      return a;
    };
    for (const [split, N] of [['train', 96], ['valid', 16], ['test', 16]] as const) writeFileSync(join(data, `${split}.npy`), encodeNpy([N, T, D], '<f4', make(N)));
    const model = join(repoRoot, 'examples/vrnn.seq');
    const sets = ['x_dim=3', 'z_dim=2', 'h_dim=24', 'f_dim=24'];
    const quiet: Reporter = { info: () => {}, warn: () => {}, stream: { write: () => true } };
    const run = join(tmp, 'run');
    await train({
      model, data, sets, steps: 400, epochs: null, timeLimit: null, batch: 16, maxLen: null, lr: 5e-3, lrSchedule: 'constant', warmup: 0,
      clip: 10, weightDecay: 0, klAnneal: 0, klStart: 0, validEvery: 100, patience: 0, seed: 3, device: 'cpu', threads: 1,
    }, run, false, quiet, { stop: false });
    const t = loadTrained(model, run, []);
    const session = await createSession(onnxBytes(t.compiled.sample));
    const test = loadDataset(data, t.spec).test;
    const P = 10, H = 3, draws = 20;
    const prefix = test.map((s) => normalize({ ...s, length: P, values: new Map([...s.values].map(([k, v]) => [k, v.slice(0, P * D)])) }, t.stats));
    const filtered = filterArtifact(t.compiled);
    const pfSession = await createSession(onnxBytes(filtered));
    let cont = 0, free = 0, pf = 0;
    for (let d = 0; d < draws; d++) {
      const c = await drawSamples(t, session, { num: test.length, steps: P + H, seed: 100 + d, prefix });
      const u = await drawSamples(t, session, { num: test.length, steps: P + H, seed: 500 + d });
      const f = await drawSamples(t, pfSession, { num: test.length, steps: P + H, seed: 900 + d, prefix, filter: { particles: 16, inputs: filtered.inputs } });
      const cx = c.values.get('x')!.data, ux = u.values.get('x')!.data, fx = f.values.get('x')!.data;
      test.forEach((s, n) => {
        for (let h = 0; h < H; h++) for (let k = 0; k < D; k++) {
          const truth = s.values.get('x')![(P + h) * D + k]!;
          cont += (cx[((P + h) * test.length + n) * D + k]! - truth) ** 2;
          free += (ux[((P + h) * test.length + n) * D + k]! - truth) ** 2;
          pf += (fx[((P + h) * test.length + n) * D + k]! - truth) ** 2;
        }
      });
    }
    const norm = draws * test.length * H * D;
    expect(cont / norm, `mean squared error of the next ${H} frames: continued ${cont / norm}, unconditional ${free / norm}`).to.be.lessThan(0.5 * (free / norm));
    expect(pf / norm, `mean squared error of the next ${H} frames: filtered with 16 particles ${pf / norm}, unconditional ${free / norm}`).to.be.lessThan(0.5 * (free / norm));
  });
});
