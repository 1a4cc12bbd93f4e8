/**
 * @file The `seqc` command line: one subcommand per file in src/cli; this file only wires them up.
 * Each action imports its command's module when it runs, so `seqc check` never loads
 * onnxruntime or the ONNX emitter and `seqc --version` loads neither (docs/benchmarks.md).
 */
import { Command, CommanderError, Option } from 'commander';
import { seqpplVersion, versionLine } from '../runtime/version.js';
import { Exit, processTerminal, reportFailure, UsageError, type Terminal } from './io.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Runs seqc with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], term: Terminal = processTerminal): Promise<number> {
  let code: number = Exit.ok;
  const program = new Command('seqc')
    .description('compile and run sequential latent-variable models written in the seq language')
    .version(versionLine(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => term.out(s), writeErr: (s) => term.err(s) })
    .showHelpAfterError('(run `seqc --help` for usage)');
  program
    .command('check')
    .description('parse and check model files; report every error with its location')
    .argument('<files...>', 'model files (.seq); - reads standard input')
    .option('--set <name=value>', 'override a hyperparameter (repeatable)', collect, [])
    .option('-q, --quiet', 'print nothing for files without errors')
    .option('--json', 'print the diagnostics as one JSON object (the shape the language server publishes)')
    .action(async (files: string[], opts: { set: string[]; quiet?: boolean; json?: boolean }) => {
      code = await command(() => import('./check.js'), (c) => c.runCheck(files, opts, term), term);
    });
  program
    .command('fmt')
    .description('rewrite model files in canonical form, keeping comments')
    .argument('<files...>', 'model files (.seq); - reads standard input and prints the result')
    .option('--check', 'do not write; exit 1 if a file is not formatted')
    .option('--stdout', 'print the formatted text instead of writing the file')
    .action(async (files: string[], opts: { check?: boolean; stdout?: boolean }) => {
      code = await command(() => import('./fmt.js'), (c) => c.runFmt(files, opts, term), term);
    });
  program
    .command('compile')
    .description('compile a model to ONNX graphs: train_step.onnx, evaluate.onnx, sample.onnx, manifest.json')
    .argument('<file>', 'model file (.seq)')
    .option('-o, --out <dir>', 'output directory')
    .option('--set <name=value>', 'override a hyperparameter (repeatable)', collect, [])
    .addOption(new Option('--dtype <type>', 'element type of the graphs').choices(['float32', 'float64']).default('float32'))
    .addOption(new Option('--optimizer <kind>', 'in-graph optimizer').choices(['adam', 'sgd']).default('adam'))
    .addOption(new Option('--print <form>', 'print the step program, or the ir or an op-per-line onnx dump of one graph').choices(['program', 'ir', 'onnx']))
    .addOption(new Option('--graph <name>', 'which graph --print shows').choices(['train_step', 'evaluate', 'evaluate_fivo', 'sample']).default('train_step'))
    .option('--multi-step', 'also write train_steps.onnx: K optimizer steps per call inside a Scan over K (batch inputs stacked [K, T, B, ...])')
    .action(async (file: string, opts: Record<string, string | string[]>) => {
      code = await command(() => import('./compile.js'), (c) => c.runCompile(file, opts as never, term), term);
    });
  program
    .command('train')
    .description('train a model (on the built-in speech dataset unless --data is given)')
    .argument('[file]', 'model file (.seq); with --resume, default: the run\'s own model.seq')
    .option('--data <path>', 'dataset: a directory with train/valid/test files, or one file with the splits')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2')
    .option('--steps <n>', 'optimizer steps (default 800)')
    .option('--epochs <n>', 'passes over the training split (instead of --steps)')
    .option('--time-limit <s>', 'stop after this many seconds (checkpointed)')
    .option('--batch <n>', 'sequences per batch (default 16)')
    .option('--max-len <n>', 'cut training sequences into windows of at most n steps')
    .addOption(new Option('--crop <where>', 'where the --max-len windows begin: start (each sequence\'s start, the same windows every epoch) or random (a new random offset per sequence each epoch) (default start)').choices(['start', 'random']))
    .option('--lr <x>', 'learning rate (default 1e-3)')
    .addOption(new Option('--lr-schedule <kind>', 'learning-rate schedule: cosine (to 5% of --lr at the last step), constant or exp (default cosine)').choices(['constant', 'cosine', 'exp']))
    .option('--warmup <n>', 'linear learning-rate warm-up steps (default 0)')
    .option('--clip <x>', 'global gradient-norm clipping threshold, 0 = off (default 10)')
    .option('--weight-decay <x>', 'decoupled weight decay (default 0)')
    .option('--bound <b>', 'training bound: elbo, iwae (importance-weighted, Burda et al. 2016) or fivo (particle filter, Maddison et al. 2017) (default elbo)')
    .option('--particles <k>', 'particles per sequence of the iwae or fivo bound (default 8)')
    .option('--iwae <k>', 'synonym of --bound iwae --particles k')
    .option('--kl-anneal <n>', 'raise the KL weight linearly to 1 over n steps (default 0: always 1)')
    .option('--kl-start <x>', 'initial KL weight when annealing (default 0)')
    .option('--valid-every <n>', 'validate and checkpoint every n steps (default 50)')
    .option('--patience <n>', 'stop after n validations without improvement, 0 = never (default 5)')
    .option('--out <dir>', 'run directory (default runs/<model>, runs/<model>-2, ...)')
    .option('--seed <n>', 'seed for initialization, shuffling and noise (default 1)')
    .addOption(new Option('--device <d>', 'where to run (default cpu)').choices(['cpu', 'cuda']))
    .option('--threads <n>', 'intra-op threads (default: the machine\'s cores)')
    .option('--set <name=value>', 'override a hyperparameter (repeatable)', collect, [])
    .option('--resume <run>', 'continue a run from its last checkpoint')
    .option('--json', 'print the summary as one JSON object on stdout (messages go to stderr)')
    .action(async (file: string | undefined, opts: Record<string, string | string[]>) => {
      code = await command(() => import('./train.js'), (c) => c.runTrain(file, opts as never, term), term);
    });
  const useCommand = (name: string, description: string) => program
    .command(name)
    .description(description)
    .argument('[file]', 'model file (.seq); default: the run\'s own model.seq')
    .option('--checkpoint <run>', 'a run directory or a .ckpt file')
    .addOption(new Option('--which <ckpt>', 'best (default; last.ckpt if the run has not validated yet) or last').choices(['best', 'last']))
    .option('--set <name=value>', 'hyperparameter overrides (default: the run\'s own)', collect, [])
    .addOption(new Option('--device <d>', 'where to run (default cpu)').choices(['cpu', 'cuda']))
    .option('--threads <n>', 'intra-op threads (default: the machine\'s cores)');
  useCommand('eval', 'report the ELBO and the importance-sampled log-likelihood of a data split')
    .option('--data <path>', 'dataset (default: the run\'s training data)')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2 (default: the run\'s)')
    .addOption(new Option('--split <name>', 'which split to evaluate (default test)').choices(['train', 'valid', 'test']))
    .option('--bound <b>', 'iwae (default: the ELBO and the importance-sampled estimate) or fivo (also the particle-filter bound)')
    .option('--particles <k>', 'importance samples or particles per sequence (default 1)')
    .option('--iwae <k>', 'synonym of --particles k')
    .option('--batch <n>', 'sequences per evaluation batch')
    .option('--seed <n>', 'noise seed (default 1)')
    .option('--json', 'print one JSON object')
    .option('--per-sequence', 'with --json: also each sequence\'s id, length, ELBO and IWAE estimate')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await command(() => import('./use.js'), (c) => c.runEval(file, opts, term), term); });
  useCommand('sample', 'sample sequences from a trained model, or continue given prefixes')
    .option('--num <n>', 'number of sequences (default 4)')
    .option('--steps <t>', 'steps per sequence (default 40)')
    .option('--prefix <data>', 'a data file whose sequences are continued (one sample each; over the prefix the latents are inferred by the guide)')
    .option('--particles <k>', 'with --prefix: infer the latents over the prefix with a particle filter of k particles (guide proposals, resampling) instead of the guide alone')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2 (default: the run\'s)')
    .option('--seed <n>', 'noise seed (default 1)')
    .option('-o, --out <dir>', 'output directory')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await command(() => import('./use.js'), (c) => c.runSample(file, opts, term), term); });
  program
    .command('compare')
    .description('train two or more models on the same data, seed, batches and budget; print a table and draw their validation curves in one SVG')
    .argument('<files...>', 'model files (.seq)')
    .option('--data <path>', 'dataset (default: the built-in speech data)')
    .option('--columns <map>', 'map the columns of plain frames to the models\' variables, e.g. dxy=0:2,pen=2')
    .option('--time-limit <s>', 'seconds of training per model')
    .option('--steps <n>', 'optimizer steps per model (instead of, or with, --time-limit)')
    .option('--epochs <n>', 'passes over the training split per model')
    .option('--batch <n>', 'sequences per batch (default 16)')
    .option('--max-len <n>', 'cut training sequences into windows of at most n steps')
    .option('--lr <x>', 'learning rate (default 1e-3)')
    .option('--lr-schedule <kind>', 'constant, cosine or exp (default cosine)')
    .option('--valid-every <n>', 'validate every n steps (default 50)')
    .option('--bound <b>', 'training bound of every model: elbo, iwae or fivo (default elbo)')
    .option('--particles <k>', 'particles of the iwae or fivo bound (default 8)')
    .option('--eval-k <k>', 'importance samples of the test estimate (default 100)')
    .option('--seed <n>', 'seed shared by every model (default 1)')
    .option('--set <name=value>', 'override a hyperparameter in every model that declares it (repeatable)', collect, [])
    .option('--threads <n>', 'intra-op threads (default 1)')
    .option('--out <dir>', 'output directory (default runs/compare)')
    .action(async (files: string[], opts: Record<string, string>) => { code = await command(() => import('./compare.js'), (c) => c.runCompare(files, { ...opts, iwaeEval: opts['evalK'] } as never, term), term); });
  useCommand('infer', 'write the posterior over the latents of every sequence of a split (NPY and SVG)')
    .option('--data <path>', 'dataset (default: the run\'s training data)')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2 (default: the run\'s)')
    .addOption(new Option('--split <name>', 'which split (default test)').choices(['train', 'valid', 'test']))
    .option('--batch <n>', 'sequences per batch (default 32)')
    .option('--seed <n>', 'noise seed for the guide samples (default 1)')
    .option('-o, --out <dir>', 'output directory')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await command(() => import('./infer.js'), (c) => c.runInfer(file, opts, term), term); });
  useCommand('export', 'write standalone sample.onnx and evaluate.onnx with the trained weights baked in')
    .option('-o, --out <dir>', 'output directory')
    .addOption(new Option('--normalization <mode>', 'baked: real variables in data units, normalized inside the graphs; none: normalized units (docs/export.md)').choices(['baked', 'none']).default('baked'))
    .addOption(new Option('--layout <order>', 'axes of per-step inputs and outputs: [T, B, D] or [B, T, D]').choices(['time-major', 'batch-major']).default('time-major'))
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await command(() => import('./use.js'), (c) => c.runExport(file, opts, term), term); });
  program
    .command('lsp')
    .description('run the language server over stdin/stdout (for editors: see docs/editors.md)')
    .option('--stdio', 'talk over stdin/stdout (the default; accepted for editor clients that pass it)')
    .option('--set <name=value>', 'hyperparameter overrides shown in hovers (repeatable)', collect, [])
    .action(async (opts: { set: string[] }) => { code = await command(() => import('./lsp.js'), (c) => c.runLsp(opts, seqpplVersion()), term); });
  program
    .command('report')
    .description('rebuild RUN/report.html from a run directory; --serve shows it on localhost with live reload')
    .argument('<run>', 'run directory')
    .option('--serve', 'serve the report on http://127.0.0.1:PORT/ and reload it whenever training rewrites it')
    .option('--port <n>', 'port for --serve (default 8765)')
    .action(async (run: string, opts: { serve?: boolean; port?: string }) => { code = await command(() => import('./report.js'), (c) => c.runReport(run, opts, term), term); });
  try {
    checkOptionValues(program, argv);
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? Exit.ok : Exit.usage;
    }
    return reportFailure(e, term);
  }
}

/**
 * Refuses an option whose value is missing because the next word is another option
 * (`--steps --lr 1`): commander would take `--lr` as the value and then report the stray `1`
 * as "too many arguments".
 */
function checkOptionValues(program: Command, argv: readonly string[]): void {
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (!cmd) return;
  const byFlag = new Map<string, { flags: string; required: boolean }>();
  for (const o of cmd.options) for (const f of [o.long, o.short]) if (f) byFlag.set(f, o);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return;
    const [flag, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const o = byFlag.get(flag);
    if (!o?.required) continue;
    if (inline !== undefined) {
      if (inline === '') throw new UsageError(`option '${o.flags}' is missing its value (nothing after '=')`);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`option '${o.flags}' is missing its value`);
    if (/^--?[A-Za-z]/.test(next) && byFlag.has(next.split('=')[0]!)) throw new UsageError(`option '${o.flags}' is missing its value (the next word, ${next}, is an option)`);
    i++;
  }
}

/**
 * Runs a command from its module, imported only now; its failures are reported by the io module
 * loaded alongside it, so they are classified with the very classes the command threw (a harness
 * that loads this file as CommonJS gets separate copies of modules imported dynamically).
 */
async function command<M>(load: () => Promise<M>, run: (m: M) => number | Promise<number>, term: Terminal): Promise<number> {
  const m = await load();
  try {
    return await run(m);
  } catch (e) {
    return (await import('./io.js')).reportFailure(e, term);
  }
}
