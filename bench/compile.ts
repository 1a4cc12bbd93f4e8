/**
 * @file Compile-time benchmark: `seqc compile` on every example at its default sizes.
 *
 *   npm run build && npx tsx bench/compile.ts
 *
 * Per example: the in-process `compile()` time (median of 5 after 1 warm-up, source already
 * read), the time to serialize the three ONNX models (median of 5), and the wall time of the
 * whole CLI process `node bin/seqc.js compile examples/X.seq -o <tmp>` (median of 3: Node
 * start-up, module loading, compile, encode, write), with the compile+write time the CLI
 * itself prints (a cold, first-in-process compile: no JIT warm-up). The CLI runs `dist/`, so build first; the
 * script warns when a source file is newer than `dist/`. Prints a markdown table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphProto } from '../src/compiler/onnx/proto.js';
import { compile, onnxBytes } from '../src/compiler/pipeline.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const IN_PROCESS_RUNS = 5;
const CLI_RUNS = 3;
const TARGET = { model: 'vrnn', ms: 1000 };

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nodes of a graph including those of its subgraphs (Scan / Loop bodies). */
function countNodes(g: GraphProto): number {
  return g.node.reduce((n, node) => n + 1 + node.attribute.reduce((k, a) => k + (a.g ? countNodes(a.g) : 0) + (a.graphs ?? []).reduce((j, s) => j + countNodes(s), 0), 0), 0);
}

/** Newest modification time (ms) of the files under `dir` with one of the extensions. */
function newest(dir: string, ext: readonly string[]): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (ext.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Wall time of one CLI process and the compile+write time it prints ("... in N ms"). */
function cliOnce(file: string, out: string): { wall: number; inner: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'seqc.js'), 'compile', file, '-o', out], { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`seqc compile ${file} failed (exit ${r.status}): ${r.stderr}`);
  if (!existsSync(join(out, 'manifest.json'))) throw new Error(`seqc compile ${file} wrote no manifest`);
  const inner = /in (\d+) ms/.exec(r.stdout);
  return { wall: ms, inner: inner ? Number(inner[1]) : NaN };
}

function main(): void {
  const distMain = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(distMain)) throw new Error('dist/ is missing: run `npm run build` first (the CLI runs the compiled JavaScript)');
  if (newest(join(root, 'src'), ['.ts']) > newest(join(root, 'dist'), ['.js'])) {
    console.error('warning: src/ has changes newer than dist/: run `npm run build` so the CLI column measures the current code');
  }
  const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.seq')).sort();
  const tmp = mkdtempSync(join(tmpdir(), 'seqc-bench-'));
  const rows: string[] = [];
  const cliMs = new Map<string, number>();
  try {
    const nodeOnly = median(Array.from({ length: CLI_RUNS }, () => time(() => spawnSync(process.execPath, ['-e', ''])))); // bare start-up
    const helpOnly = median(Array.from({ length: CLI_RUNS }, () => time(() => spawnSync(process.execPath, [join(root, 'bin', 'seqc.js'), '--help'], { cwd: root }))));
    for (const f of files) {
      const name = f.replace(/\.seq$/, '');
      const path = `examples/${f}`;
      const text = readFileSync(join(root, path), 'utf8');
      const run = () => {
        const r = compile(path, text);
        if (!r.compiled) throw new Error(`${path} did not compile`);
        return r.compiled;
      };
      const c = run(); // warm-up
      const inProc = median(Array.from({ length: IN_PROCESS_RUNS }, () => time(run)));
      const encode = median(Array.from({ length: IN_PROCESS_RUNS }, () => time(() => [c.train, c.evaluate, c.sample].forEach(onnxBytes))));
      const runs = Array.from({ length: CLI_RUNS }, (_, k) => cliOnce(path, join(tmp, `${name}-${k}`)));
      const cli = median(runs.map((r) => r.wall));
      const cliInner = median(runs.map((r) => r.inner));
      cliMs.set(name, cli);
      const nParams = c.model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
      const nodes = [c.train, c.evaluate, c.sample].map((a) => countNodes(a.onnx.graph));
      rows.push(`| ${name} | ${nParams.toLocaleString('en-US')} | ${nodes.join(' / ')} | ${inProc.toFixed(0)} | ${encode.toFixed(0)} | ${cliInner.toFixed(0)} | ${cli.toFixed(0)} |`);
      process.stderr.write(`${name}: in-process ${inProc.toFixed(0)} ms, CLI ${cli.toFixed(0)} ms\n`);
    }
    console.log('| model | parameters | ONNX nodes train_step / evaluate / sample | in-process compile() ms | encode ms | CLI compile+write ms (cold) | CLI wall ms |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(r);
    console.log();
    console.log(`Median of ${IN_PROCESS_RUNS} in-process runs after 1 warm-up; median of ${CLI_RUNS} CLI processes. ` +
      `Node counts include Scan bodies. Bare \`node -e ''\` start-up: ${nodeOnly.toFixed(0)} ms; ` +
      `\`seqc --help\` (start-up + imports): ${helpOnly.toFixed(0)} ms.`);
    const t = cliMs.get(TARGET.model);
    if (t !== undefined) {
      console.log(`Target: seqc compile examples/${TARGET.model}.seq under ${TARGET.ms / 1000} s — ${t < TARGET.ms ? 'met' : 'NOT met'} (${t.toFixed(0)} ms).`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
