/** @file The front end in one call: source → parse → check, with every diagnostic collected. */
import type { Program } from './ast.js';
import type { CheckedModel } from './checked.js';
import { check } from './check/index.js';
import type { Override } from './check/dims.js';
import type { Diagnostic } from './diagnostics.js';
import { parse } from './parse.js';
import { SourceFile } from './source.js';

/** Everything the front end learned about one file. */
export interface FrontendResult {
  readonly source: SourceFile;
  readonly program: Program | null;
  readonly model: CheckedModel | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly needsDefaultGuide: boolean;
}

/** Parses and checks a model source. Throws OverrideError for bad `--set` values (usage errors). */
export function checkSource(path: string, text: string, overrides: readonly Override[] = []): FrontendResult {
  const source = new SourceFile(path, text);
  const parsed = parse(text);
  if (!parsed.ok) return { source, program: null, model: null, diagnostics: parsed.diagnostics, needsDefaultGuide: false };
  const r = check(parsed.program, text, overrides);
  return { source, program: parsed.program, model: r.model, diagnostics: r.diagnostics, needsDefaultGuide: r.needsDefaultGuide };
}

/** True if any diagnostic is an error. */
export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
