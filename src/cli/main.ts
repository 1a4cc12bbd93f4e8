/** @file The `seqc` command line: one subcommand per file in src/cli; this file only wires them up. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { runCheck } from './check.js';
import { runCompile } from './compile.js';
import { runTrain } from './train.js';
import { runEval, runExport, runSample } from './use.js';
import { runFmt } from './fmt.js';
import { runInfer } from './infer.js';
import { runCompare } from './compare.js';
import { Exit, processTerminal, reportFailure, UsageError, type Terminal } from './io.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Runs seqc with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], term: Terminal = processTerminal): Promise<number> {
  let code: number = Exit.ok;
  const program = new Command('seqc')
    .description('compile and run sequential latent-variable models written in the seq language')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => term.out(s), writeErr: (s) => term.err(s) })
    .showHelpAfterError('(run `seqc --help` for usage)');
  program
    .command('check')
    .description('parse and check model files; report every error with its location')
    .argument('<files...>', 'model files (.seq)')
    .option('--set <name=value>', 'override a hyperparameter (repeatable)', collect, [])
    .option('-q, --quiet', 'print nothing for files without errors')
    .action((files: string[], opts: { set: string[]; quiet?: boolean }) => {
      code = runCheck(files, opts, term);
    });
  program
    .command('fmt')
    .description('rewrite model files in canonical form, keeping comments')
    .argument('<files...>', 'model files (.seq)')
    .option('--check', 'do not write; exit 1 if a file is not formatted')
    .option('--stdout', 'print the formatted text instead of writing the file')
    .action((files: string[], opts: { check?: boolean; stdout?: boolean }) => {
      code = runFmt(files, opts, term);
    });
  program
    .command('compile')
    .description('compile a model to ONNX graphs: train_step.onnx, evaluate.onnx, sample.onnx, manifest.json')
    .argument('<file>', 'model file (.seq)')
    .option('-o, --out <dir>', 'output directory')
    .option('--set <name=value>', 'override a hyperparameter (repeatable)', collect, [])
    .option('--dtype <type>', 'float32 or float64', 'float32')
    .option('--optimizer <kind>', 'adam or sgd', 'adam')
    .option('--print <form>', 'print the step program, or the ir or an op-per-line onnx dump of one graph (program, ir or onnx)')
    .option('--graph <name>', 'which graph --print shows: train_step, evaluate, evaluate_fivo or sample', 'train_step')
    .option('--multi-step', 'also write train_steps.onnx: K optimizer steps per call inside a Scan over K (batch inputs stacked [K, T, B, ...])')
    .action((file: string, opts: Record<string, string | string[]>) => {
      code = runCompile(file, opts as never, term);
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
    .option('--lr <x>', 'learning rate (default 1e-3)')
    .option('--lr-schedule <kind>', 'constant, cosine (to 5% of --lr at the last step) or exp (default cosine)')
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
    .option('--device <d>', 'cpu or cuda (default cpu)')
    .option('--threads <n>', 'intra-op threads (default: the machine\'s cores)')
    .option('--set <name=value>', 'override a hyperparameter (repeatable)', collect, [])
    .option('--resume <run>', 'continue a run from its last checkpoint')
    .option('--json', 'print the summary as one JSON object on stdout (messages go to stderr)')
    .action(async (file: string | undefined, opts: Record<string, string | string[]>) => {
      code = await runTrain(file, opts as never, term);
    });
  const useCommand = (name: string, description: string) => program
    .command(name)
    .description(description)
    .argument('[file]', 'model file (.seq); default: the run\'s own model.seq')
    .option('--checkpoint <run>', 'a run directory or a .ckpt file')
    .option('--which <ckpt>', 'best (default; last.ckpt if the run has not validated yet) or last')
    .option('--set <name=value>', 'hyperparameter overrides (default: the run\'s own)', collect, [])
    .option('--device <d>', 'cpu or cuda (default cpu)')
    .option('--threads <n>', 'intra-op threads (default: the machine\'s cores)');
  useCommand('eval', 'report the ELBO and the importance-sampled log-likelihood of a data split')
    .option('--data <path>', 'dataset (default: the run\'s training data)')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2 (default: the run\'s)')
    .option('--split <name>', 'train, valid or test (default test)')
    .option('--bound <b>', 'iwae (default: the ELBO and the importance-sampled estimate) or fivo (also the particle-filter bound)')
    .option('--particles <k>', 'importance samples or particles per sequence (default 1)')
    .option('--iwae <k>', 'synonym of --particles k')
    .option('--batch <n>', 'sequences per evaluation batch')
    .option('--seed <n>', 'noise seed (default 1)')
    .option('--json', 'print one JSON object')
    .option('--per-sequence', 'with --json: also each sequence\'s id, length, ELBO and IWAE estimate')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await runEval(file, opts, term); });
  useCommand('sample', 'sample sequences from a trained model, or continue given prefixes')
    .option('--num <n>', 'number of sequences (default 4)')
    .option('--steps <t>', 'steps per sequence (default 40)')
    .option('--prefix <data>', 'a data file whose sequences are continued (one sample each; over the prefix the latents are inferred by the guide)')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2 (default: the run\'s)')
    .option('--seed <n>', 'noise seed (default 1)')
    .option('-o, --out <dir>', 'output directory')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await runSample(file, opts, term); });
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
    .action(async (files: string[], opts: Record<string, string>) => { code = await runCompare(files, { ...opts, iwaeEval: opts['evalK'] } as never, term); });
  useCommand('infer', 'write the posterior over the latents of every sequence of a split (NPY and SVG)')
    .option('--data <path>', 'dataset (default: the run\'s training data)')
    .option('--columns <map>', 'map the columns of plain frames to the model\'s variables: NAME=A:B (columns A..B-1) or NAME=A, e.g. dxy=0:2,pen=2 (default: the run\'s)')
    .option('--split <name>', 'train, valid or test (default test)')
    .option('--batch <n>', 'sequences per batch (default 32)')
    .option('--seed <n>', 'noise seed for the guide samples (default 1)')
    .option('-o, --out <dir>', 'output directory')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await runInfer(file, opts, term); });
  useCommand('export', 'write standalone sample.onnx and evaluate.onnx with the trained weights baked in')
    .option('-o, --out <dir>', 'output directory')
    .action(async (file: string | undefined, opts: Record<string, string>) => { code = await runExport(file, opts, term); });
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

/** The version in package.json (read once, from either src/ or dist/). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
