/** @file Golden-file assertions: compare text with a file under test/golden; UPDATE_GOLDEN=1 rewrites it. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the golden files. */
export const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

/** Asserts `actual` equals the golden file `rel`; with UPDATE_GOLDEN=1 writes it instead. */
export function expectGolden(rel: string, actual: string): void {
  const path = join(goldenDir, rel);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${rel} is missing: run with UPDATE_GOLDEN=1 to create it`);
  const expected = readFileSync(path, 'utf8');
  if (expected !== actual) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    const i = a.findIndex((l, k) => l !== e[k]);
    throw new Error(`${rel} differs from its golden file at line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}\n(run with UPDATE_GOLDEN=1 if the change is intended)`);
  }
}
