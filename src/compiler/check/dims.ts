/** @file Hyperparameters (with `--set` overrides) and compile-time evaluation of dimension expressions. */
import type * as A from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';
import { badDimension, closest, dimensionTooLarge, nonConstantDimension, unknownName } from '../errors.js';
import { formatBytes, LIMITS } from '../limits.js';
import { run, type Rec } from '../trampoline.js';

/** A parsed `--set name=value` override. */
export interface Override {
  readonly name: string;
  readonly value: string;
}

/** Why an override was rejected; a usage error (exit 2), not a model error. */
export class OverrideError extends Error {}

/** Parses `name=value` strings from the command line. */
export function parseOverrides(items: readonly string[]): Override[] {
  return items.map((s) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$/.exec(s);
    if (!m) throw new OverrideError(`--set expects name=value, got '${s}'`);
    return { name: m[1]!, value: m[2]! };
  });
}

/**
 * Resolves hyperparameter values: defaults from the model header, then overrides.
 * Integer hyperparameters (written without a decimal point) only accept integers.
 */
export function resolveHyper(model: A.Model, overrides: readonly Override[]): Map<string, number> {
  const values = new Map<string, number>();
  const isInt = new Map<string, boolean>();
  for (const h of model.hyperParams) {
    if (!values.has(h.name.name)) {
      values.set(h.name.name, h.value);
      isInt.set(h.name.name, h.isInteger);
    }
  }
  for (const o of overrides) {
    if (!values.has(o.name)) {
      const near = closest(o.name, values.keys());
      const known = [...values.keys()].join(', ') || 'none';
      throw new OverrideError(`--set: model ${model.name.name} has no hyperparameter '${o.name}'` +
        (near ? ` (did you mean '${near}'?)` : '') + `; it has: ${known}`);
    }
    const v = Number(o.value);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(o.value)) {
      throw new OverrideError(`--set ${o.name}=${o.value}: the value must be a number, such as 64, 0.5 or 1e-3`);
    }
    if (!Number.isFinite(v)) throw new OverrideError(`--set ${o.name}=${o.value}: the value must be a finite number`);
    if (isInt.get(o.name) && !Number.isInteger(v)) {
      throw new OverrideError(`--set ${o.name}=${o.value}: ${o.name} is an integer hyperparameter (default ${values.get(o.name)}); give a whole number`);
    }
    if (isInt.get(o.name) && !Number.isSafeInteger(v)) {
      throw new OverrideError(`--set ${o.name}=${o.value}: ${o.name} is an integer hyperparameter and this is beyond 2^53, where integers are no longer exact`);
    }
    values.set(o.name, v);
  }
  return values;
}

/** Evaluates a constant expression over numbers and hyperparameters; null after reporting an error. */
export function evalConst(e: A.Expr, hyper: ReadonlyMap<string, number>, diags: Diagnostic[], what = 'dimensions'): number | null {
  return run(constant(e, hyper, diags, what));
}

function* constant(e: A.Expr, hyper: ReadonlyMap<string, number>, diags: Diagnostic[], what: string): Rec<number | null> {
  switch (e.kind) {
    case 'num': return e.value;
    case 'name': {
      const v = hyper.get(e.name);
      if (v === undefined) {
        if (closest(e.name, hyper.keys())) diags.push(unknownName(e.span, e.name, 'hyperparameter', hyper.keys()));
        else diags.push(nonConstantDimension(e.span, what));
        return null;
      }
      return v;
    }
    case 'paren': return yield constant(e.inner, hyper, diags, what);
    case 'neg': {
      const v = yield constant(e.operand, hyper, diags, what);
      return v === null ? null : -v;
    }
    case 'binary': {
      const a = yield constant(e.left, hyper, diags, what);
      const b = yield constant(e.right, hyper, diags, what);
      if (a === null || b === null) return null;
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return a / b;
      }
      break;
    }
    default:
      diags.push(nonConstantDimension(e.span, what));
      return null;
  }
  return null;
}

/**
 * Evaluates a dimension: a positive integer, or null after reporting why not. A size above the
 * limit is reported (E0703) but still returned, so the parameter count can say what it would cost.
 */
export function evalDim(e: A.Expr, hyper: ReadonlyMap<string, number>, diags: Diagnostic[]): number | null {
  const v = evalConst(e, hyper, diags);
  if (v === null) return null;
  if (!Number.isFinite(v) || !Number.isInteger(v) || v <= 0) {
    const why = !Number.isFinite(v) ? 'sizes must be finite' : !Number.isInteger(v) ? 'a division here does not come out even' : 'sizes must be at least 1';
    diags.push(badDimension(e.span, v, why));
    return null;
  }
  checkSizeLimit(e.span, v, diags);
  return v;
}

/** Reports a size above LIMITS.width (E0703), with what one float32 vector of that size would take. */
export function checkSizeLimit(span: A.Span, v: number, diags: Diagnostic[]): void {
  if (v <= LIMITS.width) return;
  diags.push(dimensionTooLarge(span, v, LIMITS.width,
    `one float32 vector of this size takes ${formatBytes(4 * v)}; sizes come from numbers and hyperparameters (check any \`--set\` values)`));
}
