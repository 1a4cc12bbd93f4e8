/**
 * @file The editor's symbol index: every declaration and every name occurrence of a parsed model,
 * with spans, resolved the way the checker resolves names (one model-wide table; function
 * parameters local to their function). Built from the AST by an explicit-stack walk, so deep
 * expressions cannot overflow the call stack.
 */
import type * as A from '../compiler/ast.js';
import { unreachable } from '../compiler/ast.js';

/** What a declared name is. `param` is a function parameter. */
export type SymbolKind = 'hyper' | 'var' | 'net' | 'fn' | 'let' | 'param';

/** One declared name and the declaration that introduced it. */
export type SeqSymbol =
  | { readonly kind: 'hyper'; readonly name: string; readonly span: A.Span; readonly decl: A.HyperParam }
  | { readonly kind: 'var'; readonly name: string; readonly span: A.Span; readonly decl: A.VarDecl; readonly owner: 'model' | 'guide' }
  | { readonly kind: 'net'; readonly name: string; readonly span: A.Span; readonly decl: A.NetDecl }
  | { readonly kind: 'fn'; readonly name: string; readonly span: A.Span; readonly decl: A.FnDecl }
  | { readonly kind: 'let'; readonly name: string; readonly span: A.Span; readonly decl: A.LetDecl; readonly owner: 'model' | 'guide' }
  | { readonly kind: 'param'; readonly name: string; readonly span: A.Span; readonly fn: A.FnDecl };

/**
 * Where a name occurs and what it means there. `symbol` is null for names the language
 * defines (builtins, families, net kinds, activations, options) and for unknown names.
 */
export interface Occurrence {
  readonly span: A.Span;
  readonly name: string;
  readonly role: 'decl' | 'ref';
  /** The syntactic position: a bare name, a `v[t]` reference, a callee, a family, `.head`, a net kind, an option name. */
  readonly at: 'name' | 'varRef' | 'callee' | 'family' | 'method' | 'netKind' | 'option';
  readonly symbol: SeqSymbol | null;
}

/** Declarations and occurrences of one program, queryable by offset. */
export class SymbolIndex {
  /** Every declaration in source order (duplicates included; the first one of a name is the one in effect). */
  readonly symbols: readonly SeqSymbol[];
  /** Every occurrence, sorted by start offset. */
  readonly occurrences: readonly Occurrence[];
  private readonly global: ReadonlyMap<string, SeqSymbol>;

  constructor(readonly program: A.Program) {
    const b = new Builder();
    b.build(program);
    this.symbols = b.symbols;
    this.global = b.global;
    this.occurrences = [...b.occurrences].sort((x, y) => x.span.start - y.span.start);
  }

  /** The model-wide symbol of a name (the first declaration), if any. */
  lookup(name: string): SeqSymbol | undefined {
    return this.global.get(name);
  }

  /** The occurrence under an offset (a cursor just after a name still counts), if any. */
  at(offset: number): Occurrence | undefined {
    let lo = 0;
    let hi = this.occurrences.length - 1;
    let found: Occurrence | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const o = this.occurrences[mid]!;
      if (o.span.start <= offset) {
        if (offset <= o.span.end) found = o;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Every occurrence of a symbol (its declaration first when `withDecl`). */
  references(sym: SeqSymbol, withDecl: boolean): Occurrence[] {
    return this.occurrences.filter((o) => o.symbol === sym && (withDecl || o.role === 'ref'));
  }

  /** Symbols visible at an offset: the model-wide ones plus the parameters of an enclosing function. */
  visibleAt(offset: number): SeqSymbol[] {
    const out = [...this.global.values()];
    for (const s of this.symbols) if (s.kind === 'param' && s.fn.span.start <= offset && offset <= s.fn.span.end) out.push(s);
    return out;
  }
}

type Scope = ReadonlyMap<string, SeqSymbol> | null;

/** Collects declarations first (names may be used before they are declared), then walks expressions. */
class Builder {
  readonly symbols: SeqSymbol[] = [];
  readonly global = new Map<string, SeqSymbol>();
  readonly occurrences: Occurrence[] = [];

  build(p: A.Program): void {
    const m = p.model;
    for (const h of m.hyperParams) this.declare({ kind: 'hyper', name: h.name.name, span: h.name.span, decl: h });
    const items: { item: A.Item | A.GuideItem; owner: 'model' | 'guide' }[] = [];
    for (const item of m.items) {
      if (item.kind === 'guideBlock') for (const g of item.items) items.push({ item: g, owner: 'guide' });
      else items.push({ item, owner: 'model' });
    }
    for (const { item, owner } of items) this.declareItem(item, owner);
    for (const { item } of items) this.walkItem(item);
  }

  private declare(s: SeqSymbol, scope?: Map<string, SeqSymbol>): void {
    this.symbols.push(s);
    const table = scope ?? this.global;
    if (!table.has(s.name)) table.set(s.name, s);
    this.occurrences.push({ span: s.span, name: s.name, role: 'decl', at: 'name', symbol: table.get(s.name) === s ? s : null });
  }

  private declareItem(item: A.Item | A.GuideItem, owner: 'model' | 'guide'): void {
    switch (item.kind) {
      case 'var': this.declare({ kind: 'var', name: item.name.name, span: item.name.span, decl: item, owner }); break;
      case 'net': this.declare({ kind: 'net', name: item.name.name, span: item.name.span, decl: item }); break;
      case 'fn': this.declare({ kind: 'fn', name: item.name.name, span: item.name.span, decl: item }); break;
      case 'let': this.declare({ kind: 'let', name: item.name.name, span: item.name.span, decl: item, owner }); break;
      case 'sample': case 'assign': case 'aux': case 'guideBlock': break;
      default: unreachable(item);
    }
  }

  private walkItem(item: A.Item | A.GuideItem): void {
    switch (item.kind) {
      case 'var': this.walkExprs([item.dim], null); break;
      case 'net':
        this.occurrences.push({ span: item.netKind.span, name: item.netKind.name, role: 'ref', at: 'netKind', symbol: null });
        this.walkExprs([item.inDim, item.outDim, ...item.options], null);
        break;
      case 'fn': {
        const local = new Map<string, SeqSymbol>();
        for (const p of item.params) this.declare({ kind: 'param', name: p.name, span: p.span, fn: item }, local);
        this.walkExprs([item.body], local);
        break;
      }
      case 'let': this.walkExprs([item.value], null); break;
      case 'sample': this.ref(item.target.name, 'varRef', null); this.walkDist(item.dist); break;
      case 'assign': this.ref(item.target.name, 'varRef', null); this.walkExprs([item.value], null); break;
      case 'aux':
        if (item.weight) this.walkExprs([item.weight], null);
        this.ref(item.target.name, 'varRef', null);
        this.walkDist(item.dist);
        break;
      case 'guideBlock': break;
      default: unreachable(item);
    }
  }

  private walkDist(d: A.Dist): void {
    this.occurrences.push({ span: d.family.span, name: d.family.name, role: 'ref', at: 'family', symbol: null });
    if (d.method) this.occurrences.push({ span: d.method.span, name: d.method.name, role: 'ref', at: 'method', symbol: null });
    this.walkExprs(d.args, null);
  }

  private ref(id: A.Ident | { name: string; span: A.Span }, at: Occurrence['at'], scope: Scope): void {
    const symbol = scope?.get(id.name) ?? this.global.get(id.name) ?? null;
    this.occurrences.push({ span: id.span, name: id.name, role: 'ref', at, symbol });
  }

  /** Walks expressions with an explicit stack (no recursion on the user's nesting depth). */
  private walkExprs(roots: readonly (A.Expr | A.NamedArg)[], scope: Scope): void {
    const stack: (A.Expr | A.NamedArg)[] = [...roots].reverse();
    for (let e = stack.pop(); e; e = stack.pop()) {
      switch (e.kind) {
        case 'num': break;
        case 'name': this.ref(e, 'name', scope); break;
        case 'varRef': this.ref(e.name, 'varRef', scope); break;
        case 'call': this.ref(e.callee, 'callee', scope); pushAll(stack, e.args); break;
        case 'binary': pushAll(stack, [e.left, e.right]); break;
        case 'neg': stack.push(e.operand); break;
        case 'slice': pushAll(stack, [e.target, ...(e.start ? [e.start] : []), ...(e.end ? [e.end] : [])]); break;
        case 'list': pushAll(stack, e.items); break;
        case 'paren': stack.push(e.inner); break;
        case 'named':
          this.occurrences.push({ span: e.name.span, name: e.name.name, role: 'ref', at: 'option', symbol: null });
          stack.push(e.value);
          break;
        default: unreachable(e);
      }
    }
  }
}

/** Pushes children so they pop in source order. */
function pushAll(stack: (A.Expr | A.NamedArg)[], xs: readonly A.Arg[]): void {
  for (let i = xs.length - 1; i >= 0; i--) stack.push(xs[i]!);
}
