/**
 * @file Keeps docs/cli.md's option reference equal to commander's help: `npx tsx
 * scripts/cli-docs.ts` rewrites every block between `<!-- help: CMD -->` and `<!-- /help -->`
 * with `seqc CMD --help` (80 columns); test/cli-docs.test.ts fails when they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';

/** The commands docs/cli.md documents, in its order ('' is `seqc --help`). */
export const documented = ['', 'check', 'fmt', 'compile', 'train', 'eval', 'sample', 'infer', 'export', 'compare', 'report', 'lsp'] as const;

/** `seqc CMD --help` as a non-terminal sees it (80 columns, whatever the terminal is). */
export async function helpText(cmd: string): Promise<string> {
  let out = '';
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  try {
    await main([...(cmd ? [cmd] : []), '--help'], { out: (t) => { out += t; }, err: (t) => { out += t; } });
  } finally {
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
  return out.trimEnd();
}

/** The block of docs/cli.md for one command. */
export function block(cmd: string, help: string): string {
  return `<!-- help: ${cmd || 'seqc'} -->\n\`\`\`text\n${help}\n\`\`\`\n<!-- /help -->`;
}

/** Regex for one command's block in docs/cli.md. */
export function blockPattern(cmd: string): RegExp {
  return new RegExp(`<!-- help: ${cmd || 'seqc'} -->[\\s\\S]*?<!-- /help -->`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../docs/cli.md', import.meta.url));
  let doc = readFileSync(path, 'utf8');
  for (const cmd of documented) {
    if (!blockPattern(cmd).test(doc)) throw new Error(`docs/cli.md has no <!-- help: ${cmd || 'seqc'} --> block`);
    doc = doc.replace(blockPattern(cmd), block(cmd, await helpText(cmd)));
  }
  writeFileSync(path, doc);
  console.log(`rewrote ${documented.length} help blocks in docs/cli.md`);
}
