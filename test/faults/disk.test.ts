/**
 * @file Faults of the machine: a disk that fills up (a small tmpfs), a read-only file system and
 * a directory without write permission. Each gives exit 5 with the file and the reason named and
 * no stack trace; a run's checkpoints survive, and once the fault is gone `--resume` finishes the
 * run bit for bit as if nothing had happened. Needs root for mount; skipped, with the reason, without it.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/examples.js';
import { loadCheckpoint } from '../../src/runtime/checkpoint.js';
import { expectFault, MODEL, mountTmpfs, remount, runState, scratch, seqc, seqcProcess, skipBecause, SMALL, tinyData, unmount } from './harness.js';

describe('faults: full, read-only and forbidden disks', function () {
  this.timeout(180_000);
  const root = scratch('disk');
  const data = tinyData(join(root, 'data'));
  const straight = join(root, 'straight');
  const mnt = join(root, 'mnt');
  let mounted = false;

  before(async () => {
    const r = await seqc('train', MODEL, '--data', data, '--steps', '40', '--valid-every', '10', '--lr-schedule', 'constant', '--out', straight, ...SMALL);
    expect(r.code, r.err).to.equal(0);
  });
  afterEach(() => {
    if (mounted) unmount(mnt);
    mounted = false;
  });

  /** Mounts a tmpfs of `size` at mnt, or skips the test saying why. */
  function tmpfs(ctx: Mocha.Context, size: string): void {
    const why = mountTmpfs(mnt, size);
    if (why) skipBecause(ctx, why);
    mounted = true;
  }

  it('a disk too small for the run\'s files: exit 5, ENOSPC named, and no half-made run directory', async function () {
    tmpfs(this, '48k');
    const run = join(mnt, 'run');
    expectFault(await seqc('train', MODEL, '--data', data, '--steps', '5', '--out', run, ...SMALL), 5,
      new RegExp(`cannot write ${run}/[a-z_.]+: no space left on the device \\(ENOSPC\\)`), 'hint: free some space');
    expect(readdirSync(mnt)).to.deep.equal([]);
  });

  for (const free of [6_000, 22_000]) {
    it(`a disk that fills during --resume (${free / 1000} kB left): exit 5, checkpoints intact; after freeing space the run finishes bit for bit`, async function () {
      tmpfs(this, '400k');
      const run = join(mnt, 'run');
      expect((await seqc('train', MODEL, '--data', data, '--steps', '20', '--valid-every', '10', '--lr-schedule', 'constant', '--out', run, ...SMALL)).code).to.equal(0);
      const filler = join(mnt, 'filler');
      fill(filler, mnt, free);
      const r = await seqc('train', '--resume', run, '--steps', '40');
      expectFault(r, 5, new RegExp(`cannot (write|open) ${run}/[a-z_./]+: no space left on the device \\(ENOSPC\\)`),
        `the run's checkpoint ${join(run, 'checkpoints', 'last.ckpt')} is intact: \`npx seqc train --resume ${run}\` continues it`);
      const last = loadCheckpoint(join(run, 'checkpoints', 'last.ckpt'));
      expect(last.step % 10).to.equal(0);
      expect(readdirSync(join(run, 'checkpoints')).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
      rmSync(filler);
      const again = await seqc('train', '--resume', run, '--steps', '40');
      expect(again.code, again.err).to.equal(0);
      expect(runState(run)).to.deep.equal(runState(straight));
    });
  }

  it('a read-only file system: --resume exits 5 naming EROFS; eval still works; sample -o there exits 5', async function () {
    tmpfs(this, '1m');
    const run = join(mnt, 'run');
    expect((await seqc('train', MODEL, '--data', data, '--steps', '20', '--valid-every', '10', '--lr-schedule', 'constant', '--out', run, ...SMALL)).code).to.equal(0);
    remount(mnt, 'ro');
    expectFault(await seqc('train', '--resume', run, '--steps', '50'), 5, `cannot open ${join(run, '.lock')}: the file system is read-only (EROFS)`, 'hint: write to a writable location');
    const e = await seqc('eval', '--checkpoint', run, '--json');
    expect(e.code, e.err).to.equal(0);
    expectFault(await seqc('sample', '--checkpoint', run, '-o', join(mnt, 'samples')), 5, `${join(mnt, 'samples')}: the file system is read-only (EROFS)`);
    remount(mnt, 'rw');
  });

  it('a directory the user may not write (EACCES, as an unprivileged user): exit 5 with the path and a hint', function () {
    if (process.getuid?.() !== 0) skipBecause(this, 'needs root to run seqc as the unprivileged user nobody');
    const locked = join(root, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o755); // owned by root: nobody may read but not write
    chmodSync(root, 0o755);
    chmodSync(data, 0o755);
    // A clone inside a private directory (mktemp -d is 0700) cannot be read by nobody at all.
    const probe = spawnSync(process.execPath, ['-e', 'require("node:fs").readFileSync(process.argv[1])', join(repoRoot, 'node_modules', 'tsx', 'package.json')], { uid: 65534, gid: 65534 });
    if (probe.status !== 0) skipBecause(this, `the repository (${repoRoot}) is not readable by user nobody`);
    const r = seqcProcess(['train', MODEL, '--data', data, '--steps', '2', '--out', join(locked, 'run'), ...SMALL], { uid: 65534, gid: 65534 });
    expectFault(r, 5, `cannot create the directory ${join(locked, 'run')}: permission denied (EACCES)`, 'hint: check the permissions');
    expect(existsSync(join(locked, 'run'))).to.equal(false);
  });
});

/** Fills the file system of `dir` with `file` until only about `free` bytes are left. */
function fill(file: string, dir: string, free: number): void {
  const st = statfsSync(dir);
  writeFileSync(file, Buffer.alloc(Math.max(0, st.bavail * st.bsize - free)));
}
