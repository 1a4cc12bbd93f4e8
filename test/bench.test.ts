/**
 * @file The benchmark's own worker (bench/ours.ts) on tiny sizes: the protocol `npm run bench`
 * speaks to it still works against the current manifest (symbolic particle count K in
 * evaluate.onnx, evaluate's outputs, K steps per call). Times are not checked (machines are
 * noisy); what is checked would be wrong if the worker broke: the step counts, finite losses, FLOPs
 * counted from the IR (evaluation cheaper than a training step).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './helpers/examples.js';

/** Starts the worker, sends the commands one by one and collects one JSON reply per command (plus `ready`). */
function drive(cfg: object, cmds: readonly string[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/ours.ts'), JSON.stringify(cfg)], { cwd: repoRoot, stdio: 'pipe' });
    const replies: Record<string, unknown>[] = [];
    let buf = '', err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        replies.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
        const next = cmds[replies.length - 1];
        if (replies[replies.length - 1]!['error'] !== undefined) child.kill();
        else if (next !== undefined) child.stdin.write(next + '\n');
      }
    });
    child.on('close', () => (replies.length > 0 ? resolve(replies) : reject(new Error(`the worker said nothing: ${err}`))));
  });
}

describe('bench: our worker (bench/ours.ts)', function () {
  this.timeout(120_000);
  const tiny = ['x_dim=4', 'z_dim=2', 'h_dim=8', 'f_dim=8'];
  for (const stepsPerCall of [1, 3]) {
    it(`bench worker: vrnn trains, evaluates and counts FLOPs (${stepsPerCall} step(s) per call)`, async () => {
      const replies = await drive({ file: 'examples/vrnn.seq', sets: tiny, B: 4, T: 5, threads: 1, stepsPerCall }, ['train 6', 'eval 2', 'quit']);
      const [ready, train, evaluate, quit] = replies as [Record<string, Record<string, number>>, { train: number[]; loss: number }, { eval: number[]; loss: number }, { peak_rss_mb: number }];
      expect(ready['error'], JSON.stringify(ready)).to.equal(undefined);
      expect(ready['ready']!['params']).to.be.greaterThan(0);
      expect(ready['ready']!['gflops']).to.be.greaterThan(0);
      expect(ready['ready']!['eval_gflops']).to.be.greaterThan(0).and.lessThan(ready['ready']!['gflops']!);
      expect(ready['ready']!['steps_per_call']).to.equal(stepsPerCall);
      expect(train.train).to.have.length(6);
      expect(Number.isFinite(train.loss)).to.equal(true);
      expect(evaluate.eval).to.have.length(2);
      // evaluate.onnx outputs the bound; the worker reports its negative as the loss.
      expect(Number.isFinite(evaluate.loss)).to.equal(true);
      expect(quit.peak_rss_mb).to.be.greaterThan(10);
    });
  }
});
