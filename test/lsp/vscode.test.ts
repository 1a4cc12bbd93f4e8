/**
 * @file The VS Code extension folder (editors/vscode) is consistent: its manifest names the
 * grammar's scope and language, its grammar copy step produces the grammar, and its client
 * script is valid JavaScript. (Running it needs VS Code itself, which CI does not have.)
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/examples.js';

const read = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(repoRoot, p), 'utf8')) as Record<string, unknown>;

describe('editors: the VS Code extension', () => {
  it('vscode: the manifest contributes the seq language, the grammar\'s scope and a client that starts seqc lsp', () => {
    const pkg = read('editors/vscode/package.json') as { main: string; activationEvents: string[]; contributes: { languages: { id: string; extensions: string[]; configuration: string }[]; grammars: { language: string; scopeName: string; path: string }[] } };
    const grammar = read('editors/textmate/seq.tmLanguage.json') as { scopeName: string };
    expect(pkg.contributes.languages).to.have.length(1);
    expect(pkg.contributes.languages[0]).to.include({ id: 'seq', configuration: './language-configuration.json' });
    expect(pkg.contributes.languages[0]!.extensions).to.deep.equal(['.seq']);
    expect(pkg.contributes.grammars[0]).to.deep.equal({ language: 'seq', scopeName: grammar.scopeName, path: './syntaxes/seq.tmLanguage.json' });
    expect(pkg.activationEvents).to.deep.equal(['onLanguage:seq']);
    const conf = read('editors/vscode/language-configuration.json') as { comments: { lineComment: string } };
    expect(conf.comments.lineComment).to.equal('#');
    const client = readFileSync(join(repoRoot, 'editors/vscode', pkg.main), 'utf8');
    expect(client).to.contain("'lsp'");
    execFileSync(process.execPath, ['--check', join(repoRoot, 'editors/vscode', pkg.main)]);
  });

  it('vscode: the prepare step copies the grammar into the extension', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqc-vscode-'));
    cpSync(join(repoRoot, 'editors'), join(dir, 'editors'), { recursive: true, filter: (p) => !p.includes('node_modules') });
    execFileSync(process.execPath, [join(dir, 'editors/vscode/copy-grammar.js')]);
    expect(readFileSync(join(dir, 'editors/vscode/syntaxes/seq.tmLanguage.json'), 'utf8'))
      .to.equal(readFileSync(join(repoRoot, 'editors/textmate/seq.tmLanguage.json'), 'utf8'));
  });
});
