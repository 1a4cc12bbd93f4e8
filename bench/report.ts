/** @file Markdown tables of the benchmark's results. */
import type { Row } from './compare.js';
import type { ScalingPoint } from './scaling.js';
import type { VariantRow } from './variants.js';

const f0 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(0));
const f1 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const f2 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)}%`);

/** The comparison table of one configuration. */
export function compareTable(config: string, rows: readonly Row[]): string {
  const out = [
    `## ${config}: training against PyTorch, same run\n`,
    '| model | threads | PyTorch seq/s | seqppl seq/s | ratio | seqppl ms/step | CPU ms/step (ours / PyTorch) | CPU ratio | eval seq/s (ours / PyTorch) | GFLOP/step | GFLOP/s | GEMM ceiling GFLOP/s | of ceiling | compile ms | session ms | peak RSS MB (ours / PyTorch) | parameters |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    out.push(`| ${r.model} | ${r.threads} | ${f0(r.torch?.seq_per_s)} | ${f0(r.seq_per_s)} | ${r.ratio === null ? '–' : `${f2(r.ratio)}×`} | ${f1(r.ms_per_step)} | ${f0(r.cpu_ms_per_step)} / ${f0(r.torch?.cpu_ms_per_step)} | ${r.cpu_ratio === null ? '–' : `${f2(r.cpu_ratio)}×`} | ` +
      `${f0(r.eval_seq_per_s)} / ${f0(r.torch?.eval_seq_per_s)} | ${f2(r.gflops)} | ${f1(r.achieved_gflops_per_s)} | ${f1(r.ceiling_gflops_per_s)} | ${pct(r.ceiling_fraction)} | ` +
      `${f0(r.compile_ms)} | ${f0(r.session_ms)} | ${f0(r.peak_rss_mb)} / ${f0(r.torch?.peak_rss_mb)} | ${r.params.toLocaleString('en-US')} |`);
  }
  const notes = [...new Set(rows.map((r) => r.torch_note).filter((n): n is string => n !== undefined))];
  out.push('', `Medians of ${rows[0]?.steps_timed ?? 0} training steps per side after warm-up, in alternating rounds. ` +
    'Ratio = PyTorch ms/step ÷ ours, from the same run. GFLOP/step counted from our IR; the ceiling is onnxruntime\'s MatMul rate at the step\'s GEMM shapes, each in-loop product taken at its [T·B, K] size.');
  for (const n of notes) out.push(`PyTorch: ${n}.`);
  return out.join('\n') + '\n';
}

/** Rows of variants of one model, each against the first. */
export function variantTable(title: string, what: string, rows: readonly VariantRow[]): string {
  const base = rows[0]!;
  const out = [
    `## ${title}\n`,
    `| ${what} | ms/step | seq/s | speed-up vs first | CPU ms/step | CPU speed-up | eval ms | graph nodes | peak RSS MB | compile ms | session ms |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    out.push(`| ${r.label} | ${f1(r.ms_per_step)} | ${f0(r.seq_per_s)} | ${f2(base.ms_per_step / r.ms_per_step)}× | ${f1(r.cpu_ms_per_step)} | ` +
      `${f2(base.cpu_ms_per_step / r.cpu_ms_per_step)}× | ${f1(r.eval_ms)} | ${r.nodes} | ${f0(r.peak_rss_mb)} | ${f0(r.compile_ms)} | ${f0(r.session_ms)} |`);
  }
  return out.join('\n') + '\n';
}

/** The scaling tables. */
export function scalingTable(points: readonly ScalingPoint[]): string {
  const out: string[] = [];
  for (const axis of ['T', 'batch', 'width'] as const) {
    const ps = points.filter((p) => p.axis === axis);
    if (!ps.length) continue;
    const first = ps[0]!;
    // The sizes held fixed along this axis (the swept one is the first column).
    const fixed = axis === 'T' ? ['B'] as const : axis === 'batch' ? ['T'] as const : ['B', 'T'] as const;
    out.push(`## Scaling in ${axis} (VRNN small, 1 thread)\n`,
      `| ${axis} | ${fixed.join(' | ')} | parameters | graph nodes | ms/step | CPU ms/step | ${axis === 'width' ? 'ms/step per W² (×10⁶)' : `ms per unit of ${axis}`} | vs first point | peak RSS MB |`,
      `|${'---:|'.repeat(8 + fixed.length)}`);
    for (const p of ps) {
      const unit = axis === 'width' ? (1e6 * p.ms_per_step) / (p.value * p.value) : p.ms_per_step / p.value;
      const firstUnit = axis === 'width' ? (1e6 * first.ms_per_step) / (first.value * first.value) : first.ms_per_step / first.value;
      out.push(`| ${p.value} | ${fixed.map((c) => p[c]).join(' | ')} | ${p.params.toLocaleString('en-US')} | ${p.nodes} | ${f1(p.ms_per_step)} | ${f1(p.cpu_ms_per_step)} | ${f2(unit)} | ${f2(unit / firstUnit)} | ${f0(p.peak_rss_mb)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
