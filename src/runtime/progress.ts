/**
 * @file Training progress: a cli-progress bar (steps, steps/s, ETA, current ELBO, latest validation
 * ELBO) on a TTY, and
 * plain periodic log lines on anything else (files, CI logs, pipes). Writes only to the stream
 * it is given (the CLI's reporter), never to the process's own stdout.
 */
import cliProgress from 'cli-progress';

/** A writable text stream; `isTTY` selects the bar. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of `Progress`. */
export interface ProgressOptions {
  /** The step the run ends at. */
  readonly total: number;
  readonly stream: ProgressStream;
  /** A word before the counts (default `train`). */
  readonly label?: string;
  /** Non-TTY mode: a line every this many steps (default: about 20 lines per run). */
  readonly logEvery?: number;
  /** Milliseconds since an arbitrary origin (default `performance.now`); injectable for tests. */
  readonly now?: () => number;
  /**
   * The run's time limit in seconds from `start`, if it has one: the ETA is then the sooner of
   * the steps left at the measured rate and the time left, and non-TTY mode also logs a line
   * every twentieth of the limit (a `--time-limit` run with a large `--steps` would otherwise
   * show an ETA of hours and log only its last line).
   */
  readonly timeLimit?: number | null;
}

/** A progress display for one run; `start`, then `update` per step, then `stop`. */
export class Progress {
  private readonly now: () => number;
  private readonly logEvery: number;
  private bar: cliProgress.SingleBar | null = null;
  private startStep = 0;
  private startTime = 0;
  private lastLogged = -1;
  private lastLoggedAt = 0;
  private step = 0;
  private elbo: number | null = null;
  private valid: number | null = null;

  constructor(private readonly opts: ProgressOptions) {
    if (!(opts.total >= 0)) throw new Error(`progress: total must be ≥ 0, got ${opts.total}`);
    this.now = opts.now ?? (() => performance.now());
    this.logEvery = Math.max(1, Math.floor(opts.logEvery ?? Math.ceil(opts.total / 20)));
  }

  /** Whether the bar is drawn (a TTY stream) rather than log lines. */
  get interactive(): boolean {
    return this.opts.stream.isTTY === true;
  }

  /** Begins at `step` (non-zero when resuming; the rate counts only steps run now). */
  start(step = 0): void {
    this.startStep = this.step = this.lastLogged = step;
    this.startTime = this.lastLoggedAt = this.now();
    if (!this.interactive) return;
    this.bar = new cliProgress.SingleBar({
      stream: this.opts.stream as unknown as NodeJS.WritableStream,
      // Our own ETA: cli-progress prints `0s` or `INF` before it has measured a rate.
      format: `${this.opts.label ?? 'train'} {bar} {value}/{total} | {rate} steps/s | ETA {eta} | ELBO {elbo} | valid {valid}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(this.opts.total, step, { rate: '-', eta: '-', elbo: '-', valid: '-' });
  }

  /** Records that `step` steps are done, with the current training ELBO and/or the latest validation ELBO. */
  update(step: number, metrics: { elbo?: number; valid?: number } = {}): void {
    this.step = step;
    if (metrics.elbo !== undefined) this.elbo = metrics.elbo;
    if (metrics.valid !== undefined) this.valid = metrics.valid;
    if (this.bar) {
      this.bar.update(step, { rate: formatRate(this.rate()), eta: this.eta(), elbo: formatElbo(this.elbo), valid: formatElbo(this.valid) });
    } else if (step - this.lastLogged >= this.logEvery || (step >= this.opts.total && step > this.lastLogged) || this.logDue()) {
      this.log();
    }
  }

  /** Finishes the display (a final line in non-TTY mode if the last step was not logged). */
  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    } else if (this.step > this.lastLogged) {
      this.log();
    }
  }

  /** Steps per second since `start`. */
  rate(): number {
    const seconds = (this.now() - this.startTime) / 1000;
    return seconds > 0 ? (this.step - this.startStep) / seconds : 0;
  }

  /** The time left at the measured rate (or to the time limit, if sooner); `-` until a step has been measured. */
  eta(): string {
    const rate = this.rate();
    if (!(rate > 0 && this.step > this.startStep)) return '-';
    const bySteps = (this.opts.total - this.step) / rate;
    const limit = this.opts.timeLimit;
    const byTime = limit != null ? Math.max(0, limit - (this.now() - this.startTime) / 1000) : Infinity;
    return formatDuration(Math.min(bySteps, byTime));
  }

  /** Non-TTY mode under a time limit: a twentieth of it has passed since the last line. */
  private logDue(): boolean {
    const limit = this.opts.timeLimit;
    return limit != null && limit > 0 && this.step > this.lastLogged && this.now() - this.lastLoggedAt >= (limit * 1000) / 20;
  }

  private log(): void {
    const { total } = this.opts;
    const pct = total > 0 ? ` (${((100 * this.step) / total).toFixed(1)}%)` : '';
    const valid = this.valid === null ? '' : ` | valid ${formatElbo(this.valid)}`;
    this.opts.stream.write(`${this.opts.label ?? 'train'} step ${this.step}/${total}${pct} | ${formatRate(this.rate())} steps/s | ETA ${this.eta()} | ELBO ${formatElbo(this.elbo)}${valid}\n`);
    this.lastLogged = this.step;
    this.lastLoggedAt = this.now();
  }
}

/** `1h02m03s`, `4m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${two(m)}m${two(r)}s` : m > 0 ? `${m}m${two(r)}s` : `${r}s`;
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

function formatElbo(e: number | null): string {
  return e === null ? '-' : Number.isFinite(e) ? e.toFixed(3) : String(e);
}
