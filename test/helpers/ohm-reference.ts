/**
 * @file The reference parser: grammar/seq.ohm run by ohm-js, with thin semantics that build the
 * AST. The production parser (src/compiler/parse.ts) must agree with it; ohm recurses per nesting
 * level, so this is only for test-sized inputs.
 */
import { readFileSync } from 'node:fs';
import * as ohm from 'ohm-js';
import type * as A from '../../src/compiler/ast.js';

const grammarPath = new URL('../../grammar/seq.ohm', import.meta.url);
let cachedGrammar: ohm.Grammar | null = null;
let cachedSemantics: ohm.Semantics | null = null;

/** The grammar of the language, built by ohm from grammar/seq.ohm. */
export function seqGrammar(): ohm.Grammar {
  if (!cachedGrammar) cachedGrammar = ohm.grammar(readFileSync(grammarPath, 'utf8'));
  return cachedGrammar;
}

/** Parses with ohm: the program, or the rightmost failure position and what ohm expected there. */
export function referenceParse(text: string): { ok: true; program: A.Program } | { ok: false; pos: number; expected: string[] } {
  const m = seqGrammar().match(text);
  if (m.succeeded()) return { ok: true, program: semantics()(m)['ast']() as A.Program };
  const f = m as ohm.FailedMatchResult;
  const failures = ((f as unknown as { getRightmostFailures(): { isFluffy(): boolean; toString(): string }[] }).getRightmostFailures())
    .filter((x) => !x.isFluffy()).map((x) => x.toString());
  return { ok: false, pos: f.getRightmostFailurePosition(), expected: [...new Set(failures)] };
}

type N = ohm.Node;
const span = (n: N): A.Span => ({ start: n.source.startIdx, end: n.source.endIdx });
const ident = (n: N): A.Ident => ({ kind: 'ident', name: n.sourceString, span: span(n) });
const ast = (n: N): unknown => n['ast']();
const list = <T>(n: N): T[] => n.asIteration().children.map((c: N) => ast(c) as T);
const opt = <T>(n: N): T | null => (n.children.length ? (ast(n.children[0]!) as T) : null);

function semantics(): ohm.Semantics {
  if (cachedSemantics) return cachedSemantics;
  const s = seqGrammar().createSemantics();
  s.addOperation('ast', {
    Program(model, _end) {
      return { kind: 'program', model: ast(model), span: span(this) };
    },
    Model(_kw, name, params, _lb, items, _rb) {
      const hp = params.children.length ? (ast(params.children[0]!) as A.HyperParam[]) : [];
      return { kind: 'model', name: ident(name), hyperParams: hp, items: items.children.map(ast), span: span(this) };
    },
    HyperParams_some(_lp, ps, _comma, _rp) {
      return list(ps);
    },
    HyperParams_none(_lp, _rp) {
      return [];
    },
    HyperParam(name, _eq, value) {
      const text = value.sourceString.replace(/\s+/g, '');
      const v = Number(text);
      return { kind: 'hyper', name: ident(name), value: v, isInteger: /^-?\d+$/.test(text), text, span: span(this) };
    },
    VarDecl(role, name, _lb, _t, _rb, _colon, elem, _lb2, dim, _rb2, init) {
      return {
        kind: 'var', role: role.sourceString, name: ident(name), elem: elem.sourceString,
        dim: ast(dim), init: opt(init), span: span(this),
      };
    },
    StateInit(_eq, kind) {
      return kind.sourceString;
    },
    NetDecl(_kw, name, _eq, kind, _lp, inDim, _arrow, outDim, options, _rp) {
      return {
        kind: 'net', name: ident(name), netKind: ident(kind), inDim: ast(inDim), outDim: ast(outDim),
        options: options.children.length ? ast(options.children[0]!) : [], span: span(this),
      };
    },
    NetOptions(_comma, args) {
      return list(args);
    },
    FnDecl(_kw, name, _lp, params, _rp, _eq, body) {
      return { kind: 'fn', name: ident(name), params: params.asIteration().children.map(ident), body: ast(body), span: span(this) };
    },
    LetDecl(_kw, name, _eq, value) {
      return { kind: 'let', name: ident(name), value: ast(value), span: span(this) };
    },
    PriorStmt(_kw, target, _tilde, dist) {
      return { kind: 'sample', section: 'prior', target: ast(target), dist: ast(dist), span: span(this) };
    },
    EmissionStmt(_kw, target, _tilde, dist) {
      return { kind: 'sample', section: 'emission', target: ast(target), dist: ast(dist), span: span(this) };
    },
    TransitionStmt(_kw, target, _eq, value) {
      return { kind: 'assign', section: 'transition', target: ast(target), value: ast(value), span: span(this) };
    },
    AuxStmt(_kw, weight, target, _tilde, dist) {
      return { kind: 'aux', weight: opt(weight), target: ast(target), dist: ast(dist), span: span(this) };
    },
    AuxWeight(_lp, _kw, _eq, value, _rp) {
      return ast(value);
    },
    GuideStmt_block(_kw, _lb, items, _rb) {
      return { kind: 'guideBlock', items: items.children.map(ast), span: span(this) };
    },
    GuideStmt_single(_kw, target, _tilde, dist) {
      return { kind: 'sample', section: 'guide', target: ast(target), dist: ast(dist), span: span(this) };
    },
    GuideItem_sample(target, _tilde, dist) {
      return { kind: 'sample', section: 'guide', target: ast(target), dist: ast(dist), span: span(this) };
    },
    GuideItem_assign(target, _eq, value) {
      return { kind: 'assign', section: 'guide', target: ast(target), value: ast(value), span: span(this) };
    },
    VarRef(name, _lb, index, _rb) {
      return { kind: 'varRef', name: ident(name), offset: ast(index), span: span(this) };
    },
    TimeIndex_minus(_t, _minus, n) {
      return -Number(n.sourceString);
    },
    TimeIndex_plus(_t, _plus, n) {
      return Number(n.sourceString);
    },
    TimeIndex_now(_t) {
      return 0;
    },
    Dist(family, method, _lp, args, _rp) {
      return { kind: 'dist', family: ident(family), method: opt(method), args: list(args), span: span(this) };
    },
    DistMethod(_dot, name) {
      return ident(name);
    },
    NamedArg(name, _eq, value) {
      return { kind: 'named', name: ident(name), value: ast(value), span: span(this) };
    },
    AddExpr_add(l, _op, r) {
      return { kind: 'binary', op: '+', left: ast(l), right: ast(r), span: span(this) };
    },
    AddExpr_sub(l, _op, r) {
      return { kind: 'binary', op: '-', left: ast(l), right: ast(r), span: span(this) };
    },
    MulExpr_mul(l, _op, r) {
      return { kind: 'binary', op: '*', left: ast(l), right: ast(r), span: span(this) };
    },
    MulExpr_div(l, _op, r) {
      return { kind: 'binary', op: '/', left: ast(l), right: ast(r), span: span(this) };
    },
    UnaryExpr_neg(_op, e) {
      return { kind: 'neg', operand: ast(e), span: span(this) };
    },
    PostfixExpr_slice(target, _lb, start, _colon, end, _rb) {
      return { kind: 'slice', target: ast(target), start: opt(start), end: opt(end), span: span(this) };
    },
    PrimaryExpr_paren(_lp, e, _rp) {
      return { kind: 'paren', inner: ast(e), span: span(this) };
    },
    PrimaryExpr_list(_lb, items, _rb) {
      return { kind: 'list', items: list(items), span: span(this) };
    },
    PrimaryExpr_call(callee, _lp, args, _rp) {
      return { kind: 'call', callee: ident(callee), args: list(args), span: span(this) };
    },
    PrimaryExpr_num(n) {
      return { kind: 'num', value: Number(n.sourceString), text: n.sourceString, span: span(this) };
    },
    PrimaryExpr_name(n) {
      return { kind: 'name', name: n.sourceString, span: span(this) };
    },
  });
  cachedSemantics = s;
  return s;
}
