/** @file One small training run made through the CLI, shared by the report tests (trained once per test process). */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/examples.js';

const run = promisify(execFile);

/** Runs the seqc CLI from source in a child process. */
export async function seqcChild(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/run-seqc.ts'), ...args], { cwd: repoRoot, maxBuffer: 1 << 24 });
}

/** A trained run: a small VRNN on the built-in speech data, 80 steps, validated every 10, then evaluated on the test split with K = 2. */
export interface TestRun {
  readonly dir: string;
  readonly model: string;
  readonly trainOut: string;
}

/** Sizes that keep the VRNN quick while reading the built-in 200-sample speech frames. */
export const TEST_SETS = ['--set', 'h_dim=16', '--set', 'f_dim=16', '--set', 'z_dim=4'];

let made: Promise<TestRun> | null = null;

/** The shared run (made on first use). */
export function testRun(): Promise<TestRun> {
  made ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'seqc-report-')), 'run');
    const model = join(repoRoot, 'examples/vrnn.seq');
    const t = await seqcChild('train', model, ...TEST_SETS, '--steps', '80', '--valid-every', '10', '--patience', '0', '--out', dir);
    await seqcChild('eval', model, '--checkpoint', dir, '--iwae', '2', '--json');
    return { dir, model, trainOut: t.stdout };
  })();
  return made;
}
