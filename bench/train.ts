/**
 * @file Training-step benchmark: ms per optimizer step (one session.run = forward, backward and
 * Adam), sequences per second and peak memory for named model configurations, and the cost as
 * the sequence length T and the widths grow. Run: `npx tsx bench/train.ts` (nothing else running).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { parseOverrides } from '../src/compiler/check/dims.js';
import { compile, onnxBytes } from '../src/compiler/pipeline.js';
import { createSession, toTensor } from '../src/runtime/session.js';

const root = join(import.meta.dirname, '..');

async function measure(model: string, sets: string[], B: number, T: number, threads = 1): Promise<{ ms: number; params: number }> {
  const path = join(root, 'examples', `${model}.seq`);
  const c = compile(path, readFileSync(path, 'utf8'), { overrides: parseOverrides(sets) }).compiled!;
  const session = await createSession(onnxBytes(c.train), { threads });
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of c.train.inputs) {
    const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : (d as number)));
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: n }, () => (i.role === 'mask' ? 1 : i.name === 'lr' ? 1e-4 : i.name === 'step' ? 1 : i.name === 'clip_norm' ? 10 : i.role === 'state' ? 0 : (Math.random() - 0.5) * 0.1));
    if (i.role === 'data' && c.model.vars.get(i.name.slice(5))?.elem === 'binary') for (let k = 0; k < n; k++) v[k] = v[k]! > 0 ? 1 : 0;
    feeds[i.name] = toTensor('float32', v, shape);
  }
  for (let k = 0; k < 3; k++) await session.run(feeds);
  const times: number[] = [];
  for (let k = 0; k < 15; k++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, params: c.model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0) };
}

const rss = (): string => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;

console.log('## Training step, B = 16, T = 40, float32, 1 intra-op thread\n');
console.log('| model (sizes) | parameters | ms/step | sequences/s | frames/s | peak RSS so far |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [model, sets, label] of [
  ['vrnn', [], 'vrnn (default: x 200, z 32, h 256, f 256)'],
  ['vrnn_gmm', [], 'vrnn_gmm (default, K 20)'],
  ['storn', [], 'storn (default)'],
  ['srnn', [], 'srnn (default)'],
  ['dmm', [], 'dmm (default)'],
  ['vrnn_polyphonic', [], 'vrnn_polyphonic (default)'],
  ['vrnn_handwriting', [], 'vrnn_handwriting (default)'],
] as [string, string[], string][]) {
  const r = await measure(model, sets, 16, 40);
  console.log(`| ${label} | ${r.params.toLocaleString('en-US')} | ${r.ms.toFixed(1)} | ${(16000 / r.ms).toFixed(0)} | ${(16 * 40 * 1000 / r.ms).toFixed(0)} | ${rss()} |`);
}

console.log('\n## vrnn: cost against sequence length T (B = 16)\n');
console.log('| T | ms/step | ms per step and time step |');
console.log('|---:|---:|---:|');
for (const T of [20, 40, 80, 160]) {
  const r = await measure('vrnn', [], 16, T);
  console.log(`| ${T} | ${r.ms.toFixed(1)} | ${(r.ms / T).toFixed(2)} |`);
}

console.log('\n## vrnn: cost against width (h_dim = f_dim = W, B = 16, T = 40), 1 and 2 threads\n');
console.log('| W | parameters | ms/step, 1 thread | ms/step, 2 threads |');
console.log('|---:|---:|---:|---:|');
for (const W of [64, 128, 256, 512]) {
  const sets = [`h_dim=${W}`, `f_dim=${W}`];
  const a = await measure('vrnn', sets, 16, 40, 1);
  const b = await measure('vrnn', sets, 16, 40, 2);
  console.log(`| ${W} | ${a.params.toLocaleString('en-US')} | ${a.ms.toFixed(1)} | ${b.ms.toFixed(1)} |`);
}
console.log(`\npeak RSS of the whole benchmark: ${rss()}`);
