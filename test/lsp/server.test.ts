/**
 * @file `seqc lsp` driven as an editor drives it, over stdio: initialize with overrides, open a
 * file with errors, edit it, then hover, definition, references, completion, formatting and the
 * outline; `seqc check --json` prints the diagnostics the server publishes.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompletionItem, DocumentSymbol, Hover, Location, MarkupContent, Position, TextEdit } from 'vscode-languageserver-protocol';
import { main } from '../../src/cli/main.js';
import { format } from '../../src/compiler/format.js';
import { parse } from '../../src/compiler/parse.js';
import { repoRoot } from '../helpers/examples.js';
import { LspClient } from './client.js';

const tmp = mkdtempSync(join(tmpdir(), 'seqc-lsp-'));
const vrnn = readFileSync(join(repoRoot, 'examples/vrnn.seq'), 'utf8');
/** Two errors: a duplicate net (E0102, with a note at the first definition) and an unknown variable (E0101). */
const broken = vrnn
  .replace('  net rnn ', '  net phi_z = linear(z_dim -> f_dim)\n  net rnn ')
  .replace('dec_net(phi_z(z[t]), h[t-1])', 'dec_net(phi_z(z[t]), hx[t-1])');
const path = join(tmp, 'vrnn.seq');
writeFileSync(path, broken);
const uri = pathToFileURL(path).href;

/** The protocol position of the `k`-th occurrence (0-based) of `needle` in the model of `text` (after its header comments), plus `shift` characters. */
function pos(text: string, needle: string, k = 0, shift = 0): Position {
  let at = text.indexOf('\nmodel ');
  for (let i = 0; i <= k; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' occurs fewer than ${k + 1} times`);
  }
  const before = text.slice(0, at + shift);
  return { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
}

describe('lsp: seqc lsp over stdio', function () {
  this.timeout(60_000);
  let client: LspClient;
  let text = broken;

  before(async () => {
    client = new LspClient();
    const init = await client.conn.sendRequest('initialize', {
      processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { set: ['h_dim=64', 'f_dim=48', 'unknown_dim=3'] },
    }) as { capabilities: Record<string, unknown>; serverInfo: { name: string } };
    expect(init.serverInfo.name).to.equal('seqc');
    for (const cap of ['hoverProvider', 'definitionProvider', 'referencesProvider', 'documentFormattingProvider', 'documentSymbolProvider']) {
      expect(init.capabilities[cap], cap).to.equal(true);
    }
    await client.conn.sendNotification('initialized', {});
  });

  after(async () => {
    if (client) expect(await client.close(), `server exit code; stderr: ${client.stderr.join('')}`).to.equal(0);
  });

  it('publishes the checker\'s diagnostics with codes, hints and related spans on open', async () => {
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'seq', version: 1, text } });
    const d = (await client.diagnostics(uri, 1)).diagnostics;
    expect(d.map((x) => x.code)).to.deep.equal(['E0102', 'E0101']);
    const [dup, unknown] = d;
    expect(dup!.range).to.deep.equal({ start: pos(text, 'phi_z', 1), end: pos(text, 'phi_z', 1, 5) });
    expect(dup!.relatedInformation).to.deep.equal([{ location: { uri, range: { start: pos(text, 'phi_z', 0), end: pos(text, 'phi_z', 0, 5) } }, message: 'first defined here' }]);
    expect(unknown!.range).to.deep.equal({ start: pos(text, 'hx[t-1]'), end: pos(text, 'hx[t-1]', 0, 2) });
    expect(unknown!.message).to.equal('unknown variable `hx`\nhint: did you mean `h`?');
    expect(unknown!.severity).to.equal(1);
    expect(unknown!.source).to.equal('seqc');
  });

  it('re-checks after incremental edits: fixing both errors clears the diagnostics', async () => {
    // Remove the duplicate net (a whole line), then rename hx to h.
    const dupLine = pos(text, '  net phi_z = linear');
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: dupLine, end: { line: dupLine.line + 1, character: 0 } }, text: '' }],
    });
    text = text.replace('  net phi_z = linear(z_dim -> f_dim)\n', '');
    expect((await client.diagnostics(uri, 2)).diagnostics.map((x) => x.code)).to.deep.equal(['E0101']);
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 }, contentChanges: [{ range: { start: pos(text, 'hx[t-1]'), end: pos(text, 'hx[t-1]', 0, 2) }, text: 'h' }],
    });
    text = text.replace('hx[t-1]', 'h[t-1]');
    expect(text).to.equal(vrnn);
    expect((await client.diagnostics(uri, 3)).diagnostics).to.deep.equal([]);
  });

  const hover = async (p: Position): Promise<string> => {
    const h = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: p }) as Hover | null;
    return h ? (h.contents as MarkupContent).value : '';
  };

  it('hover: a hyperparameter shows its value after the overrides', async () => {
    const h = await hover(pos(text, 'h_dim', 2, 1)); // a use inside prior_net's declaration
    expect(h).to.contain('h_dim = 64');
    expect(h).to.contain('value **64** (declared 256; overridden');
    expect(await hover(pos(text, 'z_dim', 0, 1))).to.contain('value **32** (the declared default)');
  });

  it('hover: a variable shows its role, element type and width, and the time offset read', async () => {
    const h = await hover(pos(text, 'h[t-1]', 1));
    expect(h).to.contain('state h[t] : real[64] = zeros');
    expect(h).to.contain('deterministic state · element type **real** · width **64** (`h_dim`)');
    expect(h).to.contain('read here at `t-1`');
    expect(await hover(pos(text, 'x[t] :'))).to.contain('observed variable · element type **real** · width **200**');
  });

  it('hover: a net shows its sizes and parameter shapes', async () => {
    const h = await hover(pos(text, 'rnn(h[t-1]'));
    // lstm(f_dim + f_dim -> h_dim) with f_dim = 48, h_dim = 64: weight_ih [96, 4·64], weight_hh [64, 256], bias [256].
    expect(h).to.contain('net · lstm (recurrent) · 96 → 64');
    expect(h).to.contain('| `rnn.weight_ih` | [96, 256] |');
    expect(h).to.contain('| `rnn.weight_hh` | [64, 256] |');
    expect(h).to.contain('| `rnn.bias_ih` | [256] |');
    expect(h).to.contain(`${(96 * 256 + 64 * 256 + 256).toLocaleString('en-US')} parameters`);
    expect(await hover(pos(text, 'phi_x     = mlp'))).to.contain('| `phi_x.1.weight` | [48, 48] |');
  });

  it('hover: families, net kinds and builtins get their help', async () => {
    expect(await hover(pos(text, 'Normal.head(prior_net', 0, 2))).to.contain('Normal(loc, scale)');
    expect(await hover(pos(text, 'lstm('))).to.contain('an LSTM step');
    expect(await hover(pos(text, 'relu', 0))).to.contain('activation `relu`');
  });

  it('definition: a use of a net, a variable and a hyperparameter jumps to its declaration', async () => {
    const def = async (p: Position): Promise<Location> => await client.conn.sendRequest('textDocument/definition', { textDocument: { uri }, position: p }) as Location;
    expect((await def(pos(text, 'phi_x(x[t])'))).range).to.deep.equal({ start: pos(text, 'phi_x'), end: pos(text, 'phi_x', 0, 5) });
    expect((await def(pos(text, 'z[t]', 3))).range.start).to.deep.equal(pos(text, 'z[t] :'));
    expect((await def(pos(text, 'f_dim', 3))).range.start).to.deep.equal(pos(text, 'f_dim'));
  });

  it('references: every occurrence of a variable and of a net', async () => {
    const refs = async (p: Position, includeDeclaration: boolean): Promise<Location[]> =>
      await client.conn.sendRequest('textDocument/references', { textDocument: { uri }, position: p, context: { includeDeclaration } }) as Location[];
    const body = text.slice(text.indexOf('model '));
    const hRefs = await refs(pos(text, 'h[t-1]'), true);
    // Independent count: every `h[` in the model body, outside comments.
    const expected = body.split('\n').map((l) => l.replace(/#.*/, '')).join('\n').match(/\bh\[/g)!.length;
    expect(hRefs).to.have.length(expected);
    expect(await refs(pos(text, 'h[t-1]'), false)).to.have.length(expected - 1);
    const phiZ = await refs(pos(text, 'phi_z'), false);
    expect(phiZ.map((l) => l.range.start)).to.deep.equal([pos(text, 'phi_z(z[t])', 0), pos(text, 'phi_z(z[t])', 1)]);
  });

  it('completion: names and builtins in expressions, families after ~, kinds after net =', async () => {
    const complete = async (t: string, p: Position): Promise<string[]> => {
      await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: t }] });
      const items = await client.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: p }) as CompletionItem[];
      return items.map((i) => i.label);
    };
    let version = 10;
    const inExpr = text.replace('prior_net(h[t-1])', 'prior_net(h[t-1] + )');
    const names = await complete(inExpr, pos(inExpr, ' + )', 0, 3));
    expect(names).to.include.members(['h', 'x', 'z', 'phi_x', 'rnn', 'h_dim', 'tanh', 'concat']);
    const afterTilde = text.replace('prior      z[t] ~ Normal.head(prior_net(h[t-1]), z_dim)', 'prior      z[t] ~ ');
    expect(await complete(afterTilde, pos(afterTilde, 'z[t] ~ ', 0, 7))).to.have.members(['Normal', 'Laplace', 'Bernoulli', 'NADE', 'Categorical', 'MixtureNormal', 'BivariateNormalMixture']);
    const newNet = text.replace('  net rnn ', '  net extra = \n  net rnn ');
    expect(await complete(newNet, pos(newNet, 'net extra = ', 0, 12))).to.have.members(['linear', 'mlp', 'lstm', 'gru', 'rnn']);
    const method = text.replace('Normal.head(prior_net', 'Normal.(prior_net');
    expect(await complete(method, pos(method, 'Normal.(', 0, 7))).to.deep.equal(['head']);
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });
  });

  it('formatting: the edit is what seqc fmt writes', async () => {
    const messy = text.replace('net rnn       = lstm(f_dim + f_dim -> h_dim)', 'net   rnn=lstm( f_dim+f_dim->h_dim )').replace('prior_net(h[t-1])', 'prior_net(h[ t - 1 ])');
    const u2 = pathToFileURL(join(tmp, 'messy.seq')).href;
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: u2, languageId: 'seq', version: 1, text: messy } });
    const edits = await client.conn.sendRequest('textDocument/formatting', { textDocument: { uri: u2 }, options: { tabSize: 2, insertSpaces: true } }) as TextEdit[];
    expect(edits).to.have.length(1);
    expect(edits[0]!.range.start).to.deep.equal({ line: 0, character: 0 });
    const p = parse(messy);
    if (!p.ok) throw new Error('messy text must parse');
    expect(edits[0]!.newText).to.equal(format(p.program, messy));
    expect(edits[0]!.newText).to.equal(vrnn);
    const none = await client.conn.sendRequest('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }) as TextEdit[];
    expect(none).to.deep.equal([]);
  });

  it('document symbols: the model with its hyperparameters, declarations and statements', async () => {
    const syms = await client.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } }) as DocumentSymbol[];
    expect(syms).to.have.length(1);
    expect(syms[0]!.name).to.equal('vrnn');
    expect(syms[0]!.children!.map((c) => c.name)).to.deep.equal([
      'x_dim', 'z_dim', 'h_dim', 'f_dim', 'x', 'z', 'h', 'phi_x', 'phi_z', 'prior_net', 'enc_net', 'dec_net', 'rnn',
      'prior z[t]', 'emission x[t]', 'transition h[t]', 'guide z[t]',
    ]);
    const rnn = syms[0]!.children!.find((c) => c.name === 'rnn')!;
    expect(rnn.detail).to.equal('lstm(f_dim + f_dim -> h_dim)');
    expect(rnn.selectionRange.start).to.deep.equal(pos(text, 'rnn       ='));
  });

  it('a file that does not parse gets its syntax error, and names still complete', async () => {
    const bad = text.replace('net rnn       = lstm(f_dim + f_dim -> h_dim)', 'net rnn       = lstm(f_dim + f_dim h_dim)');
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 30 }, contentChanges: [{ text: bad }] });
    const d = (await client.diagnostics(uri, 30)).diagnostics;
    expect(d.map((x) => x.code)).to.deep.equal(['E0001']);
    expect(d[0]!.range.start).to.deep.equal(pos(bad, 'h_dim)'));
    const items = await client.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: pos(bad, 'h[t-1]), z_dim', 0, 1) }) as CompletionItem[];
    expect(items.map((i) => i.label)).to.include.members(['phi_x', 'h', 'f_dim']);
  });
});

/** Runs the CLI in-process, capturing its streams. */
async function seqc(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, { out: (t) => { stdout += t + '\n'; }, err: (t) => { stderr += t + '\n'; } });
  return { status, stdout, stderr };
}

describe('lsp: seqc check --json', () => {
  it('prints the diagnostics in the shape the server publishes, and exits 1', async () => {
    const r = await seqc('check', '--json', path);
    expect(r.status, r.stderr).to.equal(1);
    const out = JSON.parse(r.stdout) as { files: { file: string; ok: boolean; diagnostics: { code: string; line: number; column: number; hint: string | null; range: unknown; related: unknown[] }[] }[] };
    expect(out.files).to.have.length(1);
    const f = out.files[0]!;
    expect(f.ok).to.equal(false);
    expect(f.diagnostics.map((d) => [d.code, d.line, d.column])).to.deep.equal([['E0102', 18, 7], ['E0101', 23, 54]]);
    const unknown = f.diagnostics[1]!;
    expect(unknown.hint).to.equal('did you mean `h`?');
    expect(unknown.range).to.deep.equal({ start: pos(broken, 'hx[t-1]'), end: pos(broken, 'hx[t-1]', 0, 2) });
    expect(f.diagnostics[0]!.related).to.deep.equal([{ message: 'first defined here', range: { start: pos(broken, 'phi_z', 0), end: pos(broken, 'phi_z', 0, 5) } }]);
  });

  it('a clean file is ok with no diagnostics (exit 0)', async () => {
    const r = await seqc('check', '--json', join(repoRoot, 'examples/storn.seq'));
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ files: [{ file: join(repoRoot, 'examples/storn.seq'), ok: true, model: 'storn', diagnostics: [] }] });
  });
});
