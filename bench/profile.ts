/**
 * @file Where a training step's time goes: onnxruntime's profiler over a few steps of one model,
 * summed by operator type (Scan bodies included, each kernel once per launch).
 *
 *   npx tsx bench/profile.ts [examples/vrnn.seq] [--set k=v ...] [--passes CHOICE] [--threads N] [--nodes N]
 *
 * `--nodes N` also lists the N slowest nodes (summed over the steps' launches), with their
 * output shapes: which op of which lowering the time goes to.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseOverrides } from '../src/compiler/check/dims.js';
import { compile, onnxBytes } from '../src/compiler/pipeline.js';
import { graphFeeds } from '../src/runtime/feeds.js';
import { ParamStore } from '../src/runtime/params.js';
import { Rng } from '../src/runtime/rng.js';
import { sessionOptions } from '../src/runtime/session.js';
import { passesFor } from './configs.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
const file = args[0] && !args[0].startsWith('--') ? args[0] : 'examples/vrnn.seq';
const sets = args.flatMap((a, i) => (args[i - 1] === '--set' ? [a] : []));
const B = 32, T = 40, steps = 5;
const c = compile(file, readFileSync(file, 'utf8'), { overrides: parseOverrides(sets), passes: passesFor(opt('--passes', 'all')) }).compiled!;
const prefix = join(tmpdir(), `seqppl-profile-${process.pid}`);
const session = await ort.InferenceSession.create(onnxBytes(c.train), { ...sessionOptions({ threads: Number(opt('--threads', '1')) }), enableProfiling: true, profileFilePrefix: prefix });
const store = ParamStore.initialize(c.manifest, new Rng(1));
const data = new Rng(2);
const values = new Map(c.manifest.variables.filter((v) => v.role === 'observe' || v.role === 'input').map((v) => {
  const a = new Float32Array(T * B * v.width);
  data.fill('normal', a);
  return [v.name, a.map((x) => 0.1 * x)] as const;
}));
const feeds = () => graphFeeds(c.manifest.graphs.train_step.inputs, {
  store, T, B, values: (n) => values.get(n), mask: new Float32Array(T * B).fill(1), noise: data, scalars: { beta: 1, lr: 1e-4, clip_norm: 10, weight_decay: 0, step: 1 },
});
for (let k = 0; k < steps; k++) await session.run(feeds());
session.endProfiling();
const found = readdirSync(tmpdir()).find((f) => f.startsWith(basename(prefix)) && f.endsWith('.json'));
if (!found) throw new Error(`onnxruntime wrote no profile next to ${prefix}`);
const path = join(tmpdir(), found);
const events = JSON.parse(readFileSync(path, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string; output_type_shape?: Record<string, number[]>[] } }[];
rmSync(path, { force: true });
const byOp = new Map<string, { us: number; n: number }>();
let total = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  if (op === 'Scan') continue; // its body's kernels are listed themselves
  const r = byOp.get(op) ?? { us: 0, n: 0 };
  r.us += e.dur; r.n += 1; total += e.dur;
  byOp.set(op, r);
}
const run = events.filter((e) => e.name === 'model_run').reduce((s, e) => s + e.dur, 0);
console.log(`${file}: ${steps} steps, model_run ${(run / steps / 1000).toFixed(1)} ms/step, kernels ${(total / steps / 1000).toFixed(1)} ms/step, ${[...byOp.values()].reduce((s, r) => s + r.n, 0) / steps} launches/step`);
console.log('| op | ms/step | share | launches/step |\n|---|---:|---:|---:|');
for (const [op, r] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, 20)) {
  console.log(`| ${op} | ${(r.us / steps / 1000).toFixed(2)} | ${((100 * r.us) / total).toFixed(1)}% | ${r.n / steps} |`);
}
const topNodes = Number(opt('--nodes', '0'));
if (topNodes > 0) {
  const byNode = new Map<string, { us: number; n: number; op: string; shape: string }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.args?.op_name === 'Scan') continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const shape = (e.args?.output_type_shape ?? []).map((o) => JSON.stringify(Object.values(o)[0])).join(' ');
    const r = byNode.get(name) ?? { us: 0, n: 0, op: e.args?.op_name ?? '?', shape };
    r.us += e.dur; r.n += 1;
    byNode.set(name, r);
  }
  console.log('\n| node | op | output | ms/step | launches/step |\n|---|---|---|---:|---:|');
  for (const [name, r] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, topNodes)) {
    console.log(`| ${name} | ${r.op} | ${r.shape} | ${(r.us / steps / 1000).toFixed(2)} | ${r.n / steps} |`);
  }
}
