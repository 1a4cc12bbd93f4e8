/**
 * @file The canonical formatter behind `seqc fmt`: prints an AST back as source, one item a line,
 * 2-space indentation, keywords and names aligned within runs, comments and paragraph breaks kept.
 */
import type * as A from './ast.js';
import { unreachable } from './ast.js';
import { BOM } from './lex.js';
import { run, type Rec } from './trampoline.js';

interface Comment {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** All `#` comments of a source text (the language has no strings, so every `#` starts one). */
export function scanComments(text: string): Comment[] {
  const out: Comment[] = [];
  const re = /#[^\n]*/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, text: m[0].trimEnd() });
  return out;
}

/** Prints an expression canonically; parentheses appear exactly where the source had them. */
export function printExpr(e: A.Expr | A.NamedArg): string {
  const out: string[] = [];
  run(emitExpr(e, out));
  return out.join('');
}

/** Appends an expression's canonical text to `out` (stack-safe: any nesting depth). */
function* emitExpr(e: A.Expr | A.NamedArg, out: string[]): Rec<void> {
  switch (e.kind) {
    case 'num': out.push(e.text); return;
    case 'name': out.push(e.name); return;
    case 'varRef': out.push(printRef(e)); return;
    case 'call': out.push(e.callee.name, '('); yield emitList(e.args, out); out.push(')'); return;
    case 'binary': yield emitExpr(e.left, out); out.push(` ${e.op} `); yield emitExpr(e.right, out); return;
    case 'neg': out.push('-'); yield emitExpr(e.operand, out); return;
    case 'slice':
      yield emitExpr(e.target, out);
      out.push('[');
      if (e.start) yield emitExpr(e.start, out);
      out.push(':');
      if (e.end) yield emitExpr(e.end, out);
      out.push(']');
      return;
    case 'list': out.push('['); yield emitList(e.items, out); out.push(']'); return;
    case 'paren': out.push('('); yield emitExpr(e.inner, out); out.push(')'); return;
    case 'named': out.push(`${e.name.name} = `); yield emitExpr(e.value, out); return;
    default: return unreachable(e);
  }
}

function* emitList(items: readonly (A.Expr | A.NamedArg)[], out: string[]): Rec<void> {
  for (let i = 0; i < items.length; i++) {
    if (i) out.push(', ');
    yield emitExpr(items[i]!, out);
  }
}

function printRef(r: A.VarRef): string {
  const o = r.offset === 0 ? '' : r.offset > 0 ? `+${r.offset}` : `-${-r.offset}`;
  return `${r.name.name}[t${o}]`;
}

function printDist(d: A.Dist): string {
  return `${d.family.name}${d.method ? `.${d.method.name}` : ''}(${d.args.map(printExpr).join(', ')})`;
}

/** One printed item: `head` is padded to align with neighbours of the same class. */
interface Line {
  readonly cls: string;
  readonly head: string;
  readonly tail: string;
}

function printItem(item: A.Item | A.GuideItem, inGuide: boolean): Line {
  switch (item.kind) {
    case 'var': {
      const init = item.init ? ` = ${item.init}` : '';
      return { cls: 'var', head: item.role, tail: `${item.name.name}[t] : ${item.elem}[${printExpr(item.dim)}]${init}` };
    }
    case 'net': {
      const opts = item.options.map((o) => `, ${printExpr(o)}`).join('');
      return { cls: 'net', head: `net ${item.name.name}`, tail: `= ${item.netKind.name}(${printExpr(item.inDim)} -> ${printExpr(item.outDim)}${opts})` };
    }
    case 'fn': return { cls: 'fn', head: `fn ${item.name.name}(${item.params.map((p) => p.name).join(', ')})`, tail: `= ${printExpr(item.body)}` };
    case 'let': return { cls: 'let', head: `let ${item.name.name}`, tail: `= ${printExpr(item.value)}` };
    case 'sample': return { cls: inGuide ? 'gsample' : 'stmt', head: inGuide ? '' : item.section, tail: `${printRef(item.target)} ~ ${printDist(item.dist)}` };
    case 'assign': return { cls: item.section === 'guide' ? 'gassign' : 'stmt', head: item.section === 'guide' ? '' : 'transition', tail: `${printRef(item.target)} = ${printExpr(item.value)}` };
    case 'aux': {
      const w = item.weight ? `(weight = ${printExpr(item.weight)})` : '';
      return { cls: 'stmt', head: `aux${w}`, tail: `${printRef(item.target)} ~ ${printDist(item.dist)}` };
    }
    case 'guideBlock': return { cls: 'block', head: 'guide {', tail: '' };
    default: return unreachable(item);
  }
}

class Printer {
  private readonly out: string[] = [];
  private readonly used = new Set<Comment>();
  constructor(private readonly text: string, private readonly comments: readonly Comment[]) {}

  /** Comments and blank-line breaks in [lo, hi), as printable entries. */
  private gap(lo: number, hi: number, trailingOf: number | null): { trailing: string | null; entries: (string | null)[] } {
    let trailing: string | null = null;
    const entries: (string | null)[] = [];
    let pos = lo;
    for (const c of this.comments) {
      if (c.start < lo || c.start >= hi || this.used.has(c)) continue;
      this.used.add(c);
      const between = this.text.slice(pos, c.start);
      const sameLine = !between.includes('\n');
      if (sameLine && trailingOf !== null && pos === lo && trailing === null) trailing = c.text;
      else {
        if ((between.match(/\n/g)?.length ?? 0) >= 2 && entries.length + (trailing ? 1 : 0) > 0) entries.push(null);
        else if ((between.match(/\n/g)?.length ?? 0) >= 2 && trailingOf !== null) entries.push(null);
        entries.push(c.text);
      }
      pos = c.end;
    }
    const rest = this.text.slice(pos, hi);
    if ((rest.match(/\n/g)?.length ?? 0) >= 2) entries.push(null);
    return { trailing, entries };
  }

  private emit(indent: string, entries: readonly (string | null)[]): void {
    for (const e of entries) {
      if (e === null) {
        if (this.out.length && this.out[this.out.length - 1] !== '' && !this.out[this.out.length - 1]!.endsWith('{')) this.out.push('');
      } else this.out.push(indent + e);
    }
  }

  private attachTrailing(t: string | null): void {
    if (t !== null) this.out[this.out.length - 1] += `  ${t}`;
  }

  /** Prints a `{ ... }` body whose items lie in [lo, hi). */
  block(items: readonly (A.Item | A.GuideItem)[], indent: string, lo: number, hi: number, inGuide = false): void {
    const lines = items.map((it) => printItem(it, inGuide));
    let prevEnd = lo;
    let runStart = 0;
    const widths = new Array<number>(items.length).fill(0);
    // Alignment runs: consecutive items of one class with no blank line between them.
    for (let i = 0; i <= items.length; i++) {
      const breaks = i === items.length || i === 0 || lines[i]!.cls !== lines[i - 1]!.cls || blankBetween(this.text, items[i - 1]!.span.end, items[i]!.span.start);
      if (breaks && i > runStart) {
        const w = lines.slice(runStart, i).reduce((m, l) => Math.max(m, l.head.length), 0);
        for (let j = runStart; j < i; j++) widths[j] = w;
      }
      if (breaks) runStart = i;
    }
    items.forEach((item, i) => {
      const g = this.gap(prevEnd, item.span.start, i === 0 ? null : prevEnd);
      this.attachTrailing(g.trailing);
      this.emit(indent, i === 0 ? g.entries.filter((e, k) => e !== null || k > 0) : g.entries);
      const inner = this.comments.filter((c) => c.start >= item.span.start && c.end <= item.span.end && !this.used.has(c));
      const l = lines[i]!;
      if (item.kind === 'guideBlock') {
        this.out.push(`${indent}guide {`);
        const close = item.span.end - 1;
        this.block(item.items, indent + '  ', this.text.indexOf('{', item.span.start) + 1, close, true);
        this.out.push(`${indent}}`);
      } else {
        for (const c of inner) {
          this.used.add(c);
          this.out.push(indent + c.text);
        }
        const head = l.head.padEnd(widths[i]!);
        this.out.push(`${indent}${head}${head ? ' ' : ''}${l.tail}`.trimEnd());
      }
      prevEnd = item.span.end;
    });
    const g = this.gap(prevEnd, hi, items.length ? prevEnd : null);
    this.attachTrailing(g.trailing);
    const tail = g.entries.slice();
    while (tail.length && tail[tail.length - 1] === null) tail.pop();
    this.emit(indent, tail);
  }

  program(p: A.Program): string {
    const m = p.model;
    const g = this.gap(0, m.span.start, null);
    this.emit('', g.entries);
    const header = this.comments.filter((c) => c.start >= m.span.start && c.start < this.text.indexOf('{', m.name.span.end));
    for (const c of header) {
      this.used.add(c);
      this.out.push(c.text);
    }
    const hp = m.hyperParams.length ? `(${m.hyperParams.map((h) => `${h.name.name} = ${h.text}`).join(', ')})` : '';
    this.out.push(`model ${m.name.name}${hp} {`);
    const open = this.text.indexOf('{', (m.hyperParams.at(-1)?.span.end ?? m.name.span.end));
    this.block(m.items, '  ', open + 1, m.span.end - 1);
    this.out.push('}');
    const after = this.gap(m.span.end, this.text.length, m.span.end);
    this.attachTrailing(after.trailing);
    this.emit('', after.entries.filter((e) => e !== null));
    while (this.out.length && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.join('\n') + '\n';
  }
}

function blankBetween(text: string, a: number, b: number): boolean {
  const code = text.slice(a, b).replace(/\n[ \t]*#[^\n]*/g, '').replace(/#[^\n]*/g, '');
  return /\n[ \t]*\r?\n/.test(code);
}

/** Formats a parsed program; `text` must be the source it was parsed from (for comments); a byte-order mark is kept. */
export function format(program: A.Program, text: string): string {
  const bom = text.startsWith(BOM) ? BOM : '';
  return bom + new Printer(text, scanComments(text)).program(program);
}
