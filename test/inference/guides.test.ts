/** @file The default structured guide: built for a model without one, identical to the same guide written by hand. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { evaluate } from '../../src/compiler/ir/index.js';
import { compile } from '../../src/compiler/pipeline.js';
import { withDefaultGuide } from '../../src/inference/guides.js';
import { assertAllClose } from '../helpers/allclose.js';
import { repoRoot } from '../helpers/examples.js';
import { tensor } from '../../src/compiler/ir/index.js';
import { Rng } from '../helpers/random.js';

const vrnnNoGuide = readFileSync(join(repoRoot, 'examples/vrnn.seq'), 'utf8').replace(/\n  guide .*\n/, '\n').replace(/\n  net enc_net .*\n/, '\n');
/** The ST-R guide written out by hand, as the documentation describes it. */
const vrnnHandGuide = vrnnNoGuide.replace(/\n}\s*$/, `
  net _guide_rnn = gru(x_dim -> 64)
  net _guide_comb_z = linear(z_dim -> 64)
  guide {
    state _guide_r[t] : real[64] = zeros
    _guide_r[t] = _guide_rnn(_guide_r[t+1], x[t])
    z[t] ~ Normal.head(0.5 * (tanh(_guide_comb_z(z[t-1])) + _guide_r[t]), z_dim)
  }
}
`);
const sets = parseOverrides(['x_dim=4', 'z_dim=2', 'h_dim=4', 'f_dim=5']);

describe('inference: default guide', () => {
  it('guides: a model without a guide gets a backward GRU over x combined with z[t-1] (ST-R)', () => {
    const fe = checkSource('vrnn.seq', vrnnNoGuide, sets);
    expect(fe.needsDefaultGuide).to.equal(true);
    const m = withDefaultGuide(fe.model!);
    expect(m.vars.get('_guide_r')!.direction).to.equal('backward');
    expect(m.guide!.samples.map((s) => s.target)).to.deep.equal(['z']);
    expect(m.params.map((p) => p.name)).to.include.members(['_guide_rnn.weight_ih', '_guide_comb_z.weight', 'guide.z.loc.weight']);
  });

  it('guides: the built guide equals the hand-written one: same parameters in the same order, same numbers', () => {
    const auto = compile('vrnn.seq', vrnnNoGuide, { dtype: 'float64', overrides: sets }).compiled!;
    const hand = compile('vrnn.seq', vrnnHandGuide, { dtype: 'float64', overrides: sets }).compiled!;
    expect(auto.manifest.parameters).to.deep.equal(hand.manifest.parameters);
    expect(auto.evaluate.inputs).to.deep.equal(hand.evaluate.inputs);
    const rng = new Rng(3);
    const feeds = Object.fromEntries(auto.evaluate.inputs.map((i) => {
      const shape = i.shape.map((d) => (d === 'T' ? 4 : d === 'B' ? 2 : d === 'K' ? 2 : (d as number)));
      const n = shape.reduce((a, b) => a * b, 1);
      return [i.name, tensor(shape, i.role === 'mask' ? new Float64Array(n).fill(1) : rng.normals(n).map((x) => 0.3 * x))];
    }));
    const a = evaluate(auto.evaluate.ir, feeds);
    const h = evaluate(hand.evaluate.ir, feeds);
    for (const o of ['elbo', 'iwae', 'kl']) assertAllClose(a[o]!.data, h[o]!.data, o, { rtol: 1e-12, atol: 1e-12 });
  });
});
