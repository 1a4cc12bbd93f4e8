/**
 * @file Several optimizer steps per `session.run` (`compiler/onnx/multistep.ts`): stacking the
 * per-step feeds along a new leading axis, and reading one step's figures back from the stacked
 * outputs. The training loop uses it on CUDA, where each call copies its inputs to the device.
 */
import type * as ort from 'onnxruntime-node';
import { toTensor } from './session.js';

/** The figures the training loop reads from one step's outputs. */
export interface StepFigures {
  readonly loss: number;
  readonly gradNorm: number;
  /** Σ over the batch of the per-sequence ELBO and KL. */
  readonly elboSum: number;
  readonly klSum: number;
}

/** Feeds of K steps as the K-step graph takes them: `stacked` inputs `[K, ...]`, the rest from the first step. */
export function stackFeeds(steps: readonly Record<string, ort.Tensor>[], stacked: readonly string[]): Record<string, ort.Tensor> {
  const out = { ...steps[0]! };
  for (const name of stacked) {
    const parts = steps.map((f) => f[name]!.data as Float32Array);
    const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    parts.forEach((p, k) => all.set(p, k * p.length));
    out[name] = toTensor('float32', all, [steps.length, ...steps[0]![name]!.dims]);
  }
  return out;
}

/** Step `k`'s figures from outputs stacked along a leading K axis (k = 0 and K = 1 for a single step). */
export function stepFigures(out: Readonly<Record<string, ort.Tensor>>, k: number, K: number): StepFigures {
  const row = (name: string): Float32Array => {
    const d = out[name]!.data as Float32Array;
    const n = d.length / K;
    return d.subarray(k * n, (k + 1) * n);
  };
  const total = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);
  return { loss: row('loss')[0]!, gradNorm: row('grad_norm')[0]!, elboSum: total(row('elbo')), klSum: total(row('kl')) };
}
