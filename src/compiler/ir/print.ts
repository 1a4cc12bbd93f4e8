/** @file Deterministic let-list text for graphs; Scan bodies are printed indented under their node. */
import { dimToString, type Dim } from './dim.js';
import { typeToString, type Graph, type Node } from './graph.js';
import { Op } from './ops.js';

function attrText(key: string, v: unknown): string {
  if (typeof v === 'object' && v !== null && 'kind' in v) return dimToString(v as Dim);
  if (Array.isArray(v)) {
    if (key === 'value' && v.length > 16) return `<${v.length} values>`;
    return `[${v.map((x) => attrText(key, x)).join(',')}]`;
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

function attrsText(n: Node): string {
  const entries = Object.entries(n.attrs).filter(([k]) => k !== 'body').sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}=${attrText(k, v)}`).join(', ')}}`;
}

function lines(g: Graph, indent: string): string[] {
  const out: string[] = [];
  const ty = (id: number): string => `%${id}: ${typeToString(g.values[id]!)}`;
  for (const p of g.inputs) out.push(`${indent}in ${p.name} = ${ty(p.id)}`);
  for (const n of g.nodes) {
    const args = n.inputs.map((i) => `%${i}`).join(' ');
    out.push(`${indent}${n.outputs.map(ty).join(', ')} = ${n.op}${attrsText(n)}${args === '' ? '' : ` ${args}`}`);
    if (n.op === Op.Scan) out.push(...lines(n.attrs.body, `${indent}    `));
  }
  for (const p of g.outputs) out.push(`${indent}out ${p.name} = %${p.id}`);
  return out;
}

/** The graph as text, one value binding per line. */
export function printGraph(g: Graph): string {
  return lines(g, '').join('\n') + '\n';
}
