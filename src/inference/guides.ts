/**
 * @file The default structured guide, for models written without one: the "ST-R" inference
 * network of Krishnan et al. 2017 (deep Markov models). A GRU runs BACKWARD in time over every
 * observed and input variable, so r[t] summarizes x[t:]; each latent is then
 *
 *     z[t] ~ Normal.head(0.5 * (tanh(W z[t-1] + b) + r[t]), z_dim)
 *
 * i.e. the combiner of the paper. The guide is built directly as checked-model parts (nets,
 * parameters, a backward guide state, guide samples and their dependency edges) with the same
 * constructors the checker uses, so its parameter names and shapes are those the equivalent
 * hand-written guide would get. Its width is the model's `guide_dim` hyperparameter if it
 * declares one, else 64. Generated names start with `_guide`, which user names cannot clash with
 * (they are ordinary identifiers, and the checker rejects a model that declares them).
 */
import type { AssignDef, CExpr, CheckedModel, Def, NetInfo, ParamInfo, SampleDef, VarInfo } from '../compiler/checked.js';
import { distReads, readsOf } from '../compiler/checked.js';
import { headDist } from '../compiler/check/dists.js';
import { netParamNames, netParams } from '../compiler/check/nets.js';

/** Default width of the guide's RNN when the model has no `guide_dim` hyperparameter. */
export const DEFAULT_GUIDE_DIM = 64;

/** The model with the default guide added. */
export function withDefaultGuide(m: CheckedModel): CheckedModel {
  const dim = m.hyper.get('guide_dim') ?? DEFAULT_GUIDE_DIM;
  const vars = [...m.vars.values()];
  const seen = vars.filter((v) => v.role === 'observe' || v.role === 'input');
  const latents = vars.filter((v) => v.role === 'latent');
  const span = latents[0]!.span;
  const net = (name: string, kind: NetInfo['kind'], inDim: number): NetInfo => ({
    name, kind, inDim, outDim: dim, hidden: [], act: 'relu', outAct: 'none', dropout: 0, params: netParamNames(name, kind, 0), span,
  });
  const rnn = net('_guide_rnn', 'gru', seen.reduce((s, v) => s + v.width, 0));
  const combs = latents.map((z) => net(`_guide_comb_${z.name}`, 'linear', z.width));
  const r: VarInfo = { name: '_guide_r', role: 'state', elem: 'real', width: dim, owner: 'guide', init: 'zeros', initParam: null, direction: 'backward', span };
  const read = (v: { name: string; width: number }, offset: number): CExpr => ({ k: 'read', name: v.name, offset, width: v.width, span });
  const update: AssignDef = {
    target: r.name, span,
    value: { k: 'cell', net: rnn.name, state: r.name, prev: read(r, 1), inputs: seen.map((v) => read(v, 0)), width: dim, span },
  };
  const guideHeads: ParamInfo[] = [];
  const samples: SampleDef[] = latents.map((z, i) => {
    // 0.5 * (tanh(comb(z[t-1])) + r[t])
    const comb: CExpr = { k: 'net', net: combs[i]!.name, args: [read(z, -1)], width: dim, span };
    const sum: CExpr = { k: 'binary', op: '+', left: { k: 'unary', fn: 'tanh', arg: comb, width: dim, span }, right: read(r, 0), width: dim, span };
    const input: CExpr = { k: 'binary', op: '*', left: { k: 'const', value: 0.5, width: 1, span }, right: sum, width: dim, span };
    return { target: z.name, dist: headDist('Normal', input, z.width, 1, `guide.${z.name}`, span, guideHeads), span };
  });
  const defs: Def[] = [
    ...m.defs,
    { target: r.name, kind: 'guideState', reads: readsOf(update.value), where: `the guide state ${r.name}[t]` },
    ...samples.map((s): Def => ({ target: s.target, kind: 'guideSample', reads: distReads(s.dist), where: `the guide for ${s.target}[t]` })),
  ];
  // Parameter order as the checker would give a hand-written guide: nets in declaration order
  // (the guide's after the model's), learned initial values, then distribution heads.
  const netCount = [...m.nets.values()].reduce((n, x) => n + netParams(x).length, 0);
  const generated = [rnn, ...combs].flatMap(netParams);
  const params = [...m.params.slice(0, netCount), ...generated, ...m.params.slice(netCount), ...guideHeads];
  return {
    ...m,
    vars: new Map([...m.vars, [r.name, r]]),
    nets: new Map([...m.nets, ...[rnn, ...combs].map((n) => [n.name, n] as const)]),
    guide: { samples, transitions: [update] },
    params, defs,
  };
}
