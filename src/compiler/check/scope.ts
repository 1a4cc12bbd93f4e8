/** @file The checker's symbol table: every name a model file can mention, with where it was declared. */
import type * as A from '../ast.js';
import type { CExpr, NetInfo, VarInfo } from '../checked.js';
import { unaryBuiltins } from '../checked.js';
import { familyList } from '../../inference/families.js';

/** A declared name. `owner` says whether it belongs to the generative model or the guide. */
export type Sym =
  | { readonly kind: 'hyper'; readonly name: string; readonly span: A.Span; readonly value: number }
  | { readonly kind: 'var'; readonly name: string; readonly span: A.Span; readonly info: VarInfo }
  | { readonly kind: 'net'; readonly name: string; readonly span: A.Span; readonly info: NetInfo | null; readonly decl: A.NetDecl }
  | { readonly kind: 'fn'; readonly name: string; readonly span: A.Span; readonly decl: A.FnDecl }
  | { readonly kind: 'let'; readonly name: string; readonly span: A.Span; readonly decl: A.LetDecl; readonly owner: 'model' | 'guide' };

/** Names with built-in meaning in expressions. */
export const builtinFunctions: readonly string[] = [...unaryBuiltins, 'concat', 'sum'];
/** Distribution family names. */
export const familyNames = familyList;
/** Net constructor names. */
export const netKinds = ['linear', 'mlp', 'lstm', 'gru', 'rnn'] as const;

/** The symbol table plus per-check caches. */
export class Scope {
  readonly syms = new Map<string, Sym>();
  /** Checked let values, by let name (null = had errors). */
  readonly letCache = new Map<string, CExpr | null>();
  /** Names used at least once, for unused-definition warnings. */
  readonly used = new Set<string>();

  constructor(readonly text: string) {}

  /** Looks a name up and marks it used. */
  lookup(name: string): Sym | undefined {
    const s = this.syms.get(name);
    if (s) this.used.add(name);
    return s;
  }

  /** All names of the given kinds, for "did you mean" hints. */
  namesOf(...kinds: Sym['kind'][]): string[] {
    return [...this.syms.values()].filter((s) => kinds.includes(s.kind)).map((s) => s.name);
  }

  /** Per-step variable info, if `name` is a variable. */
  variable(name: string): VarInfo | undefined {
    const s = this.syms.get(name);
    return s?.kind === 'var' ? s.info : undefined;
  }

  /** Source text of a span, whitespace collapsed (used in messages). */
  textOf(span: A.Span): string {
    return this.text.slice(span.start, span.end).replace(/\s+/g, ' ');
  }
}
