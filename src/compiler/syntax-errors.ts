/**
 * @file Syntax errors: the parser's rightmost failure turned into E0001 (what was expected, in a
 * fixed order) or E0002 (a bracket left open on an earlier line), and the bracket scans the
 * parser's error recovery uses.
 */
import type { Diagnostic } from './diagnostics.js';
import { nestingTooDeep, syntaxError, unclosedBracket } from './errors.js';
import { LIMITS } from './limits.js';
import type { ParseFailure } from './parse-expr.js';

/** Whether a line's brackets (outside a comment) close in order. */
export function bracketsBalance(line: string): boolean {
  const code = line.replace(/#.*$/, '');
  let depth = 0;
  for (const ch of code) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** Turns the parser's rightmost failure into a diagnostic with a span over the offending token. */
export function describeFailure(text: string, m: ParseFailure): Diagnostic {
  if (m.tooDeep) return nestingTooDeep(m.tooDeep, LIMITS.nesting);
  const pos = m.pos;
  const expected = summarizeExpected([...m.expected]);
  const tok = m.found;
  const span = { start: pos, end: Math.min(text.length, pos + Math.max(1, tok.length)) };
  const open = openBrackets(text, pos).at(-1);
  if (open !== undefined && text.slice(open, pos).includes('\n')) {
    const close = text[open] === '(' ? ')' : ']';
    if (expected.includes(`'${close}'`)) return unclosedBracket(span, { start: open, end: open + 1 }, text[open]!, tok);
  }
  return syntaxError(span, expected, tok);
}

/** Offsets of the ( and [ still open at `pos` (comments skipped). */
export function openBrackets(text: string, pos: number): number[] {
  const stack: number[] = [];
  for (let i = 0; i < pos; i++) {
    const ch = text[i]!;
    if (ch === '#') {
      while (i < pos && text[i] !== '\n') i++;
    } else if (ch === '(' || ch === '[') stack.push(i);
    else if (ch === ')' || ch === ']') stack.pop();
    else if (ch === '{' || ch === '}') stack.length = 0;
  }
  return stack;
}

const statementWords = ['observe', 'latent', 'state', 'input', 'net', 'fn', 'let', 'prior', 'emission', 'transition', 'guide', 'aux'];
/** Expected tokens are listed in this order (then any others, as found). */
const tokenOrder = ['->', ',', ')', ']', ':', '~', '=', '[', '(', '.', '{', '}'];

/** Condenses the list of expected tokens into a readable phrase. */
export function summarizeExpected(items: string[]): string {
  const quoted = new Set(items.filter((s) => s.startsWith('"')).map((s) => JSON.parse(s) as string));
  const rest = items.filter((s) => !s.startsWith('"'));
  const parts: string[] = [];
  const stmt = statementWords.filter((w) => quoted.has(w));
  if (stmt.length >= 4) {
    parts.push('a declaration or statement (observe, latent, state, input, net, fn, let, prior, emission, transition, guide, aux)');
    for (const w of stmt) quoted.delete(w);
  }
  const ops = ['+', '-', '*', '/'].filter((o) => quoted.has(o));
  if (ops.length === 4) {
    parts.push('an operator');
    for (const o of ops) quoted.delete(o);
  }
  const rank = (q: string): number => (tokenOrder.includes(q) ? tokenOrder.indexOf(q) : tokenOrder.length);
  for (const q of [...quoted].sort((a, b) => rank(a) - rank(b))) parts.push(`'${q}'`);
  for (const r of rest) parts.push(r);
  if (parts.length === 0) return 'something else';
  if (parts.length === 1) return parts[0]!;
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}
