/** @file Net declarations: sizes, options, and the stable names and shapes of their parameters. */
import type * as A from '../ast.js';
import type { Activation, NetInfo, ParamInfo } from '../checked.js';
import type { Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';
import { evalDim } from './dims.js';
import { netKinds } from './scope.js';

const activations: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'softplus', 'none'];
const optionsOf: Record<NetInfo['kind'], readonly string[]> = {
  linear: [], mlp: ['hidden', 'act', 'out_act'], lstm: [], gru: [], rnn: ['act'],
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
    if (name === 'hidden') {
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
    outAct: k === 'mlp' ? (outAct ?? act) : 'none', span: d.span,
  };
}

/** The parameters of a net, named `net.weight`, `net.0.weight`, `net.weight_ih`, ... */
export function netParams(n: NetInfo): ParamInfo[] {
  const lin = (prefix: string, i: number, o: number): ParamInfo[] => [
    { name: `${prefix}.weight`, shape: [i, o], init: { kind: 'uniform', bound: 1 / Math.sqrt(i) } },
    { name: `${prefix}.bias`, shape: [o], init: { kind: 'zeros' } },
  ];
  const H = n.outDim;
  const u = { kind: 'uniform', bound: 1 / Math.sqrt(H) } as const;
  switch (n.kind) {
    case 'linear': return lin(n.name, n.inDim, n.outDim);
    case 'mlp': {
      const sizes = [n.inDim, ...n.hidden, n.outDim];
      return sizes.slice(1).flatMap((o, i) => lin(`${n.name}.${i}`, sizes[i]!, o));
    }
    case 'lstm': case 'gru': case 'rnn': {
      const g = n.kind === 'lstm' ? 4 : n.kind === 'gru' ? 3 : 1;
      const ps: ParamInfo[] = [
        { name: `${n.name}.weight_ih`, shape: [n.inDim, g * H], init: u },
        { name: `${n.name}.weight_hh`, shape: [H, g * H], init: u },
        { name: `${n.name}.bias_ih`, shape: [g * H], init: u },
      ];
      if (n.kind === 'gru') ps.push({ name: `${n.name}.bias_hh`, shape: [g * H], init: u });
      return ps;
    }
  }
}
