/**
 * @file One document as the editor sees it: parsed and checked with the user's `--set`-style
 * overrides, its symbol index, and the hyperparameter values in effect.
 */
import type { Expr } from '../compiler/ast.js';
import { unreachable } from '../compiler/ast.js';
import { checkSource, type FrontendResult } from '../compiler/frontend.js';
import { parse } from '../compiler/parse.js';
import { SymbolIndex } from './symbols.js';

/** A `name=value` override, as `seqc check --set` takes it. */
export type Override = NonNullable<Parameters<typeof checkSource>[2]>[number];

/** A hyperparameter's value in effect and where it came from. */
export interface HyperValue {
  readonly value: number;
  readonly declared: number;
  readonly overridden: boolean;
}

/** Everything the server answers from. */
export interface Analysis {
  readonly text: string;
  readonly result: FrontendResult;
  /** Null when the text does not parse. */
  readonly index: SymbolIndex | null;
  readonly hyper: ReadonlyMap<string, HyperValue>;
  /** Problems with the overrides (shown to the user once, not as diagnostics of the file). */
  readonly notices: readonly string[];
}

/**
 * Parses and checks `text`. Overrides naming a hyperparameter the model does not declare are
 * ignored (one set of overrides serves every file of a workspace); a rejected value is reported
 * as a notice and the file is checked with its declared values.
 */
export function analyze(path: string, text: string, overrides: readonly Override[]): Analysis {
  const parsed = parse(text);
  const program = parsed.ok ? parsed.program : null;
  const declared = new Set(program?.model.hyperParams.map((h) => h.name.name) ?? []);
  let applied = overrides.filter((o) => declared.has(o.name));
  const notices: string[] = [];
  let result: FrontendResult;
  try {
    result = checkSource(path, text, applied);
  } catch (e) {
    if (!applied.length) throw e;
    notices.push(`seqc: ignoring the overrides for ${path}: ${(e as Error).message}`);
    applied = [];
    result = checkSource(path, text, applied);
  }
  const hyper = new Map<string, HyperValue>();
  for (const h of program?.model.hyperParams ?? []) {
    if (hyper.has(h.name.name)) continue;
    const o = applied.filter((x) => x.name === h.name.name).at(-1);
    const value = result.model?.hyper.get(h.name.name) ?? (o ? Number(o.value) : h.value);
    hyper.set(h.name.name, { value, declared: h.value, overridden: o !== undefined });
  }
  return { text, result, index: program ? new SymbolIndex(program) : null, hyper, notices };
}

/** The value of a constant expression over numbers and hyperparameters, or null (explicit stack, no recursion). */
export function constantValue(root: Expr, hyper: ReadonlyMap<string, HyperValue>): number | null {
  // Post-order evaluation: a node is pushed twice, first to expand it, then to combine its operands.
  const work: { e: Expr; expanded: boolean }[] = [{ e: root, expanded: false }];
  const values: number[] = [];
  while (work.length) {
    const { e, expanded } = work.pop()!;
    switch (e.kind) {
      case 'num': values.push(e.value); break;
      case 'name': {
        const h = hyper.get(e.name);
        if (!h) return null;
        values.push(h.value);
        break;
      }
      case 'paren': work.push({ e: e.inner, expanded: false }); break;
      case 'neg':
        if (!expanded) work.push({ e, expanded: true }, { e: e.operand, expanded: false });
        else values.push(-values.pop()!);
        break;
      case 'binary':
        if (!expanded) work.push({ e, expanded: true }, { e: e.right, expanded: false }, { e: e.left, expanded: false });
        else {
          const b = values.pop()!;
          const a = values.pop()!;
          values.push(e.op === '+' ? a + b : e.op === '-' ? a - b : e.op === '*' ? a * b : a / b);
        }
        break;
      case 'varRef': case 'call': case 'slice': case 'list': return null;
      default: return unreachable(e);
    }
  }
  const v = values.pop();
  return v !== undefined && Number.isFinite(v) ? v : null;
}
