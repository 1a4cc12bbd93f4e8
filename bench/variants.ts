/**
 * @file Our side only, several variants of one model (pass sets, session settings, thread
 * counts), each in its own worker, timed in alternating rounds so they share the machine's
 * conditions. Serves the before/after rows of the passes and the session-option measurements.
 */
import type { SessionOptions } from '../src/runtime/session.js';
import type { ModelSetup, PassChoice } from './configs.js';
import type { Schedule } from './compare.js';
import { quantile, Timings } from './stats.js';
import { startOurs, type Worker } from './workers.js';

/** One variant to time. */
export interface Variant {
  readonly label: string;
  readonly passes?: PassChoice;
  readonly session?: Omit<SessionOptions, 'threads' | 'device'>;
  readonly threads?: number;
  /** Another checkout of seqppl to run this variant from (default: this one). */
  readonly checkout?: string;
}

/** One row: a variant and its figures. */
export interface VariantRow {
  readonly label: string;
  readonly ms_per_step: number;
  /** Quartiles of the step times (the spread the median hides on a noisy host). */
  readonly ms_q1: number;
  readonly ms_q3: number;
  /** CPU milliseconds per step, all threads (what the step costs when the machine is shared). */
  readonly cpu_ms_per_step: number;
  readonly seq_per_s: number;
  readonly eval_ms: number;
  readonly gflops: number;
  readonly nodes: number;
  readonly peak_rss_mb: number;
  readonly compile_ms: number;
  readonly session_ms: number;
}

/** Times `variants` of one model setup. */
export async function timeVariants(setup: ModelSetup, variants: readonly Variant[], schedule: Schedule): Promise<VariantRow[]> {
  const ws: { v: Variant; w: Worker; ready: Record<string, unknown>; train: Timings; eval: Timings }[] = [];
  for (const v of variants) {
    const threads = v.threads ?? 1;
    const cfg = { file: setup.file, sets: setup.sets, B: setup.B, T: setup.T, threads, passes: v.passes ?? 'all', ...(v.session ? { session: v.session } : {}) };
    const { worker, ready } = await startOurs(cfg, threads, v.checkout);
    ws.push({ v, w: worker, ready, train: new Timings(), eval: new Timings() });
  }
  for (const x of ws) await x.w.steps('train', schedule.warmup);
  for (let r = 0; r < schedule.rounds; r++) {
    for (const x of r % 2 === 0 ? ws : [...ws].reverse()) {
      x.train.add(await x.w.steps('train', schedule.perRound));
      x.eval.add(await x.w.steps('eval', 1));
    }
  }
  const rows: VariantRow[] = [];
  for (const x of ws) {
    const ms = x.train.ms;
    rows.push({
      label: x.v.label, ms_per_step: ms, ms_q1: quantile(x.train.wall, 0.25), ms_q3: quantile(x.train.wall, 0.75), cpu_ms_per_step: x.train.cpuMs, seq_per_s: (setup.B * 1000) / ms, eval_ms: x.eval.ms,
      gflops: x.ready['gflops'] as number, nodes: x.ready['nodes'] as number, peak_rss_mb: await x.w.quit(),
      compile_ms: x.ready['compile_ms'] as number, session_ms: x.ready['session_ms'] as number,
    });
  }
  return rows;
}
