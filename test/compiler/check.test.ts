/** @file Checker: examples are clean, widths/params/directions are computed, every catalogued error is pinned. */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OverrideError, parseOverrides } from '../../src/compiler/check/dims.js';
import { renderDiagnostic, type Diagnostic } from '../../src/compiler/diagnostics.js';
import { decodeSource, SourceFile } from '../../src/compiler/source.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { examples, repoRoot } from '../helpers/examples.js';
import { expectGolden, goldenDir } from '../helpers/golden.js';

const load = (name: string, sets: string[] = []) => {
  const ex = examples().find((e) => e.name === name)!;
  return checkSource(ex.path, ex.text, parseOverrides(sets));
};

describe('check: examples', () => {
  for (const ex of examples()) {
    it(`check: ${ex.name} has no errors or warnings`, () => {
      const r = checkSource(ex.path, ex.text);
      expect(r.diagnostics.map((d) => renderDiagnostic(r.source, d))).to.deep.equal([]);
      expect(r.model).to.not.equal(null);
    });
  }

  it('check: vrnn parameters have stable names and shapes', () => {
    const m = load('vrnn').model!;
    const byName = new Map(m.params.map((p) => [p.name, p.shape]));
    expect(byName.get('phi_x.0.weight')).to.deep.equal([200, 256]);
    expect(byName.get('phi_x.1.bias')).to.deep.equal([256]);
    expect(byName.get('rnn.weight_ih')).to.deep.equal([512, 1024]);
    expect(byName.get('rnn.weight_hh')).to.deep.equal([256, 1024]);
    expect(byName.get('emission.x.loc.weight')).to.deep.equal([256, 200]);
    expect(byName.get('guide.z.scale.bias')).to.deep.equal([32]);
    expect(new Set(m.params.map((p) => p.name)).size).to.equal(m.params.length);
  });

  it('check: --set overrides hyperparameters and every width follows', () => {
    const m = load('vrnn', ['h_dim=64', 'z_dim=8']).model!;
    expect(m.vars.get('h')!.width).to.equal(64);
    const byName = new Map(m.params.map((p) => [p.name, p.shape]));
    expect(byName.get('rnn.weight_hh')).to.deep.equal([64, 256]);
    expect(byName.get('enc_net.0.weight')).to.deep.equal([256 + 64, 256]);
    expect(byName.get('prior.z.loc.weight')).to.deep.equal([256, 8]);
  });

  it('check: --set rejects unknown names, non-integers and non-numbers', () => {
    expect(() => load('vrnn', ['h_dm=64'])).to.throw(OverrideError, "no hyperparameter 'h_dm' (did you mean 'h_dim'?)");
    expect(() => load('vrnn', ['h_dim=64.5'])).to.throw(OverrideError, 'h_dim is an integer hyperparameter');
    expect(() => load('vrnn', ['h_dim=big'])).to.throw(OverrideError, 'must be a number');
    expect(() => parseOverrides(['h_dim'])).to.throw(OverrideError, 'name=value');
    expect(load('zforcing', ['aux_w=0.25']).model!.aux[0]!.weight).to.equal(0.25);
  });

  it('check: state directions come from how updates read themselves', () => {
    const m = load('srnn').model!;
    expect(m.vars.get('d')!.direction).to.equal('forward');
    expect(m.vars.get('a')!.direction).to.equal('backward');
    expect(m.vars.get('a')!.owner).to.equal('guide');
  });

  it('check: a model without a guide is flagged for the default guide', () => {
    const text = load('vrnn').source.text.replace(/\n  guide .*\n/, '\n');
    const r = checkSource('noguide.seq', text);
    expect(r.model).to.not.equal(null);
    expect(r.needsDefaultGuide).to.equal(true);
    expect(r.model!.guide).to.equal(null);
    expect(load('rnn_normal').needsDefaultGuide).to.equal(false);
  });

  it('check: heads desugar into affine layers with a softplus scale', () => {
    const m = load('vrnn').model!;
    const prior = m.priors[0]!.dist;
    expect(prior.family).to.equal('Normal');
    expect(prior.params['loc']!.k).to.equal('affine');
    const scale = prior.params['scale']!;
    expect(scale.k).to.equal('binary');
    if (scale.k === 'binary') expect(scale.left.k).to.equal('unary');
  });
});

const errorDir = join(goldenDir, 'errors');

/** What `seqc check` reports for a file's bytes: E0004 for bytes that are not UTF-8, else the front end's diagnostics. */
function checkBytes(path: string, bytes: Uint8Array): { source: SourceFile; diagnostics: readonly Diagnostic[]; model: unknown } {
  const d = decodeSource(bytes);
  if (!d.ok) return { source: new SourceFile(path, d.text), diagnostics: [d.diagnostic], model: null };
  return checkSource(path, d.text);
}
const errorCases = readdirSync(errorDir).filter((f) => f.endsWith('.seq')).sort();

describe('check: error catalogue', () => {
  for (const f of errorCases) {
    it(`diagnostics: ${f} renders exactly as pinned`, () => {
      const path = `test/golden/errors/${f}`;
      const r = checkBytes(path, readFileSync(join(errorDir, f)));
      const text = r.diagnostics.map((d) => renderDiagnostic(r.source, d)).join('\n\n') + '\n';
      const code = /^([EW]\d{4})_/.exec(f)?.[1];
      if (code) expect(r.diagnostics.map((d) => d.code), `${f} should produce ${code}`).to.include(code);
      if (f.startsWith('E')) expect(r.model).to.equal(null);
      expectGolden(`errors/${f.replace(/\.seq$/, '.txt')}`, text);
    });
  }

  it('diagnostics: every code in the catalogue has a pinned case', () => {
    const src = readFileSync(join(repoRoot, 'src/compiler/errors.ts'), 'utf8');
    const codes = [...src.matchAll(/'([EW]\d{4})'/g)].map((m) => m[1]!);
    expect(codes.length).to.be.greaterThan(30);
    const covered = new Set(errorCases.map((f) => f.slice(0, 5)));
    expect(codes.filter((c) => !covered.has(c))).to.deep.equal([]);
  });

  it('diagnostics: several independent errors are reported in one run', () => {
    const r = checkSource('m.seq', readFileSync(join(errorDir, 'multiple_independent_errors.seq'), 'utf8'));
    expect(r.diagnostics.map((d) => d.code)).to.deep.equal(['E0101', 'E0403', 'E0303']);
  });
});
