/**
 * @file CLI start-up benchmark: wall and CPU time of whole `seqc` processes.
 *
 *   npm run build && npx tsx bench/startup.ts [--runs 21] [--baseline DIR]
 *
 * Runs `node bin/seqc.js --version`, `check examples/vrnn.seq` and `compile examples/vrnn.seq -o
 * <tmp>` round-robin (one of each per round, after one warm-up round), so a loaded machine slows
 * every command alike, and prints the median wall time and median CPU time (user + system, read
 * from /proc for the child, falling back to wall) of each. With `--baseline DIR` the same commands
 * of another checkout (its own `bin/seqc.js` and `dist/`) are interleaved with ours and shown
 * beside them. Prints a markdown table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(opt('--runs') ?? 21);
const baseline = opt('--baseline');
const out = mkdtempSync(join(tmpdir(), 'seqc-startup-'));
const model = join(root, 'examples/vrnn.seq');
const commands: [string, string[]][] = [
  ['seqc --version', ['--version']],
  ['seqc check examples/vrnn.seq', ['check', model]],
  ['seqc compile examples/vrnn.seq -o DIR', ['compile', model, '-o', out]],
];
const checkouts = baseline ? [['before', baseline], ['after', root]] : [['now', root]];

/** One process: wall milliseconds, and CPU milliseconds of the child measured by bash's `times`. */
function once(dir: string, argv: string[]): { wall: number; cpu: number } {
  const cmd = `node ${JSON.stringify(join(dir, 'bin/seqc.js'))} ${argv.map((a) => JSON.stringify(a)).join(' ')} >/dev/null 2>&1; times`;
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
  const wall = performance.now() - t0;
  // `times` prints the shell's, then its children's user and system time: "0m0.120s 0m0.020s".
  const child = (r.stdout.trim().split('\n')[1] ?? '').match(/(\d+)m([\d.]+)s/g) ?? [];
  const cpu = child.reduce((s, m) => {
    const [, min, sec] = /(\d+)m([\d.]+)s/.exec(m)!;
    return s + (Number(min) * 60 + Number(sec)) * 1000;
  }, 0);
  return { wall, cpu: cpu || wall };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const samples = new Map<string, { wall: number[]; cpu: number[] }>();
for (let round = -1; round < runs; round++) {
  for (const [label, argv] of commands) {
    for (const [which, dir] of checkouts) {
      const m = once(dir!, argv);
      if (round < 0) continue;
      const key = `${label}|${which}`;
      const s = samples.get(key) ?? { wall: [], cpu: [] };
      s.wall.push(m.wall);
      s.cpu.push(m.cpu);
      samples.set(key, s);
    }
  }
}
rmSync(out, { recursive: true, force: true });

const cols = checkouts.map(([w]) => w!);
console.log(`| command | ${cols.map((c) => `${c}: wall ms | ${c}: CPU ms`).join(' | ')} |`);
console.log(`|---|${cols.map(() => '---:|---:').join('|')}|`);
for (const [label] of commands) {
  const cells = cols.map((c) => {
    const s = samples.get(`${label}|${c}`)!;
    return `${median(s.wall).toFixed(0)} | ${median(s.cpu).toFixed(0)}`;
  });
  console.log(`| \`${label}\` | ${cells.join(' | ')} |`);
}
console.log(`\nmedians of ${runs} interleaved runs each`);
