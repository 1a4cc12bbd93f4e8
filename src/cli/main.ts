/** @file The `seqc` command line: one subcommand per file in src/cli; this file only wires them up. */
import { Command, CommanderError } from 'commander';
import { runCheck } from './check.js';
import { runCompile } from './compile.js';
import { runFmt } from './fmt.js';
import { Exit, processTerminal, reportFailure, type Terminal } from './io.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Runs seqc with argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], term: Terminal = processTerminal): Promise<number> {
  let code: number = Exit.ok;
  const program = new Command('seqc')
    .description('compile and run sequential latent-variable models written in the seq language')
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
    .option('--print <form>', 'print the ir or an op-per-line onnx dump of one graph')
    .option('--graph <name>', 'which graph --print shows: train_step, evaluate or sample', 'train_step')
    .option('--multi-step', 'also write train_steps.onnx: K optimizer steps per call inside an ONNX Loop (batch inputs stacked [K, T, B, ...])')
    .action((file: string, opts: Record<string, string | string[]>) => {
      code = runCompile(file, opts as never, term);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? Exit.ok : Exit.usage;
    }
    return reportFailure(e, term);
  }
}
