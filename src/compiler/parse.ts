/**
 * @file Parsing: source text → AST with spans. The language is grammar/seq.ohm; this parser
 * implements exactly that grammar (a test runs both on every example and thousands of mutations
 * and requires the same trees and the same accept/reject verdicts).
 *
 * Why not ohm at run time: ohm's packrat interpreter recurses about forty JavaScript frames per
 * nesting level, so some 165 nested parentheses overflow the stack, and no ohm grammar can
 * delimit a bracketed expression without recursion (bracket matching is not regular). Building
 * the grammar and the first, cold match also cost a few hundred milliseconds of every `seqc`
 * start. This parser is recursive descent over the same rules, with every rule that can nest
 * written as a generator driven by the trampoline (src/compiler/trampoline.ts): nesting costs
 * heap, not stack, up to the documented limit (E0701). Statements nest at most two deep
 * (`model { guide { ... } }`), so they are plain methods.
 */
import type * as A from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { invisibleCharacter } from './errors.js';
import { lex, type Token } from './lex.js';
import { ExprParser, isIdent, ParseFailure } from './parse-expr.js';
import { bracketsBalance, describeFailure, openBrackets } from './syntax-errors.js';
import { run } from './trampoline.js';
import { InternalError } from './diagnostics.js';

/** Result of parsing: a program, or the syntax errors found. */
export type ParseResult = { ok: true; program: A.Program } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Parses a model file. On a syntax error it reports the error and tries to find
 * further independent ones by blanking the offending line and parsing again
 * (only while that line's brackets balance, so one error cannot cascade).
 */
export function parse(text: string): ParseResult {
  const lexed = lex(text);
  const invisible = lexed.invisible.map((c) => invisibleCharacter(c.span, c.name));
  const first = parseTokens(lexed.tokens, text);
  if (!(first instanceof ParseFailure)) return invisible.length ? { ok: false, diagnostics: invisible } : { ok: true, program: first };
  const diagnostics: Diagnostic[] = [...invisible, describeFailure(text, first)];
  if (first.tooDeep) return { ok: false, diagnostics };
  let current = text;
  let m = first;
  for (let round = 0; round < 4; round++) {
    const pos = m.pos;
    if (openBrackets(current, pos).length) break;
    const lineStart = current.lastIndexOf('\n', pos - 1) + 1;
    let lineEnd = current.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = current.length;
    const line = current.slice(lineStart, lineEnd);
    if (!bracketsBalance(line) || lineStart === lineEnd) break;
    current = current.slice(0, lineStart) + ' '.repeat(line.length) + current.slice(lineEnd);
    const again = parseTokens(lex(current).tokens, current);
    if (!(again instanceof ParseFailure)) break;
    m = again;
    if (m.pos <= lineEnd) break;
    diagnostics.push(describeFailure(current, m));
  }
  return { ok: false, diagnostics };
}

function parseTokens(tokens: readonly Token[], text: string): A.Program | ParseFailure {
  try {
    return new StatementParser(tokens, text.length).program();
  } catch (e) {
    if (e instanceof ParseFailure) return e;
    throw e;
  }
}

const roles = ['observe', 'latent', 'state', 'input'] as const;
const itemWords = [...roles, 'net', 'fn', 'let', 'prior', 'emission', 'transition', 'guide', 'aux'] as const;

/** The statement rules of grammar/seq.ohm; expressions come from ExprParser. */
class StatementParser extends ExprParser {
  constructor(tokens: readonly Token[], private readonly textLength: number) {
    super(tokens);
  }

  program(): A.Program {
    const model = this.model();
    if (this.tok.kind !== 'eof') {
      this.expecting('end of input');
      throw this.failure();
    }
    return { kind: 'program', model, span: { start: model.span.start, end: this.textLength } };
  }

  private model(): A.Model {
    const kw = this.need('model');
    const name = this.needIdent();
    const hyperParams = this.accept('(') ? this.hyperParams() : [];
    this.need('{');
    const items = this.items(false) as A.Item[];
    this.need('}');
    return { kind: 'model', name, hyperParams, items, span: { start: kw.start, end: this.lastEnd } };
  }

  /** After `(`: `name = -1.5, ...` with an optional trailing comma, then `)`. */
  private hyperParams(): A.HyperParam[] {
    const out: A.HyperParam[] = [];
    if (this.accept(')')) return out;
    for (;;) {
      const name = this.needIdent();
      this.need('=');
      const minus = this.accept('-');
      const num = this.tok;
      if (num.kind !== 'num') {
        this.expecting('a number');
        throw this.failure();
      }
      this.i++;
      const text = (minus ? '-' : '') + num.text;
      out.push({ kind: 'hyper', name, value: Number(text), isInteger: /^-?\d+$/.test(text), text, span: { start: name.span.start, end: num.end } });
      if (this.accept(')')) return out;
      this.need(',');
      if (this.accept(')')) return out;
    }
  }

  /** `Item*` or `GuideItem*`, up to (not including) the closing `}`. */
  private items(inGuide: boolean): (A.Item | A.GuideItem)[] {
    const out: (A.Item | A.GuideItem)[] = [];
    for (;;) {
      const t = this.tok;
      const word = t.kind === 'word' ? t.text : '';
      if ((roles as readonly string[]).includes(word)) out.push(this.varDecl());
      else if (word === 'let') out.push(this.letDecl());
      else if (inGuide && isIdent(t)) out.push(this.guideStatement());
      else if (!inGuide && (itemWords as readonly string[]).includes(word)) out.push(this.item(word));
      else {
        for (const w of inGuide ? [...roles, 'let'] : itemWords) this.expecting(w, true);
        if (inGuide) this.expecting('a name');
        this.expecting('}', true);
        return out;
      }
    }
  }

  private item(word: string): A.Item {
    const kw = this.tok;
    this.i++;
    const from = (n: { span: A.Span }): A.Span => ({ start: kw.start, end: n.span.end });
    switch (word) {
      case 'net': {
        const name = this.needIdent();
        this.need('=');
        const netKind = this.needIdent();
        this.need('(');
        const inDim = this.expression();
        this.need('->');
        const outDim = this.expression();
        const options: A.NamedArg[] = [];
        if (this.accept(',')) {
          if (!this.accept(')')) {
            for (;;) {
              options.push(run(this.namedArg()));
              if (this.accept(')')) break;
              this.need(',');
            }
          }
        } else this.need(')');
        return { kind: 'net', name, netKind, inDim, outDim, options, span: { start: kw.start, end: this.lastEnd } };
      }
      case 'fn': {
        const name = this.needIdent();
        this.need('(');
        const params: A.Ident[] = [];
        if (!this.accept(')')) {
          for (;;) {
            params.push(this.needIdent());
            if (this.accept(')')) break;
            this.need(',');
          }
        }
        this.need('=');
        const body = this.expression();
        return { kind: 'fn', name, params, body, span: from(body) };
      }
      case 'prior': case 'emission': {
        const target = this.varRef();
        this.need('~');
        const dist = this.dist();
        return { kind: 'sample', section: word, target, dist, span: from(dist) };
      }
      case 'transition': {
        const target = this.varRef();
        this.need('=');
        const value = this.expression();
        return { kind: 'assign', section: 'transition', target, value, span: from(value) };
      }
      case 'aux': {
        let weight: A.Expr | null = null;
        if (this.accept('(')) {
          this.need('weight');
          this.need('=');
          weight = this.expression();
          this.need(')');
        }
        const target = this.varRef();
        this.need('~');
        const dist = this.dist();
        return { kind: 'aux', weight, target, dist, span: from(dist) };
      }
      case 'guide': {
        if (this.accept('{')) {
          const items = this.items(true) as A.GuideItem[];
          this.need('}');
          return { kind: 'guideBlock', items, span: { start: kw.start, end: this.lastEnd } };
        }
        const target = this.varRef();
        this.need('~');
        const dist = this.dist();
        return { kind: 'sample', section: 'guide', target, dist, span: from(dist) };
      }
    }
    throw new InternalError(`parser reached item '${word}'`);
  }

  /** `observe x[t] : real[x_dim]`, `state h[t] : real[h_dim] = zeros`. */
  private varDecl(): A.VarDecl {
    const role = this.tok;
    this.i++;
    const name = this.needIdent();
    this.need('[');
    if (this.tok.kind !== 'word' || this.tok.text !== 't') {
      this.expecting('the time index t');
      throw this.failure();
    }
    this.i++;
    this.need(']');
    this.need(':');
    const elem = this.accept('real') ?? this.accept('binary') ?? this.need('cat');
    this.need('[');
    const dim = this.expression();
    this.need(']');
    let init: A.StateInit | null = null;
    if (this.accept('=')) init = (this.accept('zeros') ?? this.need('learned')).text as A.StateInit;
    return {
      kind: 'var', role: role.text as A.Role, name, elem: elem.text as A.ElemType, dim, init,
      span: { start: role.start, end: this.lastEnd },
    };
  }

  private letDecl(): A.LetDecl {
    const kw = this.need('let');
    const name = this.needIdent();
    this.need('=');
    const value = this.expression();
    return { kind: 'let', name, value, span: { start: kw.start, end: value.span.end } };
  }

  /** Inside `guide { }`: `z[t] ~ D` or `g[t] = e`. */
  private guideStatement(): A.SampleStmt | A.AssignStmt {
    const target = this.varRef();
    if (this.accept('~')) {
      const dist = this.dist();
      return { kind: 'sample', section: 'guide', target, dist, span: { start: target.span.start, end: dist.span.end } };
    }
    this.need('=');
    const value = this.expression();
    return { kind: 'assign', section: 'guide', target, value, span: { start: target.span.start, end: value.span.end } };
  }

  /** `x[t]`, `h[t-1]` as a statement's target. */
  private varRef(): A.VarRef {
    const name = this.needIdent();
    const ref = this.timeRef(name);
    if (!ref) throw this.failure();
    return ref;
  }

  /** `Normal(loc, scale)`, `Normal.head(v, n, k = 3)`. */
  private dist(): A.Dist {
    const family = this.needIdent();
    const method = this.accept('.') ? this.needIdent() : null;
    this.need('(');
    const args = run(this.listOf(() => this.arg(), ')'));
    return { kind: 'dist', family, method, args, span: { start: family.span.start, end: this.lastEnd } };
  }

  private expression(): A.Expr {
    return run(this.expr());
  }
}
