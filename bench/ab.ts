/**
 * @file A/B timing of one model's training step under two or more variants, the workers
 * alternating so that drift of a noisy host falls on all of them alike. A variant is a pass
 * choice (see configs.ts) and optionally another checkout of seqppl to run it from:
 *
 *   npx tsx bench/ab.ts examples/storn.seq all-elementwise all [--threads 1] [--rounds 12] [--steps 3]
 *   npx tsx bench/ab.ts examples/vrnn.seq /path/to/other/checkout:all all
 *
 * Prints, per variant, the median ms/step with its quartiles, and the ratio of each variant's
 * median to the first one's.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { root } from './workers.js';

const program = new Command()
  .argument('<file>', 'model file')
  .argument('<variants...>', 'pass choices, each optionally prefixed by a checkout directory and a colon')
  .option('--threads <n>', 'intra-op threads', '1')
  .option('--rounds <n>', 'alternating rounds', '12')
  .option('--steps <n>', 'training steps per round and variant', '3')
  .option('--set <k=v...>', 'hyperparameter overrides', [])
  .parse();
const [file, variants] = program.processedArgs as [string, string[]];
const o = program.opts<{ threads: string; rounds: string; steps: string; set: string[] }>();

interface Worker { readonly label: string; ask(cmd: string | null): Promise<Record<string, unknown>> }

function worker(spec: string): Worker {
  const at = spec.lastIndexOf(':');
  const [dir, passes] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [root, spec];
  const cfg = { file, sets: o.set, B: 32, T: 40, threads: Number(o.threads), passes };
  const p = spawn('npx', ['tsx', 'bench/ours.ts', JSON.stringify(cfg)], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((r: Record<string, unknown>) => void)[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => { if (l.startsWith('{')) waiting.shift()?.(JSON.parse(l) as Record<string, unknown>); });
  return {
    label: spec,
    ask: (cmd) => new Promise((resolve) => { waiting.push(resolve); if (cmd !== null) p.stdin.write(`${cmd}\n`); }),
  };
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round(q * (s.length - 1))]!;
};

const ws = variants.map(worker);
for (const w of ws) await w.ask(null); // ready
for (const w of ws) await w.ask('train 3'); // warm-up
const times: number[][] = ws.map(() => []);
for (let r = 0; r < Number(o.rounds); r++) {
  for (const [i, w] of ws.entries()) times[i]!.push(...((await w.ask(`train ${o.steps}`)).train as number[]));
}
for (const w of ws) await w.ask('quit');
const base = quantile(times[0]!, 0.5);
console.log(`| variant | ms/step (median) | quartiles | first ÷ this |\n|---|---:|---:|---:|`);
for (const [i, w] of ws.entries()) {
  const t = times[i]!;
  console.log(`| ${w.label} | ${quantile(t, 0.5).toFixed(1)} | ${quantile(t, 0.25).toFixed(1)}–${quantile(t, 0.75).toFixed(1)} | ${(base / quantile(t, 0.5)).toFixed(2)}× |`);
}
