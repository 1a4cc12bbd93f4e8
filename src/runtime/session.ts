/**
 * @file onnxruntime sessions with settings chosen by measurement (`npm run bench -- --section
 * session`, docs/benchmarks.md): as many intra-op threads as the machine has, no spinning,
 * graph optimization `basic`, no memory-pattern planning; an explicit device that never falls
 * back silently; typed tensors.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DeviceError } from './errors.js';

/** Re-exported from ./errors.js, which the CLI loads without this module's imports. */
export { DeviceError };

import { defaultThreads, type Device } from './defaults.js';
import { InternalError } from '../compiler/diagnostics.js';

export { defaultStepsPerCall, defaultThreads, type Device } from './defaults.js';

/** Options of `createSession`. */
export interface SessionOptions {
  readonly device?: Device;
  /** Intra-op threads (default `defaultThreads()`). */
  readonly threads?: number;
  /** CUDA device ordinal (default 0). */
  readonly deviceId?: number;
  /** onnxruntime log severity: 0 verbose … 4 fatal (default 3: errors only). */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Graph optimization level (default `basic`: `extended` fuses Transpose into MatMul, and the fused weight-gradient products run slower). */
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let idle intra-op threads spin (default false: spinning threads collapse when sessions share cores). */
  readonly spinning?: boolean;
  /** onnxruntime's CPU memory arena (default true: without it a step is about 30% slower). */
  readonly memArena?: boolean;
  /** Plan memory once from the first run's shapes (default false: as fast or faster, and less resident memory). */
  readonly memPattern?: boolean;
}

/** The shell command that installs onnxruntime-node's CUDA build (docs/design.md §5.7). */
export const CUDA_INSTALL_HINT =
  'install CUDA 12.x and cuDNN 9.x, then run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`';

/** The `InferenceSession.create` options for `opts` (exported for tests and benchmarks). */
export function sessionOptions(opts: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const device = opts.device ?? 'cpu';
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`session: threads must be a positive integer, got ${threads}`);
  const executionProviders: ort.InferenceSession.ExecutionProviderConfig[] =
    device === 'cuda' ? [{ name: 'cuda', deviceId: opts.deviceId ?? 0 }] : ['cpu'];
  return {
    executionProviders,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: opts.graphOptimization ?? 'basic',
    enableCpuMemArena: opts.memArena ?? true,
    enableMemPattern: opts.memPattern ?? false,
    logSeverityLevel: opts.logSeverityLevel ?? 3,
    extra: { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' } } },
  };
}

/**
 * Creates a session from serialized ONNX bytes. With `device: 'cuda'` only the CUDA provider is
 * requested; if it cannot load, this throws a `DeviceError` instead of falling back to the CPU.
 */
export async function createSession(bytes: Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const options = sessionOptions(opts);
  if ((opts.device ?? 'cpu') === 'cpu') return ort.InferenceSession.create(bytes, options);
  const missing = missingCudaProvider();
  if (missing !== null) throw cudaError(new Error(`${missing} not found`));
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    throw cudaError(e as Error);
  }
}

/** Translates onnxruntime's failure to start the CUDA provider into an actionable `DeviceError`. */
export function cudaError(e: Error): DeviceError {
  const msg = e.message ?? String(e);
  if (/Failed to load (shared )?library|cannot open shared object|providers_(cuda|shared)|not (built|compiled|enabled)|not supported|unknown (execution )?provider/i.test(msg)) {
    return new DeviceError(
      `--device cuda: the CUDA build of onnxruntime-node is not installed, or its CUDA libraries are missing (onnxruntime: ${msg}). ` +
      `To use a GPU, ${CUDA_INSTALL_HINT}. Or run with --device cpu.`);
  }
  return new DeviceError(`--device cuda: onnxruntime could not start the CUDA execution provider (${msg}). Check the GPU driver and CUDA 12.x / cuDNN 9.x, or run with --device cpu.`);
}

/**
 * The CUDA provider library onnxruntime-node would load, when its binding directory is where
 * onnxruntime-node 1.30 puts it and the library is absent; `null` when present or the layout is
 * unknown (then onnxruntime itself decides, and its error is translated). Checking first keeps
 * onnxruntime's own multi-line load error off the user's terminal.
 */
export function missingCudaProvider(): string | null {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const bin = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    if (!existsSync(join(bin, 'onnxruntime_binding.node'))) return null;
    const lib = join(bin, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
    return existsSync(lib) ? null : lib;
  } catch {
    return null;
  }
}

/** Element types `toTensor` builds. */
export type TensorDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';

/** The typed array each element type uses. */
export interface TensorData {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

/**
 * An onnxruntime tensor of `dtype` and `shape`. A typed array of the matching type is used in
 * place (no copy: onnxruntime's CPU provider reads it directly); plain number arrays are converted.
 */
export function toTensor<D extends TensorDType>(dtype: D, data: TensorData[D] | readonly number[], shape: readonly number[]): ort.Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`toTensor: bad shape [${shape.join(', ')}]`);
  if (data.length !== n) throw new Error(`toTensor: ${data.length} values for shape [${shape.join(', ')}] (${n} elements)`);
  return new ort.Tensor(dtype, typed(dtype, data), [...shape]);
}

/** `data` as the typed array `dtype` needs, copying only when the type differs. */
function typed(dtype: TensorDType, data: ArrayLike<number | bigint>): TensorData[TensorDType] {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    case 'float64': return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
    case 'int32': return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
    case 'int64': return data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (x) => BigInt(x)));
    case 'bool': return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>, (x) => (x ? 1 : 0));
    default: return unreachable(dtype);
  }
}

function unreachable(x: never): never {
  throw new InternalError(`unexpected dtype ${String(x)}`);
}
