/**
 * @file The fault-injection suite's harness: a tiny model and dataset, seqc run in-process or as
 * a real process, the assertions every fault case makes (exit code, a located message, no stack
 * trace), and snapshots that prove no file outside a run was touched.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { repoRoot } from '../helpers/examples.js';

/** The model every case trains: the VRNN example at tiny sizes. */
export const MODEL = join(repoRoot, 'examples/vrnn.seq');
/** `--set` options that make it tiny. */
export const SMALL = ['--set', 'x_dim=3', '--set', 'z_dim=2', '--set', 'h_dim=8', '--set', 'f_dim=8'];

/** A fresh scratch directory. */
export function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `seqc-fault-${name}-`));
}

/** Writes a JSON dataset (train 12, valid 4, test 4 sequences of 3-dim frames) into `dir`. */
export function tinyData(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const seq = (k: number) => Array.from({ length: 5 + (k % 3) }, (_, t) => [Math.sin(t + k), Math.cos(t * k), 0.1 * t]);
  for (const [split, n] of [['train', 12], ['valid', 4], ['test', 4]] as const) {
    writeFileSync(join(dir, `${split}.json`), JSON.stringify({ sequences: Array.from({ length: n }, (_, k) => seq(k)) }));
  }
  return dir;
}

/** What a seqc command did. */
export interface Outcome { code: number | null; out: string; err: string; signal?: NodeJS.Signals | null }

/** Runs seqc in this process (fast: no start-up), capturing its output; progress is discarded. */
export async function seqc(...args: string[]): Promise<Outcome> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => { out += t.endsWith('\n') ? t : t + '\n'; },
    err: (t) => { err += t.endsWith('\n') ? t : t + '\n'; },
    progress: { write: () => true },
  });
  return { code, out, err };
}

const entry = join(repoRoot, 'test/helpers/run-seqc.ts');
const tsx = join(repoRoot, 'node_modules/tsx/dist/esm/index.mjs');

/** Runs seqc as a real process (real exit codes, signals, stack traces if any), optionally as another user. */
export function seqcProcess(args: readonly string[], opts: { uid?: number; gid?: number; cwd?: string } = {}): Outcome {
  const r = spawnSync(process.execPath, ['--import', tsx, entry, ...args], { cwd: opts.cwd ?? repoRoot, encoding: 'utf8', uid: opts.uid, gid: opts.gid });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

/** Starts seqc as a background process; `output()` is what it printed so far. */
export function startSeqc(args: readonly string[]): { child: ChildProcess; output: () => string; done: Promise<Outcome> } {
  const child = spawn(process.execPath, ['--import', tsx, entry, ...args], { cwd: repoRoot });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<Outcome>((res) => child.on('close', (code, signal) => res({ code, out, err, signal })));
  return { child, output: () => out + err, done };
}

/** Waits until `cond` holds (polling), or fails after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The assertions of every fault case: the exit code, each pattern in stderr, no stack trace, no "internal error". */
export function expectFault(r: Outcome, code: number, ...patterns: (RegExp | string)[]): void {
  const shown = `exit ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`;
  expect(r.code, shown).to.equal(code);
  for (const p of patterns) {
    if (typeof p === 'string') expect(r.err, shown).to.contain(p);
    else expect(r.err, shown).to.match(p);
  }
  expect(r.err, `a stack trace:\n${r.err}`).to.not.match(/\n\s+at .+[:(]/);
  expect(r.err).to.not.contain('internal error');
}

/** A fingerprint of every entry under `dir` (type, mode, size, mtime, content or link target). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n), r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${st.mode}`;
        walk(p, r);
      } else out[r] = `file ${st.mode} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

/** Mounts a tmpfs of `size` at `dir`; returns null, or why it cannot (not root, no permission). */
export function mountTmpfs(dir: string, size: string, extra = ''): string | null {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${extra ? ',' + extra : ''}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? null : `mount -t tmpfs is not permitted here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()})`;
}

/** Unmounts `dir` (best effort, lazily if busy). */
export function unmount(dir: string): void {
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

/** Remounts a tmpfs with `opts` (e.g. `ro`). */
export function remount(dir: string, opts: string): void {
  const r = spawnSync('mount', ['-o', `remount,${opts}`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -o remount,${opts} ${dir}: ${r.stderr}`);
}

/** Skips the running test with its reason printed (never silently). */
export function skipBecause(ctx: Mocha.Context, reason: string): never {
  console.log(`      (skipped: ${reason})`);
  ctx.skip();
}

/** The bytes of a run's checkpoints and its metrics records without the timing field: what bit-exact resume compares. */
export function runState(dir: string): { last: string; best: string; metrics: unknown[] } {
  const hash = (f: string) => createHash('sha256').update(readFileSync(join(dir, 'checkpoints', f))).digest('hex');
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const { seconds: _s, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
  return { last: hash('last.ckpt'), best: hash('best.ckpt'), metrics };
}
