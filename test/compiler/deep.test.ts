/**
 * @file Deep and long programs (issue 10): nesting in every construct up to the documented
 * limit, 100 000-term sums and products and 10 000-let chains must check, format and lower to
 * the value the generator computed; one level past the limit, and models that lets or functions
 * blow up, must give their E-codes; nothing may throw, and nothing may take quadratic time.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CheckedModel } from '../../src/compiler/checked.js';
import { renderDiagnostic } from '../../src/compiler/diagnostics.js';
import { format } from '../../src/compiler/format.js';
import { checkSource, type FrontendResult } from '../../src/compiler/frontend.js';
import { GraphBuilder } from '../../src/compiler/ir/builder.js';
import { evaluate } from '../../src/compiler/ir/eval.js';
import { tensor } from '../../src/compiler/ir/tensor.js';
import { LIMITS } from '../../src/compiler/limits.js';
import { lowerExpr } from '../../src/compiler/lower/exprs.js';
import { parse } from '../../src/compiler/parse.js';
import { printAst } from '../../src/compiler/print-ast.js';
import { deepProgram, H, PHI_BIAS, PHI_WEIGHT, X, type DeepProgram, type DeepSpec, type Wrapper } from '../helpers/deep-programs.js';
import { rng } from '../helpers/mutate.js';

/** Seconds any one program may take to check, format and lower: linear work is well under it, quadratic far over. */
const BUDGET_S = 60;

/** The transition's value, lowered to IR and run by the reference interpreter. */
function lowerAndRun(m: CheckedModel): number {
  const b = new GraphBuilder();
  const ins: Record<string, ReturnType<typeof tensor>> = {
    x: tensor([1, 1], [X]), h: tensor([1, 1], [H]), 'phi.weight': tensor([1, 1], [PHI_WEIGHT]), 'phi.bias': tensor([1], [PHI_BIAS]),
  };
  const x = b.input('x', 'float64', ['B', 1]);
  const h = b.input('h', 'float64', ['B', 1]);
  const w = b.input('phi.weight', 'float64', [1, 1]);
  const bias = b.input('phi.bias', 'float64', [1]);
  const y = lowerExpr({
    b, prefix: ['B'], dtype: 'float64', nets: m.nets,
    read: (name, offset) => {
      if (name === 'x' && offset === 0) return x;
      if (name === 'h' && offset === -1) return h;
      throw new Error(`unexpected read ${name}[t${offset}]`);
    },
    param: (name) => (name === 'phi.weight' ? w : name === 'phi.bias' ? bias : (() => { throw new Error(`unexpected parameter ${name}`); })()),
  }, m.transitions[0]!.value);
  b.output('y', y);
  const out = evaluate(b.build(), ins)['y']!;
  expect(out.shape.reduce((a, c) => a * c, 1), 'the transition is one number per sequence').to.equal(1);
  return out.data[0]!;
}

function errorsOf(r: FrontendResult): string[] {
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(r.source, d).slice(0, 400));
}

/** Checks, formats and lowers one program; asserts the value, the round trip and the time. */
function expectHandled(p: DeepProgram): void {
  const t0 = performance.now();
  const r = checkSource('deep.seq', p.text);
  expect(errorsOf(r), p.what).to.deep.equal([]);
  const got = lowerAndRun(r.model!);
  expect(got, `${p.what}: value`).to.be.closeTo(p.value, 1e-12 * Math.max(1, Math.abs(p.value)));
  const parsed = parse(p.text);
  if (!parsed.ok) throw new Error('parse failed after check succeeded');
  const formatted = format(parsed.program, p.text);
  const again = parse(formatted);
  if (!again.ok) throw new Error(`${p.what}: the formatted program does not parse: ${again.diagnostics[0]!.message}`);
  expect(printAst(again.program) === printAst(parsed.program), `${p.what}: fmt keeps the tree`).to.equal(true);
  expect(format(again.program, formatted) === formatted, `${p.what}: fmt is idempotent`).to.equal(true);
  const s = (performance.now() - t0) / 1000;
  expect(s, `${p.what}: seconds`).to.be.below(BUDGET_S);
}

/** The codes a program is rejected with; it must be rejected, located and rendered without throwing. */
function codesOf(text: string): string[] {
  const r = checkSource('deep.seq', text);
  for (const d of r.diagnostics) expect(renderDiagnostic(r.source, d)).to.match(/^deep\.seq:\d+:\d+: error\[E\d{4}\]/);
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}

const N: number = LIMITS.nesting;
const only = (w: Wrapper, wraps = N): DeepSpec => ({ wraps, terms: 0, lets: 0, wrappers: [w] });

describe('deep: programs at the documented limits', function () {
  this.timeout(30 * BUDGET_S * 1000);
  const r = rng(20261202);
  const fixed: [string, DeepSpec][] = [
    [`${N} nested parentheses`, only('paren')],
    [`${N} nested net calls`, only('phi')],
    [`${N} nested user-function calls`, only('f')],
    [`${N} nested builtin calls`, only('tanh')],
    [`${N} nested concat calls`, only('concat')],
    [`${N} unary minus signs`, only('neg')],
    [`${N} chained slices`, only('slice')],
    ['a sum of 100 000 terms', { wraps: 0, terms: 100_000, lets: 0 }],
    ['10 000 lets, each wrapping and extending the last', { wraps: 5000, terms: 10_000, lets: 10_000 }],
    ['every construct mixed, 5000 levels and 50 000 terms', { wraps: 5000, terms: 50_000, lets: 0 }],
  ];
  for (const [what, spec] of fixed) {
    it(`deep: ${what} check, format and lower to the generator's value`, () => expectHandled(deepProgram(spec, r, what)));
  }

  it('deep: a product of 100 000 factors keeps its value', () => {
    let p: DeepProgram;
    do p = deepProgram({ wraps: 0, terms: 100_000, lets: 0 }, r, 'a product of 100 000 factors');
    while (!p.text.includes(' * '));
    expectHandled(p);
  });

  it('deep: 8 random mixtures of nesting, chains and lets', () => {
    for (let i = 0; i < 8; i++) {
      const spec = { wraps: Math.floor(r() * N * 0.6), terms: Math.floor(r() * 30_000), lets: Math.floor(r() * 3000) };
      expectHandled(deepProgram(spec, r, `random #${i} ${JSON.stringify(spec)}`));
    }
  });

  it('deep: a size nested 10 000 parentheses deep is evaluated', () => {
    const p = deepProgram({ wraps: 1, terms: 0, lets: 0 }, r, 'nested size');
    const text = p.text.replace('observe x[t] : real[n]', `observe x[t] : real[${'('.repeat(N)}n${')'.repeat(N)}]`);
    expect(errorsOf(checkSource('deep.seq', text))).to.deep.equal([]);
  });
});

describe('deep: past the limits', function () {
  this.timeout(120_000);
  const r = rng(7);
  for (const w of ['paren', 'phi', 'f', 'tanh', 'neg', 'slice'] as const) {
    it(`deep: ${N + 1} levels of ${w} give E0701 at the level past the limit`, () => {
      const p = deepProgram(only(w, N + 1), r, w);
      expect(p.nesting).to.be.greaterThan(N);
      expect(codesOf(p.text)).to.deep.equal(['E0701']);
    });
  }

  it('deep: lets that double at every level give E0702, not a hang', () => {
    const lets = Array.from({ length: 60 }, (_, i) => `  let a${i + 1} = a${i} + a${i}`).join('\n');
    const text = deepProgram({ wraps: 0, terms: 0, lets: 0 }, r, '').text
      .replace('  fn f', `  let a0 = x[t]\n${lets}\n  fn f`).replace(/transition h\[t\] = .*/, 'transition h[t] = a60');
    expect(codesOf(text)).to.deep.equal(['E0702']);
  });

  it('deep: functions that call the last one twice give E0702, not exponential work', () => {
    const fns = Array.from({ length: 60 }, (_, i) => `  fn g${i + 1}(a) = g${i}(g${i}(a))`).join('\n');
    const text = deepProgram({ wraps: 0, terms: 0, lets: 0 }, r, '').text
      .replace('  fn f', `  fn g0(a) = a\n${fns}\n  fn f`).replace(/transition h\[t\] = .*/, 'transition h[t] = g60(h[t-1])');
    expect(codesOf(text)).to.deep.equal(['E0702']);
  });
});

describe('deep: the CLI on deep and long files', function () {
  this.timeout(10 * BUDGET_S * 1000);
  const dir = mkdtempSync(join(tmpdir(), 'seqc-deep-'));
  const r = rng(11);
  const run = async (...args: string[]): Promise<{ code: number; err: string }> => {
    let err = '';
    const code = await main(args, { out: () => {}, err: (t) => { err += t; } });
    return { code, err };
  };

  for (const [what, spec] of [[`${N} levels`, { wraps: N, terms: 0, lets: 0, wrappers: ['paren', 'phi', 'f', 'neg'] }], ['100 000 terms', { wraps: 0, terms: 100_000, lets: 0 }]] as const) {
    it(`deep: seqc check and seqc fmt handle ${what}`, async () => {
      const f = join(dir, `${what.replace(/\W+/g, '_')}.seq`);
      const p = deepProgram(spec as DeepSpec, r, what);
      writeFileSync(f, p.text);
      const c = await run('check', f);
      expect(c.err.includes('error['), c.err.slice(0, 300)).to.equal(false);
      expect(c.code).to.equal(0);
      const fm = await run('fmt', f);
      expect(fm.code, fm.err.slice(0, 300)).to.equal(0);
      expect(parse(readFileSync(f, 'utf8')).ok).to.equal(true);
    });
  }

  it('deep: seqc compile handles 1000 levels and 1000 terms', async () => {
    const f = join(dir, 'compile.seq');
    writeFileSync(f, deepProgram({ wraps: 1000, terms: 1000, lets: 100 }, r, 'compile').text);
    const c = await run('compile', f, '-o', join(dir, 'out'));
    expect(c.err.includes('internal error'), c.err.slice(0, 500)).to.equal(false);
    expect(c.code).to.equal(0);
  });

  // The whole pipeline at the limits: hoisting (Phase.collect/free) once recursed per level and
  // re-read every subtree (quadratic, and a stack overflow at 10 000 levels). About 5 s and 40 s here.
  it(`deep: seqc compile handles ${N} levels and 100 000 terms`, async () => {
    for (const spec of [{ wraps: N, terms: 0, lets: 0 }, { wraps: 0, terms: 100_000, lets: 0 }]) {
      const f = join(dir, 'compile-full.seq');
      writeFileSync(f, deepProgram(spec, r, 'compile').text);
      const c = await run('compile', f, '-o', join(dir, 'out-full'));
      expect(c.code, c.err.slice(0, 500)).to.equal(0);
    }
  });
});
