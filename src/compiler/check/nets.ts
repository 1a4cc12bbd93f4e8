/** @file Net declarations: sizes, options, and the stable names and shapes of their parameters. */
import type * as A from '../ast.js';
import type { Activation, NetInfo, NetParamNames, ParamInfo } from '../checked.js';
import type { Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';
import { evalConst, evalDim } from './dims.js';
import { netKinds } from './scope.js';

const activations: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'softplus', 'none'];
const optionsOf: Record<NetInfo['kind'], readonly string[]> = {
  linear: ['dropout'], mlp: ['hidden', 'act', 'out_act', 'dropout'], lstm: ['dropout'], gru: ['dropout'], rnn: ['act', 'dropout'],
};

/** Resolves a net declaration; null after reporting errors. */
export function checkNet(d: A.NetDecl, hyper: ReadonlyMap<string, number>, diags: Diagnostic[]): NetInfo | null {
  const kind = d.netKind.name;
  if (!(netKinds as readonly string[]).includes(kind)) {
    diags.push(E.unknownName(d.netKind.span, kind, 'net kind', netKinds));
    return null;
  }
  const k = kind as NetInfo['kind'];
  const inDim = evalDim(d.inDim, hyper, diags);
  const outDim = evalDim(d.outDim, hyper, diags);
  let hidden: number[] = [];
  let act: Activation = k === 'rnn' ? 'tanh' : 'relu';
  let outAct: Activation | null = null;
  let dropout = 0;
  let ok = inDim !== null && outDim !== null;
  const seen = new Set<string>();
  for (const o of d.options) {
    const name = o.name.name;
    if (!optionsOf[k].includes(name)) {
      const opts = optionsOf[k];
      diags.push(E.badOption(o.name.span, `${kind} has no option \`${name}\``,
        opts.length ? `its options are ${opts.join(', ')}` : `${kind} takes no options`));
      ok = false;
      continue;
    }
    if (seen.has(name)) {
      diags.push(E.badOption(o.name.span, `option \`${name}\` is given twice`));
      ok = false;
    }
    seen.add(name);
    if (name === 'dropout') {
      const v = evalConst(o.value, hyper, diags, 'dropout rates');
      if (v === null) ok = false;
      else if (!(v >= 0 && v < 1)) {
        diags.push(E.badOption(o.value.span, `a dropout rate must be at least 0 and below 1, got ${v}`,
          'it is the probability of zeroing a unit in training, such as `dropout = 0.2`; 0 turns it off' +
          (o.value.kind === 'name' ? ` (the value is the hyperparameter \`${o.value.name}\`: check any \`--set\` values)` : '')));
        ok = false;
      } else dropout = v;
    } else if (name === 'hidden') {
      const items = o.value.kind === 'list' ? o.value.items : [o.value];
      const dims = items.map((it) => evalDim(it, hyper, diags));
      if (dims.some((x) => x === null)) ok = false;
      else hidden = dims as number[];
    } else {
      const v = o.value.kind === 'name' ? o.value.name : '';
      if (!(activations as readonly string[]).includes(v)) {
        diags.push(E.badOption(o.value.span, v ? `\`${v}\` is not an activation` : `\`${o.name.name}\` must be an activation name`,
          `use one of ${activations.join(', ')}` + (E.closest(v, activations) ? `; did you mean \`${E.closest(v, activations)}\`?` : '')));
        ok = false;
      } else if (name === 'act') act = v as Activation;
      else outAct = v as Activation;
    }
  }
  if (!ok) return null;
  return {
    name: d.name.name, kind: k, inDim: inDim!, outDim: outDim!, hidden, act,
    outAct: k === 'mlp' ? (outAct ?? act) : 'none', dropout, params: netParamNames(d.name.name, k, hidden.length), span: d.span,
  };
}

/** The stable parameter names of a net: `net.weight`, `net.0.weight`, `net.weight_ih`, ... */
export function netParamNames(name: string, kind: NetInfo['kind'], hiddenLayers: number): NetParamNames {
  const layer = (prefix: string) => ({ weight: `${prefix}.weight`, bias: `${prefix}.bias` });
  switch (kind) {
    case 'linear': return { kind: 'layers', layers: [layer(name)] };
    case 'mlp': return { kind: 'layers', layers: Array.from({ length: hiddenLayers + 1 }, (_, i) => layer(`${name}.${i}`)) };
    case 'lstm': case 'gru': case 'rnn':
      return { kind: 'cell', weightIh: `${name}.weight_ih`, weightHh: `${name}.weight_hh`, biasIh: `${name}.bias_ih`, biasHh: kind === 'gru' ? `${name}.bias_hh` : null };
  }
}

/** The parameters of a net with their shapes and initializers, in `n.params` order. */
export function netParams(n: NetInfo): ParamInfo[] {
  const H = n.outDim;
  const p = n.params;
  if (p.kind === 'layers') {
    const sizes = [n.inDim, ...n.hidden, n.outDim];
    return p.layers.flatMap((l, i) => [
      { name: l.weight, shape: [sizes[i]!, sizes[i + 1]!], init: { kind: 'uniform', bound: 1 / Math.sqrt(sizes[i]!) } },
      { name: l.bias, shape: [sizes[i + 1]!], init: { kind: 'zeros' } },
    ] satisfies ParamInfo[]);
  }
  const g = n.kind === 'lstm' ? 4 : n.kind === 'gru' ? 3 : 1;
  const u = { kind: 'uniform', bound: 1 / Math.sqrt(H) } as const;
  const ps: ParamInfo[] = [
    { name: p.weightIh, shape: [n.inDim, g * H], init: u },
    { name: p.weightHh, shape: [H, g * H], init: u },
    { name: p.biasIh, shape: [g * H], init: u },
  ];
  if (p.biasHh) ps.push({ name: p.biasHh, shape: [g * H], init: u });
  return ps;
}
