/**
 * @file The language server behind `seqc lsp`: the protocol over the streams it is given, on
 * vscode-languageserver. Diagnostics as the user types; hover, definition, references,
 * completion, formatting (`seqc fmt`'s formatter) and the document outline.
 */
import { fileURLToPath } from 'node:url';
import {
  CompletionItemKind, createConnection, DiagnosticSeverity, MarkupKind, ProposedFeatures, SymbolKind,
  TextDocuments, TextDocumentSyncKind, type Connection, type Diagnostic as LspDiagnostic, type DocumentSymbol,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { format } from '../compiler/format.js';
import { parse } from '../compiler/parse.js';
import { analyze, type Analysis, type Override } from './analysis.js';
import { completionsAt, type CompletionKind } from './completion.js';
import { jsonDiagnostic, type JsonDiagnostic } from './diagnostics.js';
import { hoverAt } from './hover.js';
import { outline, type OutlineEntry } from './outline.js';
import type { SymbolIndex } from './symbols.js';

/** How the server is started: its streams, the CLI's `--set` overrides and the version it reports. */
export interface ServerOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly overrides: readonly Override[];
  readonly version: string;
}

/** Starts the server; resolves when the client ends the session (`exit`). */
export function startServer(opts: ServerOptions): Promise<void> {
  const connection = createConnection(ProposedFeatures.all, opts.input, opts.output);
  const documents = new TextDocuments(TextDocument);
  const state = new Documents(connection, [...opts.overrides]);

  connection.onInitialize((params) => {
    state.overrides.push(...overridesFrom(params.initializationOptions));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        completionProvider: { triggerCharacters: ['.', '~'] },
        documentFormattingProvider: true,
        documentSymbolProvider: true,
      },
      serverInfo: { name: 'seqc', version: opts.version },
    };
  });
  documents.onDidChangeContent((e) => state.update(e.document));
  documents.onDidClose((e) => state.close(e.document.uri));

  connection.onHover(({ textDocument, position }) => {
    const s = state.get(textDocument.uri);
    const h = s && hoverAt(s.analysis, s.doc.offsetAt(position));
    return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: s.range(h.span) } : null;
  });
  connection.onDefinition(({ textDocument, position }) => {
    const s = state.get(textDocument.uri);
    const sym = s?.analysis.index?.at(s.doc.offsetAt(position))?.symbol;
    return s && sym ? { uri: textDocument.uri, range: s.range(sym.span) } : null;
  });
  connection.onReferences(({ textDocument, position, context }) => {
    const s = state.get(textDocument.uri);
    const index = s?.analysis.index;
    const sym = index?.at(s!.doc.offsetAt(position))?.symbol;
    if (!s || !index || !sym) return [];
    return index.references(sym, context.includeDeclaration).map((o) => ({ uri: textDocument.uri, range: s.range(o.span) }));
  });
  connection.onCompletion(({ textDocument, position }) => {
    const s = state.get(textDocument.uri);
    if (!s) return [];
    return completionsAt(s.analysis, s.doc.offsetAt(position), state.lastParsed.get(textDocument.uri) ?? null)
      .map((c) => ({ label: c.label, kind: completionKinds[c.kind], detail: c.detail }));
  });
  connection.onDocumentFormatting(({ textDocument }) => {
    const s = state.get(textDocument.uri);
    if (!s) return null;
    const text = s.doc.getText();
    const parsed = parse(text);
    if (!parsed.ok) return null; // the syntax errors are already shown as diagnostics
    const formatted = format(parsed.program, text);
    if (formatted === text) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: s.doc.positionAt(text.length) }, newText: formatted }];
  });
  connection.onDocumentSymbol(({ textDocument }) => {
    const s = state.get(textDocument.uri);
    const program = s?.analysis.result.program;
    return s && program ? [documentSymbol(s, outline(program))] : [];
  });

  const ended = new Promise<void>((resolve) => connection.onExit(() => resolve()));
  documents.listen(connection);
  connection.listen();
  return ended;
}

/** One open document, its latest analysis, and protocol ranges over its text. */
interface OpenDocument {
  readonly doc: TextDocument;
  readonly analysis: Analysis;
  range(span: { start: number; end: number }): { start: { line: number; character: number }; end: { line: number; character: number } };
}

/** The open documents and what the server knows of each. */
class Documents {
  private readonly open = new Map<string, OpenDocument>();
  /** The index of the last version of each document that parsed (names for completion while typing). */
  readonly lastParsed = new Map<string, SymbolIndex>();
  private readonly shown = new Set<string>();

  constructor(private readonly connection: Connection, readonly overrides: Override[]) {}

  get(uri: string): OpenDocument | undefined {
    return this.open.get(uri);
  }

  update(doc: TextDocument): void {
    const path = doc.uri.startsWith('file:') ? fileURLToPath(doc.uri) : doc.uri;
    let analysis: Analysis;
    try {
      analysis = analyze(path, doc.getText(), this.overrides);
    } catch (e) {
      this.connection.console.error(`seqc: internal error while checking ${path} (a bug in seqc, not in the model): ${(e as Error).stack ?? String(e)}`);
      return;
    }
    const range = (span: { start: number; end: number }) => ({ start: doc.positionAt(span.start), end: doc.positionAt(Math.max(span.start, span.end)) });
    this.open.set(doc.uri, { doc, analysis, range });
    if (analysis.index) this.lastParsed.set(doc.uri, analysis.index);
    for (const n of analysis.notices) {
      if (this.shown.has(n)) continue;
      this.shown.add(n);
      void this.connection.window.showWarningMessage(n);
    }
    const diagnostics = analysis.result.diagnostics.map((d) => lspDiagnostic(doc.uri, jsonDiagnostic(path, d, (o) => doc.positionAt(o))));
    void this.connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  }

  close(uri: string): void {
    this.open.delete(uri);
    this.lastParsed.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}

const severities: Record<JsonDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, note: DiagnosticSeverity.Information,
};

/** The protocol form of a diagnostic: the hint and unlocated notes join the message; located notes become related information. */
export function lspDiagnostic(uri: string, d: JsonDiagnostic): LspDiagnostic {
  const unlocated = d.related.filter((r) => !r.range).map((r) => `\nnote: ${r.message}`).join('');
  return {
    range: d.range, severity: severities[d.severity], code: d.code, source: 'seqc',
    message: d.message + unlocated + (d.hint ? `\nhint: ${d.hint}` : ''),
    relatedInformation: d.related.filter((r) => r.range).map((r) => ({ location: { uri, range: r.range! }, message: r.message })),
    data: { hint: d.hint },
  };
}

const completionKinds: Record<CompletionKind, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword, variable: CompletionItemKind.Variable, net: CompletionItemKind.Class,
  function: CompletionItemKind.Function, hyper: CompletionItemKind.Constant, let: CompletionItemKind.Variable,
  family: CompletionItemKind.Struct, netKind: CompletionItemKind.Constructor, builtin: CompletionItemKind.Function,
  method: CompletionItemKind.Method, value: CompletionItemKind.EnumMember,
};

const symbolKinds: Record<OutlineEntry['kind'], SymbolKind> = {
  model: SymbolKind.Module, hyper: SymbolKind.Constant, var: SymbolKind.Variable, net: SymbolKind.Class,
  fn: SymbolKind.Function, let: SymbolKind.Variable, statement: SymbolKind.Event, guide: SymbolKind.Namespace,
};

function documentSymbol(s: OpenDocument, e: OutlineEntry): DocumentSymbol {
  return { name: e.name, detail: e.detail, kind: symbolKinds[e.kind], range: s.range(e.span), selectionRange: s.range(e.selection), children: e.children.map((c) => documentSymbol(s, c)) };
}

/** Overrides from the client's `initializationOptions.set`: `["h_dim=512"]` or `{ "h_dim": 512 }`. */
export function overridesFrom(init: unknown): Override[] {
  const set = (init as { set?: unknown } | null | undefined)?.set;
  if (Array.isArray(set)) {
    return set.filter((x): x is string => typeof x === 'string' && x.includes('='))
      .map((x) => ({ name: x.slice(0, x.indexOf('=')).trim(), value: x.slice(x.indexOf('=') + 1).trim() }));
  }
  if (set && typeof set === 'object') return Object.entries(set).map(([name, v]) => ({ name, value: String(v) }));
  return [];
}
