/**
 * @file Run-time defaults that depend on the machine, kept free of onnxruntime so the CLI can
 * read them without loading it. Chosen by measurement (docs/benchmarks.md, "Session options").
 */
import { availableParallelism } from 'node:os';

/** Where a session runs. */
export type Device = 'cpu' | 'cuda';

/** The default intra-op thread count: the cores this process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Optimizer steps per `session.run` by default: 1 on the CPU (it reads inputs in place), 8 on
 * CUDA, where every call copies inputs to the device and outputs back (`onnx/multistep.ts`).
 */
export function defaultStepsPerCall(device: Device): number {
  return device === 'cuda' ? 8 : 1;
}
