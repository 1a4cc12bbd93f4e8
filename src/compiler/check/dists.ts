/**
 * @file Distribution checking: parameter widths against the variable's width, element types,
 * and desugaring of `Family.head(v, n)` into explicit affine layers with stable parameter names.
 */
import type * as A from '../ast.js';
import { isNamed } from '../ast.js';
import type { CDist, CExpr, Family, ParamInfo, VarInfo } from '../checked.js';
import { InternalError, type Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';
import { checkSizeLimit, evalConst } from './dims.js';
import type { ExprChecker, ExprContext } from './exprs.js';
import { familyNames } from './scope.js';
import { families, familyList, type FamilyRules, type HeadTransform } from '../../inference/families.js';

/** Smallest scale a head produces: softplus(a) + MIN_SCALE keeps log-densities finite. */
export const MIN_SCALE = 1e-4;

/** Families whose samples are reparameterizable (usable in a guide). */
export const reparameterizable: readonly Family[] = familyList.filter((f) => families[f].rsample !== null);

/** What the statement draws, for messages and the head's parameter prefix. */
export interface DistSite {
  readonly target: VarInfo;
  /** e.g. `prior`, `emission`, `guide`, `aux`. */
  readonly section: string;
  readonly ctx: ExprContext;
}

/** Checks a distribution for a target variable; records head parameters into `params`. */
export function checkDist(d: A.Dist, site: DistSite, ex: ExprChecker, hyper: ReadonlyMap<string, number>,
  diags: Diagnostic[], params: ParamInfo[]): CDist | null {
  const fam = d.family.name;
  if (!(familyNames as readonly string[]).includes(fam)) {
    diags.push(E.unknownName(d.family.span, fam, 'distribution', familyNames));
    return null;
  }
  const family = fam as Family;
  const spec = families[family];
  const t = site.target;
  if (spec.support !== t.elem) {
    const fit = familyList.filter((f) => families[f].support === t.elem);
    const want = fit.length > 1 ? `${fit.slice(0, -1).join(', ')} or ${fit[fit.length - 1]}` : fit.join('');
    diags.push(E.distNotAllowed(d.family.span, family, `${t.name} is ${t.elem}[${t.width}]`, `use ${want}`));
    return null;
  }
  const widthError = spec.widthError(t.width);
  if (widthError) {
    diags.push(E.distNotAllowed(d.family.span, family, widthError.replace('the variable', t.name)));
    return null;
  }
  if (d.method && d.method.name !== 'head') {
    diags.push(E.unknownName(d.method.span, d.method.name, `method of ${family}`, ['head']));
    return null;
  }
  return d.method ? head(d, family, spec, site, ex, hyper, diags, params) : direct(d, family, spec, site, ex, diags);
}

function direct(d: A.Dist, family: Family, spec: FamilyRules, site: DistSite, ex: ExprChecker,
  diags: Diagnostic[]): CDist | null {
  const bound = bindArgs(d, family, spec.params, diags);
  if (!bound) return null;
  const checked: Record<string, CExpr> = {};
  let ok = true;
  for (const p of spec.params) {
    const c = ex.check(bound.get(p)!, site.ctx);
    if (c) checked[p] = c;
    else ok = false;
  }
  if (!ok) return null;
  const k = spec.size ? checked[spec.size.from]!.width : 1;
  const n = site.target.width;
  const widths = spec.widths(n, k);
  for (let i = 0; i < spec.params.length; i++) {
    const p = spec.params[i]!;
    const allowed = widths[i]!;
    if (!allowed.includes(checked[p]!.width)) {
      const expect = allowed.length === 2 ? `${allowed[0]} (or 1, broadcast)` : `${allowed[0]}`;
      const why = spec.size ? `${site.target.name}[t] : ${site.target.elem}[${n}] with ${k} ${spec.size.what} (the width of \`${spec.size.from}\`)` : `${site.target.name}[t] : ${site.target.elem}[${n}]`;
      diags.push(E.distParamWidth(bound.get(p)!.span, family, p, expect, checked[p]!.width, why));
      ok = false;
    }
  }
  return ok ? { family, params: checked, components: spec.size ? k : null, width: n, span: d.span } : null;
}

/** Matches positional and named arguments to parameter names. */
function bindArgs(d: A.Dist, family: string, names: readonly string[], diags: Diagnostic[]): Map<string, A.Expr> | null {
  const out = new Map<string, A.Expr>();
  let pos = 0;
  let ok = true;
  for (const a of d.args) {
    if (isNamed(a)) {
      if (!names.includes(a.name.name)) {
        diags.push(E.badOption(a.name.span, `${family} has no parameter \`${a.name.name}\``,
          `its parameters are ${names.join(', ')}` + (E.closest(a.name.name, names) ? `; did you mean \`${E.closest(a.name.name, names)}\`?` : '')));
        ok = false;
      } else if (out.has(a.name.name)) {
        diags.push(E.badOption(a.name.span, `${family} parameter \`${a.name.name}\` is given twice`, 'give each parameter once, by position or by name'));
        ok = false;
      } else out.set(a.name.name, a.value);
    } else {
      const p = names[pos++];
      if (p !== undefined && out.has(p)) {
        diags.push(E.badOption(a.span, `${family} parameter \`${p}\` is given twice`, 'positional arguments come before named ones'));
        ok = false;
      } else if (p !== undefined) out.set(p, a);
    }
  }
  if (ok && (pos > names.length || names.some((n) => !out.has(n)))) {
    diags.push(E.arity(d.span, family, `${names.length} parameter${names.length > 1 ? 's' : ''} (${names.join(', ')})`, d.args.length));
    return null;
  }
  return ok ? out : null;
}

/** `Family.head(v [, n] [, k = K])` (the size option by the family's name for it: `k`, `hidden`). */
function head(d: A.Dist, family: Family, spec: FamilyRules, site: DistSite, ex: ExprChecker,
  hyper: ReadonlyMap<string, number>, diags: Diagnostic[], params: ParamInfo[]): CDist | null {
  const pos = d.args.filter((a): a is A.Expr => !isNamed(a));
  const named = new Map(d.args.filter(isNamed).map((a) => [a.name.name, a] as const));
  const n = site.target.width;
  const size = spec.size;
  let ok = true;
  for (const [name, a] of named) {
    if (name !== size?.option) {
      diags.push(E.badOption(a.name.span, `${family}.head has no option \`${name}\``, size ? `its option is ${size.option} (${size.what})` : undefined));
      ok = false;
    }
  }
  const usage = size ? `(input, size, ${size.option} = ${size.what})` : '(input, size)';
  const maxPos = size?.positional ? 3 : 2;
  if (size && !size.positional && pos.length === 3) {
    const third = pos[2]!;
    const shown = third.kind === 'num' ? third.text : third.kind === 'name' ? third.name : '...';
    diags.push(E.badOption(third.span, `${family}.head takes the number of ${size.what} by name only`, `write \`${size.option} = ${shown}\``));
    return null;
  }
  if (pos.length < 1 || pos.length > maxPos) {
    diags.push(E.arity(d.span, `${family}.head`, usage, d.args.length));
    return null;
  }
  const input = ex.check(pos[0]!, site.ctx);
  if (pos[1]) {
    const v = evalConst(pos[1], hyper, diags);
    if (v === null) return null;
    if (v !== n) {
      diags.push(E.distParamWidth(pos[1].span, `${family}.head`, 'size', String(n), v, `${site.target.name}[t] : ${site.target.elem}[${n}]`));
      ok = false;
    }
  }
  let k = 1;
  if (size) {
    if (named.has(size.option) && pos[2]) {
      diags.push(E.badOption(named.get(size.option)!.span, `${family}.head: the number of ${size.what} is given twice`, `keep \`${size.option} = ...\` and drop the third positional argument`));
      return null;
    }
    const kExpr = named.get(size.option)?.value ?? pos[2];
    if (!kExpr) {
      diags.push(E.badOption(d.span, `${family}.head needs the number of ${size.what}`, `add \`${size.option} = ${size.option === 'k' ? 10 : 64}\``));
      return null;
    }
    const v = evalConst(kExpr, hyper, diags);
    if (v === null) return null;
    if (!Number.isInteger(v) || v < 1) {
      diags.push(E.badDimension(kExpr.span, v, `the number of ${size.what} must be a positive integer`));
      return null;
    }
    checkSizeLimit(kExpr.span, v, diags);
    k = v;
  }
  if (!input || !ok) return null;
  return headDist(family, input, n, k, `${site.section}.${site.target.name}`, d.span, params);
}

/**
 * The distribution `family.head(input, n, k)`: one affine layer from `input` to each parameter,
 * named `${prefix}.${param}.weight|bias` (recorded into `params`), mapped into its domain.
 */
export function headDist(family: Family, input: CExpr, n: number, k: number, prefix: string, span: A.Span, params: ParamInfo[]): CDist {
  const spec = families[family];
  const widths = spec.widths(n, k);
  const out: Record<string, CExpr> = {};
  spec.params.forEach((p, i) => {
    const w = widths[i]![0]!;
    if (spec.head[p] === 'free') {
      const bound = spec.freeInit?.(p, n, k);
      if (bound === undefined) throw new InternalError(`${family}: free head parameter ${p} has no initialization`);
      params.push({ name: `${prefix}.${p}`, shape: [w], init: { kind: 'uniform', bound } });
      out[p] = { k: 'param', name: `${prefix}.${p}`, width: w, span };
      return;
    }
    params.push({ name: `${prefix}.${p}.weight`, shape: [input.width, w], init: { kind: 'uniform', bound: 1 / Math.sqrt(input.width) } });
    params.push({ name: `${prefix}.${p}.bias`, shape: [w], init: { kind: 'zeros' } });
    const lin: CExpr = { k: 'affine', weight: `${prefix}.${p}.weight`, bias: `${prefix}.${p}.bias`, arg: input, width: w, span };
    out[p] = headTransform(spec.head[p] ?? 'identity', lin, span);
  });
  return { family, params: out, components: spec.size ? k : null, width: n, span };
}

/** Maps a raw affine output to the parameter's domain: softplus for scales, tanh for correlations. */
function headTransform(kind: HeadTransform, lin: CExpr, span: A.Span): CExpr {
  switch (kind) {
    case 'positive': {
      const sp: CExpr = { k: 'unary', fn: 'softplus', arg: lin, width: lin.width, span };
      return { k: 'binary', op: '+', left: sp, right: { k: 'const', value: MIN_SCALE, width: 1, span }, width: lin.width, span };
    }
    case 'correlation': {
      // Shrunk slightly so 1 - ρ² never reaches 0 when tanh saturates (|a| > 9 in float32).
      const th: CExpr = { k: 'unary', fn: 'tanh', arg: lin, width: lin.width, span };
      return { k: 'binary', op: '*', left: th, right: { k: 'const', value: 1 - 1e-6, width: 1, span }, width: lin.width, span };
    }
    case 'identity': return lin;
    case 'free': throw new InternalError('headTransform: a free parameter has no affine layer');
  }
}
