/**
 * @file Our side of `npm run bench`: one model in one process, driven over stdin/stdout like the
 * PyTorch worker (`bench/torch/worker.py`), so the two can be run alternately and each process's
 * peak memory is its own.
 *
 *   npx tsx bench/ours.ts '{"file": "examples/vrnn.seq", "sets": [], "B": 32, "T": 40, "threads": 1}'
 *
 * On start it compiles the model and creates the sessions, then answers `ready` with the compile
 * and session-creation times, the parameter count, the FLOPs of one training step counted from
 * the IR, and the sizes of the model's nets (for the PyTorch twin). Commands, one a line:
 * `train N` (N training steps as the training loop does them: fresh noise, one `session.run`,
 * the parameter update copied back; answers wall and CPU milliseconds of each), `eval N` (N runs of the evaluation graph), `gemm` (the
 * machine's GEMM rate at this step's dominant shapes, `bench/gemm.ts`), `quit` (peak RSS).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseOverrides } from '../src/compiler/check/dims.js';
import { gemmShapes, graphFlops } from '../src/compiler/ir/flops.js';
import type { Graph } from '../src/compiler/ir/graph.js';
import { Op } from '../src/compiler/ir/ops.js';
import { compile, onnxBytes, type Compiled } from '../src/compiler/pipeline.js';
import { graphFeeds } from '../src/runtime/feeds.js';
import { ParamStore } from '../src/runtime/params.js';
import { Rng } from '../src/runtime/rng.js';
import { createSession, defaultStepsPerCall, toTensor, type Device, type SessionOptions } from '../src/runtime/session.js';
import { multiStepModel, multiStepSpec } from '../src/compiler/onnx/multistep.js';
import { encodeModel } from '../src/compiler/onnx/proto.js';
import { gemmCeiling } from './gemm.js';
import type { PassChoice } from './configs.js';
import { passesFor } from './configs.js';

/** What the orchestrator sends on the command line. */
export interface OursConfig {
  readonly file: string;
  readonly sets: readonly string[];
  readonly B: number;
  readonly T: number;
  readonly threads: number;
  readonly device?: Device;
  /** Which compiler passes to run (default: all). */
  readonly passes?: PassChoice;
  /** Optimizer steps per `session.run` (default `defaultStepsPerCall(device)`: 1 on the CPU, 8 on CUDA). */
  readonly stepsPerCall?: number;
  /** Session settings beyond threads and device (for the session-options section). */
  readonly session?: Omit<SessionOptions, 'threads' | 'device'>;
  readonly seed?: number;
}

function reply(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** Widths the PyTorch twin needs: hyperparameters, and the linear layers of the input and other MLPs. */
function torchDims(c: Compiled): Record<string, number> {
  const dims: Record<string, number> = { ...c.manifest.hyperparameters };
  const layers = (name: string): number | undefined => {
    const n = c.model.nets.get(name);
    return n?.kind === 'mlp' ? n.hidden.length + 1 : undefined;
  };
  dims['phi_x_layers'] = layers('phi_x') ?? 1;
  dims['mlp_layers'] = layers('prior_net') ?? layers('out_net') ?? 1;
  return dims;
}

/** Nodes of a graph, Scan bodies included (constant in T when loops are Scans). */
function nodeCount(g: Graph): number {
  return g.nodes.reduce((n, nd) => n + 1 + (nd.op === Op.Scan ? nodeCount(nd.attrs.body) : 0), 0);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as OursConfig;
  const { B, T } = cfg;
  const text = readFileSync(cfg.file, 'utf8');
  const t0 = performance.now();
  const r = compile(cfg.file, text, { overrides: parseOverrides(cfg.sets), passes: passesFor(cfg.passes ?? 'all') });
  const compileMs = performance.now() - t0;
  if (!r.compiled) return reply({ error: `${cfg.file} does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}` });
  const c = r.compiled;
  const opts = { ...cfg.session, threads: cfg.threads, device: cfg.device ?? 'cpu' };
  const t1 = performance.now();
  const K = cfg.stepsPerCall ?? defaultStepsPerCall(opts.device);
  const train = await createSession(K > 1 ? encodeModel(multiStepModel(c.train, c.manifest)) : onnxBytes(c.train), opts);
  const sessionMs = performance.now() - t1;
  const evaluate = await createSession(onnxBytes(c.evaluate), opts);
  const store = ParamStore.initialize(c.manifest, new Rng(cfg.seed ?? 1));
  const data = new Rng(7);
  const values = new Map<string, Float32Array>();
  for (const v of c.manifest.variables) {
    if (v.role !== 'observe' && v.role !== 'input') continue;
    const a = new Float32Array(T * B * v.width);
    data.fill('normal', a);
    for (let i = 0; i < a.length; i++) a[i] = v.elem === 'binary' ? (a[i]! > 0 ? 1 : 0) : 0.1 * a[i]!;
    values.set(v.name, a);
  }
  const mask = new Float32Array(T * B).fill(1);
  const noise = new Rng(11);
  // K: particles of evaluate.onnx, chosen at run time; the bench evaluates the ELBO (one particle).
  const env = new Map([['T', T], ['B', B], ['K', 1]]);
  const feeds = (inputs: Compiled['manifest']['graphs']['train_step']['inputs'], step: number) => graphFeeds(inputs, {
    store, T, B, values: (n) => values.get(n), mask, noise,
    scalars: { beta: 1, lr: 1e-4, clip_norm: 10, weight_decay: 0, step },
  });
  let step = 0;
  const stackedNames = multiStepSpec(c.manifest).stacked;
  const concat = (xs: readonly Float32Array[]): Float32Array => {
    const out = new Float32Array(xs.reduce((n, x) => n + x.length, 0));
    let at = 0;
    for (const x of xs) { out.set(x, at); at += x.length; }
    return out;
  };
  reply({
    ready: {
      params: store.count(), compile_ms: compileMs, session_ms: sessionMs,
      gflops: graphFlops(c.train.ir, env) / 1e9, eval_gflops: graphFlops(c.evaluate.ir, env) / 1e9,
      torch_dims: torchDims(c), nodes: nodeCount(c.train.ir), steps_per_call: K,
    },
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'train' || cmd === 'eval') {
      const times: number[] = [];
      const cpu: number[] = [];
      let loss = NaN;
      for (let k = 0; k < Number(arg); k++) {
        const s = performance.now();
        const c0 = process.cpuUsage();
        if (cmd === 'train' && K > 1) {
          // K steps per call: the batch's data, mask and fresh noise stacked K times
          const per = Array.from({ length: K }, (_, i) => feeds(c.manifest.graphs.train_step.inputs, step + i + 1));
          const f = { ...per[0]! };
          for (const n of stackedNames) f[n] = toTensor('float32', concat(per.map((x) => x[n]!.data as Float32Array)), [K, ...per[0]![n]!.dims]);
          const out = await train.run(f);
          step += K;
          store.applyUpdates(c.manifest.optimizer.updates, out as Record<string, { data: unknown }>);
          loss = (out['loss']!.data as Float32Array)[K - 1]!;
          k += K - 1;
        } else if (cmd === 'train') {
          const out = await train.run(feeds(c.manifest.graphs.train_step.inputs, ++step));
          store.applyUpdates(c.manifest.optimizer.updates, out as Record<string, { data: unknown }>);
          loss = (out['loss']!.data as Float32Array)[0]!;
        } else {
          const out = await evaluate.run(feeds(c.manifest.graphs.evaluate.inputs, step));
          loss = -(out['elbo']!.data as Float32Array)[0]!; // evaluate.onnx outputs the bound, not a loss
        }
        const per = cmd === 'train' ? K : 1;
        const dc = process.cpuUsage(c0);
        for (let i = 0; i < per; i++) {
          times.push((performance.now() - s) / per);
          cpu.push((dc.user + dc.system) / 1000 / per);
        }
      }
      reply({ [cmd]: times, cpu, loss });
    } else if (cmd === 'gemm') {
      reply({ gemm: await gemmCeiling(gemmShapes(c.train.ir, env), { threads: cfg.threads, device: opts.device }) });
    } else if (cmd === 'quit') {
      reply({ peak_rss_mb: process.resourceUsage().maxRSS / 1024 });
      process.exit(0);
    } else reply({ error: `unknown command '${cmd}'` });
  }
}

main().catch((e: Error) => { reply({ error: e.message }); process.exit(1); });
