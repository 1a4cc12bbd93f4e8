/** @file The programs in docs/extending.md check and compile: the walk-through cannot drift from the language. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/compiler/pipeline.js';
import { renderDiagnostic } from '../src/compiler/diagnostics.js';
import { printProgram } from '../src/compiler/print-program.js';
import { repoRoot } from './helpers/examples.js';

/** The `seq` code blocks of a Markdown file, in order. */
function seqBlocks(file: string): string[] {
  return [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/```seq\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('docs: the walk-through in docs/extending.md', () => {
  const blocks = seqBlocks('docs/extending.md');
  it('docs: the SRNN written piece by piece compiles and schedules d forward, a backward, then z', () => {
    const text = blocks.slice(0, 5).join('\n');
    const r = compile('my_srnn.seq', text);
    expect(r.compiled, r.diagnostics.map((d) => renderDiagnostic(r.source, d)).join('\n')).to.not.equal(null);
    const p = printProgram(r.compiled!.program);
    expect(p).to.match(/phase 1: deterministic forward; carries d\n    state d\[t\]/);
    expect(p).to.match(/phase 2: deterministic backward; carries a\n    state a\[t\]/);
    expect(p).to.match(/phase 3: stochastic forward; carries z/);
  });
  it('docs: the VRNN variant compiles with a GRU transition and a Laplace emission', () => {
    const r = compile('vrnn_gru_laplace.seq', blocks[5]!);
    expect(r.compiled, r.diagnostics.map((d) => renderDiagnostic(r.source, d)).join('\n')).to.not.equal(null);
    expect(r.compiled!.model.nets.get('rnn')!.kind).to.equal('gru');
    expect(r.compiled!.model.emissions[0]!.dist.family).to.equal('Laplace');
  });
});
