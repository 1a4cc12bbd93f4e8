/**
 * @file The lexer: source text → tokens (words, numbers, punctuation), skipping whitespace and
 * `#` comments. A byte-order mark at the very start is skipped; any other invisible character
 * outside a comment is reported by name (U+200B ZERO WIDTH SPACE, ...) and then skipped, so the
 * parser can go on looking for further errors.
 */
import type { Span } from './ast.js';

/** Token classes: a word (identifier, keyword or `t`), a number, punctuation, or the end. */
export type TokenKind = 'word' | 'num' | 'punct' | 'bad' | 'eof';

/** One token; `text` is exactly the source under [start, end). */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** An invisible character found outside a comment. */
export interface InvisibleChar {
  readonly span: Span;
  /** `U+200B ZERO WIDTH SPACE`. */
  readonly name: string;
}

/** The tokens of a text (ending with one `eof` token) and the invisible characters skipped. */
export interface Lexed {
  readonly tokens: readonly Token[];
  readonly invisible: readonly InvisibleChar[];
}

/** The byte-order mark, accepted (and kept by `seqc fmt`) at the start of a file. */
export const BOM = '\uFEFF';

const invisibleNames: Readonly<Record<number, string>> = {
  0x00a0: 'NO-BREAK SPACE', 0x00ad: 'SOFT HYPHEN', 0x034f: 'COMBINING GRAPHEME JOINER', 0x061c: 'ARABIC LETTER MARK',
  0x115f: 'HANGUL CHOSEONG FILLER', 0x1160: 'HANGUL JUNGSEONG FILLER', 0x1680: 'OGHAM SPACE MARK',
  0x180e: 'MONGOLIAN VOWEL SEPARATOR', 0x2000: 'EN QUAD', 0x2001: 'EM QUAD', 0x2002: 'EN SPACE', 0x2003: 'EM SPACE',
  0x2004: 'THREE-PER-EM SPACE', 0x2005: 'FOUR-PER-EM SPACE', 0x2006: 'SIX-PER-EM SPACE', 0x2007: 'FIGURE SPACE',
  0x2008: 'PUNCTUATION SPACE', 0x2009: 'THIN SPACE', 0x200a: 'HAIR SPACE', 0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER', 0x200d: 'ZERO WIDTH JOINER', 0x200e: 'LEFT-TO-RIGHT MARK', 0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR', 0x2029: 'PARAGRAPH SEPARATOR', 0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING', 0x202c: 'POP DIRECTIONAL FORMATTING', 0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE', 0x202f: 'NARROW NO-BREAK SPACE', 0x205f: 'MEDIUM MATHEMATICAL SPACE',
  0x2060: 'WORD JOINER', 0x2061: 'FUNCTION APPLICATION', 0x2062: 'INVISIBLE TIMES', 0x2063: 'INVISIBLE SEPARATOR',
  0x2064: 'INVISIBLE PLUS', 0x2066: 'LEFT-TO-RIGHT ISOLATE', 0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE', 0x2069: 'POP DIRECTIONAL ISOLATE', 0x3000: 'IDEOGRAPHIC SPACE',
  0x3164: 'HANGUL FILLER', 0xfeff: 'ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)', 0xffa0: 'HALFWIDTH HANGUL FILLER',
  0x0000: 'NULL', 0x0007: 'BELL', 0x0008: 'BACKSPACE', 0x001b: 'ESCAPE', 0x007f: 'DELETE',
};

/** Characters that render as nothing or as a plain space (letters among them: the Hangul fillers). */
const invisibleRe = /[\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/u;
const wordStartRe = /[\p{L}_]/u;
const wordPartRe = /[\p{L}0-9_]/u;

/** `U+200B ZERO WIDTH SPACE`, or `U+XXXX` with a general description for characters not in the table. */
export function charName(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = invisibleNames[cp];
  if (name) return `${hex} ${name}`;
  return /\p{Cc}/u.test(String.fromCodePoint(cp)) ? `${hex} (a control character)` : `${hex} (an invisible character)`;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAsciiWordStart = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const punct = '()[]{},:~=+-*/.';

/** Splits a source text into tokens. Never fails: unknown characters become `bad` tokens. */
export function lex(text: string): Lexed {
  const tokens: Token[] = [];
  const invisible: InvisibleChar[] = [];
  const n = text.length;
  const push = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, text: text.slice(start, end), start, end });
  };
  /** Length in UTF-16 units of the identifier character at i, or 0 if there is none. */
  const wordPart = (i: number): number => {
    const c = text.charCodeAt(i);
    if (isAsciiWordStart(c) || isDigit(c)) return 1;
    if (c < 0x80 || i >= n) return 0;
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    return wordPartRe.test(ch) && !invisibleRe.test(ch) ? ch.length : 0;
  };
  const word = (start: number): number => {
    let j = start;
    for (let k = wordPart(j); k > 0; k = wordPart(j)) j += k;
    push('word', start, j);
    return j;
  };
  let i = text.startsWith(BOM) ? 1 : 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 0x23) {
      while (i < n && text.charCodeAt(i) !== 0x0a) i++;
    } else if (isDigit(c) || (c === 0x2e && isDigit(text.charCodeAt(i + 1)))) {
      const start = i;
      while (isDigit(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1))) {
        i++;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      const e = text.charCodeAt(i);
      if (e === 0x65 || e === 0x45) {
        let j = i + 1;
        const sign = text.charCodeAt(j);
        if (sign === 0x2b || sign === 0x2d) j++;
        if (isDigit(text.charCodeAt(j))) {
          while (isDigit(text.charCodeAt(j))) j++;
          i = j;
        }
      }
      push('num', start, i);
    } else if (c === 0x2d && text.charCodeAt(i + 1) === 0x3e) {
      push('punct', i, i + 2);
      i += 2;
    } else if (c < 0x80 && punct.includes(text[i]!)) {
      push('punct', i, i + 1);
      i++;
    } else if (isAsciiWordStart(c)) {
      i = word(i);
    } else {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      if (invisibleRe.test(ch)) {
        invisible.push({ span: { start: i, end: i + ch.length }, name: charName(cp) });
        i += ch.length;
      } else if (wordStartRe.test(ch)) {
        i = word(i);
      } else {
        push('bad', i, i + ch.length);
        i += ch.length;
      }
    }
  }
  tokens.push({ kind: 'eof', text: '', start: n, end: n });
  return { tokens, invisible };
}
