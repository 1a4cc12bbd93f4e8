/**
 * @file The public API for model files: `check` and `compile`, returning located problems
 * instead of printing them. Thin wrappers over the compiler's front end and pipeline.
 */
import { readFileSync } from 'node:fs';
import { parseOverrides } from '../compiler/check/dims.js';
import { renderDiagnostic, type Diagnostic } from '../compiler/diagnostics.js';
import { checkSource, hasErrors } from '../compiler/frontend.js';
import type { DType } from '../compiler/ir/ops.js';
import { compile as compilePipeline, type Compiled } from '../compiler/pipeline.js';
import type { SourceFile } from '../compiler/source.js';
import type { OptimizerKind } from '../inference/optimizers.js';
import { UsageError } from '../runtime/run.js';

/** Hyperparameter overrides: `{ h_dim: 64 }` or `['h_dim=64']` (what `--set` takes). */
export type Overrides = Readonly<Record<string, number | string>> | readonly string[];

/** Where a model's text comes from: the file, unless `text` is given (then `file` only names it). */
export interface SourceOptions {
  readonly text?: string;
  readonly set?: Overrides;
}

/** One problem in a model file, located, with the caret rendering `seqc check` prints. */
export interface Problem {
  readonly severity: Diagnostic['severity'];
  /** Catalogue code, e.g. `E0402` (docs/language.md). */
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** `file:line:col: error[code]: message`, the source line, a caret and the hint. */
  readonly rendered: string;
}

/** What `check` learned about a model that has no errors. */
export interface ModelSummary {
  readonly name: string;
  readonly hyperparameters: Readonly<Record<string, number>>;
  readonly variables: readonly { name: string; role: string; elem: string; width: number }[];
  /** Number of scalar parameters. */
  readonly parameters: number;
  /** True when the model has no guide and gets the default structured one. */
  readonly defaultGuide: boolean;
}

/** The result of `check`. */
export interface CheckResult {
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  readonly model: ModelSummary | null;
}

/** The result of `compile`: the compiled graphs, or the problems that prevent them. */
export interface CompileResult {
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  readonly compiled: Compiled | null;
}

/** Options of `compile` (the defaults are `seqc compile`'s). */
export interface CompileOptions extends SourceOptions {
  readonly dtype?: DType;
  readonly optimizer?: OptimizerKind;
  /** Train on the importance-weighted bound with K samples (1: the ELBO). */
  readonly iwae?: number;
}

/** Parses and checks a model file. Bad overrides throw `OverrideError`; an unreadable file `UsageError`. */
export function check(file: string, opts: SourceOptions = {}): CheckResult {
  const r = checkSource(file, sourceText(file, opts), overrides(opts.set));
  const problems = r.diagnostics.map((d) => problem(r.source, d));
  if (hasErrors(r.diagnostics) || !r.model) return { ok: false, problems, model: null };
  const m = r.model;
  return {
    ok: true, problems,
    model: {
      name: m.name, hyperparameters: Object.fromEntries(m.hyper),
      variables: [...m.vars.values()].map((v) => ({ name: v.name, role: v.role, elem: v.elem, width: v.width })),
      parameters: m.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
      defaultGuide: r.needsDefaultGuide,
    },
  };
}

/** Compiles a model file to the train-step, evaluation and sampling graphs (write them with `onnxBytes`). */
export function compile(file: string, opts: CompileOptions = {}): CompileResult {
  const r = compilePipeline(file, sourceText(file, opts), {
    overrides: overrides(opts.set),
    ...(opts.dtype ? { dtype: opts.dtype } : {}), ...(opts.optimizer ? { optimizer: opts.optimizer } : {}), ...(opts.iwae ? { iwaeK: opts.iwae } : {}),
  });
  return { ok: r.compiled !== null, problems: r.diagnostics.map((d) => problem(r.source, d)), compiled: r.compiled };
}

/** `--set` strings from either form of overrides. */
export function overrideStrings(set: Overrides | undefined): string[] {
  if (!set) return [];
  if (Array.isArray(set)) return [...(set as readonly string[])];
  return Object.entries(set as Record<string, number | string>).map(([k, v]) => `${k}=${v}`);
}

function overrides(set: Overrides | undefined) {
  return parseOverrides(overrideStrings(set));
}

function sourceText(file: string, opts: SourceOptions): string {
  if (opts.text !== undefined) return opts.text;
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read model file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function problem(src: SourceFile, d: Diagnostic): Problem {
  const { line, col } = src.position(d.span.start);
  return { severity: d.severity, code: d.code, message: d.message, ...(d.hint ? { hint: d.hint } : {}), file: src.path, line, col, rendered: renderDiagnostic(src, d) };
}
