/**
 * @file The checked model: names resolved, widths computed, lets and functions inlined,
 * distribution heads desugared into explicit linear layers. Input of the scheduler/lowering.
 */
import type { ElemType, Role, Span, StateInit } from './ast.js';
import { preorder, run, type Rec } from './trampoline.js';

/** Elementwise unary builtins. */
export const unaryBuiltins = ['exp', 'log', 'tanh', 'sigmoid', 'relu', 'softplus', 'abs', 'sqrt', 'square'] as const;
/** An elementwise unary builtin's name. */
export type UnaryFn = (typeof unaryBuiltins)[number];

/** A resolved per-step expression; `width` is the feature width (scalars have width 1). */
export type CExpr =
  | { readonly k: 'const'; readonly value: number; readonly width: 1; readonly span: Span }
  | { readonly k: 'read'; readonly name: string; readonly offset: number; readonly width: number; readonly span: Span }
  | { readonly k: 'unary'; readonly fn: UnaryFn; readonly arg: CExpr; readonly width: number; readonly span: Span }
  | { readonly k: 'binary'; readonly op: '+' | '-' | '*' | '/'; readonly left: CExpr; readonly right: CExpr; readonly width: number; readonly span: Span }
  | { readonly k: 'neg'; readonly arg: CExpr; readonly width: number; readonly span: Span }
  | { readonly k: 'concat'; readonly parts: readonly CExpr[]; readonly width: number; readonly span: Span }
  | { readonly k: 'slice'; readonly arg: CExpr; readonly start: number; readonly end: number; readonly width: number; readonly span: Span }
  | { readonly k: 'sum'; readonly arg: CExpr; readonly width: 1; readonly span: Span }
  /**
   * A feed-forward net applied to the concatenation of `args`. `via`: the offsets of the `fn`
   * calls this call was expanded through, outermost first (one source call inside a function is
   * a distinct call at each use of the function).
   */
  | { readonly k: 'net'; readonly net: string; readonly args: readonly CExpr[]; readonly width: number; readonly span: Span; readonly via?: readonly number[] }
  /** A recurrent cell step: `state[t] = net(state[t∓1], inputs...)`. */
  | { readonly k: 'cell'; readonly net: string; readonly state: string; readonly prev: CExpr; readonly inputs: readonly CExpr[]; readonly width: number; readonly span: Span }
  /** An implicit affine layer created by a distribution head: x·weight + bias, by parameter name. */
  | { readonly k: 'affine'; readonly weight: string; readonly bias: string; readonly arg: CExpr; readonly width: number; readonly span: Span }
  /** A learned vector used as it is (a head's `free` parameter, e.g. NADE's weights): [width], no batch axes. */
  | { readonly k: 'param'; readonly name: string; readonly width: number; readonly span: Span };

/** Distribution families of the language (the family table lives in src/inference/families.ts). */
export type { Family } from '../inference/families.js';
import type { Family } from '../inference/families.js';

/** A resolved distribution over a variable of width `width`; `params` by the family's parameter names. */
export interface CDist {
  readonly family: Family;
  readonly params: Readonly<Record<string, CExpr>>;
  /** Number of mixture components (mixtures only). */
  readonly components: number | null;
  readonly width: number;
  readonly span: Span;
}

/** A declared per-step variable. */
export interface VarInfo {
  readonly name: string;
  readonly role: Role;
  readonly elem: ElemType;
  readonly width: number;
  /** `model` for the generative model's variables, `guide` for states declared in the guide block. */
  readonly owner: 'model' | 'guide';
  readonly init: StateInit | null;
  /** The parameter holding a learned initial value (`init = learned`), else null. */
  readonly initParam: string | null;
  /** For states: forward reads [t-1] of itself, backward reads [t+1], none reads neither. */
  readonly direction: 'forward' | 'backward' | 'none' | null;
  readonly span: Span;
}

/** Activation names allowed in nets. */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'softplus' | 'none';

/** A declared net with its resolved sizes. */
export interface NetInfo {
  readonly name: string;
  readonly kind: 'linear' | 'mlp' | 'lstm' | 'gru' | 'rnn';
  readonly inDim: number;
  readonly outDim: number;
  /** Hidden widths (mlp only). */
  readonly hidden: readonly number[];
  /** Activation after hidden layers (mlp) or of the cell (rnn). */
  readonly act: Activation;
  /** Activation after the last layer (mlp only). */
  readonly outAct: Activation;
  /**
   * Dropout rate: in training graphs each input unit of each layer (linear, mlp) or of the
   * cell's input projection (lstm, gru, rnn: never the recurrent state) is zeroed with this
   * probability and the rest scaled by 1/(1−p); 0 means none.
   */
  readonly dropout: number;
  /** Names of its parameters, so later stages never re-spell them. */
  readonly params: NetParamNames;
  readonly span: Span;
}

/** Parameter names of a net: affine layers (linear: one, mlp: one per layer) or a recurrent cell. */
export type NetParamNames =
  | { readonly kind: 'layers'; readonly layers: readonly { readonly weight: string; readonly bias: string }[] }
  | { readonly kind: 'cell'; readonly weightIh: string; readonly weightHh: string; readonly biasIh: string; readonly biasHh: string | null };

/** How a parameter is initialized (seeded by the runtime). */
export type ParamInit =
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'zeros' }
  | { readonly kind: 'const'; readonly value: number };

/** A trainable parameter with its stable, readable name. */
export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

/** A sampled variable's definition: `target[t] ~ dist`. */
export interface SampleDef {
  readonly target: string;
  readonly dist: CDist;
  readonly span: Span;
}

/** A state update `target[t] = value`. */
export interface AssignDef {
  readonly target: string;
  readonly value: CExpr;
  readonly span: Span;
}

/** An auxiliary log-likelihood term, weighted, added to the training objective only. */
export interface AuxDef extends SampleDef {
  readonly weight: number;
}

/** The kinds of definitions, by the statement that makes them. */
export type DefKind = 'prior' | 'emission' | 'transition' | 'guideSample' | 'guideState' | 'aux';

/** A variable read `name[t+offset]` where it appears. */
export interface Read {
  readonly name: string;
  readonly offset: number;
  readonly span: Span;
}

/** One definition and everything it reads: an edge list of the model's dependency graph. */
export interface Def {
  readonly target: string;
  readonly kind: DefKind;
  readonly reads: readonly Read[];
  /** e.g. "the prior of z[t]". */
  readonly where: string;
}

/** The output of `check`: everything later stages need, nothing they must re-derive from syntax. */
export interface CheckedModel {
  readonly name: string;
  readonly hyper: ReadonlyMap<string, number>;
  readonly vars: ReadonlyMap<string, VarInfo>;
  readonly nets: ReadonlyMap<string, NetInfo>;
  readonly priors: readonly SampleDef[];
  readonly emissions: readonly SampleDef[];
  readonly transitions: readonly AssignDef[];
  /** The guide; null when the model has none and needs the default structured guide. */
  readonly guide: { readonly samples: readonly SampleDef[]; readonly transitions: readonly AssignDef[] } | null;
  readonly aux: readonly AuxDef[];
  readonly params: readonly ParamInfo[];
  /** The dependency graph, built once by the checker: every definition with its reads. */
  readonly defs: readonly Def[];
}

/** Direct subexpressions of an expression. */
export function children(e: CExpr): readonly CExpr[] {
  switch (e.k) {
    case 'const': case 'read': case 'param': return [];
    case 'unary': case 'neg': case 'slice': case 'sum': case 'affine': return [e.arg];
    case 'binary': return [e.left, e.right];
    case 'concat': return e.parts;
    case 'net': return e.args;
    case 'cell': return [e.prev, ...e.inputs];
  }
}

/** Every variable read in an expression, in order of appearance (any depth). */
export function readsOf(e: CExpr, out: { name: string; offset: number; span: Span }[] = []): { name: string; offset: number; span: Span }[] {
  for (const n of preorder(e, children)) if (n.k === 'read') out.push({ name: n.name, offset: n.offset, span: n.span });
  return out;
}

/** Every variable read by a distribution's parameters. */
export function distReads(d: CDist): { name: string; offset: number; span: Span }[] {
  const out: { name: string; offset: number; span: Span }[] = [];
  for (const key of Object.keys(d.params).sort()) readsOf(d.params[key]!, out);
  return out;
}

/**
 * Nodes of an expression as a tree: a subexpression shared through a let or a function argument
 * counts at every use, as the lowering sees it. `memo` carries sizes across calls (any depth).
 */
export function treeSize(e: CExpr, memo: Map<CExpr, number> = new Map()): number {
  return run(sizeOf(e, memo));
}

function* sizeOf(e: CExpr, memo: Map<CExpr, number>): Rec<number> {
  const known = memo.get(e);
  if (known !== undefined) return known;
  let n = 1;
  for (const c of children(e)) n += yield sizeOf(c, memo);
  memo.set(e, n);
  return n;
}

/**
 * The names read by every subexpression of `root`, for all of them in one pass (any depth; nodes
 * that read the same names share one set). Asking `readsOf` at every level of a deep tree is
 * quadratic; this is linear in the nodes times the distinct names.
 */
export function readNameSets(root: CExpr, memo: Map<CExpr, ReadonlySet<string>> = new Map()): Map<CExpr, ReadonlySet<string>> {
  run(namesOf(root, memo));
  return memo;
}

const noNames: ReadonlySet<string> = new Set();

function* namesOf(e: CExpr, memo: Map<CExpr, ReadonlySet<string>>): Rec<ReadonlySet<string>> {
  const known = memo.get(e);
  if (known) return known;
  let out: ReadonlySet<string> = e.k === 'read' ? new Set([e.name]) : noNames;
  for (const c of children(e)) {
    const s: ReadonlySet<string> = yield namesOf(c, memo);
    if ([...s].every((n) => out.has(n))) continue;
    out = [...out].every((n) => s.has(n)) ? s : new Set([...out, ...s]);
  }
  memo.set(e, out);
  return out;
}
