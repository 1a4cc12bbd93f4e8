/**
 * @file The checker: AST → CheckedModel. Resolves names, widths and time indices and reports
 * every independent error it finds in one run.
 */
import type * as A from '../ast.js';
import { unreachable } from '../ast.js';
import type { AssignDef, AuxDef, CExpr, CheckedModel, ParamInfo, SampleDef, VarInfo } from '../checked.js';
import { distReads, readsOf } from '../checked.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';
import { evalConst, evalDim, resolveHyper, type Override } from './dims.js';
import { checkDist, reparameterizable } from './dists.js';
import { ExprChecker, type ExprContext } from './exprs.js';
import { checkNet, netParams } from './nets.js';
import { checkParamCount, type ParamOwner } from './size.js';
import { Scope } from './scope.js';
import { checkTime, type Def } from './time.js';
import { checkDiscreteLatents } from './discrete.js';

/** The checker's verdict: a model when there are no errors, diagnostics (errors and warnings) always. */
export interface CheckResult {
  readonly model: CheckedModel | null;
  readonly diagnostics: readonly Diagnostic[];
  /** True when the model has latents but no guide: the default structured guide will be used. */
  readonly needsDefaultGuide: boolean;
}

type MutableVar = { -readonly [K in keyof VarInfo]: VarInfo[K] };

/** Checks a parsed program. Throws OverrideError for bad `--set` overrides (a usage error). */
export function check(program: A.Program, text: string, overrides: readonly Override[] = []): CheckResult {
  const model = program.model;
  const hyper = resolveHyper(model, overrides);
  const diags: Diagnostic[] = [];
  const scope = new Scope(text);
  const vars = new Map<string, MutableVar>();
  const declare = (name: A.Ident, sym: Parameters<Scope['syms']['set']>[1]): void => {
    const prev = scope.syms.get(name.name);
    if (prev) diags.push(E.duplicateName(name.span, name.name, prev.span));
    else scope.syms.set(name.name, sym);
  };
  for (const h of model.hyperParams) declare(h.name, { kind: 'hyper', name: h.name.name, span: h.name.span, value: hyper.get(h.name.name)! });

  const declareVar = (d: A.VarDecl, owner: 'model' | 'guide'): void => {
    if (d.init && d.role !== 'state') {
      diags.push(E.misplacedDecl(d.span, `only states have an initial value; \`${d.name.name}\` is ${roleText(d.role)}`, `remove \`= ${d.init}\``));
    }
    if (owner === 'guide' && d.role !== 'state') {
      diags.push(E.misplacedDecl(d.span, `only states can be declared inside a guide; \`${d.name.name}\` is ${roleText(d.role)}`,
        'declare observed, input and latent variables at the top level of the model'));
      return;
    }
    if (d.role === 'state' && d.elem === 'cat') {
      diags.push(E.misplacedDecl(d.span, `states are real vectors; \`${d.name.name}\` is declared cat`, `declare it \`real[...]\`, or make it a latent`));
    }
    if (d.role === 'latent' && d.elem === 'binary') {
      diags.push(E.distNotAllowed(d.span, 'binary latent', 'latent variables must be real (training uses reparameterized samples)'));
    }
    const width = evalDim(d.dim, hyper, diags) ?? -1;
    const info: MutableVar = {
      name: d.name.name, role: d.role, elem: d.elem, width, owner,
      init: d.role === 'state' ? (d.init ?? 'zeros') : null, initParam: d.role === 'state' && d.init === 'learned' ? `${d.name.name}.init` : null, direction: d.role === 'state' ? 'none' : null, span: d.name.span,
    };
    if (!scope.syms.has(d.name.name)) vars.set(d.name.name, info);
    declare(d.name, { kind: 'var', name: d.name.name, span: d.name.span, info });
  };

  const guideItems: A.GuideItem[] = [];
  let hasGuide = false;
  for (const item of model.items) {
    switch (item.kind) {
      case 'var': declareVar(item, 'model'); break;
      case 'net': declare(item.name, { kind: 'net', name: item.name.name, span: item.name.span, info: checkNet(item, hyper, diags), decl: item }); break;
      case 'fn': {
        const seen = new Map<string, A.Span>();
        for (const p of item.params) {
          if (seen.has(p.name)) diags.push(E.duplicateName(p.span, p.name, seen.get(p.name)!));
          seen.set(p.name, p.span);
        }
        declare(item.name, { kind: 'fn', name: item.name.name, span: item.name.span, decl: item });
        break;
      }
      case 'let': declare(item.name, { kind: 'let', name: item.name.name, span: item.name.span, decl: item, owner: 'model' }); break;
      case 'guideBlock':
        hasGuide = true;
        for (const g of item.items) {
          if (g.kind === 'var') declareVar(g, 'guide');
          else if (g.kind === 'let') declare(g.name, { kind: 'let', name: g.name.name, span: g.name.span, decl: g, owner: 'guide' });
          guideItems.push(g);
        }
        break;
      case 'sample': if (item.section === 'guide') hasGuide = true; break;
      case 'assign': case 'aux': break;
      default: unreachable(item);
    }
  }

  const ex = new ExprChecker(scope, hyper, diags);
  const headParams: ParamInfo[] = [];
  /** Which statement's head created headParams[from, to). */
  const headOwners: { what: string; span: A.Span; from: number; to: number }[] = [];
  const distWithHeads = (d: A.Dist, site: Parameters<typeof checkDist>[1]): ReturnType<typeof checkDist> => {
    const from = headParams.length;
    const r = checkDist(d, site, ex, hyper, diags, headParams);
    if (headParams.length > from) headOwners.push({ what: `the ${d.family.name}.head of ${site.section} ${site.target.name}[t]`, span: d.span, from, to: headParams.length });
    return r;
  };
  const defs: Def[] = [];
  const priors: SampleDef[] = [];
  const emissions: SampleDef[] = [];
  const transitions: AssignDef[] = [];
  const guideSamples: SampleDef[] = [];
  const guideTransitions: AssignDef[] = [];
  const aux: AuxDef[] = [];
  const firstDef = new Map<string, A.Span>();
  /** Definitions tried with the wrong statement: not reported again as missing. */
  const attempted = new Set<string>();

  /** Resolves and validates a statement's target; null if unusable. */
  const target = (r: A.VarRef, stmt: string, defKey: string, wantRole: A.Role, wantOwner: 'model' | 'guide' | null, hint: (v: VarInfo) => string | undefined): VarInfo | null => {
    const v = vars.get(r.name.name);
    if (!v) {
      if (!scope.syms.has(r.name.name)) diags.push(E.unknownName(r.name.span, r.name.name, 'variable', vars.keys()));
      else diags.push(E.notIndexable(r.span, r.name.name, 'not a per-step variable'));
      return null;
    }
    if (v.role !== wantRole || (wantOwner && v.owner !== wantOwner)) {
      // The user meant to define v: do not also report it as undefined.
      const proper = v.role === 'observe' ? 'emission' : v.role === 'latent' ? (defKey === 'guide' ? 'guide' : 'prior') : v.role === 'state' ? 'assign' : '';
      if (proper) firstDef.set(`${proper}:${v.name}`, r.span);
      diags.push(E.wrongTarget(r.name.span, stmt, r.name.name, v.owner === 'guide' && v.role === 'state' ? 'a guide state' : roleText(v.role), hint(v)));
      return null;
    }
    const key = `${defKey}:${v.name}`;
    if (r.offset !== 0) {
      diags.push(E.targetNotAtT(r.span, r.name.name));
      attempted.add(key);
      return null;
    }
    const first = firstDef.get(key);
    if (first) {
      diags.push(E.duplicateDefinition(r.span, `the ${stmt} of ${v.name}[t]`, first));
      return null;
    }
    firstDef.set(key, r.span);
    return v.width > 0 ? v : null;
  };
  const sampleHint = (stmt: string) => (v: VarInfo): string | undefined => {
    if (v.role === 'observe') return `observed variables are drawn by \`emission ${v.name}[t] ~ ...\``;
    if (v.role === 'latent') return `latent variables are drawn by \`${stmt === 'guide' ? 'guide' : 'prior'} ${v.name}[t] ~ ...\``;
    if (v.role === 'state') return `states are assigned: \`${v.owner === 'guide' ? '' : 'transition '}${v.name}[t] = ...\``;
    return `\`${v.name}\` is a control input, given with the data`;
  };

  const sample = (s: A.SampleStmt): void => {
    const section = s.section;
    const role: A.Role = section === 'emission' ? 'observe' : 'latent';
    const v = target(s.target, section, section, role, null, sampleHint(section));
    if (!v) return;
    if (section === 'guide' && v.elem === 'cat') {
      diags.push(E.discreteLatentRule(s.target.span, `\`${v.name}\` is a discrete latent: it is summed out exactly and has no guide`, 'remove this guide statement'));
      return;
    }
    const where = section === 'guide' ? `the guide for ${v.name}[t]` : `the ${section} of ${v.name}[t]`;
    const ctx: ExprContext = { where, inGuide: section === 'guide' };
    const dist = distWithHeads(s.dist, { target: v, section, ctx });
    if (section === 'guide' && dist && !reparameterizable.includes(dist.family)) {
      diags.push(E.distNotAllowed(s.dist.family.span, dist.family, 'a guide needs a reparameterized sample', `use ${reparameterizable.join(' or ')}`));
      return;
    }
    if (!dist) return;
    const def: SampleDef = { target: v.name, dist, span: s.span };
    (section === 'prior' ? priors : section === 'emission' ? emissions : guideSamples).push(def);
    defs.push({ target: v.name, kind: section === 'guide' ? 'guideSample' : section, reads: distReads(dist), where });
  };

  const assign = (s: A.AssignStmt): void => {
    const owner = s.section === 'guide' ? 'guide' : 'model';
    const v = target(s.target, s.section === 'guide' ? 'guide update' : 'transition', 'assign', 'state', owner, (t) =>
      t.role === 'state' ? (t.owner === 'guide' ? 'guide states are updated inside `guide { ... }`' : 'model states are updated by `transition`')
        : sampleHint('transition')(t));
    if (!v) return;
    const where = owner === 'guide' ? `the guide state ${v.name}[t]` : `the transition of ${v.name}[t]`;
    const ctx: ExprContext = { where, inGuide: owner === 'guide' };
    const value = assignValue(s, v, ctx);
    if (!value) return;
    if (value.width !== v.width) {
      diags.push(E.assignWidth(s.value.span, `${v.name}[t]`, v.width, value.width));
      return;
    }
    (owner === 'guide' ? guideTransitions : transitions).push({ target: v.name, value, span: s.span });
    defs.push({ target: v.name, kind: owner === 'guide' ? 'guideState' : 'transition', reads: readsOf(value), where });
  };

  /** A state's value: a recurrent cell step `net(s[t∓1], inputs...)`, or any expression. */
  const assignValue = (s: A.AssignStmt, v: VarInfo, ctx: ExprContext): CExpr | null => {
    const e = s.value;
    const sym = e.kind === 'call' ? scope.syms.get(e.callee.name) : undefined;
    if (e.kind !== 'call' || sym?.kind !== 'net' || !sym.info || !['lstm', 'gru', 'rnn'].includes(sym.info.kind)) return ex.check(e, ctx);
    scope.used.add(sym.name);
    const net = sym.info;
    const [first, ...rest] = e.args;
    const example = `${net.name}(${v.name}[t-1], inputs...)`;
    if (!first || first.kind !== 'varRef' || first.name.name !== v.name || first.offset === 0 || Math.abs(first.offset) > 1) {
      if (first && first.kind === 'varRef' && first.name.name === v.name && first.offset === 0) {
        diags.push(E.stateReadsItself(first.span, v.name, false));
      } else {
        diags.push(E.cellMisuse(first?.span ?? e.span, net.name, `must take the previous value of ${v.name} as its first argument`, `write \`${example}\` (or ${v.name}[t+1] for a backward state)`));
      }
      return null;
    }
    if (rest.length === 0) {
      diags.push(E.arity(e.span, net.name, 'the previous state and at least one input', 1));
      return null;
    }
    const inputs: CExpr[] = [];
    for (const a of rest) {
      if (a.kind === 'named') {
        diags.push(E.badOption(a.span, `\`${net.name}\` takes no named arguments`));
        return null;
      }
      const c = ex.check(a, ctx);
      if (!c) return null;
      inputs.push(c);
    }
    if (!ex.checkNetWidth(e, net.name, net.inDim, inputs, rest as A.Expr[])) return null;
    if (net.outDim !== v.width) {
      diags.push(E.assignWidth(e.span, `${v.name}[t]`, v.width, net.outDim));
      return null;
    }
    const prev = ex.check(first, ctx)!;
    return { k: 'cell', net: net.name, state: v.name, prev, inputs, width: net.outDim, span: e.span };
  };

  for (const item of model.items) {
    if (item.kind === 'sample') sample(item);
    else if (item.kind === 'assign') assign(item);
    else if (item.kind === 'aux') {
      const v = vars.get(item.target.name.name);
      if (!v) {
        diags.push(E.unknownName(item.target.name.span, item.target.name.name, 'variable', vars.keys()));
        continue;
      }
      if (item.target.offset !== 0) {
        diags.push(E.targetNotAtT(item.target.span, v.name));
        continue;
      }
      if (v.role === 'input' || v.role === 'latent') {
        diags.push(E.wrongTarget(item.target.name.span, 'aux', v.name, roleText(v.role), 'auxiliary terms score observed variables or states'));
        continue;
      }
      const auxKey = `aux:${v.name}`;
      if (firstDef.has(auxKey)) {
        diags.push(E.duplicateDefinition(item.target.span, `the auxiliary term of ${v.name}[t]`, firstDef.get(auxKey)!));
        continue;
      }
      firstDef.set(auxKey, item.target.span);
      const weight = item.weight ? evalConst(item.weight, hyper, diags, 'weights') : 1;
      if (weight !== null && !(weight >= 0)) {
        diags.push(E.badOption(item.weight!.span, `an auxiliary weight must be at least 0, but this is ${weight}`));
        continue;
      }
      const where = `the auxiliary term for ${v.name}[t]`;
      const dist = v.width > 0 ? distWithHeads(item.dist, { target: v, section: 'aux', ctx: { where, inGuide: true } }) : null;
      if (dist && weight !== null) {
        aux.push({ target: v.name, dist, span: item.span, weight });
        defs.push({ target: v.name, kind: 'aux', reads: [...distReads(dist), { name: v.name, offset: 0, span: item.target.span }], where });
      }
    }
  }
  for (const g of guideItems) {
    if (g.kind === 'sample') sample(g);
    else if (g.kind === 'assign') assign(g);
  }

  // Directions of states, from how their updates read themselves.
  for (const d of [...transitions, ...guideTransitions]) {
    const v = vars.get(d.target)!;
    const selfReads = readsOf(d.value).filter((r) => r.name === d.target && r.offset !== 0);
    const back = selfReads.find((r) => r.offset > 0);
    const fwd = selfReads.find((r) => r.offset < 0);
    if (back && fwd) diags.push(E.mixedDirection(back.span, d.target));
    v.direction = back ? 'backward' : fwd ? 'forward' : 'none';
    if (back && v.owner === 'model') diags.push(E.backwardGenerative(back.span, d.target));
  }
  checkTime(defs, vars, diags);
  checkDiscreteLatents(defs, vars, diags);

  // Completeness.
  for (const v of vars.values()) {
    const has = (key: string): boolean => firstDef.has(`${key}:${v.name}`) || attempted.has(`${key}:${v.name}`);
    if (v.role === 'latent') {
      if (!has('prior')) diags.push(E.missingDefinition(v.span, v.name, 'latent', 'prior', `prior ${v.name}[t] ~ Normal(0, 1)`));
      if (hasGuide && v.elem !== 'cat' && !has('guide')) diags.push(E.missingDefinition(v.span, v.name, 'latent', 'guide', `guide ${v.name}[t] ~ Normal.head(...)`));
    } else if (v.role === 'observe' && !has('emission')) {
      diags.push(E.missingDefinition(v.span, v.name, 'observed variable', 'emission', `emission ${v.name}[t] ~ Normal.head(...)`));
    } else if (v.role === 'state' && !has('assign')) {
      const ex2 = v.owner === 'guide' ? `${v.name}[t] = ...` : `transition ${v.name}[t] = ...`;
      diags.push(E.missingDefinition(v.span, v.name, v.owner === 'guide' ? 'guide state' : 'state', 'update', ex2));
    }
  }
  for (const s of scope.syms.values()) {
    if (s.kind === 'let' && !scope.used.has(s.name)) ex.checkUnusedLet(s.decl, { where: `let ${s.name}`, inGuide: s.owner === 'guide' });
  }
  const anyErrors = diags.some((d) => d.severity === 'error');
  for (const s of anyErrors ? [] : scope.syms.values()) {
    if ((s.kind === 'net' || s.kind === 'fn' || s.kind === 'let') && !scope.used.has(s.name)) {
      diags.push(E.unused(s.span, `${s.kind === 'net' ? 'net' : s.kind === 'fn' ? 'function' : 'let'} \`${s.name}\``));
    }
  }

  const params: ParamInfo[] = [];
  const owners: ParamOwner[] = [];
  for (const s of scope.syms.values()) {
    if (s.kind !== 'net' || !s.info) continue;
    const ps = netParams(s.info);
    for (const p of ps) params.push(p);
    owners.push({ what: `net ${s.name}`, span: s.span, params: ps });
  }
  for (const v of vars.values()) {
    if (!v.initParam) continue;
    const p: ParamInfo = { name: v.initParam, shape: [v.width], init: { kind: 'zeros' } };
    params.push(p);
    owners.push({ what: `the initial value of ${v.name}`, span: v.span, params: [p] });
  }
  for (const p of headParams) params.push(p);
  for (const h of headOwners) owners.push({ ...h, params: headParams.slice(h.from, h.to) });
  checkParamCount(owners, model.name.span, overrides, diags);

  const sorted = dedupe(sortDiagnostics(diags));
  const latents = [...vars.values()].filter((v) => v.role === 'latent' && v.elem !== 'cat');
  const needsDefaultGuide = !hasGuide && latents.length > 0;
  if (sorted.some((d) => d.severity === 'error')) return { model: null, diagnostics: sorted, needsDefaultGuide };
  const nets = new Map([...scope.syms.values()].flatMap((s) => (s.kind === 'net' && s.info ? [[s.name, s.info] as const] : [])));
  const checked: CheckedModel = {
    name: model.name.name, hyper, vars, nets, priors, emissions, transitions,
    guide: hasGuide ? { samples: guideSamples, transitions: guideTransitions } : null, aux, params, defs,
  };
  return { model: checked, diagnostics: sorted, needsDefaultGuide };
}

function roleText(r: A.Role): string {
  return r === 'observe' ? 'observed' : r === 'input' ? 'a control input' : r === 'latent' ? 'latent' : 'a state';
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.span.start}:${d.span.end}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
