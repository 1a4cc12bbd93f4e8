/**
 * @file `seqc compare`: trains two or more model files on the same data, with the same seed
 * (so the same initialization stream, shuffles and batches) and the same budget, one after the
 * other; then evaluates each from its best checkpoint on the test split (the ELBO and the
 * importance-sampled estimate with K samples, per step, in data units) and draws their
 * validation curves into one SVG.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from '../compiler/parse.js';
import type { TrainConfig } from './config.js';
import { loadDataset, normalize, parseColumns } from './data/index.js';
import { evaluateSplit } from './evaluate.js';
import { openGraph } from './graphs.js';
import { isValidation, readMetrics } from './metrics.js';
import { lineChartSvg } from './plot.js';
import { dataPathOf, writeFileAtomic } from './run.js';
import { onnxBytes } from '../compiler/pipeline.js';
import { loadTrained } from './trained.js';
import { train, type Reporter } from './train.js';

/** One model's row of the comparison. */
export interface CompareRow {
  readonly model: string;
  readonly file: string;
  readonly run: string;
  readonly params: number;
  readonly steps: number;
  readonly seconds: number;
  readonly bestValid: number | null;
  /** Test split, per time step, from the best checkpoint. */
  readonly elboPerStep: number;
  readonly iwaePerStep: number;
  readonly k: number;
  readonly exact: boolean;
  readonly curve: readonly (readonly [number, number])[];
}

/** The hyperparameters a model file declares (so a shared `--set` reaches only the models that have the name). */
export function declaredHyperparameters(file: string): Set<string> {
  const r = parse(readFileSync(file, 'utf8'));
  return new Set(r.ok ? r.program.model.hyperParams.map((h) => h.name.name) : []);
}

/** Trains and evaluates every model; `cfg` is the shared configuration (its `model` is replaced per file). */
export async function compareModels(files: readonly string[], cfg: TrainConfig, out: string, opts: { k: number; batch: number }, rep: Reporter, signal: { stop: boolean }): Promise<CompareRow[]> {
  const rows: CompareRow[] = [];
  const names = files.map((f, i) => {
    const b = basename(f).replace(/\.seq$/, '');
    return files.filter((g) => basename(g).replace(/\.seq$/, '') === b).length > 1 ? `${b}-${i + 1}` : b;
  });
  for (const [i, file] of files.entries()) {
    const declared = declaredHyperparameters(file);
    const sets = cfg.sets.filter((s) => declared.has(s.slice(0, s.indexOf('='))));
    const dir = join(out, names[i]!);
    rep.info(`[${i + 1}/${files.length}] ${names[i]}: training into ${dir}/${sets.length ? ` with --set ${sets.join(' --set ')}` : ''}`);
    const s = await train({ ...cfg, model: file, sets }, dir, false, rep, signal);
    const t = loadTrained(null, dir, [], 'best');
    const data = loadDataset(dataPathOf(t.config!), t.spec, t.config?.columns ? { columns: parseColumns(t.config.columns, t.spec) } : {});
    const seqs = data.test.map((x) => normalize(x, t.stats));
    const session = await openGraph('evaluate', onnxBytes(t.compiled.evaluate), { device: cfg.device, threads: cfg.threads });
    const exact = t.compiled.manifest.exact;
    const e = await evaluateSplit(t.compiled, session, seqs, t.spec, t.stats, { batch: opts.batch, k: exact ? 1 : opts.k, seed: cfg.seed, store: t.store });
    const curve = readMetrics(join(dir, 'metrics.jsonl')).records.filter(isValidation).map((r) => [r.step, r.valid_elbo_per_step] as const);
    rows.push({
      model: names[i]!, file, run: dir, params: t.compiled.manifest.parameters.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
      steps: s.steps, seconds: s.seconds, bestValid: s.bestValid, elboPerStep: e.elboPerStep, iwaePerStep: e.iwaePerStep, k: exact ? 1 : opts.k, exact, curve,
    });
    if (signal.stop) break;
  }
  writeFileAtomic(join(out, 'compare.svg'), lineChartSvg({
    title: 'validation ELBO per time step', xLabel: 'optimizer step', yLabel: 'nats per step',
    series: rows.map((r) => ({ name: r.model, points: r.curve })),
  }));
  writeFileAtomic(join(out, 'compare.json'), JSON.stringify(rows.map(({ curve: _c, ...r }) => r), null, 1) + '\n');
  return rows;
}
