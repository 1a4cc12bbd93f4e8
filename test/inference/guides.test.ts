/** @file The default structured guide: generated for a model without one, checked and compiled like user code. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { compile } from '../../src/compiler/pipeline.js';
import { withDefaultGuide } from '../../src/inference/guides.js';
import { repoRoot } from '../helpers/examples.js';

const vrnnNoGuide = readFileSync(join(repoRoot, 'examples/vrnn.seq'), 'utf8').replace(/\n  guide .*\n/, '\n').replace(/\n  net enc_net .*\n/, '\n');

describe('inference: default guide', () => {
  it('guides: a model without a guide gets a backward GRU over x combined with z[t-1] (ST-R)', () => {
    const fe = checkSource('vrnn.seq', vrnnNoGuide, parseOverrides(['x_dim=4', 'z_dim=2', 'h_dim=4', 'f_dim=5']));
    expect(fe.needsDefaultGuide).to.equal(true);
    const text = withDefaultGuide(vrnnNoGuide, fe.program!, fe.model!);
    const g = checkSource('vrnn.seq', text, parseOverrides(['x_dim=4', 'z_dim=2', 'h_dim=4', 'f_dim=5']));
    expect(g.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    expect(g.model!.vars.get('_guide_r')!.direction).to.equal('backward');
    expect(g.model!.guide!.samples.map((s) => s.target)).to.deep.equal(['z']);
    expect(g.model!.params.map((p) => p.name)).to.include.members(['_guide_rnn.weight_ih', '_guide_comb_z.weight', 'guide.z.loc.weight']);
  });

  it('guides: compile uses the default guide and the result has the same interface as a hand-written one', () => {
    const c = compile('vrnn.seq', vrnnNoGuide, { dtype: 'float64', overrides: parseOverrides(['x_dim=4', 'z_dim=2', 'h_dim=4', 'f_dim=5']) }).compiled!;
    expect(c.evaluate.inputs.map((i) => i.name)).to.include.members(['data.x', 'mask', 'noise.z', 'beta']);
    expect(c.manifest.parameters.some((p) => p.name === '_guide_rnn.weight_hh')).to.equal(true);
  });
});
