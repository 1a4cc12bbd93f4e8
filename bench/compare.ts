/**
 * @file One model, ours against PyTorch in the same run: both workers warm up, then take turns
 * in rounds of a few training steps (who goes first alternates), then evaluation the same way,
 * then our GEMM ceiling; medians over all rounds, ratio from the same run.
 */
import type { Device } from '../src/runtime/session.js';
import type { BenchModel, ConfigName, ModelSetup, PassChoice } from './configs.js';
import type { GemmCeiling } from './gemm.js';
import { Timings } from './stats.js';
import { startOurs, startTorch, type Worker } from './workers.js';

/** How many steps to time. */
export interface Schedule {
  readonly warmup: number;
  readonly rounds: number;
  readonly perRound: number;
}

/** PyTorch's figures for one model. */
export interface PeerFigures {
  readonly seq_per_s: number;
  readonly ms_per_step: number;
  readonly cpu_ms_per_step: number;
  readonly eval_seq_per_s: number;
  readonly peak_rss_mb: number;
  readonly params: number;
}

/** One line of the comparison (`--json` prints these). */
export interface Row {
  readonly model: BenchModel;
  readonly config: ConfigName;
  readonly threads: number;
  readonly device: Device;
  readonly passes: PassChoice;
  readonly seq_per_s: number;
  readonly ms_per_step: number;
  /** CPU milliseconds per step, all threads (less sensitive to other processes than wall time). */
  readonly cpu_ms_per_step: number;
  readonly eval_seq_per_s: number;
  readonly compile_ms: number;
  readonly session_ms: number;
  readonly peak_rss_mb: number;
  readonly params: number;
  /** FLOPs of one training step counted from the IR, in billions. */
  readonly gflops: number;
  readonly achieved_gflops_per_s: number;
  readonly ceiling_gflops_per_s: number | null;
  readonly ceiling_fraction: number | null;
  readonly steps_timed: number;
  /** Our optimizer steps per `session.run`. */
  readonly steps_per_call: number;
  readonly torch: PeerFigures | null;
  /** Our training throughput over PyTorch's. */
  readonly ratio: number | null;
  /** PyTorch's CPU time per step over ours. */
  readonly cpu_ratio: number | null;
  /** Why the peer is missing, when it is. */
  readonly torch_note?: string;
}

/** Options of `compareModel`. */
export interface CompareOptions {
  readonly model: BenchModel;
  readonly config: ConfigName;
  readonly setup: ModelSetup;
  readonly threads: number;
  readonly device: Device;
  readonly passes: PassChoice;
  readonly schedule: Schedule;
  /** Run the PyTorch peer (false: it is missing, with `torchNote` saying why). */
  readonly torch: boolean;
  readonly torchNote?: string;
  readonly ceiling: boolean;
  /** Optimizer steps per call on our side (default: the device's). */
  readonly stepsPerCall?: number;
}

/** Trains both sides alternately and returns the row. */
export async function compareModel(o: CompareOptions): Promise<Row> {
  const { B, T } = o.setup;
  const ours = await startOurs({ file: o.setup.file, sets: o.setup.sets, B, T, threads: o.threads, device: o.device, passes: o.passes, ...(o.stepsPerCall ? { stepsPerCall: o.stepsPerCall } : {}) }, o.threads);
  const dims = ours.ready['torch_dims'] as Record<string, number>;
  let peer: Worker | null = null;
  let peerParams = 0;
  let note = o.torchNote;
  if (o.torch) {
    try {
      const t = await startTorch({ model: o.model, dims, B, T, threads: o.threads, device: o.device }, o.threads);
      peer = t.worker;
      peerParams = t.ready['params'] as number;
      if (peerParams !== ours.ready['params']) {
        await peer.quit();
        await ours.worker.quit();
        throw new Error(`${o.model}: PyTorch has ${peerParams} parameters, ours ${String(ours.ready['params'])}: the models differ`);
      }
    } catch (e) {
      if ((e as Error).message.includes('the models differ')) throw e;
      note = (e as Error).message;
      peer = null;
    }
  }
  const sides: Worker[] = peer ? [ours.worker, peer] : [ours.worker];
  const times = new Map<Worker, { train: Timings; eval: Timings }>(sides.map((w) => [w, { train: new Timings(), eval: new Timings() }]));
  const { warmup, rounds, perRound } = o.schedule;
  for (const w of sides) await w.steps('train', warmup);
  for (const kind of ['train', 'eval'] as const) {
    if (kind === 'eval') for (const w of sides) await w.steps('eval', 1);
    for (let r = 0; r < rounds; r++) {
      for (const w of r % 2 === 0 ? sides : [...sides].reverse()) times.get(w)![kind].add(await w.steps(kind, perRound));
    }
  }
  const ceiling = o.ceiling ? ((await ours.worker.ask('gemm'))['gemm'] as GemmCeiling) : null;
  const rss = await ours.worker.quit();
  const oursT = times.get(ours.worker)!;
  const ms = oursT.train.ms;
  const gflops = ours.ready['gflops'] as number;
  let torch: PeerFigures | null = null;
  if (peer) {
    const pt = times.get(peer)!;
    const pms = pt.train.ms;
    torch = { seq_per_s: (B * 1000) / pms, ms_per_step: pms, cpu_ms_per_step: pt.train.cpuMs, eval_seq_per_s: (B * 1000) / pt.eval.ms, peak_rss_mb: await peer.quit(), params: peerParams };
  }
  const achieved = gflops / (ms / 1000);
  return {
    model: o.model, config: o.config, threads: o.threads, device: o.device, passes: o.passes,
    seq_per_s: (B * 1000) / ms, ms_per_step: ms, cpu_ms_per_step: oursT.train.cpuMs, eval_seq_per_s: (B * 1000) / oursT.eval.ms,
    compile_ms: ours.ready['compile_ms'] as number, session_ms: ours.ready['session_ms'] as number,
    peak_rss_mb: rss, params: ours.ready['params'] as number, gflops,
    achieved_gflops_per_s: achieved,
    ceiling_gflops_per_s: ceiling?.ceiling_gflops_per_s ?? null,
    ceiling_fraction: ceiling ? achieved / ceiling.ceiling_gflops_per_s : null,
    steps_timed: oursT.train.wall.length, steps_per_call: ours.ready['steps_per_call'] as number,
    torch, ratio: torch ? torch.ms_per_step / ms : null, cpu_ratio: torch ? torch.cpu_ms_per_step / oursT.train.cpuMs : null,
    ...(note && !torch ? { torch_note: note } : {}),
  };
}
