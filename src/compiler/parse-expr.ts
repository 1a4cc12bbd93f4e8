/**
 * @file The token cursor and the expression half of the parser. Expressions are parsed by
 * recursive descent over grammar/seq.ohm's rules, written as generators and driven by the
 * trampoline, so nesting depth (parentheses, calls, slices, lists, unary minus) costs heap, not
 * call stack; sums, products and runs of unary minus are loops, so a long flat sum is not deep
 * either. The cursor records, like ohm, what it expected at the rightmost position it could not
 * get past; that set becomes the "expected ..." of a syntax error.
 */
import type * as A from './ast.js';
import type { Token } from './lex.js';
import { LIMITS } from './limits.js';
import type { Rec } from './trampoline.js';

/** Reserved words: never identifiers (`t`, the time index, is reserved too). */
export const keywords: ReadonlySet<string> = new Set([
  'model', 'observe', 'latent', 'state', 'input', 'net', 'fn', 'let', 'prior', 'emission', 'transition', 'guide', 'aux',
]);

/** Why parsing stopped: the rightmost position reached and what would have been accepted there. */
export class ParseFailure {
  constructor(readonly pos: number, readonly found: string, readonly expected: readonly string[], readonly tooDeep: A.Span | null = null) {}
}

const NAME = 'a name';
const span = (a: { start: number }, b: { end: number }): A.Span => ({ start: a.start, end: b.end });

/** A cursor over tokens with ohm-style rightmost-failure bookkeeping, and the expression rules. */
export class ExprParser {
  protected i = 0;
  private far = -1;
  private farFound = '';
  private farExpected: string[] = [];
  /** Open nesting levels of the expression being parsed. */
  private depth = 0;

  constructor(protected readonly toks: readonly Token[]) {}

  protected get tok(): Token {
    return this.toks[this.i]!;
  }

  protected peekAt(k: number): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }

  /** Notes that `what` (a description, or a token when `quote`) would have been accepted at the current token. */
  protected expecting(what: string, quote = false): void {
    const t = this.toks[this.i]!;
    if (t.start < this.far) return;
    const entry = quote ? `"${what}"` : what;
    if (t.start > this.far) {
      this.far = t.start;
      this.farFound = t.text;
      this.farExpected.length = 0;
      this.farExpected.push(entry);
    } else if (!this.farExpected.includes(entry)) this.farExpected.push(entry);
  }

  /** The failure to throw when nothing acceptable follows. */
  protected failure(): ParseFailure {
    if (this.far < this.tok.start) this.expecting('something else');
    return new ParseFailure(this.far, this.farFound, [...this.farExpected]);
  }

  /** True (and consumed) if the current token is the punctuation or keyword `p`. */
  protected accept(p: string): Token | null {
    const t = this.tok;
    if (t.text === p && (t.kind === 'punct' || t.kind === 'word')) {
      this.i++;
      return t;
    }
    this.expecting(p, true);
    return null;
  }

  /** Consumes `p` or fails. */
  protected need(p: string): Token {
    const t = this.accept(p);
    if (!t) throw this.failure();
    return t;
  }

  /** An identifier (not a keyword, not `t`), or null after noting one was expected. */
  protected acceptIdent(): A.Ident | null {
    const t = this.tok;
    if (isIdent(t)) {
      this.i++;
      return { kind: 'ident', name: t.text, span: { start: t.start, end: t.end } };
    }
    this.expecting(NAME);
    return null;
  }

  protected needIdent(): A.Ident {
    const id = this.acceptIdent();
    if (!id) throw this.failure();
    return id;
  }

  /** The previous token's end: where the construct just parsed ends. */
  protected get lastEnd(): number {
    return this.toks[this.i - 1]!.end;
  }

  /** Enters one nesting level; past the limit, parsing stops with a located diagnostic. */
  private enter(open: Token): void {
    if (++this.depth > LIMITS.nesting) throw new ParseFailure(open.start, open.text, [], { start: open.start, end: open.end });
  }

  private leave(): void {
    this.depth--;
  }

  /**
   * `Expr = AddExpr`: sums of products, both left-associative, as one loop (a long sum or
   * product is flat, not deep). Operands that cannot nest are parsed without a generator.
   */
  *expr(): Rec<A.Expr, unknown> {
    let sum: A.Expr | null = null;
    let sumOp: Token | null = null;
    let prod = this.simpleOperand() ?? ((yield this.unaryExpr()) as A.Expr);
    for (;;) {
      const mulOp = this.accept('*') ?? this.accept('/');
      if (mulOp) {
        const right = this.simpleOperand() ?? ((yield this.unaryExpr()) as A.Expr);
        prod = { kind: 'binary', op: mulOp.text as '*' | '/', left: prod, right, span: span(prod.span, right.span) };
        continue;
      }
      sum = sum && sumOp ? { kind: 'binary', op: sumOp.text as '+' | '-', left: sum, right: prod, span: span(sum.span, prod.span) } : prod;
      sumOp = this.accept('+') ?? this.accept('-');
      if (!sumOp) return sum;
      prod = this.simpleOperand() ?? ((yield this.unaryExpr()) as A.Expr);
    }
  }

  /**
   * A number, a name or `x[t±n]` not followed by `(` or a slice, or null (nothing consumed).
   * It notes the same expectations the full rules would after such an operand.
   */
  private simpleOperand(): A.Expr | null {
    const t = this.tok;
    const next = this.peekAt(1);
    if (t.kind === 'num') {
      if (isPunct(next, '[')) return null;
      this.i++;
      this.expecting('[', true);
      return { kind: 'num', value: Number(t.text), text: t.text, span: { start: t.start, end: t.end } };
    }
    if (!isIdent(t) || isPunct(next, '(')) return null;
    const name: A.Ident = { kind: 'ident', name: t.text, span: { start: t.start, end: t.end } };
    if (!isPunct(next, '[')) {
      this.i++;
      this.expecting('(', true);
      this.expecting('[', true);
      return { kind: 'name', name: t.text, span: name.span };
    }
    const at = this.i;
    this.i++;
    const ref = this.timeRef(name);
    if (!ref || isPunct(this.tok, '[')) {
      this.i = at;
      return null;
    }
    this.expecting('[', true);
    return ref;
  }

  /** `- - x`: the signs are counted in a loop and wrapped around the operand afterwards. */
  private *unaryExpr(): Rec<A.Expr, unknown> {
    const signs: Token[] = [];
    for (let m = this.accept('-'); m; m = this.accept('-')) {
      this.enter(m);
      signs.push(m);
    }
    let e = (yield this.postfixExpr()) as A.Expr;
    for (let k = signs.length - 1; k >= 0; k--) {
      e = { kind: 'neg', operand: e, span: span(signs[k]!, e.span) };
      this.leave();
    }
    return e;
  }

  private *postfixExpr(): Rec<A.Expr, unknown> {
    let e = (yield this.primaryExpr()) as A.Expr;
    let opened = 0;
    for (let lb = this.accept('['); lb; lb = this.accept('[')) {
      this.enter(lb);
      opened++;
      const start = this.startsExpr() ? ((yield this.expr()) as A.Expr) : null;
      this.need(':');
      const end = this.startsExpr() ? ((yield this.expr()) as A.Expr) : null;
      this.need(']');
      e = { kind: 'slice', target: e, start, end, span: { start: e.span.start, end: this.lastEnd } };
    }
    this.depth -= opened;
    return e;
  }

  /** Whether an expression can start here (noting, like ohm's `Expr?`, what one would start with). */
  private startsExpr(): boolean {
    const t = this.tok;
    if (t.kind === 'num' || isIdent(t) || ((t.text === '(' || t.text === '[' || t.text === '-') && t.kind === 'punct')) return true;
    for (const p of ['(', '[', '-']) this.expecting(p, true);
    this.expecting(NAME);
    this.expecting('a number');
    return false;
  }

  private *primaryExpr(): Rec<A.Expr, unknown> {
    const t = this.tok;
    const lp = this.accept('(');
    if (lp) {
      this.enter(lp);
      const inner = (yield this.expr()) as A.Expr;
      this.need(')');
      this.leave();
      return { kind: 'paren', inner, span: { start: lp.start, end: this.lastEnd } };
    }
    const lb = this.accept('[');
    if (lb) {
      this.enter(lb);
      const items = (yield this.listOf(() => this.expr(), ']')) as A.Expr[];
      this.leave();
      return { kind: 'list', items, span: { start: lb.start, end: this.lastEnd } };
    }
    if (isIdent(t)) {
      const callee = this.needIdent();
      const open = this.accept('(');
      if (open) {
        this.enter(open);
        const args = (yield this.listOf(() => this.arg(), ')')) as A.Arg[];
        this.leave();
        return { kind: 'call', callee, args, span: { start: t.start, end: this.lastEnd } };
      }
      const ref = this.timeRef(callee);
      if (ref) return ref;
      return { kind: 'name', name: callee.name, span: callee.span };
    }
    if (t.kind === 'num') {
      this.i++;
      return { kind: 'num', value: Number(t.text), text: t.text, span: { start: t.start, end: t.end } };
    }
    this.expecting(NAME);
    this.expecting('a number');
    throw this.failure();
  }

  /** `[t]`, `[t-1]`, `[t+2]` after a name, or null (nothing consumed) if what follows is not a time index. */
  protected timeRef(name: A.Ident): A.VarRef | null {
    const at = this.i;
    if (!this.accept('[')) return null;
    const t = this.tok;
    if (t.kind !== 'word' || t.text !== 't') {
      this.expecting('the time index t');
      this.i = at;
      return null;
    }
    this.i++;
    let offset = 0;
    const sign = this.accept('-') ?? this.accept('+');
    if (sign) {
      const n = this.tok;
      if (n.kind !== 'num' || !/^\d+$/.test(n.text)) {
        this.expecting('an integer');
        this.i = at;
        return null;
      }
      this.i++;
      offset = sign.text === '-' ? -Number(n.text) : Number(n.text);
    }
    if (!this.accept(']')) {
      this.i = at;
      return null;
    }
    return { kind: 'varRef', name, offset, span: { start: name.span.start, end: this.lastEnd } };
  }

  /** A call argument: `name = value` or an expression. */
  protected *arg(): Rec<A.Arg, unknown> {
    const t = this.tok;
    const next = this.peekAt(1);
    if (isIdent(t) && next.kind === 'punct' && next.text === '=' && !(this.peekAt(2).kind === 'punct' && this.peekAt(2).text === '=')) {
      return (yield this.namedArg()) as A.NamedArg;
    }
    return (yield this.expr()) as A.Expr;
  }

  /** `name = value`. */
  protected *namedArg(): Rec<A.NamedArg, unknown> {
    const name = this.needIdent();
    this.need('=');
    const value = (yield this.expr()) as A.Expr;
    return { kind: 'named', name, value, span: { start: name.span.start, end: value.span.end } };
  }

  /** `item, item, ... close` (possibly empty); consumes the closing token. */
  protected *listOf<T>(item: () => Rec<T, unknown>, close: string): Rec<T[], unknown> {
    const out: T[] = [];
    if (this.accept(close)) return out;
    for (;;) {
      out.push((yield item()) as T);
      if (this.accept(close)) return out;
      this.need(',');
    }
  }
}

const isPunct = (k: Token, p: string): boolean => k.kind === 'punct' && k.text === p;

/** An identifier token: a word that is neither reserved nor the time index. */
export function isIdent(t: Token): boolean {
  return t.kind === 'word' && t.text !== 't' && !keywords.has(t.text);
}
