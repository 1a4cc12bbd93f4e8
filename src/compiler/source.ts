/** @file Source files: text plus a line table to turn byte offsets into line:col positions. */
import type { Span } from './ast.js';

/** A named source text with a precomputed line-start table. */
export class SourceFile {
  private readonly lineStarts: number[];

  constructor(readonly path: string, readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of an offset (columns count UTF-16 units, tabs as one). */
  position(offset: number): { line: number; col: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - this.lineStarts[lo]! + 1 };
  }

  /** The text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  /** Number of lines. */
  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** The source text under a span. */
  slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }
}
