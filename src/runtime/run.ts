/**
 * @file A run directory: the compiled graphs, the model source, the configuration, metrics and
 * checkpoints of one training run (every file is described in docs/runs.md). A run is data, not
 * code: seqc recompiles the model and compares, and never executes the run's own graphs.
 *
 *     RUN/model.seq  manifest.json  train_step.onnx  evaluate.onnx  evaluate_fivo.onnx  sample.onnx  config.json
 *     RUN/normalization.json  metrics.jsonl  curves.svg  .lock  checkpoints/{last,best}.ckpt
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOverrides } from '../compiler/check/dims.js';
import { compile, onnxBytes, type Bound, type Compiled, type Manifest } from '../compiler/pipeline.js';
import { renderDiagnostic } from '../compiler/diagnostics.js';
import { canonicalText } from '../compiler/canonical.js';
import { parse } from '../compiler/parse.js';
import { sourceText } from '../compiler/source.js';
import type { DType } from '../compiler/ir/ops.js';
import { DataError, type VarSpec } from './data/index.js';
import { RunError, UsageError } from './errors.js';
import { parseStoredConfig, type TrainConfig } from './config.js';
import { LOCK_FILE, writeFileAtomic } from './safefs.js';

export { RunError, UsageError };
/** Re-exported: every file seqc writes goes through the one atomic writer. */
export { writeFileAtomic };

/** The files and directories seqc writes at the top of a run directory. */
export const RUN_FILES = ['model.seq', 'manifest.json', 'train_step.onnx', 'evaluate.onnx', 'evaluate_fivo.onnx', 'sample.onnx', 'config.json',
  'normalization.json', 'metrics.jsonl', 'curves.svg', 'checkpoints', LOCK_FILE] as const;

/** The checkpoints of a run, in RUN/checkpoints/. */
export const CHECKPOINT_FILES = ['last.ckpt', 'best.ckpt'] as const;

/** The graphs a run holds, with the compiled artifact each must equal. */
const GRAPHS = [['train_step.onnx', 'train'], ['evaluate.onnx', 'evaluate'], ['evaluate_fivo.onnx', 'evaluateFivo'], ['sample.onnx', 'sample']] as const;

/** The package root (for the built-in dataset), from either src/ or dist/. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The built-in dataset: 200-sample frames of real speech (data/speech/README.md). */
export function builtinDataset(): { path: string; fits: (spec: readonly VarSpec[]) => boolean; describe: string } {
  return {
    path: join(packageRoot(), 'data', 'speech'),
    fits: (spec) => spec.length === 1 && spec[0]!.elem === 'real' && spec[0]!.width === 200,
    describe: 'the built-in speech dataset (one observed variable, real[200])',
  };
}

/** The dataset a configuration names (null: the built-in one). */
export function dataPathOf(cfg: Pick<TrainConfig, 'data'>): string {
  return cfg.data ?? builtinDataset().path;
}

/** The training bound a run was configured with (`TrainConfig` fields; `iwae` is the older spelling). */
export interface TrainingBound {
  readonly bound?: Bound;
  readonly particles?: number;
  readonly iwaeK?: number;
}

/** The training bound of a stored or fresh configuration. */
export function boundOf(cfg: { bound?: Bound; particles?: number; iwae?: number } | null | undefined): TrainingBound {
  return { ...(cfg?.bound ? { bound: cfg.bound } : {}), ...(cfg?.particles ? { particles: cfg.particles } : {}), ...(cfg?.iwae ? { iwaeK: cfg.iwae } : {}) };
}

/** Compiles a model file or raises a RunError that carries the rendered diagnostics. */
export function compileModel(path: string, sets: readonly string[], dtype: DType = 'float32', bound: TrainingBound = {}, source?: string): { text: string; compiled: Compiled } {
  const text = source ?? readModelText(path);
  const r = compile(path, text, { dtype, overrides: parseOverrides(sets), ...bound });
  if (!r.compiled) {
    const shown = r.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(r.source, d)).join('\n\n');
    throw new RunError(`${path} has errors; run \`seqc check ${path}\`\n\n${shown}`);
  }
  return { text, compiled: r.compiled };
}

/** The text of a model file; an unreadable one is a usage error, one that is not UTF-8 a SourceError (E0004). */
export function readModelText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read model file '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
  return sourceText(path, bytes);
}

/** Observed and input variables: what the data must supply. */
export function dataSpec(c: Compiled): VarSpec[] {
  return c.manifest.variables.filter((v) => v.role === 'observe' || v.role === 'input')
    .map((v) => ({ name: v.name, width: v.width, elem: v.elem as VarSpec['elem'] }));
}

/** Picks a fresh run directory `runs/<model>`, `runs/<model>-2`, … */
export function freshRunDir(model: string): string {
  for (let i = 1; ; i++) {
    const dir = join('runs', i === 1 ? model : `${model}-${i}`);
    if (!existsSync(dir)) return dir;
  }
}

/** Writes the compiled graphs, manifest and model source into a run directory; returns the names written. */
export function writeRunArtifacts(dir: string, text: string, c: Compiled): string[] {
  writeFileAtomic(join(dir, 'model.seq'), text);
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(c.manifest, null, 2) + '\n');
  for (const [file, art] of GRAPHS) writeFileAtomic(join(dir, file), onnxBytes(c[art]));
  return ['model.seq', 'manifest.json', ...GRAPHS.map(([f]) => f)];
}

/** Reads a run's saved JSON file, with a clear error if the run is incomplete. */
export function readRunJson<T>(dir: string, file: string): T {
  const p = join(dir, file);
  if (!existsSync(p)) throw new RunError(`${dir} is not a training run: ${file} is missing`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch (e) {
    throw new RunError(`${p} is not valid JSON: ${(e as Error).message}`, 'the file was edited or damaged; restore it or train a new run');
  }
}

/** RUN/config.json, validated, with its paths resolved. */
export function readRunConfig(dir: string): TrainConfig {
  return parseStoredConfig(readRunJson<unknown>(dir, 'config.json'), join(dir, 'config.json'), dir);
}

/** Which checkpoint a command uses, and why. */
export interface CheckpointChoice {
  readonly file: string;
  readonly which: 'best' | 'last' | 'file';
  /** Set when `best` was asked for (the default) but the run has none yet. */
  readonly note?: string;
}

/** The checkpoint of a run: `best` (the default) or `last`; a path to a .ckpt file is used as is. */
export function checkpointPath(run: string, which: 'best' | 'last' = 'best'): CheckpointChoice {
  if (run.endsWith('.ckpt')) {
    if (!existsSync(run)) throw new RunError(`checkpoint ${run} does not exist`);
    return { file: run, which: 'file' };
  }
  if (!existsSync(run)) throw new RunError(`${run} has no checkpoint: there is no such run directory`);
  const best = join(run, 'checkpoints', 'best.ckpt');
  const last = join(run, 'checkpoints', 'last.ckpt');
  if (which === 'best' && existsSync(best)) return { file: best, which: 'best' };
  if (existsSync(last)) {
    return which === 'last' ? { file: last, which: 'last' } : { file: last, which: 'last', note: `${run} has no best.ckpt yet (it stopped before its first validation); using last.ckpt` };
  }
  throw new RunError(`${run} has no checkpoint (looked for ${which === 'best' ? `${best} and ${last}` : last})`,
    'a run writes its checkpoints at each validation and when it stops; if it was killed before that, train it again');
}

/** What an existing `--out` directory holds. */
export type OutState =
  | { kind: 'new' }
  | { kind: 'run'; manifest: Manifest | null; checkpoints: string[] }
  | { kind: 'foreign'; entries: string[] };

/** Inspects a directory named by `--out` (a file there is a usage error). */
export function inspectOut(dir: string): OutState {
  let entries: string[];
  try {
    if (!lstatSync(dir).isDirectory()) throw new UsageError(`--out ${dir} is a file, not a directory`, 'choose another --out');
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'new' };
    throw e;
  }
  if (entries.length === 0) return { kind: 'new' };
  const runLike = entries.some((e) => e === 'manifest.json' || e === 'config.json' || e === 'checkpoints' || e === 'model.seq');
  if (!runLike) return { kind: 'foreign', entries };
  const checkpoints = existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.ckpt')) : [];
  let manifest: Manifest | null = null;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch { /* a damaged or missing manifest: still a run */ }
  return { kind: 'run', manifest, checkpoints };
}

/**
 * Refuses a run whose graphs or manifest differ from what its model compiles to now (edited,
 * replaced, or written by another seqppl): seqc only ever runs the graphs it compiled itself.
 */
export function verifyRunFiles(dir: string, c: Compiled, model: string): void {
  const hint = 'seqc never runs a run\'s own graphs; restore the file, or train a new run (--out another directory)';
  for (const [file, art] of GRAPHS) {
    const p = join(dir, file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(p);
    } catch {
      throw new RunError(`${p} is missing; the run directory is incomplete`, hint);
    }
    if (!bytes.equals(Buffer.from(onnxBytes(c[art])))) {
      throw new RunError(`${p} differs from the graph ${model} compiles to (the file was edited or replaced, or written by another version of seqppl)`, hint);
    }
  }
  const saved = readRunJson<Record<string, unknown>>(dir, 'manifest.json');
  const { sourceHash: _a, modelHash: _b, ...now } = c.manifest as unknown as Record<string, unknown>;
  const { sourceHash: _c, modelHash: _d, ...then } = saved;
  if (JSON.stringify(sortKeys(now)) !== JSON.stringify(sortKeys(then))) {
    throw new RunError(`${join(dir, 'manifest.json')} differs from the manifest ${model} compiles to (the file was edited, or written by another version of seqppl)`, hint);
  }
}

/**
 * Refuses `text` (the model file `model`) when it is not, up to comments and layout, the model the
 * run in `dir` was trained with (RUN/model.seq); names the differing model or line.
 */
export function checkSameModel(dir: string, text: string, model: string, hint: string): void {
  const saved = join(dir, 'model.seq');
  if (!existsSync(saved)) return; // the checkpoint's canonical hash still decides
  const a = canonicalOf(readFileSync(saved, 'utf8'));
  const b = canonicalOf(text);
  if (a === null || b === null || a === b) return;
  const name = (c: string): string => /^model (\w+)/.exec(c)?.[1] ?? '?';
  if (name(a) !== name(b)) throw new RunError(`${dir} was trained with another model: ${model} is model '${name(b)}', the run's model is '${name(a)}' (${saved})`, hint);
  const la = a.split('\n'), lb = b.split('\n');
  const i = la.findIndex((l, k) => l !== lb[k]);
  throw new RunError(`${model} is not the model ${dir} was trained with (${saved}): they differ in more than comments and layout; ` +
    `line ${i + 1} of their canonical form is \`${la[i] ?? '(none)'}\` in the run and \`${lb[i] ?? '(none)'}\` in ${model}`, hint);
}

function canonicalOf(text: string): string | null {
  const p = parse(text);
  return p.ok ? canonicalText(p.program, text) : null;
}

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
  return x;
}

/** Re-exported for the CLI's error mapping. */
export { DataError };
