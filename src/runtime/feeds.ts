/**
 * @file Graph feeds from a manifest's input descriptions: one function for all three graphs, so
 * parameters, data, masks, noise and scalars are fed the same way everywhere.
 */
import type * as ort from 'onnxruntime-node';
import type { DimLike } from '../compiler/ir/dim.js';
import type { InputSpec } from '../inference/handler.js';
import type { ParamStore } from './params.js';
import type { Rng } from './rng.js';
import { toTensor } from './session.js';
import { InternalError } from '../compiler/diagnostics.js';

/** Where the values of one `session.run` come from. */
export interface FeedSource {
  readonly store: ParamStore;
  /** Time steps and batch rows of this call. */
  readonly T: number;
  readonly B: number;
  /** Particles per sequence, for graphs whose K is chosen at run time (default 1). */
  readonly K?: number;
  /** Time-major [T, B, w] values of a variable, for `data.<v>` and `prefix.<v>` inputs (zeros when absent). */
  readonly values: (variable: string) => Float32Array | undefined;
  /** [T, B] mask for `mask` and `prefix_mask` inputs (zeros when absent). */
  readonly mask?: Float32Array;
  /** Fills `noise` inputs from their laws. */
  readonly noise: Rng;
  /** `beta`, and the optimizer's `lr`, `clip_norm`, `weight_decay`, `step`. */
  readonly scalars: Readonly<Record<string, number>>;
}

/** A manifest dim as a number: `T`, `B`, `K` (particles), `n*B` or a literal. */
export function concreteDim(d: DimLike, T: number, B: number, K = 1): number {
  if (typeof d === 'number') return d;
  if (typeof d !== 'string') throw new InternalError('a symbolic dim object in a manifest');
  if (d === 'T') return T;
  if (d === 'B') return B;
  if (d === 'K') return K;
  const m = /^(\d+)\*B$/.exec(d);
  if (m) return Number(m[1]) * B;
  throw new InternalError(`unexpected dim '${d}' in a graph input`);
}

/** The feeds of a graph described by `inputs`. Parameters and state are passed without copies. */
export function graphFeeds(inputs: readonly InputSpec[], src: FeedSource): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of inputs) {
    const shape = i.shape.map((d) => concreteDim(d, src.T, src.B, src.K));
    const size = shape.reduce((a, b) => a * b, 1);
    const exact = (a: Float32Array | undefined): Float32Array => {
      if (!a) return new Float32Array(size);
      if (a.length !== size) throw new InternalError(`input ${i.name} has ${a.length} values for shape [${shape.join(', ')}]`);
      return a;
    };
    switch (i.role) {
      case 'param': case 'state': {
        const t = src.store.get(i.name);
        feeds[i.name] = toTensor('float32', t.data as Float32Array, t.shape);
        break;
      }
      case 'data': feeds[i.name] = toTensor('float32', exact(src.values(i.name.slice(i.name.indexOf('.') + 1))), shape); break;
      case 'mask': feeds[i.name] = toTensor('float32', exact(src.mask), shape); break;
      case 'noise': {
        const a = new Float32Array(size);
        src.noise.fill(i.law ?? 'normal', a);
        feeds[i.name] = toTensor('float32', a, shape);
        break;
      }
      case 'beta': case 'optimizer': case 'scalar': {
        const v = src.scalars[i.name];
        if (v === undefined) throw new InternalError(`no value for the scalar input ${i.name}`);
        feeds[i.name] = toTensor('float32', [v], []);
        break;
      }
    }
  }
  return feeds;
}
