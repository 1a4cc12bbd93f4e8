/** @file Checkpoints: bit-exact round trip, clear errors for damaged files and changed models, atomic writes. */
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
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /ckpt\.bin is truncated or corrupted: checksum mismatch/);
    fs.writeFileSync(path, good.subarray(0, 20));
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /truncated or corrupted: 20 bytes is shorter/);
    const flipped = Buffer.from(good);
    flipped[good.length - 60]! ^= 0x01;
    fs.writeFileSync(path, flipped);
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /checksum mismatch \(stored [0-9a-f]{16}…, computed [0-9a-f]{16}…\)/);
    fs.writeFileSync(path, '{"not": "a checkpoint"} and some more bytes to pass the size check');
    expect(() => loadCheckpoint(path)).to.throw(CheckpointError, /is not a seqppl checkpoint \(bad magic\)/);
    expect(() => loadCheckpoint(join(dir, 'missing.bin'))).to.throw(CheckpointError, /cannot read checkpoint .*missing\.bin/);
  });

  it('checkpoint: a changed model source is refused, naming both hashes', () => {
    const path = join(dir, 'ckpt.bin');
    saveCheckpoint(path, sample('float32'));
    const now = 'c'.repeat(64);
    expect(() => loadCheckpoint(path, { sourceHash: now, modelPath: 'vrnn.seq' })).to.throw(CheckpointError,
      `checkpoint ${path} was written for model source sha256 ${SOURCE_HASH}, but vrnn.seq now has sha256 ${now}: ` +
      'the model file changed since; a checkpoint only fits the model it was trained with (restore the model file, or train a new run)');
    expect(() => loadCheckpoint(path, { sourceHash: SOURCE_HASH, manifestHash: now })).to.throw(CheckpointError, /compile options .* differ; a checkpoint only fits the model and options it was trained with/);
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
    expect(fs.readdirSync(dir).filter((f) => f !== 'ckpt.bin')).to.have.length(1); // the orphaned temp file, never the final name
  });

  it('checkpoint: manifestHash ignores key order', () => {
    const m = { format: 'seqppl-manifest/1', model: 'm', dtype: 'float32' } as unknown as Manifest;
    const n = { dtype: 'float32', model: 'm', format: 'seqppl-manifest/1' } as unknown as Manifest;
    expect(manifestHash(m)).to.equal(manifestHash(n)).and.to.match(/^[0-9a-f]{64}$/);
  });
});
