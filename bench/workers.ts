/**
 * @file Benchmark worker processes: ours (`bench/ours.ts`) and PyTorch's (`bench/torch/worker.py`)
 * speak the same line protocol, one JSON answer per command, so the bench can alternate them.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GraphBuilder } from '../src/compiler/ir/builder.js';
import { emitModel } from '../src/compiler/onnx/emit.js';
import { encodeModel } from '../src/compiler/onnx/proto.js';
import { createSession } from '../src/runtime/session.js';

/** Repository root. */
export const root = join(import.meta.dirname, '..');

/** The Python that has Debian's python3-torch. */
export const PYTHON = '/usr/bin/python3';

/** How to get the peer on Debian (the bench prints it when PyTorch is missing). */
export const TORCH_INSTALL_HINT = 'apt-get install python3-torch libopenblas0-openmp  (Debian 12: PyTorch 1.13 with OpenBLAS)';

/** A worker: send a command, get its JSON answer. */
export class Worker {
  private readonly answers: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];
  private stderr = '';
  private exited: string | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly label: string) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      const waiter = this.answers.shift();
      if (waiter) waiter(l);
      else this.lines.push(l);
    });
    child.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    child.on('exit', (code, sig) => {
      this.exited = `${label} exited (${sig ?? code})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`;
      for (const w of this.answers.splice(0)) w(JSON.stringify({ error: this.exited }));
    });
  }

  /** Starts `cmd args` in `cwd` and waits for its `ready` answer. */
  static async start(label: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = root): Promise<{ worker: Worker; ready: Record<string, unknown> }> {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: 'pipe' });
    const w = new Worker(child, label);
    const first = await w.next();
    if (!('ready' in first)) throw new Error(`${label}: ${String(first['error'] ?? JSON.stringify(first))}`);
    return { worker: w, ready: first['ready'] as Record<string, unknown> };
  }

  private next(): Promise<Record<string, unknown>> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as Record<string, unknown>);
    if (this.exited !== null) return Promise.resolve({ error: this.exited });
    return new Promise((resolve) => this.answers.push((l) => resolve(JSON.parse(l) as Record<string, unknown>)));
  }

  /** Sends one command and returns its answer; an `error` answer throws. */
  async ask(command: string): Promise<Record<string, unknown>> {
    if (this.exited !== null) throw new Error(this.exited);
    this.child.stdin.write(command + '\n');
    const a = await this.next();
    if ('error' in a) throw new Error(`${this.label}: ${String(a['error'])}`);
    return a;
  }

  /** Wall and CPU milliseconds of `n` training (or evaluation) steps. */
  async steps(kind: 'train' | 'eval', n: number): Promise<{ wall: number[]; cpu: number[] }> {
    const a = await this.ask(`${kind} ${n}`);
    return { wall: a[kind] as number[], cpu: a['cpu'] as number[] };
  }

  /** Ends the worker; returns its peak RSS in MB. */
  async quit(): Promise<number> {
    const a = await this.ask('quit');
    return a['peak_rss_mb'] as number;
  }
}

/** Whether this CPU has AVX-512 (then OpenBLAS is forced to its SkylakeX kernels, as on the issue's machine). */
export function hasAvx512(): boolean {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** The environment of a worker with `threads` threads (OpenMP and OpenBLAS pools pinned to it). */
export function workerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  if (hasAvx512()) env['OPENBLAS_CORETYPE'] = 'SkylakeX';
  return env;
}

/** Why PyTorch cannot be used here, or null when it can. */
export function torchMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import torch (${(r.stderr || '').trim().split('\n').pop()})`;
}

/** Starts our worker for one model setup, from this checkout or from another one (`checkout`, for A/B of two versions). */
export function startOurs(cfg: object, threads: number, checkout = root): ReturnType<typeof Worker.start> {
  return Worker.start('seqppl', process.execPath, ['--import', 'tsx', join(checkout, 'bench', 'ours.ts'), JSON.stringify(cfg)], workerEnv(threads), checkout);
}

/** Starts the PyTorch worker for one model. */
export function startTorch(cfg: object, threads: number): ReturnType<typeof Worker.start> {
  return Worker.start('pytorch', PYTHON, [join(root, 'bench', 'torch', 'worker.py'), JSON.stringify(cfg)], workerEnv(threads));
}

/** Why the CUDA execution provider cannot start here, or null when it can. */
export async function cudaUnavailable(): Promise<string | null> {
  const b = new GraphBuilder();
  b.output('y', b.exp(b.input('x', 'float32', [1])));
  try {
    const s = await createSession(encodeModel(emitModel(b.build())), { device: 'cuda' });
    await s.release();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
