/** @file A deterministic S-expression dump of the AST (pinned by golden tests; spans left out for readability). */
import type * as A from './ast.js';
import { unreachable } from './ast.js';

/** Dumps a program as an indented S-expression, one item a line. */
export function printAst(p: A.Program): string {
  const m = p.model;
  const hp = m.hyperParams.map((h) => ` (${h.name.name} ${h.text})`).join('');
  const lines = [`(model ${m.name.name}${hp}`];
  for (const item of m.items) lines.push(...itemLines(item, '  '));
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
  switch (e.kind) {
    case 'num': return e.text;
    case 'name': return e.name;
    case 'varRef': return ref(e);
    case 'call': return `(call ${e.callee.name}${e.args.map((a) => ' ' + expr(a)).join('')})`;
    case 'binary': return `(${e.op} ${expr(e.left)} ${expr(e.right)})`;
    case 'neg': return `(neg ${expr(e.operand)})`;
    case 'slice': return `(slice ${expr(e.target)} ${e.start ? expr(e.start) : '_'} ${e.end ? expr(e.end) : '_'})`;
    case 'list': return `(list${e.items.map((i) => ' ' + expr(i)).join('')})`;
    case 'paren': return expr(e.inner);
    case 'named': return `(:${e.name.name} ${expr(e.value)})`;
    default: return unreachable(e);
  }
}
