/** @file Random feeds for compiled graphs, and running an artifact in onnxruntime (float64 or float32). */
import * as ort from 'onnxruntime-node';
import { tensor, type Tensor } from '../../src/compiler/ir/index.js';
import type { InputSpec } from '../../src/inference/handler.js';
import { onnxBytes, type Artifact, type Compiled } from '../../src/compiler/pipeline.js';
import { Rng } from './random.js';

/** Feeds for a graph at T × B with sequence lengths `lengths`: params ~ N(0, 0.3²), data and noise from their laws. */
export function feedsFor(c: Compiled, inputs: readonly InputSpec[], rng: Rng, T: number, lengths: readonly number[]): Record<string, Tensor> {
  const B = lengths.length;
  const out: Record<string, Tensor> = {};
  for (const i of inputs) {
    const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : d === 'K' ? 2 : (d as number)));
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float64Array(n);
    const binary = i.role === 'data' && c.model.vars.get(i.name.slice(5))?.elem === 'binary';
    for (let k = 0; k < n; k++) {
      switch (i.role) {
        case 'param': v[k] = 0.3 * rng.normal(); break;
        case 'mask': v[k] = Math.floor(k / (n / T)) < lengths[k % B]! ? 1 : 0; break;
        case 'beta': v[k] = 0.7; break;
        case 'state': v[k] = i.name.startsWith('adam.v.') ? 0.01 * rng.uniform() : 0.1 * rng.normal(); break;
        case 'optimizer': v[k] = { lr: 0.01, clip_norm: 5, weight_decay: 0.01, step: 3 }[i.name as 'lr'] ?? 0; break;
        case 'noise': v[k] = i.law === 'uniform' ? rng.uniform() : i.law === 'gumbel' ? -Math.log(-Math.log(rng.uniform() + 1e-12)) : rng.normal(); break;
        default: v[k] = binary ? (rng.uniform() < 0.5 ? 1 : 0) : rng.normal();
      }
    }
    out[i.name] = tensor(shape, v);
  }
  return out;
}

/** Runs an artifact once in onnxruntime (CPU, one thread) on float64 feeds converted to `dtype`. */
export async function runArtifact(a: Artifact, feeds: Record<string, Tensor>, dtype: 'float32' | 'float64'): Promise<Record<string, Float64Array>> {
  const sess = await ort.InferenceSession.create(onnxBytes(a), { intraOpNumThreads: 1, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) f[k] = new ort.Tensor(dtype, dtype === 'float64' ? t.data : Float32Array.from(t.data), [...t.shape]);
    const r = await sess.run(f);
    return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, Float64Array.from(t.data as Float32Array)]));
  } finally {
    await sess.release();
  }
}
