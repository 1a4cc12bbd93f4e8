/** @file `seqc compile FILE -o DIR`: write train_step.onnx, evaluate.onnx, sample.onnx and manifest.json. */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../runtime/run.js';
import { join } from 'node:path';
import { parseOverrides } from '../compiler/check/dims.js';
import { renderDiagnostic } from '../compiler/diagnostics.js';
import { printGraph } from '../compiler/ir/print.js';
import { printProgram } from '../compiler/print-program.js';
import { dumpModel } from '../compiler/onnx/dump.js';
import { multiStepModel } from '../compiler/onnx/multistep.js';
import { encodeModel } from '../compiler/onnx/proto.js';
import { compile, CompileError, onnxBytes, type Compiled } from '../compiler/pipeline.js';
import { readModelFile } from './check.js';
import { Exit, UsageError, type Terminal } from './io.js';

/** Options of `seqc compile`. */
export interface CompileCliOptions {
  out?: string;
  set?: string[];
  dtype?: string;
  optimizer?: string;
  print?: string;
  graph?: string;
  multiStep?: boolean;
}

/** Compiles a file, printing diagnostics; null when the model has errors. */
export function compileFile(file: string, opts: CompileCliOptions, term: Terminal): Compiled | null {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new UsageError(`--dtype must be float32 or float64, not '${dtype}'`);
  const optimizer = opts.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd, not '${optimizer}'`);
  const overrides = parseOverrides(opts.set ?? []);
  let r;
  try {
    r = compile(file, readModelFile(file), { dtype, overrides, optimizer });
  } catch (e) {
    if (e instanceof CompileError) {
      term.err(`seqc: ${e.message}`);
      return null;
    }
    throw e;
  }
  for (const d of r.diagnostics) term.err(renderDiagnostic(r.source, d) + '\n');
  return r.compiled;
}

/** Runs `seqc compile`; returns the exit code. */
export function runCompile(file: string, opts: CompileCliOptions, term: Terminal): number {
  if (opts.print && !['ir', 'onnx', 'program'].includes(opts.print)) throw new UsageError(`--print must be ir, onnx or program, not '${opts.print}'`);
  const graph = opts.graph ?? 'train_step';
  if (!['train_step', 'evaluate', 'evaluate_fivo', 'sample'].includes(graph)) throw new UsageError(`--graph must be train_step, evaluate, evaluate_fivo or sample, not '${graph}'`);
  if (!opts.print && !opts.out) throw new UsageError('compile needs -o DIR (or --print ir|onnx|program)');
  const t0 = performance.now();
  const c = compileFile(file, opts, term);
  if (!c) return Exit.modelErrors;
  const art = graph === 'evaluate' ? c.evaluate : graph === 'evaluate_fivo' ? c.evaluateFivo : graph === 'sample' ? c.sample : c.train;
  if (opts.print === 'program') term.out(printProgram(c.program));
  else if (opts.print === 'ir') term.out(printGraph(art.ir));
  else if (opts.print === 'onnx') term.out(dumpModel(art.onnx));
  if (opts.out) {
    mkdirSync(opts.out, { recursive: true });
    writeFileAtomic(join(opts.out, 'train_step.onnx'), onnxBytes(c.train));
    writeFileAtomic(join(opts.out, 'evaluate.onnx'), onnxBytes(c.evaluate));
    writeFileAtomic(join(opts.out, 'evaluate_fivo.onnx'), onnxBytes(c.evaluateFivo));
    writeFileAtomic(join(opts.out, 'sample.onnx'), onnxBytes(c.sample));
    writeFileAtomic(join(opts.out, 'manifest.json'), JSON.stringify(c.manifest, null, 2) + '\n');
    if (opts.multiStep) writeFileAtomic(join(opts.out, 'train_steps.onnx'), encodeModel(multiStepModel(c.train, c.manifest)));
    const nParams = c.model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    const ms = (performance.now() - t0).toFixed(0);
    term.out(`compiled ${c.model.name} (${nParams.toLocaleString('en-US')} parameters, ${c.manifest.dtype}) to ${opts.out}/ in ${ms} ms: ` +
      `train_step.onnx, evaluate.onnx, evaluate_fivo.onnx, sample.onnx, manifest.json${opts.multiStep ? ', train_steps.onnx' : ''}`);
  }
  return Exit.ok;
}
