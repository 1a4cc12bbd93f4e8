/**
 * @file Before/after rows for the compiler passes: the same model compiled with growing sets of
 * passes (from `base`, the compiler before the performance passes, to `all`), each in its own
 * worker, timed in alternating rounds so the rows share the machine's conditions.
 */
import type { ModelSetup, PassChoice } from './configs.js';
import type { Schedule } from './compare.js';
import { Timings } from './stats.js';
import { startOurs, type Worker } from './workers.js';

/** One row: a pass set and its figures. */
export interface AblationRow {
  readonly passes: PassChoice;
  readonly ms_per_step: number;
  /** CPU milliseconds per step (what the step costs when the machine is shared). */
  readonly cpu_ms_per_step: number;
  readonly seq_per_s: number;
  readonly eval_ms: number;
  readonly gflops: number;
  readonly nodes: number;
  readonly peak_rss_mb: number;
  readonly compile_ms: number;
}

/** Times `choices` on one model setup. */
export async function ablation(setup: ModelSetup, choices: readonly PassChoice[], threads: number, schedule: Schedule): Promise<AblationRow[]> {
  const ws: { choice: PassChoice; w: Worker; ready: Record<string, unknown>; train: Timings; eval: Timings }[] = [];
  for (const choice of choices) {
    const { worker, ready } = await startOurs({ file: setup.file, sets: setup.sets, B: setup.B, T: setup.T, threads, passes: choice }, threads);
    ws.push({ choice, w: worker, ready, train: new Timings(), eval: new Timings() });
  }
  for (const x of ws) await x.w.steps('train', schedule.warmup);
  for (let r = 0; r < schedule.rounds; r++) {
    for (const x of r % 2 === 0 ? ws : [...ws].reverse()) {
      x.train.add(await x.w.steps('train', schedule.perRound));
      x.eval.add(await x.w.steps('eval', 1));
    }
  }
  const rows: AblationRow[] = [];
  for (const x of ws) {
    const ms = x.train.ms;
    rows.push({
      passes: x.choice, ms_per_step: ms, cpu_ms_per_step: x.train.cpuMs, seq_per_s: (setup.B * 1000) / ms, eval_ms: x.eval.ms,
      gflops: x.ready['gflops'] as number, nodes: x.ready['nodes'] as number,
      peak_rss_mb: await x.w.quit(), compile_ms: x.ready['compile_ms'] as number,
    });
  }
  return rows;
}
