/**
 * @file Sampling split over sequences to fit the memory budget: a group that fits runs as one
 * (the same numbers as without a budget), and a split run keeps the order of the sequences, the
 * given prefixes, and for its first group exactly what a run of that group alone draws.
 */
import { expect } from 'chai';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { compile, filterArtifact, onnxBytes } from '../../src/compiler/pipeline.js';
import type { Sequence, VarSpec } from '../../src/runtime/data/index.js';
import { graphBytes } from '../../src/runtime/evaluate.js';
import { ParamStore } from '../../src/runtime/params.js';
import { Rng } from '../../src/runtime/rng.js';
import { drawSamples } from '../../src/runtime/sample.js';
import { createSession } from '../../src/runtime/session.js';
import { tinySource } from '../helpers/tiny-model.js';

const source = tinySource;

describe('sampling: runs split over sequences to fit the memory budget', function () {
  this.timeout(120_000);
  const c = compile('tiny.seq', source, { dtype: 'float32', overrides: parseOverrides([]) }).compiled!;
  const spec: VarSpec[] = [{ name: 'x', width: 2, elem: 'real' }];
  const t = { compiled: c, spec, store: ParamStore.initialize(c.manifest, new Rng(3)), stats: new Map() };
  const data = new Rng(11);
  const prefix: Sequence[] = [9, 6, 4].map((L, i) => ({ id: `s${i}`, length: L, values: new Map([['x', Float64Array.from({ length: L * 2 }, () => data.normal())]]) }));
  const T = 12, K = 5;

  for (const kind of ['filtered', 'guided'] as const) {
    it(`${kind} continuation: split by sequences, in order, with the prefixes kept`, async () => {
      const f = kind === 'filtered' ? filterArtifact(c) : null;
      const session = await createSession(onnxBytes(f ?? c.sample));
      const filter = f ? { filter: { particles: K, inputs: f.inputs, ir: f.ir } } : {};
      const ir = f ? f.ir : c.sample.ir;
      const base = { num: 3, steps: T, seed: 4, prefix, ...filter };
      const plain = await drawSamples(t, session, base);
      const roomy = await drawSamples(t, session, { ...base, budget: graphBytes(ir, T, 3, K) });
      expect(roomy, 'a budget that fits: one run').to.deep.equal(plain);
      const split = await drawSamples(t, session, { ...base, budget: graphBytes(ir, T, 1, K) });
      expect(split.num).to.equal(3);
      expect(split.steps).to.equal(T);
      const x = split.values.get('x')!.data;
      expect(x.length).to.equal(T * 3 * 2);
      prefix.forEach((s, n) => {
        const given = s.values.get('x')!;
        for (let step = 0; step < s.length; step++) for (let d = 0; d < 2; d++) {
          expect(x[(step * 3 + n) * 2 + d], `sequence ${n}, step ${step}: the given prefix`).to.be.closeTo(given[step * 2 + d]!, 1e-6);
        }
      });
      expect(x.every(Number.isFinite)).to.equal(true);
      // The first group is the first sequence: what a run of it alone draws with the same seed.
      const alone = (await drawSamples(t, session, { ...base, prefix: [prefix[0]!] })).values.get('x')!.data;
      for (let step = 0; step < T; step++) for (let d = 0; d < 2; d++) expect(x[(step * 3) * 2 + d]).to.equal(alone[step * 2 + d]);
      // The split draws other noise than the single run for the later sequences.
      const differs = Array.from({ length: T * 3 * 2 }, (_, i) => i).some((i) => Math.floor(i / 2) % 3 !== 0 && x[i] !== plain.values.get('x')!.data[i]);
      expect(differs, 'the later groups drew their own noise').to.equal(true);
    });
  }
});
