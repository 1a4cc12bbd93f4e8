/** @file Parser and formatter: AST goldens for every example, canonical formatting, comment preservation. */
import { expect } from 'chai';
import type * as A from '../../src/compiler/ast.js';
import { format, scanComments } from '../../src/compiler/format.js';
import { parse } from '../../src/compiler/parse.js';
import { printAst } from '../../src/compiler/print-ast.js';
import { examples } from '../helpers/examples.js';
import { mutate, rng } from '../helpers/mutate.js';
import { referenceParse } from '../helpers/ohm-reference.js';
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

describe('parse: agreement with the reference grammar (grammar/seq.ohm run by ohm)', () => {
  it('parse: every example gives the same tree as ohm, spans included', () => {
    for (const ex of examples()) {
      const ref = referenceParse(ex.text);
      if (!ref.ok) throw new Error(`ohm rejects ${ex.name}`);
      expect(JSON.stringify(parseOk(ex.text)), ex.name).to.equal(JSON.stringify(ref.program));
    }
  });

  it('parse: 1000 mutated examples get the same verdict and, when accepted, the same tree as ohm', () => {
    const exs = examples();
    const r = rng(424242);
    const failures: string[] = [];
    let rejected = 0;
    for (let i = 0; i < 1000 && failures.length < 5; i++) {
      let m = mutate(exs[i % exs.length]!.text, r);
      if (r() < 0.3) m = mutate(m.text, r);
      const mine = parse(m.text);
      const ref = referenceParse(m.text);
      if (mine.ok !== ref.ok) failures.push(`#${i} ${m.what}: ours ${mine.ok ? 'accepts' : `rejects (${mine.diagnostics[0]!.message})`}, ohm ${ref.ok ? 'accepts' : 'rejects'}`);
      else if (mine.ok && ref.ok && JSON.stringify(mine.program) !== JSON.stringify(ref.program)) failures.push(`#${i} ${m.what}: trees differ`);
      if (!ref.ok) rejected++;
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(rejected, 'the mutations must mostly break the files').to.be.greaterThan(500);
  });
});

describe('parse: source text', () => {
  it('parse: a byte-order mark at the start is accepted and kept by fmt; elsewhere it is named', () => {
    const text = '\uFEFFmodel m {\n  observe x[t] : real[1]\n  emission x[t] ~ Normal(0, 1)\n}\n';
    expect(format(parseOk(text), text)).to.equal(text);
    const r = parse(text.replace('Normal(0,', 'Normal(0,\uFEFF'));
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.diagnostics.map((d) => [d.code, d.message])).to.deep.equal([['E0003', 'invisible character U+FEFF ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)']]);
  });

  it('parse: invisible characters are named and located; in comments they are text', () => {
    const base = 'model m() {\n  observe x[t] : real[1]  # a\u00A0comment\n  emission x[t] ~ Normal(0, 1)\n}\n';
    expect(parse(base).ok).to.equal(true);
    for (const [ch, name] of [['\u200B', 'U+200B ZERO WIDTH SPACE'], ['\u00A0', 'U+00A0 NO-BREAK SPACE'], ['\u202E', 'U+202E RIGHT-TO-LEFT OVERRIDE'], ['\u0007', 'U+0007 BELL']]) {
      const text = base.replace('Normal(0, 1)', `Normal(0,${ch}1)`);
      const r = parse(text);
      if (r.ok) throw new Error(`${name} accepted`);
      expect(r.diagnostics[0]!.message).to.equal(`invisible character ${name}`);
      expect(r.diagnostics[0]!.span.start).to.equal(text.lastIndexOf(ch));
    }
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
