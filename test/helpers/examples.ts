/** @file Paths and sources of the example models, shared by tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every example model: name (without .seq), path relative to the repo, and text. */
export function examples(): { name: string; path: string; text: string }[] {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir).filter((f) => f.endsWith('.seq')).sort().map((f) => ({
    name: f.replace(/\.seq$/, ''), path: `examples/${f}`, text: readFileSync(join(dir, f), 'utf8'),
  }));
}
