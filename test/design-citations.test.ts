/** @file Code comments cite docs/design.md by section; every cited section must exist there (and no comment cites a design document outside the repository). */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/examples.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs: design.md citations', () => {
  it('design.md: every "docs/design.md §N" cited in src/, test/, bench/ and scripts/ is a section of docs/design.md', () => {
    const sections = new Set([...readFileSync(join(repoRoot, 'docs', 'design.md'), 'utf8').matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]));
    const cited: string[] = [];
    for (const f of ['src', 'test', 'bench', 'scripts'].flatMap((d) => files(join(repoRoot, d)))) {
      const text = readFileSync(f, 'utf8');
      expect(text, `${f} cites a DESIGN document that is not in the repository`).to.not.match(/\bDESIGN(\.md)? §/);
      for (const m of text.matchAll(/design\.md (§[\d.]+(?:, §[\d.]+)*)/g)) for (const s of m[1]!.split(', ')) cited.push(`${s.slice(1).replace(/\.$/, '')} (${f})`);
    }
    expect(cited.length).to.be.above(5);
    for (const c of cited) expect(sections.has(c.split(' ')[0]!), `docs/design.md has no section ${c}`).to.equal(true);
  });
});
