/**
 * @file Mutation fuzzing of the front end: thousands of seeded random edits of the examples
 * (deleted tokens, misspellings, broken brackets, wrong time indices, ...) must each either
 * check cleanly or produce located, caret-underlined diagnostics — never an exception.
 */
import { expect } from 'chai';
import { renderDiagnostic } from '../../src/compiler/diagnostics.js';
import { checkSource } from '../../src/compiler/frontend.js';
import { examples } from '../helpers/examples.js';
import { mutate, rng } from '../helpers/mutate.js';

const caretDiag = /^[^\n]+:\d+:\d+: (error|warning)\[[EW]\d{4}\]: [^\n]+\n *\d* *\|\n *\d+ \| [^\n]*\n *\| *\^+/;

describe('fuzz: mutated examples', function () {
  this.timeout(240_000);
  const N = Number(process.env['SEQ_FUZZ_N'] ?? 3000);

  it(`fuzz: ${N} random mutations never crash and every error is located with a caret`, () => {
    const exs = examples();
    const r = rng(20261123);
    let rejected = 0;
    let hadCycle = 0;
    const failures: string[] = [];
    for (let i = 0; i < N; i++) {
      const ex = exs[i % exs.length]!;
      const m = mutate(ex.text, r);
      try {
        const res = checkSource(ex.path, m.text);
        const errs = res.diagnostics.filter((d) => d.severity === 'error');
        if (errs.length) rejected++;
        if (errs.some((d) => d.code === 'E0404' || d.code === 'E0403' || d.code === 'E0402')) hadCycle++;
        if (!errs.length && !res.model) failures.push(`#${i} ${ex.name}: ${m.what}: no errors but no model`);
        for (const d of res.diagnostics) {
          if (d.span.start < 0 || d.span.end > m.text.length || d.span.end < d.span.start) failures.push(`#${i} ${ex.name}: ${m.what}: span out of range`);
          const shown = renderDiagnostic(res.source, d);
          if (!caretDiag.test(shown)) failures.push(`#${i} ${ex.name}: ${m.what}: badly rendered:\n${shown}`);
        }
      } catch (e) {
        failures.push(`#${i} ${ex.name}: ${m.what}: threw ${(e as Error).stack}`);
      }
      if (failures.length > 5) break;
    }
    expect(failures, failures.join('\n\n')).to.deep.equal([]);
    // The mutations must mostly break the files, or this test would prove little.
    expect(rejected / N).to.be.greaterThan(0.7);
    expect(hadCycle).to.be.greaterThan(10);
  });
});
