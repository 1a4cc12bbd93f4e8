/**
 * @file The canonical form of a model: its formatted AST without comments, blank lines or
 * alignment, plus the resolved hyperparameters. Runs are tied to its hash, so adding a comment
 * or running `seqc fmt` does not change which runs a model file can continue.
 */
import { createHash } from 'node:crypto';
import type { Program } from './ast.js';
import { format } from './format.js';

/** The program printed canonically, one item a line, with no comments and single spaces. */
export function canonicalText(program: Program, text: string): string {
  // The language has no strings, so every `#` starts a comment (as in format.ts).
  return format(program, text).split('\n').map((l) => l.replace(/#.*$/, '').replace(/\s+/g, ' ').trim()).filter((l) => l !== '').join('\n') + '\n';
}

/** SHA-256 of the canonical text and the resolved hyperparameters (sorted by name). */
export function modelHash(program: Program, text: string, hyper: ReadonlyMap<string, number>): string {
  const hp = [...hyper].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('\n');
  return createHash('sha256').update(canonicalText(program, text)).update('\0').update(hp).digest('hex');
}
