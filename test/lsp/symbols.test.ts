/**
 * @file The editor's symbol index and analysis on their own: scoping of function parameters,
 * no recursion on nesting depth, overrides that do not fit a model, completion contexts.
 */
import { expect } from 'chai';
import type * as A from '../../src/compiler/ast.js';
import { parse } from '../../src/compiler/parse.js';
import { analyze, constantValue } from '../../src/lsp/analysis.js';
import { completionsAt } from '../../src/lsp/completion.js';
import { SymbolIndex } from '../../src/lsp/symbols.js';

const model = `model m(n = 3, a = 0.5) {
  observe x[t] : real[n]
  state   h[t] : real[2 * n] = zeros
  net f = linear(2 * n -> n)
  fn gate(a, v) = sigmoid(a) * v
  let e = gate(x[t-1], f(h[t-1]))
  emission   x[t] ~ Normal(e, a)
  transition h[t] = tanh(concat(h[t-1][:n], x[t]))
}
`;

function program(text: string): A.Program {
  const p = parse(text);
  if (!p.ok) throw new Error(`does not parse: ${p.diagnostics[0]!.message}`);
  return p.program;
}

describe('lsp: symbol index', () => {
  const index = new SymbolIndex(program(model));
  const at = (needle: string, k = 0): number => {
    let i = -1;
    for (let j = 0; j <= k; j++) i = model.indexOf(needle, i + 1);
    return i;
  };

  it('index: a function parameter hides the hyperparameter of the same name inside the body only', () => {
    const inBody = index.at(at('sigmoid(a)') + 8)!;
    expect(inBody.symbol?.kind).to.equal('param');
    const inEmission = index.at(at('Normal(e, a)') + 10)!;
    expect(inEmission.symbol?.kind).to.equal('hyper');
    const hyper = index.lookup('a')!;
    expect(index.references(hyper, false).map((o) => o.span.start)).to.deep.equal([at('Normal(e, a)') + 10]);
  });

  it('index: names used before their declaration resolve; builtins and families stay unresolved', () => {
    expect(index.at(at('gate(x[t-1]'))!.symbol?.kind).to.equal('fn');
    expect(index.at(at('tanh'))!).to.include({ at: 'callee', symbol: null });
    expect(index.at(at('Normal'))!).to.include({ at: 'family', symbol: null });
    expect(index.at(at('linear'))!).to.include({ at: 'netKind', symbol: null });
  });

  it('index: every h occurrence is found, declaration first', () => {
    const h = index.lookup('h')!;
    expect(index.references(h, true).map((o) => [o.role, o.span.start])).to.deep.equal([
      ['decl', at('h[t] :')], ['ref', at('h[t-1]')], ['ref', at('h[t] = tanh')], ['ref', at('h[t-1][:n]')],
    ]);
  });

  it('index: a 200 000-deep expression is walked without overflowing the stack', () => {
    const span = { start: 0, end: 1 };
    let e: A.Expr = { kind: 'name', name: 'n', span };
    for (let i = 0; i < 200_000; i++) e = { kind: 'binary', op: '+', left: e, right: { kind: 'num', value: 1, text: '1', span }, span };
    const p = program(model);
    const deep: A.Program = { ...p, model: { ...p.model, items: [...p.model.items, { kind: 'let', name: { kind: 'ident', name: 'deep', span }, value: e, span }] } };
    const ix = new SymbolIndex(deep);
    expect(ix.references(ix.lookup('n')!, false).length).to.be.greaterThan(1);
    const hyper = new Map([['n', { value: 3, declared: 3, overridden: false }]]);
    expect(constantValue(e, hyper)).to.equal(200_003);
  });
});

describe('lsp: analysis', () => {
  it('analysis: an override for another model\'s hyperparameter is ignored; a bad value is a notice, not a crash', () => {
    const ok = analyze('m.seq', model, [{ name: 'n', value: '5' }, { name: 'h_dim', value: '9' }]);
    expect(ok.notices).to.deep.equal([]);
    expect(ok.hyper.get('n')).to.deep.equal({ value: 5, declared: 3, overridden: true });
    expect(ok.result.model?.vars.get('h')?.width).to.equal(10);
    const bad = analyze('m.seq', model, [{ name: 'n', value: '2.5' }]);
    expect(bad.notices).to.have.length(1);
    expect(bad.notices[0]).to.contain('n is an integer hyperparameter');
    expect(bad.hyper.get('n')).to.deep.equal({ value: 3, declared: 3, overridden: false });
    expect(bad.result.model?.vars.get('h')?.width).to.equal(6);
  });

  it('analysis: widths come from the declarations when the model has errors', () => {
    const broken = model.replace('Normal(e, a)', 'Normal(e, nope)');
    const a = analyze('m.seq', broken, [{ name: 'n', value: '4' }]);
    expect(a.result.model).to.equal(null);
    const h = a.index!.lookup('h')!;
    if (h.kind !== 'var') throw new Error('h is a variable');
    expect(constantValue(h.decl.dim, a.hyper)).to.equal(8);
  });

  it('completion: contexts are judged from the text before the cursor', () => {
    const a = analyze('m.seq', model, []);
    const labels = (text: string): string[] => completionsAt({ ...a, text }, text.length, a.index).map((c) => c.label);
    expect(labels('model m(n = 3) {\n  state h[t] : ')).to.deep.equal(['real', 'binary', 'cat']);
    expect(labels('model m(n = 3) {\n  state h[t] : real[n] = ')).to.deep.equal(['zeros', 'learned']);
    expect(labels('model m(n = 3) {\n  net g = mlp(n -> n, act = ')).to.deep.equal(['relu', 'tanh', 'sigmoid', 'softplus', 'none']);
    expect(labels('model m(n = 3) {\n  # a comment ~ ')).to.deep.equal([]);
    expect(labels('model m(n = 3) {\n  pri')).to.include.members(['prior', 'emission', 'guide', 'x', 'h']);
  });
});
