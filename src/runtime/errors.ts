/**
 * @file The runtime's error classes: each names who has to act. The CLI's error boundary
 * (src/cli/faults.ts) maps them, and file-system and memory faults, to exit codes. This module
 * imports nothing, so the CLI can classify failures without loading onnxruntime (the modules
 * that throw these re-export them).
 */

/** A problem with how a command was invoked: a bad flag, a path that cannot be used (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** A run that cannot proceed: a missing or foreign checkpoint, an edited run directory, divergence (exit 5). */
export class RunError extends Error {
  override readonly name = 'RunError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** The requested device cannot be used; the message says why and what to do. */
export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}

/** Which graph a session runs. */
export type GraphName = 'train_step' | 'evaluate' | 'evaluate_fivo' | 'sample' | 'infer' | 'sample_filtered';

/** onnxruntime failed loading or running `graph`; `memory` when an allocation failed. */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(readonly graph: GraphName, readonly during: 'load' | 'run', readonly memory: boolean, readonly detail: string) {
    super(`onnxruntime failed ${during === 'load' ? 'loading' : 'running'} ${graph}.onnx: ${detail}`);
  }
}

/** onnxruntime's and the C++ runtime's ways of saying an allocation failed. */
const OUT_OF_MEMORY = /bad_alloc|Failed to allocate|out of memory|Cannot allocate memory|allocation fail|length_error/i;

/** Whether an error message says an allocation failed. */
export function isAllocationFailure(message: string): boolean {
  return OUT_OF_MEMORY.test(message);
}
