/**
 * @file Writing RUN/report.html: live during training (at every validation, with samples redrawn
 * whenever the best checkpoint changes) and rebuilt from the run's files by `seqc report`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { onnxBytes } from '../../compiler/pipeline.js';
import { CheckpointError, loadCheckpoint } from '../checkpoint.js';
import { ParamStore } from '../params.js';
import { RunError, writeFileAtomic } from '../run.js';
import { createSession } from '../session.js';
import { writeCurves } from '../metrics.js';
import type { TrainSummary, Validation } from '../train.js';
import { loadTrained, type Trained } from '../trained.js';
import { readRunData } from './data.js';
import { renderReport, type ReportStatus, type SamplesSection } from './html.js';
import { reportSamples } from './samples.js';

/** The report's file name inside a run directory. */
export const REPORT_FILE = 'report.html';

/** Where training last left the run (written by the live report, kept by rebuilds). */
const STATUS_FILE = 'report-status.json';

type Status = Omit<ReportStatus, 'updated'>;

/** Renders and writes RUN/report.html; the training loop's reports also record their status. Returns the report's path. */
function writeReport(dir: string, status: Status, samples: SamplesSection, record: boolean): string {
  const path = join(dir, REPORT_FILE);
  writeFileAtomic(path, renderReport(readRunData(dir), { ...status, updated: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, samples));
  if (record) writeFileAtomic(join(dir, STATUS_FILE), JSON.stringify(status) + '\n');
  return path;
}

/** The status training last recorded, if any. */
function recordedStatus(dir: string): Status | null {
  const path = join(dir, STATUS_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Status;
  } catch {
    return null;
  }
}

/** Samples, or the reason there are none when the model cannot be sampled on its own (control inputs) or the run has no usable checkpoint. */
async function samplesOf(draw: () => Promise<SamplesSection>): Promise<SamplesSection> {
  try {
    return await draw();
  } catch (e) {
    if (e instanceof RunError || e instanceof CheckpointError) return { note: `no samples: ${e.message}` };
    throw e;
  }
}

/** The report of a training run in progress; the CLI passes `validated` to the training loop. */
export class LiveReport {
  private session: ort.InferenceSession | null = null;
  private samples: SamplesSection = { note: 'no samples yet: the run has not been validated' };
  private total: number | null = null;
  private failed = false;
  private drawn = false;

  constructor(private readonly dir: string, private readonly warn: (line: string) => void) {}

  /** Called after each validation: redraws the samples if the best checkpoint changed, then rewrites the report. */
  async validated(v: Validation): Promise<void> {
    this.total = v.total;
    await this.guard(async () => {
      // A resumed run may not improve for a while: its first report samples the best checkpoint on disk.
      if (v.improved || !this.drawn) {
        this.session ??= await createSession(onnxBytes(v.model.compiled.sample), { device: 'cpu', threads: 1 });
        const session = this.session;
        this.samples = await samplesOf(async () => {
          if (v.improved) return { view: await reportSamples(v.model, session, v.sampleRate, 'checkpoints/best.ckpt', v.step) };
          const ck = loadCheckpoint(join(this.dir, 'checkpoints', 'best.ckpt'));
          const store = ParamStore.fromTensors(v.model.compiled.manifest, ck.params, ck.state);
          return { view: await reportSamples({ ...v.model, store }, session, v.sampleRate, 'checkpoints/best.ckpt', ck.step) };
        });
        this.drawn = true;
      }
      writeReport(this.dir, { state: 'training', detail: `last validated at step ${v.step}`, total: v.total }, this.samples, true);
    });
  }

  /** Writes the final report once training has stopped. */
  async finish(s: TrainSummary): Promise<void> {
    const done = s.stoppedBy === 'steps' || s.stoppedBy === 'epochs';
    await this.guard(async () => {
      writeReport(this.dir, { state: done ? 'finished' : 'stopped', detail: done ? `finished in ${s.seconds.toFixed(0)} s` : `stopped: ${s.stoppedBy}`, total: this.total }, this.samples, true);
    });
    await this.session?.release();
  }

  /** A report that cannot be written must not stop training: warn once, keep going. */
  private async guard(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      if (!this.failed) this.warn(`could not write ${join(this.dir, REPORT_FILE)} (training goes on): ${(e as Error).message}`);
      this.failed = true;
    }
  }
}

/** Rebuilds RUN/report.html and RUN/curves.svg from the run's files, sampling from checkpoints/best.ckpt; returns the report's path. */
export async function rebuildReport(dir: string, opts: { trained?: Trained } = {}): Promise<string> {
  const samples = await samplesOf(async () => {
    const t = opts.trained ?? loadTrained(null, dir, [], 'best');
    const session = await createSession(onnxBytes(t.compiled.sample), { device: 'cpu', threads: 1 });
    try {
      return { view: await reportSamples(t, session, t.config?.sampleRate ?? null, `checkpoints/${basename(t.checkpointFile)}`, t.checkpoint.step) };
    } finally {
      await session.release();
    }
  });
  writeCurves(dir);
  // A rebuild keeps what training said (still training, finished, stopped) and only refreshes the contents.
  const config = readRunData(dir).config;
  const status = recordedStatus(dir) ?? { state: 'rebuilt', detail: 'rebuilt from the run directory', total: typeof config['steps'] === 'number' ? config['steps'] : null };
  return writeReport(dir, status, samples, false);
}
