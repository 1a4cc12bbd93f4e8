/** @file `seqc check FILE...`: parse and check model files, printing located diagnostics. */
import { readFileSync } from 'node:fs';
import { parseOverrides } from '../compiler/check/dims.js';
import { renderDiagnostic } from '../compiler/diagnostics.js';
import { formatBig } from '../compiler/errors.js';
import { sourceText } from '../compiler/source.js';
import { checkSource, hasErrors, type FrontendResult } from '../compiler/frontend.js';
import { jsonDiagnostic, positionsFrom } from '../lsp/diagnostics.js';
import { Exit, UsageError, type Terminal } from './io.js';

/** The name diagnostics give a model read from standard input (`seqc check -`, `seqc fmt -`). */
export const STDIN_NAME = '<stdin>';

/** The name a model file argument is reported under: `-` is standard input. */
export function displayName(path: string): string {
  return path === '-' ? STDIN_NAME : path;
}

/** Usage error unless standard input (`-`) is named at most once among the file arguments. */
export function stdinOnce(files: readonly string[]): void {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' (standard input) can be given only once");
}

/**
 * Reads a model file as strict UTF-8, turning I/O problems into usage errors and bytes that are
 * not UTF-8 into a SourceError. `-` reads standard input.
 */
export function readModelFile(path: string): string {
  if (path === '-') {
    let bytes: Buffer;
    try {
      bytes = readFileSync(0);
    } catch (e) {
      throw new UsageError(`cannot read standard input: ${(e as Error).message}`);
    }
    return sourceText(STDIN_NAME, bytes);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `cannot read '${path}': no such file` : code === 'EISDIR' ? `'${path}' is a directory, not a model file` : `cannot read '${path}': ${(e as Error).message}`);
  }
  return sourceText(path, bytes);
}

/** Loads and checks one file; prints its diagnostics. */
export function frontend(path: string, sets: readonly string[], term: Terminal): FrontendResult {
  const r = checkSource(displayName(path), readModelFile(path), parseOverrides(sets));
  for (const d of r.diagnostics) term.err(renderDiagnostic(r.source, d) + '\n');
  return r;
}

/** Runs `seqc check`; returns the exit code. */
export function runCheck(files: readonly string[], opts: { set?: string[]; quiet?: boolean; json?: boolean }, term: Terminal): number {
  let failed = 0;
  parseOverrides(opts.set ?? []);
  stdinOnce(files);
  if (opts.json) return checkJson(files, opts.set ?? [], term);
  for (const file of files) {
    const f = displayName(file);
    const r = frontend(file, opts.set ?? [], term);
    if (hasErrors(r.diagnostics) || !r.model) {
      const n = r.diagnostics.filter((d) => d.severity === 'error').length;
      term.err(`${f}: ${n} error${n === 1 ? '' : 's'}`);
      failed++;
      continue;
    }
    if (opts.quiet) continue;
    const m = r.model;
    const nParams = m.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    const plural = (n: number, w: string): string => `${formatBig(n)} ${w}${n === 1 ? '' : 's'}`;
    term.out(`${f}: ok: model ${m.name}, ${plural(m.vars.size, 'variable')}, ${plural(m.nets.size, 'net')}, ${plural(nParams, 'parameter')}`);
    if (r.needsDefaultGuide) term.out(`  note: ${m.name} has no guide; the default structured guide will be used (see docs/language.md, "Default guide")`);
  }
  return failed ? Exit.modelErrors : Exit.ok;
}

/** `seqc check --json`: one JSON object on stdout, the diagnostics in the language server's shape. */
function checkJson(files: readonly string[], sets: readonly string[], term: Terminal): number {
  const results = files.map((file) => {
    const f = displayName(file);
    const r = checkSource(f, readModelFile(file), parseOverrides(sets));
    const diagnostics = r.diagnostics.map((d) => jsonDiagnostic(f, d, positionsFrom((o) => r.source.position(o))));
    return { file: f, ok: !hasErrors(r.diagnostics) && r.model !== null, model: r.model?.name ?? null, diagnostics };
  });
  term.out(JSON.stringify({ files: results }, null, 2));
  return results.every((r) => r.ok) ? Exit.ok : Exit.modelErrors;
}
