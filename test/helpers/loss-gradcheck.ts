/** @file The random-direction check of a graph's loss gradient against central differences, in the IR interpreter (float64). */
import { grad } from '../../src/compiler/autodiff/backward.js';
import type { Graph } from '../../src/compiler/ir/graph.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import type { Rng } from './random.js';

/**
 * <∇loss, v> from the graph's gradient and from central differences along a random direction v
 * over `params`, at each step size of `hs`; `err` is the smallest relative disagreement (ReLU
 * kinks can sit inside one finite-difference interval, so a correct gradient agrees at some size).
 */
export function lossGradientCheck(g: Graph, feeds: Record<string, Tensor>, params: readonly string[], rng: Rng, hs: readonly number[]): { ad: number; fds: number[]; err: number } {
  const grads = evaluate(grad(g, { of: 'loss', wrt: [...params] }), feeds);
  const dir = Object.fromEntries(params.map((p) => [p, rng.normals(feeds[p]!.data.length)]));
  const lossAt = (h: number): number => {
    const f = { ...feeds };
    for (const p of params) f[p] = tensor([...feeds[p]!.shape], feeds[p]!.data.map((x, i) => x + h * dir[p]![i]!));
    return evaluate(g, f)['loss']!.data[0]!;
  };
  let ad = 0;
  for (const p of params) grads[`grad_${p}`]!.data.forEach((x, i) => { ad += x * dir[p]![i]!; });
  const fds = hs.map((h) => (lossAt(h) - lossAt(-h)) / (2 * h));
  return { ad, fds, err: Math.min(...fds.map((fd) => Math.abs(fd - ad) / (1 + Math.abs(fd)))) };
}
