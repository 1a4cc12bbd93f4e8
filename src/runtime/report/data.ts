/**
 * @file What a run report shows, read from the run directory: the training metrics as columns
 * (ELBO, KL, reconstruction, gradient norm, learning rate, KL weight), the validation history,
 * the recorded evaluations and the run's settings.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isValidation, readMetrics } from '../metrics.js';
import { readRunJson, RunError, writeFileAtomic } from '../run.js';
import { makeDirectory } from '../safefs.js';

/** Training metrics per optimizer step, one array per quantity (all per time step, nats). */
export interface TrainColumns {
  readonly step: number[];
  readonly elbo: number[];
  readonly kl: number[];
  /** Expected log-likelihood of the observations: ELBO + KL. */
  readonly recon: number[];
  readonly gradNorm: number[];
  readonly lr: number[];
  readonly beta: number[];
}

/** Validation ELBO per time step at each validation. */
export interface ValidColumns {
  readonly step: number[];
  readonly elbo: number[];
}

/** One `seqc eval` result recorded in the run (RUN/eval/SPLIT-kK.json). */
export interface EvalRecord {
  readonly split: string;
  readonly k: number;
  readonly checkpoint: string;
  readonly checkpoint_step: number;
  readonly n_sequences: number;
  readonly n_steps: number;
  readonly elbo_per_seq: number;
  readonly elbo_per_step: number;
  readonly iwae_per_seq: number;
  readonly iwae_per_step: number;
  /** The particle-filter bound, when the evaluation asked for it (`--bound fivo`). */
  readonly fivo_per_seq?: number | null;
  readonly fivo_per_step?: number | null;
  /** True when every latent is summed out: the log-likelihood is exact, the same for every K. */
  readonly exact?: boolean;
  readonly time: string;
}

/** Everything the report shows except the samples. */
export interface RunData {
  readonly dir: string;
  readonly model: string;
  readonly train: TrainColumns;
  readonly valid: ValidColumns;
  /** Training steps averaged into one chart point (1 unless the run is longer than the point budget). */
  readonly bucket: number;
  readonly evaluations: readonly EvalRecord[];
  readonly config: Readonly<Record<string, unknown>>;
}

/** Most points drawn per training curve; longer runs are averaged in equal buckets of steps. */
export const MAX_POINTS = 4000;

/** Reads a run's metrics, evaluations and settings. A torn last metrics line (training is appending) is skipped. */
export function readRunData(dir: string): RunData {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) throw new RunError(`${dir} is not a training run: metrics.jsonl is missing`);
  const raw: TrainColumns = { step: [], elbo: [], kl: [], recon: [], gradNorm: [], lr: [], beta: [] };
  const valid: ValidColumns = { step: [], elbo: [] };
  for (const m of readMetrics(path).records) {
    if (isValidation(m)) {
      valid.step.push(m.step);
      valid.elbo.push(m.valid_elbo_per_step);
    } else {
      raw.step.push(m.step);
      raw.elbo.push(m.elbo_per_step);
      raw.kl.push(m.kl_per_step);
      raw.recon.push(m.elbo_per_step + m.kl_per_step);
      raw.gradNorm.push(m.grad_norm);
      raw.lr.push(m.lr);
      raw.beta.push(m.beta);
    }
  }
  const bucket = Math.max(1, Math.ceil(raw.step.length / MAX_POINTS));
  const config = existsSync(join(dir, 'config.json')) ? readRunJson<Record<string, unknown>>(dir, 'config.json') : {};
  const manifest = existsSync(join(dir, 'manifest.json')) ? readRunJson<{ model?: string }>(dir, 'manifest.json') : {};
  return { dir, model: manifest.model ?? String(config['model'] ?? dir), train: downsample(raw, bucket), valid, bucket, evaluations: readEvaluations(dir), config };
}

/** Averages every quantity over consecutive buckets of `size` steps; a bucket is drawn at its last step. */
export function downsample(c: TrainColumns, size: number): TrainColumns {
  if (size <= 1) return c;
  const out: TrainColumns = { step: [], elbo: [], kl: [], recon: [], gradNorm: [], lr: [], beta: [] };
  for (let a = 0; a < c.step.length; a += size) {
    const b = Math.min(c.step.length, a + size);
    const mean = (xs: number[]): number => xs.slice(a, b).reduce((s, x) => s + x, 0) / (b - a);
    out.step.push(c.step[b - 1]!);
    for (const k of ['elbo', 'kl', 'recon', 'gradNorm', 'lr', 'beta'] as const) out[k].push(mean(c[k]));
  }
  return out;
}

/** The evaluations recorded in RUN/eval/, sorted by split and K. */
function readEvaluations(dir: string): EvalRecord[] {
  const evalDir = join(dir, 'eval');
  if (!existsSync(evalDir)) return [];
  return readdirSync(evalDir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => readRunJson<EvalRecord>(evalDir, f));
}

/** Records a `seqc eval` result in the run, replacing an earlier one of the same split and K; returns its path. */
export function recordEvaluation(dir: string, r: EvalRecord): string {
  makeDirectory(join(dir, 'eval'));
  const path = join(dir, 'eval', `${r.split}-k${r.k}.json`);
  writeFileAtomic(path, JSON.stringify(r, null, 2) + '\n');
  return path;
}
