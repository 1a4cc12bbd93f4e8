/**
 * @file `npm run bench`: training and evaluation throughput against PyTorch in the same run,
 * the GEMM ceiling, before/after rows for the compiler passes, and scaling in T, width and batch.
 *
 *   npm run bench                                   # everything, unattended (tables on stdout, SVGs to docs/img/)
 *   npm run bench -- --quick                        # the same, fewer steps and points
 *   npm run bench -- --config small --models vrnn,storn --threads 1,2 [--json] [--device cpu|cuda]
 *   npm run bench -- --section passes|session|scaling  # one section
 *
 * Options: `--config small|paper` (default both), `--models` (default vrnn,storn,rnn,vrnn_gmm),
 * `--threads N[,M]` (default 1 and the machine's cores), `--device`, `--passes CHOICE` (see
 * configs.ts), `--no-torch`, `--json` (one object per model and thread count per line),
 * `--section compare,passes,session,scaling`, `--svg-dir DIR`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { compareModel, type Row, type Schedule } from './compare.js';
import { basePasses, defaultPasses } from '../src/compiler/passes/index.js';
import { benchModels, configNames, configs, type BenchModel, type ConfigName } from './configs.js';
import { compareTable, scalingTable, variantTable } from './report.js';
import { axisValues, scaleAxis, scalingSvg, type ScalingPoint } from './scaling.js';
import { timeVariants, type Variant } from './variants.js';
import { cudaUnavailable, hasAvx512, root, TORCH_INSTALL_HINT, torchMissing } from './workers.js';

const sections = ['compare', 'passes', 'session', 'scaling'] as const;

/** Steps per measurement for a configuration. */
function scheduleFor(config: ConfigName, quick: boolean): Schedule {
  if (config === 'paper') return quick ? { warmup: 1, rounds: 2, perRound: 1 } : { warmup: 1, rounds: 3, perRound: 2 };
  return quick ? { warmup: 2, rounds: 3, perRound: 2 } : { warmup: 3, rounds: 5, perRound: 4 };
}

/** The session settings compared: the default first, then one change at a time, then threads. */
function sessionVariants(): Variant[] {
  const n = availableParallelism();
  return [
    { label: 'default (level basic, no spinning, arena, no memory pattern), 1 thread' },
    { label: 'graph optimization all', session: { graphOptimization: 'all' } },
    { label: 'graph optimization extended', session: { graphOptimization: 'extended' } },
    { label: 'graph optimization disabled', session: { graphOptimization: 'disabled' } },
    { label: 'spinning threads', session: { spinning: true } },
    { label: 'no memory arena', session: { memArena: false } },
    { label: 'memory pattern', session: { memPattern: true } },
    ...(n > 1 ? [{ label: `${n} threads`, threads: n }, { label: `${n} threads, spinning`, threads: n, session: { spinning: true } }] : []),
  ];
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--config <names>', 'small, paper or both', 'small,paper')
    .option('--models <names>', 'models to run', benchModels.join(','))
    .option('--threads <n>', 'intra-op threads (a list runs each)', `1,${availableParallelism()}`)
    .option('--device <device>', 'cpu or cuda', 'cpu')
    .option('--passes <choice>', 'compiler passes for our side (all, base, base+NAME, all-NAME)', 'all')
    .option('--steps-per-call <k>', 'our optimizer steps per session.run (default 1 on cpu, 8 on cuda)')
    .option('--no-torch', 'skip the PyTorch peer')
    .option('--json', 'one JSON object per model and thread count per line, nothing else')
    .option('--quick', 'fewer steps and points')
    .option('--section <names>', `sections to run (${sections.join(', ')})`, sections.join(','))
    .option('--svg-dir <dir>', 'where the scaling plots go', join(root, 'docs', 'img'))
    .parse();
  const o = program.opts<{ stepsPerCall?: string; config: string; models: string; threads: string; device: string; passes: string; torch: boolean; json?: boolean; quick?: boolean; section: string; svgDir: string }>();
  const pick = <T extends string>(what: string, names: readonly T[], given: string): T[] => list(given).map((n) => {
    if (!(names as readonly string[]).includes(n)) throw new Error(`--${what}: unknown '${n}' (known: ${names.join(', ')})`);
    return n as T;
  });
  const cfgs = pick('config', configNames, o.config);
  const models = pick<BenchModel>('models', benchModels, o.models);
  const which = pick('section', sections, o.section);
  const threads = [...new Set(list(o.threads).map(Number))];
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads: expected positive integers, got '${o.threads}'`);
  if (o.device !== 'cpu' && o.device !== 'cuda') throw new Error(`--device: cpu or cuda, got '${o.device}'`);
  const device = o.device;
  const quick = o.quick ?? false;
  const say = (s: string): void => { if (!o.json) console.log(s); };
  const progress = (s: string): void => { process.stderr.write(`bench: ${s}\n`); };

  const missing = o.torch ? torchMissing() : 'skipped (--no-torch)';
  say(`# seqppl benchmark${quick ? ' (quick)' : ''}\n`);
  say(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}${hasAvx512() ? ', AVX-512 (OpenBLAS forced to SkylakeX kernels)' : ', no AVX-512 (OpenBLAS picks its kernels)'}; ` +
    `Node ${process.version}; device ${device}. Shared machines make timings noisy: runs alternate and medians are shown.\n`);
  if (missing !== null && o.torch) say(`PyTorch peer unavailable: ${missing}. Install it with \`${TORCH_INSTALL_HINT}\`; our own figures follow.\n`);

  const noCuda = device === 'cuda' ? await cudaUnavailable() : null;
  if (noCuda !== null) say(`CUDA: every GPU measurement skipped: ${noCuda}\n`);
  if (which.includes('compare') && noCuda === null) {
    for (const config of cfgs) {
      const rows: Row[] = [];
      for (const model of models) {
        for (const t of threads) {
          progress(`${config} ${model}, ${t} thread(s)`);
          try {
            const row = await compareModel({
              model, config, setup: configs[config][model], threads: t, device, passes: o.passes,
              schedule: scheduleFor(config, quick), torch: missing === null, ...(o.stepsPerCall ? { stepsPerCall: Number(o.stepsPerCall) } : {}), ...(missing ? { torchNote: missing } : {}), ceiling: device === 'cpu',
            });
            rows.push(row);
            if (o.json) console.log(JSON.stringify(row));
          } catch (e) {
            const msg = (e as Error).message;
            if (device === 'cuda') { say(`${config} ${model}: skipped on CUDA: ${msg}`); continue; }
            throw e;
          }
        }
      }
      if (rows.length) say(compareTable(config, rows));
    }
  }
  if (which.includes('passes') && !o.json && device === 'cpu') {
    const perf = defaultPasses.map((p) => p.name).filter((n) => !basePasses.some((b) => b.name === n));
    const chain: Variant[] = ['base', ...perf.slice(0, -1).map((_, i) => `base+${perf.slice(0, i + 1).join('+')}`), 'all'].map((p) => ({ label: p, passes: p }));
    for (const model of models) {
      progress(`passes, small ${model}`);
      say(variantTable(`Passes: ${model} (small, 1 thread)`, 'passes', await timeVariants(configs.small[model], chain, scheduleFor('small', quick))));
    }
  }
  if (which.includes('session') && !o.json && device === 'cpu') {
    progress('session options, small vrnn');
    say(variantTable('Session options: vrnn (small)', 'settings', await timeVariants(configs.small.vrnn, sessionVariants(), scheduleFor('small', quick))));
  }
  if (which.includes('scaling') && !o.json && device === 'cpu') {
    const points: ScalingPoint[] = [];
    const vals = axisValues(quick);
    for (const axis of ['T', 'batch', 'width'] as const) {
      progress(`scaling in ${axis}`);
      points.push(...await scaleAxis(configs.small.vrnn, axis, vals[axis], 1, { warmup: 1, rounds: quick ? 2 : 3, perRound: 1 }));
    }
    say(scalingTable(points));
    mkdirSync(o.svgDir, { recursive: true });
    for (const axis of ['T', 'batch', 'width'] as const) {
      writeFileSync(join(o.svgDir, `scaling-${axis}.svg`), scalingSvg(points, axis, `VRNN (small) training step against ${axis}, 1 thread`));
    }
    say(`Plots: ${['T', 'batch', 'width'].map((a) => join(o.svgDir, `scaling-${a}.svg`)).join(', ')}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
