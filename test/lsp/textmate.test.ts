/**
 * @file The TextMate grammar (editors/textmate/seq.tmLanguage.json) on every example, tokenized
 * by vscode-textmate with the Oniguruma engine editors use. What each token must be comes from
 * the parser's AST, not from the grammar: keywords, declared names, references, numbers,
 * comments, distributions, net kinds and builtins.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import type * as A from '../../src/compiler/ast.js';
import { scanComments } from '../../src/compiler/format.js';
import { parse } from '../../src/compiler/parse.js';
import { examples, repoRoot } from '../helpers/examples.js';

const require = createRequire(import.meta.url);
const builtinNames = ['exp', 'log', 'tanh', 'sigmoid', 'relu', 'softplus', 'abs', 'sqrt', 'square', 'concat', 'sum'];

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = readFileSync(join(require.resolve('vscode-oniguruma'), '..', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope) => scope === 'source.seq'
      ? vsctm.parseRawGrammar(readFileSync(join(repoRoot, 'editors/textmate/seq.tmLanguage.json'), 'utf8'), 'seq.tmLanguage.json')
      : null,
  });
  const g = await registry.loadGrammar('source.seq');
  if (!g) throw new Error('grammar source.seq did not load');
  return g;
}

/** The scopes of every character of a text, by offset. */
function scopesByOffset(g: vsctm.IGrammar, text: string): string[][] {
  const out: string[][] = new Array(text.length);
  let stack = vsctm.INITIAL;
  let base = 0;
  for (const line of text.split('\n')) {
    const r = g.tokenizeLine(line, stack);
    for (const t of r.tokens) for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) out[base + i] = t.scopes;
    stack = r.ruleStack;
    base += line.length + 1;
  }
  return out;
}

/** Expected scope per span, collected from the AST. */
type Expectation = { span: A.Span; scope: string; what: string };

function expectations(p: A.Program, text: string): Expectation[] {
  const out: Expectation[] = [];
  const kw = (start: number, word: string, scope: string): void => {
    expect(text.slice(start, start + word.length), `keyword at ${start}`).to.equal(word);
    out.push({ span: { start, end: start + word.length }, scope, what: `keyword ${word}` });
  };
  const add = (span: A.Span, scope: string, what: string): void => { out.push({ span, scope, what }); };
  const m = p.model;
  kw(m.span.start, 'model', 'keyword.declaration.model.seq');
  add(m.name.span, 'entity.name.type.model.seq', 'model name');
  for (const h of m.hyperParams) {
    add(h.name.span, 'variable.parameter.hyperparameter.seq', `hyperparameter ${h.name.name}`);
    const at = text.indexOf(h.text.replace(/^-/, ''), h.name.span.end);
    add({ start: at, end: at + h.text.replace(/^-/, '').length }, 'constant.numeric.seq', `value of ${h.name.name}`);
  }
  const ref = (r: A.VarRef): void => {
    add(r.name.span, 'variable.other.seq', `reference ${r.name.name}`);
    const t = text.indexOf('t', r.name.span.end);
    add({ start: t, end: t + 1 }, 'variable.language.time.seq', `time index of ${r.name.name}`);
  };
  const exprs = (e: A.Expr | A.NamedArg): void => {
    switch (e.kind) {
      case 'num': add(e.span, 'constant.numeric.seq', `number ${e.text}`); break;
      case 'name': break;
      case 'varRef': ref(e); break;
      case 'call':
        add(e.callee.span, builtinNames.includes(e.callee.name) ? 'support.function.builtin.seq' : 'entity.name.function.call.seq', `callee ${e.callee.name}`);
        e.args.forEach(exprs);
        break;
      case 'binary': exprs(e.left); exprs(e.right); break;
      case 'neg': exprs(e.operand); break;
      case 'slice': exprs(e.target); if (e.start) exprs(e.start); if (e.end) exprs(e.end); break;
      case 'list': e.items.forEach(exprs); break;
      case 'paren': exprs(e.inner); break;
      case 'named':
        add(e.name.span, 'variable.parameter.option.seq', `option ${e.name.name}`);
        if ((e.name.name === 'act' || e.name.name === 'out_act') && e.value.kind === 'name') add(e.value.span, 'constant.language.activation.seq', `activation ${e.value.name}`);
        else exprs(e.value);
        break;
    }
  };
  const dist = (d: A.Dist): void => {
    add(d.family.span, 'support.class.distribution.seq', `family ${d.family.name}`);
    if (d.method) add(d.method.span, 'support.function.method.seq', `method ${d.method.name}`);
    d.args.forEach(exprs);
  };
  const item = (it: A.Item | A.GuideItem, inGuide: boolean): void => {
    switch (it.kind) {
      case 'var':
        kw(it.span.start, it.role, 'storage.modifier.role.seq');
        add(it.name.span, 'variable.other.definition.seq', `declared variable ${it.name.name}`);
        kw(text.indexOf(it.elem, it.name.span.end), it.elem, 'support.type.element.seq');
        if (it.init) kw(text.indexOf(it.init, it.dim.span.end), it.init, 'constant.language.init.seq');
        exprs(it.dim);
        break;
      case 'net':
        kw(it.span.start, 'net', 'storage.type.net.seq');
        add(it.name.span, 'entity.name.function.net.seq', `net ${it.name.name}`);
        add(it.netKind.span, 'support.function.net-kind.seq', `net kind ${it.netKind.name}`);
        [it.inDim, it.outDim, ...it.options].forEach(exprs);
        break;
      case 'fn':
        kw(it.span.start, 'fn', 'storage.type.function.seq');
        add(it.name.span, 'entity.name.function.seq', `fn ${it.name.name}`);
        for (const q of it.params) add(q.span, 'variable.parameter.function.seq', `parameter ${q.name}`);
        exprs(it.body);
        break;
      case 'let':
        kw(it.span.start, 'let', 'storage.type.let.seq');
        add(it.name.span, 'variable.other.let.seq', `let ${it.name.name}`);
        exprs(it.value);
        break;
      case 'sample':
        if (!inGuide || text.startsWith('guide', it.span.start)) kw(it.span.start, it.section, 'keyword.control.section.seq');
        ref(it.target);
        dist(it.dist);
        break;
      case 'assign':
        if (!inGuide) kw(it.span.start, it.section, 'keyword.control.section.seq');
        ref(it.target);
        exprs(it.value);
        break;
      case 'aux':
        kw(it.span.start, 'aux', 'keyword.control.section.seq');
        if (it.weight) exprs(it.weight);
        ref(it.target);
        dist(it.dist);
        break;
      case 'guideBlock':
        kw(it.span.start, 'guide', 'keyword.control.section.seq');
        for (const g of it.items) item(g, true);
        break;
    }
  };
  for (const it of m.items) item(it, false);
  for (const c of scanComments(text)) add({ start: c.start, end: c.start + c.text.length }, 'comment.line.number-sign.seq', 'comment');
  return out;
}

describe('editors: the TextMate grammar on every example', () => {
  let grammar: vsctm.IGrammar;
  before(async () => { grammar = await loadGrammar(); });

  for (const ex of examples()) {
    it(`textmate: ${ex.name}.seq: keywords, names, numbers, comments and distributions get their scopes`, () => {
      const p = parse(ex.text);
      if (!p.ok) throw new Error(`${ex.path} does not parse`);
      const scopes = scopesByOffset(grammar, ex.text);
      const exp = expectations(p.program, ex.text);
      const kinds = new Set(exp.map((e) => e.scope));
      for (const must of ['keyword.declaration.model.seq', 'storage.modifier.role.seq', 'constant.numeric.seq', 'comment.line.number-sign.seq', 'support.class.distribution.seq']) {
        expect(kinds.has(must), `${ex.name} exercises ${must}`).to.equal(true);
      }
      const wrong: string[] = [];
      for (const e of exp) {
        for (let i = e.span.start; i < e.span.end; i++) {
          const s = scopes[i] ?? [];
          if (!s.includes(e.scope)) {
            const pos = ex.text.slice(0, i).split('\n');
            wrong.push(`${ex.path}:${pos.length}:${pos.at(-1)!.length + 1}: ${e.what} '${ex.text.slice(e.span.start, e.span.end)}' has [${s.slice(1).join(', ')}], expected ${e.scope}`);
            break;
          }
        }
      }
      expect(wrong, wrong.slice(0, 8).join('\n')).to.deep.equal([]);
      // Nothing outside a comment is scoped as one.
      const commentChars = new Set<number>();
      for (const c of scanComments(ex.text)) for (let i = c.start; i < c.end; i++) commentChars.add(i);
      const stray = scopes.findIndex((s, i) => s && s.includes('comment.line.number-sign.seq') && !commentChars.has(i));
      expect(stray, `offset ${stray} is scoped as a comment`).to.equal(-1);
    });
  }
});
