/**
 * @file The document outline: the model, its hyperparameters, declarations and statements, with
 * the guide block's contents nested under it.
 */
import type * as A from '../compiler/ast.js';
import { unreachable } from '../compiler/ast.js';
import { printExpr } from '../compiler/format.js';

/** One outline entry; `selection` is the span of its name. */
export interface OutlineEntry {
  readonly name: string;
  readonly detail: string;
  readonly kind: 'model' | 'hyper' | 'var' | 'net' | 'fn' | 'let' | 'statement' | 'guide';
  readonly span: A.Span;
  readonly selection: A.Span;
  readonly children: readonly OutlineEntry[];
}

/** The outline of a parsed program: one root entry for the model. */
export function outline(p: A.Program): OutlineEntry {
  const m = p.model;
  const hypers = m.hyperParams.map((h): OutlineEntry => ({ name: h.name.name, detail: `= ${h.text}`, kind: 'hyper', span: h.span, selection: h.name.span, children: [] }));
  return { name: m.name.name, detail: 'model', kind: 'model', span: m.span, selection: m.name.span, children: [...hypers, ...m.items.map(entry)] };
}

function ref(r: A.VarRef): string {
  return `${r.name.name}[t${r.offset === 0 ? '' : r.offset > 0 ? `+${r.offset}` : r.offset}]`;
}

function entry(item: A.Item | A.GuideItem): OutlineEntry {
  const leaf = (name: string, detail: string, kind: OutlineEntry['kind'], selection: A.Span): OutlineEntry => ({ name, detail, kind, span: item.span, selection, children: [] });
  switch (item.kind) {
    case 'var': return leaf(item.name.name, `${item.role} : ${item.elem}[${printExpr(item.dim)}]`, 'var', item.name.span);
    case 'net': return leaf(item.name.name, `${item.netKind.name}(${printExpr(item.inDim)} -> ${printExpr(item.outDim)})`, 'net', item.name.span);
    case 'fn': return leaf(item.name.name, `fn(${item.params.map((p) => p.name).join(', ')})`, 'fn', item.name.span);
    case 'let': return leaf(item.name.name, 'let', 'let', item.name.span);
    case 'sample': return leaf(`${item.section} ${ref(item.target)}`, `~ ${item.dist.family.name}${item.dist.method ? `.${item.dist.method.name}` : ''}`, 'statement', item.target.span);
    case 'assign': return leaf(`${item.section} ${ref(item.target)}`, '=', 'statement', item.target.span);
    case 'aux': return leaf(`aux ${ref(item.target)}`, `~ ${item.dist.family.name}`, 'statement', item.target.span);
    case 'guideBlock': return { name: 'guide', detail: 'block', kind: 'guide', span: item.span, selection: { start: item.span.start, end: item.span.start + 5 }, children: item.items.map(entry) };
    default: return unreachable(item);
  }
}
