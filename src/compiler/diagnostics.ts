/** @file Diagnostics: the error value every compiler stage returns, and its rendering with a caret. */
import type { Span } from './ast.js';
import type { SourceFile } from './source.js';

/** One problem in a model file, located by a span. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning' | 'note';
  /** Stable catalogue code, e.g. `E0301`; documented in docs/language.md. */
  readonly code: string;
  readonly message: string;
  readonly span: Span;
  readonly hint?: string;
  /** Secondary notes, each optionally pointing at another span. */
  readonly notes?: readonly { message: string; span?: Span }[];
}

/** Thrown for compiler bugs only; the CLI reports it as an internal error, never blamed on the user. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal: ${message}`);
  }
}

/** A model file that is not text seqc can read (E0004); `message` is the rendered diagnostic. Exit 1, like other model errors. */
export class SourceError extends Error {}

/** Throws an InternalError when `cond` is false. */
export function assertInternal(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InternalError(message);
}

/**
 * Renders a diagnostic the way compilers people like do:
 *
 *     file:3:17: error[E0301]: message
 *        |
 *      3 |   emission x[t] ~ Normal(h[t], 1)
 *        |                          ^^^^
 *        = hint: ...
 */
export function renderDiagnostic(src: SourceFile, d: Diagnostic): string {
  const out: string[] = [];
  const pos = src.position(d.span.start);
  out.push(`${src.path}:${pos.line}:${pos.col}: ${d.severity}[${d.code}]: ${d.message}`);
  out.push(...excerpt(src, d.span));
  for (const n of d.notes ?? []) {
    if (n.span) {
      const p = src.position(n.span.start);
      out.push(`  note: ${n.message} (${src.path}:${p.line}:${p.col})`);
      out.push(...excerpt(src, n.span));
    } else {
      out.push(`  note: ${n.message}`);
    }
  }
  if (d.hint) out.push(`  = hint: ${d.hint}`);
  return out.join('\n');
}

/** Characters of a source line shown around a caret; longer lines are cut, with `…` where they are. */
const EXCERPT_WIDTH = 160;

/** The source line of a span with carets under it (multi-line spans underline to the end of the first line). */
function excerpt(src: SourceFile, span: Span): string[] {
  const a = src.position(span.start);
  const b = src.position(Math.max(span.start, span.end));
  const full = src.lineText(a.line);
  const gutter = String(a.line).length;
  const pad = ' '.repeat(gutter);
  const endCol = b.line === a.line ? b.col : full.length + 1;
  let from = 0;
  let to = full.length;
  if (full.length > EXCERPT_WIDTH) {
    from = Math.max(0, Math.min(a.col - 1 - EXCERPT_WIDTH / 4, full.length - EXCERPT_WIDTH));
    to = Math.min(full.length, from + EXCERPT_WIDTH);
  }
  const cutLeft = from > 0 ? '…' : '';
  const text = cutLeft + full.slice(from, to) + (to < full.length ? '…' : '');
  const startCol = a.col - 1 - from + cutLeft.length;
  const width = Math.max(1, Math.min(endCol - 1 - from + cutLeft.length, text.length + 1) - startCol);
  const lead = text.slice(0, startCol).replace(/[^\t]/g, ' ');
  return [`${pad} |`, `${a.line} | ${text}`, `${pad} | ${lead}${'^'.repeat(width)}`];
}

/** Sorts diagnostics by position, then code, so output is deterministic. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((x, y) => x.span.start - y.span.start || x.span.end - y.span.end || x.code.localeCompare(y.code));
}
