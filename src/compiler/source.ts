/**
 * @file Source files: decoding a model file's bytes (strict UTF-8: bytes that are not UTF-8 are an
 * error, never replaced, so `seqc fmt` cannot change what it does not understand), and the text
 * with a line table to turn offsets into line:col positions.
 */
import type { Span } from './ast.js';
import { renderDiagnostic, SourceError, type Diagnostic } from './diagnostics.js';
import { invalidUtf8 } from './errors.js';
import { BOM } from './lex.js';

/** A decoded model file: its text, or, for bytes that are not UTF-8, a displayable text and the error. */
export type Decoded = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly text: string; readonly diagnostic: Diagnostic };

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes a model file as UTF-8, keeping a byte-order mark in the text (the lexer skips it and
 * `seqc fmt` writes it back). Invalid bytes give E0004 located at the first of them.
 */
export function decodeSource(bytes: Uint8Array): Decoded {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const bad = firstInvalidByte(bytes);
    const before = lossy.decode(bytes.subarray(0, bad));
    const text = lossy.decode(bytes);
    const end = Math.min(bytes.length, bad + 4);
    let len = 1;
    while (bad + len < end && (bytes[bad + len]! & 0xc0) === 0x80) len++;
    const shown = [...bytes.subarray(bad, bad + len)].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(' ');
    return { ok: false, text, diagnostic: invalidUtf8({ start: before.length, end: before.length + 1 }, shown, bad) };
  }
}

/** A model file's text from its bytes; bytes that are not UTF-8 throw a SourceError with the rendered E0004 (exit 1). */
export function sourceText(path: string, bytes: Uint8Array): string {
  const d = decodeSource(bytes);
  if (!d.ok) throw new SourceError(renderDiagnostic(new SourceFile(path, d.text), d.diagnostic));
  return d.text;
}

/** Offset of the first byte that does not begin a well-formed UTF-8 sequence (Unicode 15, table 3-7). */
function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c === 0xe0) [n, lo] = [2, 0xa0];
    else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) n = 2;
    else if (c === 0xed) [n, hi] = [2, 0x9f];
    else if (c === 0xf0) [n, lo] = [3, 0x90];
    else if (c >= 0xf1 && c <= 0xf3) n = 3;
    else if (c === 0xf4) [n, hi] = [3, 0x8f];
    else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** A named source text with a precomputed line-start table. */
export class SourceFile {
  private readonly lineStarts: number[];

  constructor(readonly path: string, readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of an offset (columns count UTF-16 units, tabs as one; a leading byte-order mark none). */
  position(offset: number): { line: number; col: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    const bom = lo === 0 && this.text.startsWith(BOM) ? 1 : 0;
    return { line: lo + 1, col: Math.max(1, o - this.lineStarts[lo]! + 1 - bom) };
  }

  /** The text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const start = line === 1 && this.text.startsWith(BOM) ? 1 : (this.lineStarts[line - 1] ?? this.text.length);
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
