/**
 * @file Writing files so that a crash, a full disk or a planted link cannot hurt: atomic
 * replacement (temp file, fsync, rename), appends and creations that never follow a symbolic
 * link (O_NOFOLLOW), a lock that keeps two processes out of one run, and removal of the temp
 * files a killed process left behind.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RunError } from './errors.js';

/** The file-system calls an atomic write makes; tests substitute failing ones. */
export type AtomicIo = Pick<typeof fs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync'>;

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW;

/** Temp files of `writeFileAtomic` (`.NAME.PID.HEX.tmp`) and of seqppl 0.1 (`NAME.PID.tmp`, `.NAME.PID.HEX.tmp`). */
const TEMP = /^(\..+\.\d+\.[0-9a-f]{8}|.+\.\d+)\.tmp$/;

/**
 * Replaces `path` atomically with `data`: the bytes go to a new temp file in the same directory
 * (created exclusively, never through a link), which is fsynced and renamed over `path`; rename
 * replaces a link at `path` instead of following it. On failure the temp file is removed, the
 * old file is untouched, and the error names `path`, not the temp file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[], io: AtomicIo = fs): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let fd: number | undefined;
  try {
    fd = io.openSync(tmp, CREATE_NEW, 0o644);
    for (const c of chunks) writeAll(io, fd, c);
    io.fsyncSync(fd);
    io.closeSync(fd);
    fd = undefined;
    io.renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) try { io.closeSync(fd); } catch { /* already failing */ }
    try { io.unlinkSync(tmp); } catch { /* not created, or already gone */ }
    throw renamePath(e, tmp, path);
  }
  fsyncDirectory(dirname(path));
}

/** Appends `text` to `path` (created if absent), refusing to write through a symbolic link. */
export function appendNoFollow(path: string, text: string): void {
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW, 0o644);
  try {
    writeAll(fs, fd, Buffer.from(text, 'utf8'));
  } catch (e) {
    throw renamePath(e, path, path);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `dir` and missing parents. Node reports some failures of a recursive mkdir (a read-only
 * file system) as ENOENT; the first missing directory is then created alone to get the real error.
 */
export function makeDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = resolve(dir);
    while (!fs.existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
    fs.mkdirSync(missing);
    throw e;
  }
}

/** Creates `dir` (and missing parents); refuses a symbolic link or a non-directory in its place. */
export function makeRealDirectory(dir: string): void {
  makeDirectory(dir);
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink()) throw linkError(dir);
  if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: dir });
}

/** Throws a RunError if any of `names` inside `dir` is a symbolic link (seqc writes there). */
export function refuseLinks(dir: string, names: readonly string[]): void {
  for (const n of names) {
    const p = join(dir, n);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) throw linkError(p);
  }
}

/** Removes the temp files a killed process left in `dir`; returns their names. */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names.filter((x) => TEMP.test(x))) {
    try {
      if (!fs.lstatSync(join(dir, n)).isDirectory()) {
        fs.unlinkSync(join(dir, n));
        removed.push(n);
      }
    } catch { /* gone meanwhile */ }
  }
  return removed;
}

/** The name of a run's lock file. */
export const LOCK_FILE = '.lock';

/**
 * Takes `dir`'s lock (a file holding our pid, created exclusively) and returns the function that
 * releases it. A lock whose process is gone (killed with -9) is taken over; a live one is refused.
 */
export function lockDirectory(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(path, CREATE_NEW, 0o644);
      try { writeAll(fs, fd, Buffer.from(`${process.pid}\n`)); } finally { fs.closeSync(fd); }
      return () => { try { if (readPid(path) === process.pid) fs.unlinkSync(path); } catch { /* already gone */ } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      if (fs.lstatSync(path).isSymbolicLink()) throw linkError(path);
      const pid = readPid(path);
      if (pid !== null && pid !== process.pid && alive(pid)) {
        throw new RunError(`${dir} is in use by seqc process ${pid} (${path})`, `wait for that process to finish or stop it; if no seqc is running there, remove ${path}`);
      }
      fs.unlinkSync(path);
    }
  }
}

function readPid(path: string): number | null {
  const n = Number(fs.readFileSync(path, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAll(io: Pick<typeof fs, 'writeSync'>, fd: number, b: Uint8Array): void {
  for (let done = 0; done < b.length;) done += io.writeSync(fd, b, done, b.length - done);
}

function linkError(path: string): RunError {
  return new RunError(`${path} is a symbolic link; seqc never writes through a link inside a run directory`,
    'remove the link (or choose another run directory); the run\'s files must be its own');
}

/** An errno error about the temp file (or about a descriptor, as `write` errors are), re-aimed at the file the user knows. */
function renamePath(e: unknown, tmp: string, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && (err.path === tmp || err.path === undefined)) {
    err.path = path;
    err.message = err.message.replace(tmp, path);
  }
  return e;
}

/** Makes a rename durable; not every platform can fsync a directory, which is fine. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch { /* unsupported here */ } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
