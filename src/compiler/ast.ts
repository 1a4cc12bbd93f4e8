/** @file The abstract syntax tree of a seq model file: tagged unions, every node with a source span. */
import { InternalError } from './diagnostics.js';

/** A half-open byte range [start, end) into the source text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A whole file: exactly one model. */
export interface Program {
  readonly kind: 'program';
  readonly model: Model;
  readonly span: Span;
}

/** `model name(hyper = value, ...) { items }` */
export interface Model {
  readonly kind: 'model';
  readonly name: Ident;
  readonly hyperParams: readonly HyperParam[];
  readonly items: readonly Item[];
  readonly span: Span;
}

/** An identifier occurrence with its own span (for precise carets). */
export interface Ident {
  readonly kind: 'ident';
  readonly name: string;
  readonly span: Span;
}

/** `x_dim = 200` in the model header; `text` keeps the literal as written. */
export interface HyperParam {
  readonly kind: 'hyper';
  readonly name: Ident;
  readonly value: number;
  readonly isInteger: boolean;
  readonly text: string;
  readonly span: Span;
}

/** Variable roles: observed data, control input, latent, deterministic state. */
export type Role = 'observe' | 'input' | 'latent' | 'state';
/** Element types of per-step variables. */
/** `cat[K]`: one of K categories, read in expressions as a one-hot vector of width K. */
export type ElemType = 'real' | 'binary' | 'cat';
/** How a state's value before the first step (or after the last, for backward states) is set. */
export type StateInit = 'zeros' | 'learned';

/** `observe x[t] : real[x_dim]`, `state h[t] : real[h_dim] = zeros` */
export interface VarDecl {
  readonly kind: 'var';
  readonly role: Role;
  readonly name: Ident;
  readonly elem: ElemType;
  readonly dim: Expr;
  readonly init: StateInit | null;
  readonly span: Span;
}

/** `net phi_x = mlp(x_dim -> f_dim, hidden = [f_dim], act = relu)` */
export interface NetDecl {
  readonly kind: 'net';
  readonly name: Ident;
  readonly netKind: Ident;
  readonly inDim: Expr;
  readonly outDim: Expr;
  readonly options: readonly NamedArg[];
  readonly span: Span;
}

/** `fn gate(a, b) = sigmoid(a) * b` */
export interface FnDecl {
  readonly kind: 'fn';
  readonly name: Ident;
  readonly params: readonly Ident[];
  readonly body: Expr;
  readonly span: Span;
}

/** `let o = q(g[t])`: a named expression, substituted where it is used. */
export interface LetDecl {
  readonly kind: 'let';
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `prior z[t] ~ D`, `emission x[t] ~ D`, `guide z[t] ~ D` and guide-block samples. */
export interface SampleStmt {
  readonly kind: 'sample';
  readonly section: 'prior' | 'emission' | 'guide';
  readonly target: VarRef;
  readonly dist: Dist;
  readonly span: Span;
}

/** `transition h[t] = e` and guide-block state updates `g[t] = e`. */
export interface AssignStmt {
  readonly kind: 'assign';
  readonly section: 'transition' | 'guide';
  readonly target: VarRef;
  readonly value: Expr;
  readonly span: Span;
}

/** `aux(weight = w) b[t] ~ D`: an auxiliary log-likelihood term added to the training objective. */
export interface AuxStmt {
  readonly kind: 'aux';
  readonly weight: Expr | null;
  readonly target: VarRef;
  readonly dist: Dist;
  readonly span: Span;
}

/** `guide { ... }`: the inference network with its own states and lets. */
export interface GuideBlock {
  readonly kind: 'guideBlock';
  readonly items: readonly GuideItem[];
  readonly span: Span;
}

/** Anything allowed inside a guide block. */
export type GuideItem = VarDecl | LetDecl | SampleStmt | AssignStmt;
/** Anything allowed at the top level of a model body. */
export type Item = VarDecl | NetDecl | FnDecl | LetDecl | SampleStmt | AssignStmt | AuxStmt | GuideBlock;

/** `Normal(loc, scale)` or `Normal.head(v, n)`. */
export interface Dist {
  readonly kind: 'dist';
  readonly family: Ident;
  readonly method: Ident | null;
  readonly args: readonly Arg[];
  readonly span: Span;
}

/** `name = value` inside a call's argument list. */
export interface NamedArg {
  readonly kind: 'named';
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** A call argument: positional expression or named. */
export type Arg = Expr | NamedArg;

/** `x[t]`, `h[t-1]`, `g[t+1]`; offset is the signed shift from t. */
export interface VarRef {
  readonly kind: 'varRef';
  readonly name: Ident;
  readonly offset: number;
  readonly span: Span;
}

/** A number literal, kept as written. */
export interface NumLit {
  readonly kind: 'num';
  readonly value: number;
  readonly text: string;
  readonly span: Span;
}

/** A bare name: hyperparameter, let, function parameter, or an option value such as `relu`. */
export interface NameRef {
  readonly kind: 'name';
  readonly name: string;
  readonly span: Span;
}

/** `f(a, b)`: a builtin, a net or a user function. */
export interface Call {
  readonly kind: 'call';
  readonly callee: Ident;
  readonly args: readonly Arg[];
  readonly span: Span;
}

/** Binary arithmetic. */
export interface Binary {
  readonly kind: 'binary';
  readonly op: '+' | '-' | '*' | '/';
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** Unary negation. */
export interface Neg {
  readonly kind: 'neg';
  readonly operand: Expr;
  readonly span: Span;
}

/** `e[a:b]`, `e[:b]`, `e[a:]`: a slice along the feature axis. */
export interface SliceExpr {
  readonly kind: 'slice';
  readonly target: Expr;
  readonly start: Expr | null;
  readonly end: Expr | null;
  readonly span: Span;
}

/** `[a, b]`: only meaningful as an option value (`hidden = [256, 256]`). */
export interface ListExpr {
  readonly kind: 'list';
  readonly items: readonly Expr[];
  readonly span: Span;
}

/** `(e)`: kept so the formatter can reproduce the user's grouping. */
export interface Paren {
  readonly kind: 'paren';
  readonly inner: Expr;
  readonly span: Span;
}

/** Expressions. */
export type Expr = NumLit | NameRef | VarRef | Call | Binary | Neg | SliceExpr | ListExpr | Paren;

/** Type guard for named call arguments. */
export function isNamed(a: Arg): a is NamedArg {
  return a.kind === 'named';
}

/** Exhaustiveness helper for switches over tagged unions. */
export function unreachable(x: never): never {
  throw new InternalError(`unexpected node ${JSON.stringify(x)}`);
}
