/**
 * @file What every dataset builder shares: Debian packages installed on demand, child processes
 * that fail loudly, a fresh output directory, and SHA256SUMS so two builds can be compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A Debian package a builder needs, and a file whose presence shows it is installed. */
export interface AptNeed {
  readonly pkg: string;
  readonly file: string;
}

/** Raised when a builder cannot run here; the message says why and what to do. */
export class BuildError extends Error {}

/** The packages of `needs` that are not installed here. */
export function missingPackages(needs: readonly AptNeed[]): string[] {
  return needs.filter((n) => !existsSync(n.file)).map((n) => n.pkg);
}

/** Installs the missing packages of `needs` with apt-get (after apt-get update); a BuildError if that fails. */
export function ensureApt(needs: readonly AptNeed[], log: (line: string) => void): void {
  const missing = missingPackages(needs);
  if (missing.length === 0) return;
  log(`installing with apt-get: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new BuildError(`apt-get ${args[0]} failed (${r.error?.message ?? r.stderr.trim().split('\n').pop()}); install ${missing.join(' ')} by hand (as root: apt-get update && apt-get install ${missing.join(' ')})`);
    }
  }
  const still = missingPackages(needs);
  if (still.length) throw new BuildError(`apt-get installed ${missing.join(' ')}, but ${still.join(', ')} still lack their files`);
}

/** Runs a program, returning its stdout; a BuildError with its stderr if it fails. */
export function run(cmd: string, args: readonly string[], input?: string): Buffer {
  try {
    return execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new BuildError(`${cmd} ${args.join(' ')} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** Empties (or creates) `dir`. */
export function freshDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

/** Writes `dir/name`, creating subdirectories. */
export function put(dir: string, name: string, data: string | Uint8Array): void {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
}

/** sha256 in hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every file under `dir` (relative paths, sorted). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Writes `dir/SHA256SUMS` (format of sha256sum) over every other file; returns its text. */
export function writeSums(dir: string): string {
  const text = filesUnder(dir).filter((f) => f !== 'SHA256SUMS').map((f) => `${sha256(readFileSync(join(dir, f)))}  ${f}`).join('\n') + '\n';
  writeFileSync(join(dir, 'SHA256SUMS'), text);
  return text;
}

/** Assigns item i of a list to a split: the 9th of every 10 to valid, the 10th to test. */
export function splitOf(i: number): 'train' | 'valid' | 'test' {
  return i % 10 === 8 ? 'valid' : i % 10 === 9 ? 'test' : 'train';
}
