/**
 * @file Diagnostics as data: the one JSON shape that `seqc check --json` prints and the language
 * server publishes (ranges are the protocol's: 0-based lines, UTF-16 columns, end exclusive).
 */
import type { Diagnostic } from '../compiler/diagnostics.js';
import type { Span } from '../compiler/ast.js';

/** A 0-based line and UTF-16 column, as in the Language Server Protocol. */
export interface JsonPosition {
  readonly line: number;
  readonly character: number;
}

/** A half-open range of positions. */
export interface JsonRange {
  readonly start: JsonPosition;
  readonly end: JsonPosition;
}

/** One diagnostic of one file. `line`/`column` are 1-based, as `seqc check` prints them. */
export interface JsonDiagnostic {
  readonly file: string;
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly message: string;
  readonly hint: string | null;
  readonly line: number;
  readonly column: number;
  readonly range: JsonRange;
  /** Secondary notes; `range` is null for a note that points nowhere. */
  readonly related: readonly { readonly message: string; readonly range: JsonRange | null }[];
}

/** Turns an offset into a protocol position (the caller knows the text's line table). */
export type PositionOf = (offset: number) => JsonPosition;

/** The JSON form of a compiler diagnostic. */
export function jsonDiagnostic(file: string, d: Diagnostic, positionOf: PositionOf): JsonDiagnostic {
  const range = (s: Span): JsonRange => ({ start: positionOf(s.start), end: positionOf(Math.max(s.start, s.end)) });
  const r = range(d.span);
  return {
    file, severity: d.severity, code: d.code, message: d.message, hint: d.hint ?? null,
    line: r.start.line + 1, column: r.start.character + 1, range: r,
    related: (d.notes ?? []).map((n) => ({ message: n.message, range: n.span ? range(n.span) : null })),
  };
}

/** The position function of a text with the compiler's 1-based line:col table. */
export function positionsFrom(position: (offset: number) => { line: number; col: number }): PositionOf {
  return (offset) => {
    const p = position(offset);
    return { line: p.line - 1, character: p.col - 1 };
  };
}
