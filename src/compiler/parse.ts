/** @file Parsing: source text → AST with spans (ohm-js); grammar actions only build nodes. */
import { readFileSync } from 'node:fs';
import * as ohm from 'ohm-js';
import type * as A from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { syntaxError, unclosedBracket } from './errors.js';

const grammarPath = new URL('../../grammar/seq.ohm', import.meta.url);
let cachedGrammar: ohm.Grammar | null = null;
let cachedSemantics: ohm.Semantics | null = null;

/** The compiled grammar (loaded once from grammar/seq.ohm). */
export function seqGrammar(): ohm.Grammar {
  if (!cachedGrammar) cachedGrammar = ohm.grammar(readFileSync(grammarPath, 'utf8'));
  return cachedGrammar;
}

/** Result of parsing: a program, or the syntax errors found. */
export type ParseResult = { ok: true; program: A.Program } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Parses a model file. On a syntax error it reports the error and tries to find
 * further independent ones by blanking the offending line and parsing again
 * (only while that line's brackets balance, so one error cannot cascade).
 */
export function parse(text: string): ParseResult {
  const g = seqGrammar();
  const first = g.match(text);
  if (first.succeeded()) return { ok: true, program: semantics()(first)['ast']() as A.Program };
  const diagnostics: Diagnostic[] = [describeFailure(text, first as ohm.FailedMatchResult)];
  let current = text;
  let m = first as ohm.FailedMatchResult;
  for (let round = 0; round < 4; round++) {
    const pos = m.getRightmostFailurePosition();
    if (openBrackets(current, pos).length) break;
    const lineStart = current.lastIndexOf('\n', pos - 1) + 1;
    let lineEnd = current.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = current.length;
    const line = current.slice(lineStart, lineEnd);
    if (!bracketsBalance(line) || lineStart === lineEnd) break;
    current = current.slice(0, lineStart) + ' '.repeat(line.length) + current.slice(lineEnd);
    const again = g.match(current);
    if (again.succeeded()) break;
    m = again as ohm.FailedMatchResult;
    const next = m.getRightmostFailurePosition();
    if (next <= lineEnd) break;
    diagnostics.push(describeFailure(current, m));
  }
  return { ok: false, diagnostics };
}

function bracketsBalance(line: string): boolean {
  const code = line.replace(/#.*$/, '');
  let depth = 0;
  for (const ch of code) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}

interface OhmFailure {
  isFluffy(): boolean;
  toString(): string;
}

/** Turns ohm's rightmost failure into a diagnostic with a span over the offending token. */
function describeFailure(text: string, m: ohm.FailedMatchResult): Diagnostic {
  const pos = m.getRightmostFailurePosition();
  const failures = ((m as unknown as { getRightmostFailures(): OhmFailure[] }).getRightmostFailures())
    .filter((f) => !f.isFluffy())
    .map((f) => f.toString());
  const expected = summarizeExpected([...new Set(failures)]);
  const tok = tokenAt(text, pos);
  const span = { start: pos, end: Math.min(text.length, pos + Math.max(1, tok.length)) };
  const open = openBrackets(text, pos).at(-1);
  if (open !== undefined && text.slice(open, pos).includes('\n')) {
    const close = text[open] === '(' ? ')' : ']';
    if (expected.includes(`'${close}'`)) return unclosedBracket(span, { start: open, end: open + 1 }, text[open]!, tok);
  }
  return syntaxError(span, expected, tok);
}

/** Offsets of the ( and [ still open at `pos` (comments skipped). */
function openBrackets(text: string, pos: number): number[] {
  const stack: number[] = [];
  for (let i = 0; i < pos; i++) {
    const ch = text[i]!;
    if (ch === '#') {
      while (i < pos && text[i] !== '\n') i++;
    } else if (ch === '(' || ch === '[') stack.push(i);
    else if (ch === ')' || ch === ']') stack.pop();
    else if (ch === '{' || ch === '}') stack.length = 0;
  }
  return stack;
}

const statementWords = ['observe', 'latent', 'state', 'input', 'net', 'fn', 'let', 'prior', 'emission', 'transition', 'guide', 'aux'];

/** Condenses ohm's list of expected tokens into a readable phrase. */
export function summarizeExpected(items: string[]): string {
  const quoted = new Set(items.filter((s) => s.startsWith('"')).map((s) => JSON.parse(s) as string));
  const rest = items.filter((s) => !s.startsWith('"'));
  const parts: string[] = [];
  const stmt = statementWords.filter((w) => quoted.has(w));
  if (stmt.length >= 4) {
    parts.push('a declaration or statement (observe, latent, state, input, net, fn, let, prior, emission, transition, guide, aux)');
    for (const w of stmt) quoted.delete(w);
  }
  const ops = ['+', '-', '*', '/'].filter((o) => quoted.has(o));
  if (ops.length === 4) {
    parts.push('an operator');
    for (const o of ops) quoted.delete(o);
  }
  for (const q of quoted) parts.push(`'${q}'`);
  for (const r of rest) if (!r.startsWith('not ')) parts.push(r);
  if (parts.length === 0) return 'something else';
  if (parts.length === 1) return parts[0]!;
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** The token (word, number or single character) starting at pos, or '' at end of input. */
function tokenAt(text: string, pos: number): string {
  if (pos >= text.length) return '';
  const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|->|\S)/.exec(text.slice(pos));
  return m ? m[0] : text[pos]!;
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
