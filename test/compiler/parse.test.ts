/** @file Parser and formatter: AST goldens for every example, canonical formatting, comment preservation. */
import { expect } from 'chai';
import type * as A from '../../src/compiler/ast.js';
import { format, scanComments } from '../../src/compiler/format.js';
import { parse } from '../../src/compiler/parse.js';
import { printAst } from '../../src/compiler/print-ast.js';
import { examples } from '../helpers/examples.js';
import { expectGolden } from '../helpers/golden.js';

function parseOk(text: string): A.Program {
  const r = parse(text);
  if (!r.ok) throw new Error(`parse failed: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.program;
}

/** Structural equality that ignores spans. */
function stripSpans(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripSpans);
  if (x && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'span').map(([k, v]) => [k, stripSpans(v)]));
  }
  return x;
}

describe('parse', () => {
  for (const ex of examples()) {
    it(`parse: ${ex.name} matches its golden AST dump`, () => {
      expectGolden(`ast/${ex.name}.sexp`, printAst(parseOk(ex.text)));
    });
  }

  it('parse: every AST node carries a span inside the source', () => {
    const text = examples().find((e) => e.name === 'storn')!.text;
    let count = 0;
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if ('kind' in o) {
        const s = o['span'] as A.Span | undefined;
        expect(s, `node ${String(o['kind'])} has no span`).to.not.equal(undefined);
        expect(s!.start).to.be.within(0, s!.end);
        expect(s!.end).to.be.at.most(text.length);
        count++;
      }
      Object.values(o).forEach(walk);
    };
    walk(parseOk(text));
    expect(count).to.be.greaterThan(90);
  });

  it('parse: operator precedence and slices build the expected tree', () => {
    const p = parseOk('model m(n = 4) { observe x[t] : real[n]\n emission x[t] ~ Normal(-x[t-1][1:n] * 2 + 1 / n, 1) }');
    expect(printAst(p)).to.contain('(+ (* (neg (slice (at x -1) 1 n)) 2) (/ 1 n))');
  });

  it('parse: a syntax error is located at the offending token', () => {
    const r = parse('model m() {\n  observe x[t] : real[3]\n  emission x[t] ~ Normal(0 1)\n}');
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.diagnostics).to.have.length(1);
    expect(r.diagnostics[0]!.code).to.equal('E0001');
    expect(r.diagnostics[0]!.span.start).to.equal('model m() {\n  observe x[t] : real[3]\n  emission x[t] ~ Normal(0 '.length);
  });
});

describe('fmt', () => {
  for (const ex of examples()) {
    it(`fmt: ${ex.name} is already in canonical form`, () => {
      expect(format(parseOk(ex.text), ex.text)).to.equal(ex.text);
    });
  }

  const messy = [
    '# header comment',
    'model m(a=1,b = 2){ # after brace',
    '   observe x[t]:real[a]   # obs',
    '',
    '',
    '  latent z[t] : real[ b ]',
    '# lonely',
    'prior z[t]~Normal(0,1)',
    '  emission x[t] ~ Normal( z[t][0:1]*2+-1, (1))',
    '  guide {',
    ' # inside the guide',
    ' z[t] ~ Normal(x[t], 1)}',
    '}',
    '# trailer',
    '',
  ].join('\n');

  it('fmt: output parses back to the same AST', () => {
    const out = format(parseOk(messy), messy);
    expect(stripSpans(parseOk(out))).to.deep.equal(stripSpans(parseOk(messy)));
  });

  it('fmt: is idempotent', () => {
    const once = format(parseOk(messy), messy);
    expect(format(parseOk(once), once)).to.equal(once);
  });

  it('fmt: keeps every comment, in order', () => {
    const out = format(parseOk(messy), messy);
    expect(scanComments(out).map((c) => c.text)).to.deep.equal(scanComments(messy).map((c) => c.text));
  });

  it('fmt: aligns statement keywords and keeps one blank line between paragraphs', () => {
    const out = format(parseOk(messy), messy);
    expect(out).to.contain('  prior    z[t] ~ Normal(0, 1)\n  emission x[t] ~ Normal(z[t][0:1] * 2 + -1, (1))');
    expect(out).to.contain('  observe x[t] : real[a]  # obs\n\n  latent z[t] : real[b]');
    expect(out).to.not.contain('\n\n\n');
  });
});
