/**
 * @file A/B timing of one model's training step under two or more variants (`timeVariants`: the
 * workers alternate, so drift of a noisy host falls on all of them alike). A variant is a pass
 * choice (see configs.ts), optionally prefixed by another checkout of seqppl to run it from:
 *
 *   npx tsx bench/ab.ts examples/storn.seq all-elementwise all [--threads 1] [--rounds 12] [--steps 3]
 *   npx tsx bench/ab.ts examples/vrnn.seq /path/to/other/checkout:all all
 *
 * Prints, per variant, the median ms/step with its quartiles, and the first variant's median
 * over each one's.
 */
import { Command } from 'commander';
import type { PassChoice } from './configs.js';
import { timeVariants, type Variant } from './variants.js';

const program = new Command()
  .argument('<file>', 'model file')
  .argument('<variants...>', 'pass choices, each optionally prefixed by a checkout directory and a colon')
  .option('--threads <n>', 'intra-op threads', '1')
  .option('--rounds <n>', 'alternating rounds', '12')
  .option('--steps <n>', 'training steps per round and variant', '3')
  .option('--set <k=v...>', 'hyperparameter overrides', [])
  .parse();
const [file, specs] = program.processedArgs as [string, string[]];
const o = program.opts<{ threads: string; rounds: string; steps: string; set: string[] }>();

const variants = specs.map((spec): Variant => {
  const at = spec.lastIndexOf(':');
  const passes = (at > 0 ? spec.slice(at + 1) : spec) as PassChoice;
  return { label: spec, passes, threads: Number(o.threads), ...(at > 0 ? { checkout: spec.slice(0, at) } : {}) };
});
const rows = await timeVariants({ file, sets: o.set, B: 32, T: 40 }, variants, { warmup: 3, rounds: Number(o.rounds), perRound: Number(o.steps) });
console.log('| variant | ms/step (median) | quartiles | first ÷ this |\n|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.ms_per_step.toFixed(1)} | ${r.ms_q1.toFixed(1)}–${r.ms_q3.toFixed(1)} | ${(rows[0]!.ms_per_step / r.ms_per_step).toFixed(2)}× |`);
}
