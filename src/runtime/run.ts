/**
 * @file A run directory: the compiled graphs, the model source, the configuration, metrics and
 * checkpoints of one training run. `seqc eval | sample | export` work from it alone.
 *
 *     RUN/model.seq  manifest.json  train_step.onnx  evaluate.onnx  sample.onnx  config.json
 *     RUN/normalization.json  metrics.jsonl  curves.svg  checkpoints/{last,best}.ckpt
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOverrides } from '../compiler/check/dims.js';
import { compile, onnxBytes, type Compiled } from '../compiler/pipeline.js';
import { renderDiagnostic } from '../compiler/diagnostics.js';
import type { DType } from '../compiler/ir/ops.js';
import { DataError, type VarSpec } from './data/index.js';

/** A problem with how a command was invoked (exit 2); the CLI's UsageError has the same meaning. */
export class UsageError extends Error {}

/** Raised for problems the user can fix: a missing run, a model that does not compile, … (exit 5). */
export class RunError extends Error {}

/** Writes a file atomically (temp file in the same directory, then rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

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

/** Compiles a model file or raises a RunError that carries the rendered diagnostics. */
export function compileModel(path: string, sets: readonly string[], dtype: DType = 'float32', iwaeK = 1): { text: string; compiled: Compiled } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read model file '${path}'`);
  }
  const r = compile(path, text, { dtype, overrides: parseOverrides(sets), iwaeK });
  if (!r.compiled) {
    const shown = r.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(r.source, d)).join('\n\n');
    throw new RunError(`${path} has errors; run \`seqc check ${path}\`\n\n${shown}`);
  }
  return { text, compiled: r.compiled };
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

/** Writes the compiled graphs, manifest and model source into a run directory. */
export function writeRunArtifacts(dir: string, text: string, c: Compiled): void {
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileAtomic(join(dir, 'model.seq'), text);
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(c.manifest, null, 2) + '\n');
  writeFileAtomic(join(dir, 'train_step.onnx'), onnxBytes(c.train));
  writeFileAtomic(join(dir, 'evaluate.onnx'), onnxBytes(c.evaluate));
  writeFileAtomic(join(dir, 'evaluate_fivo.onnx'), onnxBytes(c.evaluateFivo));
  writeFileAtomic(join(dir, 'sample.onnx'), onnxBytes(c.sample));
}

/** Reads a run's saved JSON file, with a clear error if the run is incomplete. */
export function readRunJson<T>(dir: string, file: string): T {
  const p = join(dir, file);
  if (!existsSync(p)) throw new RunError(`${dir} is not a training run: ${file} is missing`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch (e) {
    throw new RunError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The checkpoint of a run: `best` if present (or asked for), else `last`; a path to a .ckpt file is used as is. */
export function checkpointPath(run: string, which: 'best' | 'last' | 'auto' = 'auto'): string {
  if (run.endsWith('.ckpt')) {
    if (!existsSync(run)) throw new RunError(`checkpoint ${run} does not exist`);
    return run;
  }
  const best = join(run, 'checkpoints', 'best.ckpt');
  const last = join(run, 'checkpoints', 'last.ckpt');
  if (which !== 'last' && existsSync(best)) return best;
  if (which !== 'best' && existsSync(last)) return last;
  throw new RunError(`${run} has no checkpoint (looked for ${which === 'best' ? best : which === 'last' ? last : `${best} and ${last}`})`);
}

/** Re-exported for the CLI's error mapping. */
export { DataError };
