/**
 * @file Hover text for a name: what it is, its element type and width (variables), its sizes and
 * parameter shapes (nets), its value after overrides (hyperparameters); help for the language's
 * own words (families, net kinds, builtins, activations).
 */
import type { Span } from '../compiler/ast.js';
import { unreachable } from '../compiler/ast.js';
import { printExpr } from '../compiler/format.js';
import { constantValue, type Analysis } from './analysis.js';
import type { Occurrence, SeqSymbol } from './symbols.js';
import { activations, builtins, families, has, netKinds } from './vocabulary.js';

/** A hover's markdown and the span it describes. */
export interface HoverText {
  readonly markdown: string;
  readonly span: Span;
}

const code = (s: string): string => '```seq\n' + s + '\n```';

/** The hover for the name at `offset`, or null where there is nothing to say. */
export function hoverAt(a: Analysis, offset: number): HoverText | null {
  const occ = a.index?.at(offset);
  if (!occ) return null;
  const md = occ.symbol ? describeSymbol(a, occ.symbol, occ) : describeWord(occ);
  return md ? { markdown: md, span: occ.span } : null;
}

function describeSymbol(a: Analysis, s: SeqSymbol, occ: Occurrence): string {
  switch (s.kind) {
    case 'hyper': {
      const h = a.hyper.get(s.name)!;
      const kind = s.decl.isInteger ? 'integer hyperparameter' : 'hyperparameter';
      const from = h.overridden ? ` (declared ${s.decl.text}; overridden like \`--set ${s.name}=${h.value}\`)` : ' (the declared default)';
      return `${code(`${s.name} = ${h.value}`)}\n${kind}: value **${h.value}**${from}`;
    }
    case 'var': return describeVar(a, s, occ);
    case 'net': return describeNet(a, s);
    case 'fn': {
      const d = s.decl;
      return `${code(`fn ${s.name}(${d.params.map((p) => p.name).join(', ')}) = ${printExpr(d.body)}`)}\n` +
        `function of ${d.params.length} parameter${d.params.length === 1 ? '' : 's'}, expanded inline at each call`;
    }
    case 'let':
      return `${code(`let ${s.name} = ${printExpr(s.decl.value)}`)}\nnamed expression${s.owner === 'guide' ? ' of the guide' : ''}, substituted where it is used`;
    case 'param':
      return `${code(s.name)}\nparameter of \`fn ${s.fn.name.name}(${s.fn.params.map((p) => p.name).join(', ')})\``;
    default: return unreachable(s);
  }
}

function describeVar(a: Analysis, s: Extract<SeqSymbol, { kind: 'var' }>, occ: Occurrence): string {
  const d = s.decl;
  const info = a.result.model?.vars.get(s.name);
  const width = info?.width ?? constantValue(d.dim, a.hyper);
  const dimText = printExpr(d.dim);
  const widthText = width === null ? `width \`${dimText}\`` : `width **${width}**${String(width) === dimText ? '' : ` (\`${dimText}\`)`}`;
  const lines = [`${roleText[d.role]}${s.owner === 'guide' ? ' of the guide' : ''} · element type **${d.elem}** · ${widthText}`];
  if (d.role === 'state') {
    const dir = info?.direction;
    lines.push(`initial value: ${d.init ?? 'zeros'}` + (dir === 'forward' ? ' (before the first step; runs forward in time)' : dir === 'backward' ? ' (after the last step; runs backward in time)' : ''));
  }
  const ref = occ.role === 'ref' && a.index ? refOffset(a, occ) : null;
  if (ref !== null) lines.push(`read here at \`t${ref === 0 ? '' : ref > 0 ? `+${ref}` : `-${-ref}`}\``);
  const init = d.init ? ` = ${d.init}` : '';
  return `${code(`${d.role} ${s.name}[t] : ${d.elem}[${width ?? dimText}]${init}`)}\n${lines.join('  \n')}`;
}

const roleText: Record<'observe' | 'input' | 'latent' | 'state', string> = {
  observe: 'observed variable', input: 'control input', latent: 'latent variable', state: 'deterministic state',
};

/** The time offset written at a `v[t±k]` occurrence. */
function refOffset(a: Analysis, occ: Occurrence): number | null {
  const m = /^\s*\[\s*t\s*(?:([+-])\s*(\d+))?\s*\]/.exec(a.text.slice(occ.span.end));
  if (!m) return null;
  return m[1] ? (m[1] === '-' ? -1 : 1) * Number(m[2]) : 0;
}

function describeNet(a: Analysis, s: Extract<SeqSymbol, { kind: 'net' }>): string {
  const d = s.decl;
  const info = a.result.model?.nets.get(s.name);
  const inDim = info?.inDim ?? constantValue(d.inDim, a.hyper);
  const outDim = info?.outDim ?? constantValue(d.outDim, a.hyper);
  const opts = d.options.map((o) => `, ${printExpr(o)}`).join('');
  const kind = has(netKinds, d.netKind.name) ? d.netKind.name : null;
  const lines = [`net · ${kind ?? `unknown kind \`${d.netKind.name}\``}${kind && netKinds[kind].recurrent ? ' (recurrent)' : ''} · ${inDim ?? printExpr(d.inDim)} → ${outDim ?? printExpr(d.outDim)}`];
  const params = a.result.model?.params.filter((p) => p.name.startsWith(`${s.name}.`));
  if (params?.length) {
    const total = params.reduce((n, p) => n + p.shape.reduce((x, y) => x * y, 1), 0);
    lines.push('', '| parameter | shape |', '|---|---|', ...params.map((p) => `| \`${p.name}\` | [${p.shape.join(', ')}] |`), '',
      `${total.toLocaleString('en-US')} parameters`);
  } else if (!a.result.model) lines.push('', '_parameter shapes appear when the model checks without errors_');
  return `${code(`net ${s.name} = ${d.netKind.name}(${printExpr(d.inDim)} -> ${printExpr(d.outDim)}${opts})`)}\n${lines.join('\n')}`;
}

/** Help for a word the language defines; null for names that are simply unknown. */
function describeWord(occ: Occurrence): string | null {
  const n = occ.name;
  switch (occ.at) {
    case 'family':
      return has(families, n) ? `${code(families[n].signature)}\ndistribution over \`${families[n].support}\`: ${families[n].doc}  \nhead: \`${families[n].head}\`` : null;
    case 'method': return n === 'head' ? 'head: linear layers from the input to every parameter of the family (positive ones through softplus)' : null;
    case 'netKind': return has(netKinds, n) ? `${code(netKinds[n].signature)}\n${netKinds[n].doc}` : null;
    case 'callee': return has(builtins, n) ? `${code(`${n}(...)`)}\nbuiltin: ${builtins[n]}` : null;
    case 'name': return has(activations, n) ? `activation \`${n}\`: ${activations[n]}` : null;
    case 'varRef': case 'option': return null;
    default: return unreachable(occ.at);
  }
}
