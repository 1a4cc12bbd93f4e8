/**
 * @file RUN/metrics.jsonl: one JSON record a line, a training record per optimizer step and a
 * validation record per validation (fields in docs/runs.md). Appended without following links;
 * read tolerantly (a torn last line, left by a killed process, is dropped); cut back to the
 * checkpoint on `--resume`; drawn as RUN/curves.svg.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunError } from './errors.js';
import { lineChartSvg } from './plot.js';
import { appendNoFollow, writeFileAtomic } from './safefs.js';

/** A training record: the step's loss terms and schedule values. */
export interface TrainRecord { step: number; epoch: number; loss: number; elbo_per_step: number; kl_per_step: number; beta: number; lr: number; grad_norm: number; seconds: number }

/** A validation record: the validation split's ELBO per time step, in nats of the data. */
export interface ValidRecord { step: number; valid_elbo_per_step: number }

/** One line of metrics.jsonl. */
export type MetricRecord = TrainRecord | ValidRecord;

/** The records of a metrics file and whether its last line was torn (and dropped). */
export function readMetrics(path: string): { records: MetricRecord[]; torn: boolean } {
  if (!existsSync(path)) return { records: [], torn: false };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const records: MetricRecord[] = [];
  let torn = false;
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    let r: unknown;
    try {
      r = JSON.parse(l);
    } catch {
      r = undefined;
    }
    const ok = r !== null && typeof r === 'object' && typeof (r as { step?: unknown }).step === 'number';
    if (ok) records.push(r as MetricRecord);
    else if (i === lines.length - 1) torn = true; // no newline after it: a write cut short
    else throw new RunError(`${path}:${i + 1}: not a metrics record (${JSON.stringify(l.slice(0, 40))}${l.length > 40 ? '…' : ''})`,
      'the file was edited or damaged; remove that line (the checkpoints do not depend on it)');
  });
  return { records, torn };
}

/** Whether a record is a validation record. */
export function isValidation(r: MetricRecord): r is ValidRecord {
  return 'valid_elbo_per_step' in r;
}

/** Appends one record. */
export function appendMetric(path: string, r: MetricRecord): void {
  appendNoFollow(path, JSON.stringify(r) + '\n');
}

/**
 * Cuts the file back to what an uninterrupted run has up to `step`: records after the checkpoint
 * go (a killed run wrote them; they are written again), and so does a validation off the
 * `validEvery` grid (the one a session makes when it ends before its first validation).
 */
export function trimMetrics(path: string, step: number, validEvery: number): { torn: boolean } {
  const { records, torn } = readMetrics(path);
  const keep = records.filter((r) => r.step <= step && (!isValidation(r) || r.step % validEvery === 0));
  writeFileAtomic(path, keep.map((r) => JSON.stringify(r) + '\n').join(''));
  return { torn };
}

/** Writes RUN/curves.svg from metrics.jsonl: training ELBO (moving average) and validation ELBO per step. */
export function writeCurves(dir: string): void {
  const trainPts: [number, number][] = [];
  const validPts: [number, number][] = [];
  const window: number[] = [];
  for (const m of readMetrics(join(dir, 'metrics.jsonl')).records) {
    if (isValidation(m)) validPts.push([m.step, m.valid_elbo_per_step]);
    else if (Number.isFinite(m.elbo_per_step)) {
      window.push(m.elbo_per_step);
      if (window.length > 25) window.shift();
      trainPts.push([m.step, window.reduce((a, b) => a + b, 0) / window.length]);
    }
  }
  writeFileAtomic(join(dir, 'curves.svg'), lineChartSvg({
    title: 'ELBO per time step (nats, data units)', xLabel: 'optimizer step', yLabel: 'ELBO / step',
    series: [{ name: 'train (avg of 25)', points: trainPts }, { name: 'validation', points: validPts.filter(([, v]) => Number.isFinite(v)) }],
  }));
}
