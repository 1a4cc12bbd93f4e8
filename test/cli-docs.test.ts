/** @file docs/cli.md cannot drift from the CLI: its option blocks are commander's help, and every command is documented. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { block, blockPattern, documented, helpText } from '../scripts/cli-docs.js';
import { repoRoot } from './helpers/examples.js';

describe('docs: cli.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8');

  for (const cmd of documented) {
    it(`docs/cli.md: the options of seqc ${cmd || ''} are exactly its --help (rerun npx tsx scripts/cli-docs.ts)`, async () => {
      const m = blockPattern(cmd).exec(doc);
      expect(m, `no <!-- help: ${cmd || 'seqc'} --> block`).to.not.equal(null);
      expect(m![0]).to.equal(block(cmd, await helpText(cmd)));
    });
  }

  it('docs/cli.md: documents every command seqc has, and every exit code of cli/io.ts', async () => {
    const commands = [...(await helpText('')).matchAll(/^ {2}(\w+) /gm)].map((x) => x[1]).filter((c) => c !== 'help');
    expect(commands).to.have.members(documented.filter((c) => c !== ''));
    const { Exit } = await import('../src/cli/io.js');
    for (const code of [...Object.values(Exit), 130]) expect(doc, `exit code ${code}`).to.match(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});
