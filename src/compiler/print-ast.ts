/** @file A deterministic S-expression dump of the AST (pinned by golden tests; spans left out for readability). */
import type * as A from './ast.js';
import { unreachable } from './ast.js';
import { run, type Rec } from './trampoline.js';

/** Dumps a program as an indented S-expression, one item a line. */
export function printAst(p: A.Program): string {
  const m = p.model;
  const hp = m.hyperParams.map((h) => ` (${h.name.name} ${h.text})`).join('');
  const lines = [`(model ${m.name.name}${hp}`];
  for (const item of m.items) for (const l of itemLines(item, '  ')) lines.push(l);
  lines[lines.length - 1] += ')';
  return lines.join('\n') + '\n';
}

function itemLines(item: A.Item | A.GuideItem, ind: string): string[] {
  switch (item.kind) {
    case 'var': return [`${ind}(${item.role} ${item.name.name} ${item.elem} ${expr(item.dim)}${item.init ? ` :init ${item.init}` : ''})`];
    case 'net': {
      const opts = item.options.map((o) => ` (:${o.name.name} ${expr(o.value)})`).join('');
      return [`${ind}(net ${item.name.name} ${item.netKind.name} ${expr(item.inDim)} ${expr(item.outDim)}${opts})`];
    }
    case 'fn': return [`${ind}(fn ${item.name.name} (${item.params.map((p) => p.name).join(' ')}) ${expr(item.body)})`];
    case 'let': return [`${ind}(let ${item.name.name} ${expr(item.value)})`];
    case 'sample': return [`${ind}(${item.section} ${ref(item.target)} ${dist(item.dist)})`];
    case 'assign': return [`${ind}(${item.section === 'guide' ? 'update' : 'transition'} ${ref(item.target)} ${expr(item.value)})`];
    case 'aux': return [`${ind}(aux ${item.weight ? expr(item.weight) : '1'} ${ref(item.target)} ${dist(item.dist)})`];
    case 'guideBlock': {
      const inner = item.items.flatMap((i) => itemLines(i, ind + '  '));
      if (inner.length) inner[inner.length - 1] += ')';
      return [`${ind}(guide-block${inner.length ? '' : ')'}`, ...inner];
    }
    default: return unreachable(item);
  }
}

function ref(r: A.VarRef): string {
  return `(at ${r.name.name} ${r.offset})`;
}

function dist(d: A.Dist): string {
  return `(${d.family.name}${d.method ? `.${d.method.name}` : ''}${d.args.map((a) => ' ' + expr(a)).join('')})`;
}

function expr(e: A.Expr | A.NamedArg): string {
  const out: string[] = [];
  run(emit(e, out));
  return out.join('');
}

/** Appends the S-expression of `e` to `out` (stack-safe: any nesting depth). */
function* emit(e: A.Expr | A.NamedArg, out: string[]): Rec<void> {
  switch (e.kind) {
    case 'num': out.push(e.text); return;
    case 'name': out.push(e.name); return;
    case 'varRef': out.push(ref(e)); return;
    case 'call': out.push(`(call ${e.callee.name}`); yield emitAll(e.args, out); out.push(')'); return;
    case 'binary': out.push(`(${e.op} `); yield emit(e.left, out); out.push(' '); yield emit(e.right, out); out.push(')'); return;
    case 'neg': out.push('(neg '); yield emit(e.operand, out); out.push(')'); return;
    case 'slice':
      out.push('(slice ');
      yield emit(e.target, out);
      out.push(' ');
      if (e.start) yield emit(e.start, out);
      else out.push('_');
      out.push(' ');
      if (e.end) yield emit(e.end, out);
      else out.push('_');
      out.push(')');
      return;
    case 'list': out.push('(list'); yield emitAll(e.items, out); out.push(')'); return;
    case 'paren': yield emit(e.inner, out); return;
    case 'named': out.push(`(:${e.name.name} `); yield emit(e.value, out); out.push(')'); return;
    default: return unreachable(e);
  }
}

/** Each item preceded by a space. */
function* emitAll(items: readonly (A.Expr | A.NamedArg)[], out: string[]): Rec<void> {
  for (const it of items) {
    out.push(' ');
    yield emit(it, out);
  }
}
