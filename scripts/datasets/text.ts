/**
 * @file English text shipped in Debian, cut into sentences: the quotations of fortunes-min
 * (`/usr/share/games/fortunes/{literature,fortunes,riddles}`) and the licences in
 * `/usr/share/common-licenses`. Deterministic: files in a fixed order, sentences in file order,
 * duplicates dropped.
 */
import { existsSync, readFileSync } from 'node:fs';

/** One sentence and the file it came from. */
export interface Sentence {
  readonly text: string;
  readonly source: string;
}

/** The text files read, in this order (fortune files are `%`-separated quotations). */
export const textSources = [
  '/usr/share/games/fortunes/literature',
  '/usr/share/games/fortunes/fortunes',
  '/usr/share/games/fortunes/riddles',
  '/usr/share/common-licenses/GPL-3',
  '/usr/share/common-licenses/Apache-2.0',
  '/usr/share/common-licenses/MPL-2.0',
  '/usr/share/common-licenses/GFDL-1.3',
  '/usr/share/common-licenses/Artistic',
] as const;

/** The quotations or paragraphs of one file, attribution lines (`-- Mark Twain`) removed. */
function passages(file: string): string[] {
  const text = readFileSync(file, 'latin1');
  const parts = file.includes('/fortunes/') ? text.split(/^%$/m) : text.split(/\n\s*\n/);
  return parts.map((p) => p.split('\n').filter((l) => !/^\s*--/.test(l)).join(' ').replace(/\s+/g, ' ').trim());
}

/** Whether a sentence is plain English prose a synthesizer reads well and a hand writes out. */
function plain(s: string, minWords: number, maxWords: number): boolean {
  const words = s.split(' ');
  if (words.length < minWords || words.length > maxWords) return false;
  if (!/^[A-Z][A-Za-z ,;:'-]*[a-z][.!?]$/.test(s)) return false;
  const upper = s.replace(/[^A-Z]/g, '').length, letters = s.replace(/[^A-Za-z]/g, '').length;
  return upper / letters < 0.2;
}

/** Plain sentences of `minWords`..`maxWords` words from {@link textSources} that exist here. */
export function debianSentences(minWords = 5, maxWords = 16): Sentence[] {
  const seen = new Set<string>();
  const out: Sentence[] = [];
  for (const file of textSources) {
    if (!existsSync(file)) continue;
    for (const p of passages(file)) {
      for (const raw of p.split(/(?<=[.!?])\s+/)) {
        const text = raw.replace(/^["'(]+|["')]+$/g, '').replace(/\s+/g, ' ').trim();
        const key = text.toLowerCase();
        if (!plain(text, minWords, maxWords) || seen.has(key)) continue;
        seen.add(key);
        out.push({ text, source: file });
      }
    }
  }
  return out;
}
