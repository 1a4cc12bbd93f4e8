/**
 * @file The hardware limit: the machine's float32 GEMM rate through onnxruntime, measured at the
 * shapes a training step multiplies (`gemmShapes` of its IR), with the same threads. The ceiling
 * of a step is the rate its GEMM FLOPs would run at if every product ran as fast as it does
 * alone: Σ flops / Σ (flops / rate), over the shapes that make up 95% of the GEMM FLOPs. In-loop
 * products by a weight are measured at their `[T·B, K]` size, so the ceiling is what the step
 * could reach with every such product done for all steps at once.
 */
import type * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/compiler/ir/builder.js';
import type { GemmShape } from '../src/compiler/ir/flops.js';
import { emitModel } from '../src/compiler/onnx/emit.js';
import { encodeModel } from '../src/compiler/onnx/proto.js';
import { createSession, toTensor, type Device } from '../src/runtime/session.js';
import { median } from './stats.js';

/** One measured shape. */
export interface GemmRate extends GemmShape {
  readonly gflops_per_s: number;
}

/** The ceiling of a step and the rates it is made of. */
export interface GemmCeiling {
  readonly ceiling_gflops_per_s: number;
  /** Share of the step's GEMM FLOPs the measured shapes cover. */
  readonly covered: number;
  readonly shapes: readonly GemmRate[];
}

/** Median rate of `[m, k] × [k, n]` over enough runs to take about `budgetMs`. */
export async function gemmRate(m: number, k: number, n: number, opts: { threads: number; device: Device; budgetMs?: number }): Promise<number> {
  const b = new GraphBuilder();
  const a = b.input('a', 'float32', [m, k]);
  const w = b.input('w', 'float32', [k, n]);
  b.output('y', b.matmul(a, w));
  const session = await createSession(encodeModel(emitModel(b.build())), { threads: opts.threads, device: opts.device });
  const fill = (len: number): Float32Array => Float32Array.from({ length: len }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const feeds: Record<string, ort.Tensor> = { a: toTensor('float32', fill(m * k), [m, k]), w: toTensor('float32', fill(k * n), [k, n]) };
  await session.run(feeds);
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 5 || (performance.now() - t0 < (opts.budgetMs ?? 300) && times.length < 200)) {
    const s = performance.now();
    await session.run(feeds);
    times.push(performance.now() - s);
  }
  await session.release();
  return (2 * m * k * n) / (median(times) * 1e6);
}

/** The GEMM ceiling of a step with products `shapes` (largest first, as `gemmShapes` gives them). */
export async function gemmCeiling(shapes: readonly GemmShape[], opts: { threads: number; device: Device; budgetMs?: number }): Promise<GemmCeiling> {
  const total = shapes.reduce((s, g) => s + g.flops, 0);
  const measured: GemmRate[] = [];
  let covered = 0;
  for (const g of shapes) {
    if (covered >= 0.95 * total) break;
    measured.push({ ...g, gflops_per_s: await gemmRate(g.m, g.k, g.n, opts) });
    covered += g.flops;
  }
  const time = measured.reduce((s, g) => s + g.flops / g.gflops_per_s, 0);
  return { ceiling_gflops_per_s: covered / time, covered: covered / total, shapes: measured };
}
