/**
 * @file The performance passes change no number: for every example, the evaluate, sample and
 * train_step graphs compiled with every pass give the same outputs as the graphs compiled with
 * the base passes only (folding, CSE, DCE), to 1e-9 in float64, in the reference interpreter and
 * in onnxruntime; and the IR verifies after every single pass.
 */
import { expect } from 'chai';
import { parseOverrides } from '../../../src/compiler/check/dims.js';
import { evaluate, type Graph } from '../../../src/compiler/ir/index.js';
import { basePasses, defaultPasses, optimize } from '../../../src/compiler/passes/index.js';
import { compile, type Compiled } from '../../../src/compiler/pipeline.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { examples, smallSizes } from '../../helpers/examples.js';
import { feedsFor, runArtifact } from '../../helpers/feeds.js';
import { Rng } from '../../helpers/random.js';

const T = 5;
const lengths = [5, 3, 1];

const scans = (g: Graph): number => g.nodes.reduce((s, n) => s + (n.op === 'scan' ? 1 + scans(n.attrs.body) : 0), 0);
const bodyNodes = (g: Graph): number => g.nodes.reduce((s, n) => s + (n.op === 'scan' ? n.attrs.body.nodes.length + bodyNodes(n.attrs.body) : 0), 0);

describe('passes: numbers unchanged on every example', function () {
  this.timeout(120_000);
  for (const ex of examples()) {
    describe(`passes: ${ex.name}`, () => {
      let base: Compiled;
      let after: Compiled;
      before(() => {
        const opts = { dtype: 'float64' as const, overrides: parseOverrides(smallSizes[ex.name] ?? []) };
        base = compile(ex.path, ex.text, { ...opts, passes: basePasses }).compiled!;
        after = compile(ex.path, ex.text, opts).compiled!;
      });

      it('evaluate, sample and train_step give the base pipeline\'s outputs (interpreter and onnxruntime, 1e-9)', async () => {
        for (const name of ['evaluate', 'sample', 'train'] as const) {
          const feeds = feedsFor(base, base[name].inputs, new Rng(ex.name.length * 31 + name.length), T, lengths);
          expect(after[name].ir.inputs.map((p) => p.name), `${name} inputs`).to.deep.equal(base[name].ir.inputs.map((p) => p.name));
          const ref = evaluate(base[name].ir, feeds);
          const got = evaluate(after[name].ir, feeds);
          const ort = await runArtifact(after[name], feeds, 'float64');
          for (const o of after[name].ir.outputs) {
            assertAllClose(got[o.name]!.data, ref[o.name]!.data, `${name}.${o.name} (interpreter)`, { rtol: 1e-9, atol: 1e-9 });
            assertAllClose(ort[o.name]!, ref[o.name]!.data, `${name}.${o.name} (onnxruntime)`, { rtol: 1e-9, atol: 1e-9 });
          }
        }
      });

      it('the IR verifies after every pass, before and after autodiff', () => {
        for (const g of [base.evaluate.ir, base.sample.ir, base.train.ir]) optimize(g, { passes: defaultPasses, verify: true });
      });

      it('the scan bodies shrink', () => {
        expect(scans(after.train.ir), 'scans').to.be.at.most(scans(base.train.ir));
        expect(bodyNodes(after.train.ir), 'nodes in scan bodies of train_step').to.be.lessThan(bodyNodes(base.train.ir));
      });
    });
  }
});
