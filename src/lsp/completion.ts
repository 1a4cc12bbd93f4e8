/**
 * @file Completion: what may be typed at the cursor, from the text before it on its line (the
 * file rarely parses while it is being typed) and the names of the last version that parsed.
 */
import { unreachable } from '../compiler/ast.js';
import type { Analysis } from './analysis.js';
import type { SeqSymbol, SymbolIndex } from './symbols.js';
import { activations, builtins, elemTypes, families, itemKeywords, netKinds, stateInits } from './vocabulary.js';

/** What a completion inserts, independent of the protocol's numbering of kinds. */
export type CompletionKind = 'keyword' | 'variable' | 'net' | 'function' | 'hyper' | 'let' | 'family' | 'netKind' | 'builtin' | 'method' | 'value';

/** One suggestion. */
export interface Completion {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail: string;
}

/** Where the cursor is, judged from the text before it on the line. */
type Context = 'netKind' | 'family' | 'method' | 'activation' | 'elemType' | 'stateInit' | 'itemStart' | 'expression' | 'none';

function contextOf(before: string): Context {
  const line = before.replace(/^.*\n/s, '');
  if (/#/.test(line)) return 'none';
  if (/\bnet\s+\w+\s*=\s*\w*$/.test(line)) return 'netKind';
  if (/\b[A-Z]\w*\.\w*$/.test(line)) return 'method';
  if (/~\s*\w*$/.test(line)) return 'family';
  if (/\b(act|out_act)\s*=\s*\w*$/.test(line)) return 'activation';
  if (/\b(observe|latent|state|input)\s+\w+\s*\[\s*t\s*\]\s*:\s*\w*$/.test(line)) return 'elemType';
  if (/\bstate\s+\w+\s*\[\s*t\s*\]\s*:\s*\w+\s*\[[^\]]*\]\s*=\s*\w*$/.test(line)) return 'stateInit';
  if (/^\s*\w*$/.test(line)) return 'itemStart';
  return 'expression';
}

/** Suggestions at `offset` of the analysed text; `fallback` supplies names while the text does not parse. */
export function completionsAt(a: Analysis, offset: number, fallback: SymbolIndex | null): Completion[] {
  const ctx = contextOf(a.text.slice(Math.max(0, offset - 400), offset));
  const index = a.index ?? fallback;
  const names = (): Completion[] => (index ? index.visibleAt(a.index ? offset : -1) : []).map((s) => nameCompletion(a, s));
  switch (ctx) {
    case 'none': return [];
    case 'netKind': return entries(netKinds, 'netKind', (h) => h.signature);
    case 'family': return entries(families, 'family', (h) => `${h.signature} — ${h.support}`);
    case 'method': return [{ label: 'head', kind: 'method', detail: 'Family.head(v[, n]): linear layers from v to the parameters' }];
    case 'activation': return entries(activations, 'value', (d) => d);
    case 'elemType': return entries(elemTypes, 'keyword', (d) => d);
    case 'stateInit': return entries(stateInits, 'value', (d) => d);
    case 'itemStart': {
      const keywords = entries(itemKeywords, 'keyword', (d) => d);
      // Inside a guide block statements start with a variable: `g[t] = ...`, `z[t] ~ ...`.
      return [...keywords, ...names().filter((c) => c.kind === 'variable')];
    }
    case 'expression': return [...names(), ...entries(builtins, 'builtin', (d) => d)];
    default: return unreachable(ctx);
  }
}

function entries<T>(table: Readonly<Record<string, T>>, kind: CompletionKind, detail: (v: T) => string): Completion[] {
  return Object.entries(table).map(([label, v]) => ({ label, kind, detail: detail(v) }));
}

function nameCompletion(a: Analysis, s: SeqSymbol): Completion {
  switch (s.kind) {
    case 'hyper': return { label: s.name, kind: 'hyper', detail: `hyperparameter = ${a.hyper.get(s.name)?.value ?? s.decl.text}` };
    case 'var': {
      const w = a.result.model?.vars.get(s.name)?.width;
      return { label: s.name, kind: 'variable', detail: `${s.decl.role} ${s.name}[t] : ${s.decl.elem}[${w ?? '…'}]` };
    }
    case 'net': return { label: s.name, kind: 'net', detail: `net ${s.decl.netKind.name}` };
    case 'fn': return { label: s.name, kind: 'function', detail: `fn ${s.name}(${s.decl.params.map((p) => p.name).join(', ')})` };
    case 'let': return { label: s.name, kind: 'let', detail: 'let' };
    case 'param': return { label: s.name, kind: 'let', detail: `parameter of ${s.fn.name.name}` };
    default: return unreachable(s);
  }
}
