/** @file Checkpoints: safetensors with a bit-exact round trip, read by numpy; 0.1's format still read; clear errors for damaged files and other models; atomic writes. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Manifest } from '../../src/compiler/pipeline.js';
import { CheckpointError, loadCheckpoint, manifestHash, saveCheckpoint, type Checkpoint, type CheckpointIo } from '../../src/runtime/checkpoint.js';
import { ParamStore, type ParamManifest } from '../../src/runtime/params.js';
import { Rng } from '../../src/runtime/rng.js';
import { removeStaleTemps } from '../../src/runtime/safefs.js';

const SOURCE_HASH = 'a'.repeat(64);

const manifest = (dtype: 'float32' | 'float64'): ParamManifest => ({
  dtype,
  parameters: [
    { name: 'W', shape: [3, 5], init: { kind: 'uniform', bound: 1 } },
    { name: 'b', shape: [5], init: { kind: 'const', value: 0.5 } },
    { name: 's', shape: [], init: { kind: 'uniform', bound: 2 } },
  ],
  optimizer: { kind: 'adam', state: [{ name: 'adam.m.W', param: 'W' }, { name: 'adam.v.b', param: 'b' }], scalars: [], updates: [] },
});

/** A checkpoint with awkward values: -0, subnormals, NaN, ±Infinity, odd float32 counts. */
function sample(dtype: 'float32' | 'float64', step = 17): Checkpoint {
  const rng = new Rng(step);
  const store = ParamStore.initialize(manifest(dtype), rng);
  rng.normal(); // cache a spare normal in the saved state
  store.get('adam.m.W').data.set([-0, 5e-324, NaN, Infinity, -Infinity, 1e-40]);
  return {
    dtype, step, epoch: 2, position: 31,
    rng: { noise: rng.getState(), shuffle: new Rng(99).getState() },
    params: store.params, state: store.state,
    normalization: { mean: [0.25, -1], std: [2, 3] },
    sourceHash: SOURCE_HASH, manifestHash: 'b'.repeat(64),
    metrics: { bestValidElbo: -123.5, lastLoss: 130.25 },
  };
}

/** Every tensor's bytes, for bit-exact comparison (NaN and -0 included). */
function bytesOf(m: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Float64Array }>): Record<string, [readonly number[], string, string]> {
  return Object.fromEntries([...m].map(([k, t]) => [k, [t.shape, t.data.constructor.name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')]]));
}

describe('runtime/checkpoint', () => {
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(join(tmpdir(), 'seqppl-ckpt-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const dtype of ['float32', 'float64'] as const) {
    it(`checkpoint: ${dtype} round trip is bit-exact and continues the RNG identically`, () => {
      const path = join(dir, 'ckpt.bin');
      const ck = sample(dtype);
      saveCheckpoint(path, ck);
      const back = loadCheckpoint(path, { sourceHash: SOURCE_HASH });
      expect(bytesOf(back.params)).to.deep.equal(bytesOf(ck.params));
      expect(bytesOf(back.state)).to.deep.equal(bytesOf(ck.state));
      const { params: _a, state: _b, ...meta } = back;
      const { params: _c, state: _d, ...want } = ck;
      expect(meta).to.deep.equal(want);
      const a = Rng.fromState(ck.rng['noise']!), b = Rng.fromState(back.rng['noise']!);
      expect(Array.from(b.fill('normal', new Float64Array(9)))).to.deep.equal(Array.from(a.fill('normal', new Float64Array(9))));
      const store = ParamStore.fromTensors(manifest(dtype), back.params, back.state);
      expect(store.get('b').data[0]).to.equal(0.5);
    });
  }

  it('checkpoint: identical contents give identical bytes', () => {
    saveCheckpoint(join(dir, 'a'), sample('float32'));
    saveCheckpoint(join(dir, 'b'), sample('float32'));
    expect(fs.readFileSync(join(dir, 'a')).equals(fs.readFileSync(join(dir, 'b')))).to.equal(true);
  });

  it('checkpoint: a truncated file, a flipped byte and a foreign file give clear errors', () => {
    const path = join(dir, 'ckpt.bin');
    saveCheckpoint(path, sample('float64'));
    const good = fs.readFileSync(path);
    fs.writeFileSync(path, good.subarray(0, good.length - 100));
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /ckpt\.bin is truncated or corrupted: the tensors cover \d+ bytes of data, the file holds \d+ \(truncated or extended\)/);
    fs.writeFileSync(path, good.subarray(0, 20));
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /truncated or corrupted: header length \d+ runs past the end of the 20-byte file/);
    const flipped = Buffer.from(good);
    flipped[good.length - 60]! ^= 0x01;
    fs.writeFileSync(path, flipped);
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /checksum mismatch \(stored [0-9a-f]{16}…, computed [0-9a-f]{16}…\)/);
    const meta = Buffer.from(good);
    meta[meta.indexOf('"step":"17"') + 9] = '8'.charCodeAt(0); // the metadata is covered too
    fs.writeFileSync(path, meta);
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /checksum mismatch/);
    fs.writeFileSync(path, '{"not": "a checkpoint"} and some more bytes to pass the size check');
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /is not a seqppl checkpoint \(neither safetensors nor seqppl 0\.1's format\)/);
    expect(() => loadCheckpoint(join(dir, 'missing.bin'))).to.throw(CheckpointError, /cannot read checkpoint .*missing\.bin: no such file/);
  });

  it('checkpoint: the file is safetensors that numpy reads in a few lines (the snippet in docs/runs.md)', function () {
    if (spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) {
      if (process.env['CI']) throw new Error('python3-numpy is required in CI (.ci/run installs it)');
      this.skip();
    }
    const path = join(dir, 'ckpt.safetensors');
    const ck = sample('float64', 5);
    saveCheckpoint(path, ck);
    const doc = fs.readFileSync(resolve('docs/runs.md'), 'utf8');
    const snippet = /```python\n(import json, struct[\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet, 'docs/runs.md has the numpy snippet').to.be.a('string');
    const script = snippet!.replace('runs/vrnn/checkpoints/best.ckpt', path) +
      '\nprint(json.dumps({"step": meta["step"], "rng": json.loads(meta["rng"]), "W": tensors["W"].tolist(), "shape": list(tensors["W"].shape), "s": float(tensors["s"])}))\n';
    const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(got.step).to.equal('5');
    expect(got.shape).to.deep.equal([3, 5]);
    expect(got.W).to.deep.equal(Array.from({ length: 3 }, (_, i) => Array.from(ck.params.get('W')!.data.subarray(5 * i, 5 * i + 5))));
    expect(got.s).to.equal(ck.params.get('s')!.data[0]);
    expect(got.rng).to.deep.equal(JSON.parse(JSON.stringify(ck.rng)));
  });

  it('checkpoint: seqppl 0.1 checkpoints (SEQPPLCK v1) still load, values and state intact', () => {
    const v1 = loadCheckpoint(resolve('test/fixtures/checkpoint-v1.ckpt'), { sourceHash: 'a'.repeat(64) });
    expect(v1.step).to.equal(42);
    expect(v1.modelHash).to.equal(undefined);
    const m: ParamManifest = { dtype: 'float32', parameters: manifest('float32').parameters.slice(0, 2), optimizer: { kind: 'adam', state: [{ name: 'adam.m.W', param: 'W' }], scalars: [], updates: [] } };
    const rng = new Rng(3);
    const want = ParamStore.initialize(m, rng);
    expect(bytesOf(v1.params)).to.deep.equal(bytesOf(want.params));
    expect(JSON.stringify(v1.rng['noise'])).to.equal(JSON.stringify(rng.getState()));
    expect(() => loadCheckpoint(resolve('test/fixtures/checkpoint-v1.ckpt'), { sourceHash: 'c'.repeat(64), modelPath: 'm.seq' })).to.throw(CheckpointError, /\(seqppl 0\.1\) was written for model source sha256 a{64}, but m\.seq now has sha256 c{64}/);
  });

  it('checkpoint: another model (canonical hash) or other compile options are refused', () => {
    const path = join(dir, 'ckpt.bin');
    saveCheckpoint(path, { ...sample('float32'), modelHash: 'd'.repeat(64) });
    expect(loadCheckpoint(path, { modelHash: 'd'.repeat(64), sourceHash: 'e'.repeat(64) }).step).to.equal(17); // the raw source may differ (comments)
    expect(() => loadCheckpoint(path, { modelHash: 'c'.repeat(64), modelPath: 'vrnn.seq' })).to.throw(CheckpointError,
      `checkpoint ${path} was written for another model: its canonical model hash is dddddddddddddddd…, vrnn.seq has cccccccccccccccc…`);
    expect(() => loadCheckpoint(path, { modelHash: 'd'.repeat(64), manifestHash: 'c'.repeat(64) })).to.throw(CheckpointError, /compile options .* differ; a checkpoint only fits the model and options it was trained with/);
  });

  it('checkpoint: a write failing midway leaves the previous checkpoint intact and no temp file', () => {
    const path = join(dir, 'ckpt.bin');
    saveCheckpoint(path, sample('float64', 1));
    const before = fs.readFileSync(path);
    let writes = 0;
    const failing: CheckpointIo = {
      ...fs,
      writeSync: ((fd: number, buf: Uint8Array, off: number, len: number) => {
        if (++writes === 3) throw new Error('ENOSPC: simulated disk full');
        return fs.writeSync(fd, buf, off, Math.min(len, 7)); // short writes, to exercise the loop
      }) as CheckpointIo['writeSync'],
    };
    expect(() => saveCheckpoint(path, sample('float64', 2), failing)).to.throw(/simulated disk full/);
    expect(fs.readFileSync(path).equals(before)).to.equal(true);
    expect(loadCheckpoint(path).step).to.equal(1);
    expect(fs.readdirSync(dir)).to.deep.equal(['ckpt.bin']);
    const failingRename: CheckpointIo = { ...fs, renameSync: () => { throw new Error('EXDEV: simulated rename failure'); } };
    expect(() => saveCheckpoint(path, sample('float64', 3), failingRename)).to.throw(/simulated rename failure/);
    expect(fs.readdirSync(dir)).to.deep.equal(['ckpt.bin']);
  });

  it('checkpoint: a process killed mid-write leaves the previous checkpoint loadable under the final name', function () {
    this.timeout(30_000);
    const path = join(dir, 'ckpt.bin');
    saveCheckpoint(path, sample('float32', 1));
    const before = fs.readFileSync(path);
    const mod = pathToFileURL(resolve('src/runtime/checkpoint.ts')).href;
    const script = `
      import * as fs from 'node:fs';
      const { saveCheckpoint } = await import(${JSON.stringify(mod)});
      const big = new Float32Array(1 << 20);
      let n = 0;
      const io = { ...fs, writeSync: (fd, b, o, l) => { if (++n === 2) { fs.writeSync(fd, b, o, l >> 1); process.kill(process.pid, 'SIGKILL'); } return fs.writeSync(fd, b, o, l); } };
      saveCheckpoint(${JSON.stringify(path)}, {
        dtype: 'float32', step: 2, epoch: 0, position: 0, rng: {}, params: new Map([['W', { shape: [1 << 20], data: big }]]), state: new Map(),
        normalization: null, sourceHash: 'x', manifestHash: 'y', metrics: null }, io);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal, r.stderr).to.equal('SIGKILL');
    expect(fs.readFileSync(path).equals(before)).to.equal(true);
    expect(loadCheckpoint(path).step).to.equal(1);
    const left = fs.readdirSync(dir).filter((f) => f !== 'ckpt.bin');
    expect(left).to.have.length(1); // the orphaned temp file, never the final name
    expect(removeStaleTemps(dir)).to.deep.equal(left); // and the next session removes it
    expect(fs.readdirSync(dir)).to.deep.equal(['ckpt.bin']);
  });

  it('checkpoint: manifestHash ignores key order and the raw source hash, not the rest', () => {
    const m = { format: 'seqppl-manifest/1', model: 'm', dtype: 'float32', sourceHash: 'a' } as unknown as Manifest;
    const n = { dtype: 'float32', model: 'm', format: 'seqppl-manifest/1', sourceHash: 'b' } as unknown as Manifest;
    expect(manifestHash(m)).to.equal(manifestHash(n)).and.to.match(/^[0-9a-f]{64}$/);
    expect(manifestHash({ ...m, dtype: 'float64' })).to.not.equal(manifestHash(m));
  });
});
