/**
 * @file Hershey fonts in the `.jhf` format of Debian's hershey-fonts-data: one glyph per record,
 * ASCII 32..127 in order. A record is a 5-character glyph number, a 3-character vertex count n
 * (the margins included), then n pairs of characters: first the left and right margins, then
 * the vertices; a coordinate is the character's code minus that of 'R', and the pair " R" lifts
 * the pen. y grows downwards. A record longer than one line continues on the next.
 */
import { readFileSync } from 'node:fs';

/** A point of a glyph, in font units. */
export type Point = readonly [x: number, y: number];

/** One glyph: its horizontal extent and its strokes (pen-down polylines). */
export interface Glyph {
  readonly left: number;
  readonly right: number;
  readonly strokes: readonly (readonly Point[])[];
}

/** Parses the text of a .jhf file into glyphs for the characters 32..127; `file` names it in errors. */
export function parseJhf(text: string, file: string): Map<string, Glyph> {
  const lines = text.split(/\r?\n/);
  const glyphs = new Map<string, Glyph>();
  for (let i = 0; i < lines.length; i++) {
    let rec = lines[i]!;
    if (rec.trim() === '') continue;
    const n = Number(rec.slice(5, 8));
    if (!Number.isInteger(n) || n < 1) throw new Error(`${file}:${i + 1}: vertex count '${rec.slice(5, 8)}' is not a positive integer`);
    while (rec.length < 8 + 2 * n && i + 1 < lines.length) rec += lines[++i]!;
    if (rec.length < 8 + 2 * n) throw new Error(`${file}:${i + 1}: glyph has ${(rec.length - 8) >> 1} pairs, its header says ${n}`);
    const c = (k: number) => rec.charCodeAt(k) - 82;
    const strokes: Point[][] = [];
    let cur: Point[] = [];
    for (let k = 1; k < n; k++) {
      const at = 8 + 2 * k;
      if (rec[at] === ' ' && rec[at + 1] === 'R') { if (cur.length) strokes.push(cur); cur = []; continue; }
      cur.push([c(at), c(at + 1)]);
    }
    if (cur.length) strokes.push(cur);
    glyphs.set(String.fromCharCode(32 + glyphs.size), { left: c(8), right: c(9), strokes });
  }
  return glyphs;
}

/** Reads a .jhf file. */
export function readJhf(file: string): Map<string, Glyph> {
  return parseJhf(readFileSync(file, 'latin1'), file);
}
