/**
 * @file Scaling: training-step time and peak memory as the sequence length doubles (40 → 640),
 * as the width grows (64 → 2000: h_dim = f_dim = W) and as the batch grows, for the `small`
 * VRNN. Points of the T and batch axes run in alternating rounds (all workers alive at once);
 * width points run one after another (the wide ones need gigabytes). Each point is its own
 * process, so its peak RSS is its own. The graph does not grow with T: its node count is shown.
 */
import { lineChartSvg } from '../src/runtime/plot.js';
import type { ModelSetup } from './configs.js';
import type { Schedule } from './compare.js';
import { Timings } from './stats.js';
import { startOurs, type Worker } from './workers.js';

/** One measured point. */
export interface ScalingPoint {
  readonly axis: 'T' | 'width' | 'batch';
  readonly value: number;
  readonly B: number;
  readonly T: number;
  readonly ms_per_step: number;
  readonly cpu_ms_per_step: number;
  readonly peak_rss_mb: number;
  readonly nodes: number;
  readonly params: number;
}

/** The values of each axis (quick mode takes fewer). */
export function axisValues(quick: boolean): Record<ScalingPoint['axis'], number[]> {
  return quick
    ? { T: [40, 160, 640], width: [64, 256, 1024], batch: [8, 32, 128] }
    : { T: [40, 80, 160, 320, 640], width: [64, 128, 256, 512, 1024, 2000], batch: [8, 16, 32, 64, 128] };
}

interface Live { readonly setup: ModelSetup; readonly value: number; readonly w: Worker; readonly ready: Record<string, unknown>; readonly times: Timings }

async function start(base: ModelSetup, axis: ScalingPoint['axis'], value: number, threads: number): Promise<Live> {
  const setup: ModelSetup = axis === 'T' ? { ...base, T: value } : axis === 'batch' ? { ...base, B: value } : { ...base, sets: [...base.sets, `h_dim=${value}`, `f_dim=${value}`] };
  const { worker, ready } = await startOurs({ file: setup.file, sets: setup.sets, B: setup.B, T: setup.T, threads }, threads);
  return { setup, value, w: worker, ready, times: new Timings() };
}

async function finish(axis: ScalingPoint['axis'], x: Live): Promise<ScalingPoint> {
  return {
    axis, value: x.value, B: x.setup.B, T: x.setup.T, ms_per_step: x.times.ms, cpu_ms_per_step: x.times.cpuMs, peak_rss_mb: await x.w.quit(),
    nodes: x.ready['nodes'] as number, params: x.ready['params'] as number,
  };
}

/** Measures one axis. */
export async function scaleAxis(base: ModelSetup, axis: ScalingPoint['axis'], values: readonly number[], threads: number, s: Schedule): Promise<ScalingPoint[]> {
  const out: ScalingPoint[] = [];
  if (axis === 'width') {
    for (const v of values) {
      const x = await start(base, axis, v, threads);
      await x.w.steps('train', s.warmup);
      for (let r = 0; r < s.rounds; r++) x.times.add(await x.w.steps('train', s.perRound));
      out.push(await finish(axis, x));
    }
    return out;
  }
  const live: Live[] = [];
  for (const v of values) live.push(await start(base, axis, v, threads));
  for (const x of live) await x.w.steps('train', s.warmup);
  for (let r = 0; r < s.rounds; r++) for (const x of r % 2 === 0 ? live : [...live].reverse()) x.times.add(await x.w.steps('train', s.perRound));
  for (const x of live) out.push(await finish(axis, x));
  return out;
}

/** An SVG chart of one axis: ms per step against the axis (and, for T and B, the line through the first point). */
export function scalingSvg(points: readonly ScalingPoint[], axis: ScalingPoint['axis'], title: string): string {
  const ps = points.filter((p) => p.axis === axis);
  const first = ps[0]!;
  const label = axis === 'T' ? 'sequence length T' : axis === 'width' ? 'width W (h_dim = f_dim)' : 'batch B';
  return lineChartSvg({
    title, xLabel: label, yLabel: 'ms per training step',
    series: [
      { name: 'measured', points: ps.map((p) => [p.value, p.ms_per_step] as const) },
      ...(axis === 'width' ? [] : [{ name: `linear from ${axis} = ${first.value}`, points: ps.map((p) => [p.value, (first.ms_per_step * p.value) / first.value] as const) }]),
    ],
  });
}
