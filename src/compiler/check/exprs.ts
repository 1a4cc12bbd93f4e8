/**
 * @file Expression checking: resolves names, computes widths, inlines lets and user functions.
 * The walk is a generator driven by the trampoline, so neither nesting nor let chains nor
 * nested function calls use call stack; a budget on the size of the inlined model (E0702)
 * bounds the work that lets used many times inside each other could otherwise multiply.
 */
import type * as A from '../ast.js';
import { isNamed } from '../ast.js';
import type { CExpr, NetInfo, UnaryFn } from '../checked.js';
import { treeSize, unaryBuiltins } from '../checked.js';
import type { Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';
import { LIMITS } from '../limits.js';
import { run, type Rec } from '../trampoline.js';
import { evalConst } from './dims.js';
import { builtinFunctions, familyNames, type Scope } from './scope.js';

/** Where an expression appears, for error messages and scoping. */
export interface ExprContext {
  /** Human description, e.g. "the prior of z[t]". */
  readonly where: string;
  /** Whether guide-owned names are visible (guide and aux statements). */
  readonly inGuide: boolean;
}

/** Checks expressions against a scope, appending diagnostics; returns null for an expression with errors. */
export class ExprChecker {
  /** Functions being inlined and lets being checked, innermost last: a repeat is recursion. */
  private readonly fnStack = new Set<string>();
  /** Offsets of the `fn` calls being expanded, outermost first (recorded on the net calls inside). */
  private fnSites: number[] = [];
  private readonly letStack = new Set<string>();
  private bindings: Map<string, CExpr> = new Map();
  /** AST nodes visited so far, counting every inlined function body again (the checker's work). */
  private visited = 0;
  /** Nodes of the checked expressions as trees: a let or an argument counts at every use (the lowering's work). */
  private expanded = 0;
  private readonly sizes = new Map<CExpr, number>();
  private overBudget = false;
  /** The expression `check` was called with (where an over-budget error is reported). */
  private root: A.Span | null = null;

  constructor(private readonly scope: Scope, private readonly hyper: ReadonlyMap<string, number>, private readonly diags: Diagnostic[]) {}

  /** Checks one expression in a context. */
  check(e: A.Expr, ctx: ExprContext): CExpr | null {
    const outer = this.root;
    this.root ??= e.span;
    try {
      const c = run(this.walk(e, ctx));
      if (!c) return null;
      this.expanded += treeSize(c, this.sizes);
      return this.withinBudget() ? c : null;
    } finally {
      this.root = outer;
    }
  }

  /** False (after reporting E0702 once) when the model has grown past the limit. */
  private withinBudget(): boolean {
    if (this.overBudget) return false;
    if (this.visited <= LIMITS.expandedNodes && this.expanded <= LIMITS.expandedNodes) return true;
    this.overBudget = true;
    this.diags.push(E.expansionTooLarge(this.root!, LIMITS.expandedNodes));
    return false;
  }

  private *walk(e: A.Expr, ctx: ExprContext): Rec<CExpr | null> {
    this.visited++;
    if (!this.withinBudget()) return null;
    switch (e.kind) {
      case 'num': return { k: 'const', value: e.value, width: 1, span: e.span };
      case 'paren': return yield this.walk(e.inner, ctx);
      case 'name': return yield this.name(e, ctx);
      case 'varRef': return this.varRef(e);
      case 'neg': {
        const a = yield this.walk(e.operand, ctx);
        return a && { k: 'neg', arg: a, width: a.width, span: e.span };
      }
      case 'binary': {
        const l = yield this.walk(e.left, ctx);
        const r = yield this.walk(e.right, ctx);
        if (!l || !r) return null;
        if (l.width !== r.width && l.width !== 1 && r.width !== 1) {
          this.diags.push(E.widthMismatch(e.span, e.op, this.describe(e.left, l), this.describe(e.right, r)));
          return null;
        }
        return { k: 'binary', op: e.op, left: l, right: r, width: Math.max(l.width, r.width), span: e.span };
      }
      case 'slice': return yield this.slice(e, ctx);
      case 'list':
        this.diags.push(E.badOption(e.span, 'a list `[...]` is only allowed as an option value, such as `hidden = [64, 64]`',
          'to join values use `concat(a, b)`; to take part of a value use `v[a:b]`'));
        return null;
      case 'call': return yield this.call(e, ctx);
    }
  }

  /** "`text` (width n)" for messages. */
  describe(src: A.Expr, c: CExpr): string {
    return `\`${this.scope.textOf(src.span)}\` (width ${c.width})`;
  }

  private *name(e: A.NameRef, ctx: ExprContext): Rec<CExpr | null> {
    const bound = this.bindings.get(e.name);
    if (bound) return bound;
    const s = this.scope.lookup(e.name);
    if (!s) {
      const cands = [...this.scope.namesOf('hyper', 'var', 'let'), ...this.bindings.keys()];
      this.diags.push(E.unknownName(e.span, e.name, 'name', cands));
      return null;
    }
    switch (s.kind) {
      case 'hyper': return { k: 'const', value: s.value, width: 1, span: e.span };
      case 'var':
        this.diags.push(E.missingTimeIndex(e.span, e.name));
        return null;
      case 'let': {
        if (s.owner === 'guide' && !ctx.inGuide) {
          this.diags.push(E.generativeReadsGuide(e.span, `\`${e.name}\``, ctx.where));
          return null;
        }
        return yield this.letValue(s.decl, ctx, e.span);
      }
      case 'net': case 'fn':
        this.diags.push(E.wrongKind(e.span, e.name, s.kind === 'net' ? 'a net' : 'a function', 'a value', `call it: \`${e.name}(...)\``));
        return null;
    }
  }

  /** Checks a let's value on its own (used for lets nobody reads, so their errors still show). */
  checkUnusedLet(decl: A.LetDecl, ctx: ExprContext): void {
    this.root = decl.span;
    run(this.letValue(decl, ctx, decl.name.span));
    this.root = null;
  }

  private *letValue(decl: A.LetDecl, ctx: ExprContext, use: A.Span): Rec<CExpr | null> {
    const name = decl.name.name;
    if (this.letStack.has(name)) {
      this.diags.push(E.recursiveFunction(use, name, true));
      return null;
    }
    if (this.scope.letCache.has(name)) return this.scope.letCache.get(name)!;
    this.letStack.add(name);
    const saved = this.bindings, sites = this.fnSites;
    // A let is one value wherever it is first read (even inside a function's expansion).
    this.bindings = new Map();
    this.fnSites = [];
    const v = yield this.walk(decl.value, ctx);
    this.bindings = saved;
    this.fnSites = sites;
    this.letStack.delete(name);
    this.scope.letCache.set(name, v);
    return v;
  }

  private varRef(e: A.VarRef): CExpr | null {
    const s = this.scope.lookup(e.name.name);
    if (!s) {
      this.diags.push(E.unknownName(e.name.span, e.name.name, 'variable', this.scope.namesOf('var')));
      return null;
    }
    if (s.kind !== 'var') {
      const is = s.kind === 'hyper' ? 'a hyperparameter' : s.kind === 'let' ? 'a let value' : s.kind === 'net' ? 'a net' : 'a function';
      this.diags.push(E.notIndexable(e.span, e.name.name, is));
      return null;
    }
    if (s.info.width < 0) return null;
    if (Math.abs(e.offset) > 1) this.diags.push(E.badOffset(e.span, e.offset));
    return { k: 'read', name: e.name.name, offset: e.offset, width: s.info.width, span: e.span };
  }

  private *slice(e: A.SliceExpr, ctx: ExprContext): Rec<CExpr | null> {
    const a = yield this.walk(e.target, ctx);
    if (!a) return null;
    const start = e.start ? evalConst(e.start, this.hyper, this.diags, 'slice bounds') : 0;
    const end = e.end ? evalConst(e.end, this.hyper, this.diags, 'slice bounds') : a.width;
    if (start === null || end === null) return null;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > a.width || start >= end) {
      this.diags.push(E.badSlice(e.span, start, end, a.width));
      return null;
    }
    return { k: 'slice', arg: a, start, end, width: end - start, span: e.span };
  }

  /** Checks positional arguments; named arguments are an error for plain calls. */
  private *positional(e: A.Call, ctx: ExprContext): Rec<(CExpr | null)[] | null, CExpr | null> {
    const out: (CExpr | null)[] = [];
    let ok = true;
    for (const a of e.args) {
      if (isNamed(a)) {
        this.diags.push(E.badOption(a.span, `\`${e.callee.name}\` takes no named arguments`));
        ok = false;
      } else out.push(yield this.walk(a, ctx));
    }
    return ok ? out : null;
  }

  private *call(e: A.Call, ctx: ExprContext): Rec<CExpr | null, unknown> {
    const name = e.callee.name;
    const s = this.bindings.has(name) ? undefined : this.scope.lookup(name);
    if (this.bindings.has(name) || s?.kind === 'hyper' || s?.kind === 'let' || s?.kind === 'var') {
      const is = s?.kind === 'var' ? 'a per-step variable' : s?.kind === 'hyper' ? 'a hyperparameter' : 'a value';
      this.diags.push(E.wrongKind(e.callee.span, name, is, 'a function'));
      return null;
    }
    if (s?.kind === 'net') return (yield this.netCall(e, s.info, ctx)) as CExpr | null;
    if (s?.kind === 'fn') return (yield this.fnCall(e, s.decl, ctx)) as CExpr | null;
    if ((familyNames as readonly string[]).includes(name)) {
      this.diags.push(E.wrongKind(e.callee.span, name, 'a distribution', 'a function',
        'distributions appear after `~`, as in `z[t] ~ Normal(loc, scale)`'));
      return null;
    }
    if (!builtinFunctions.includes(name)) {
      const cands = [...builtinFunctions, ...this.scope.namesOf('net', 'fn')];
      this.diags.push(E.unknownName(e.callee.span, name, 'function', cands));
      return null;
    }
    const args = (yield this.positional(e, ctx)) as (CExpr | null)[] | null;
    if (!args) return null;
    if (name === 'concat') {
      if (args.length === 0) {
        this.diags.push(E.arity(e.span, 'concat', 'at least 1 argument', 0));
        return null;
      }
      if (args.some((a) => a === null)) return null;
      const parts = args as CExpr[];
      return { k: 'concat', parts, width: parts.reduce((s2, p) => s2 + p.width, 0), span: e.span };
    }
    if (args.length !== 1) {
      this.diags.push(E.arity(e.span, name, '1 argument', args.length));
      return null;
    }
    const a = args[0]!;
    if (!a) return null;
    if (name === 'sum') return { k: 'sum', arg: a, width: 1, span: e.span };
    return { k: 'unary', fn: name as UnaryFn, arg: a, width: a.width, span: e.span };
  }

  private *netCall(e: A.Call, net: NetInfo | null, ctx: ExprContext): Rec<CExpr | null, unknown> {
    const args = (yield this.positional(e, ctx)) as (CExpr | null)[] | null;
    if (!args || !net || args.some((a) => a === null)) return null;
    if (net.kind === 'lstm' || net.kind === 'gru' || net.kind === 'rnn') {
      this.diags.push(E.cellMisuse(e.span, net.name, 'can only be used as the whole right-hand side of a state update',
        `write \`transition h[t] = ${net.name}(h[t-1], inputs...)\``));
      return null;
    }
    const cs = args as CExpr[];
    if (cs.length === 0) {
      this.diags.push(E.arity(e.span, net.name, 'at least 1 argument', 0));
      return null;
    }
    if (!this.checkNetWidth(e, net.name, net.inDim, cs, e.args as A.Expr[])) return null;
    return { k: 'net', net: net.name, args: cs, width: net.outDim, span: e.span, ...(this.fnSites.length ? { via: [...this.fnSites] } : {}) };
  }

  /** Checks that concatenated argument widths equal a net's input width, explaining the arithmetic. */
  checkNetWidth(e: A.Call, net: string, inDim: number, cs: readonly CExpr[], srcs: readonly A.Expr[]): boolean {
    const got = cs.reduce((s, c) => s + c.width, 0);
    if (got === inDim) return true;
    const parts = cs.map((c, i) => `${this.scope.textOf(srcs[i]!.span)} : ${c.width}`);
    this.diags.push(E.netInputWidth(e.span, net, inDim, got, parts));
    return false;
  }

  private *fnCall(e: A.Call, decl: A.FnDecl, ctx: ExprContext): Rec<CExpr | null, unknown> {
    const name = decl.name.name;
    if (this.fnStack.has(name)) {
      this.diags.push(E.recursiveFunction(e.callee.span, name));
      return null;
    }
    const args = (yield this.positional(e, ctx)) as (CExpr | null)[] | null;
    if (!args) return null;
    if (args.length !== decl.params.length) {
      this.diags.push(E.arity(e.span, name, `${decl.params.length} argument${decl.params.length === 1 ? '' : 's'}`, args.length));
      return null;
    }
    if (args.some((a) => a === null)) return null;
    const saved = this.bindings;
    this.bindings = new Map(decl.params.map((p, i) => [p.name, args[i]!]));
    this.fnStack.add(name);
    this.fnSites.push(e.span.start);
    const body = (yield this.walk(decl.body, ctx)) as CExpr | null;
    this.fnSites.pop();
    this.fnStack.delete(name);
    this.bindings = saved;
    return body;
  }
}

/** True if `name` is an elementwise builtin. */
export function isUnaryBuiltin(name: string): name is UnaryFn {
  return (unaryBuiltins as readonly string[]).includes(name);
}
