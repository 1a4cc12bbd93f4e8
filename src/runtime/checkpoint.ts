/**
 * @file Training checkpoints: one binary file with a JSON header, little-endian tensor blobs and
 * a trailing SHA-256, written atomically (temp file in the same directory, fsync, rename) and
 * verified on load, including that the model source is the one the run started from.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Manifest } from '../compiler/pipeline.js';
import { allocate, sizeOf, type FloatDType, type HostTensor } from './params.js';
import type { RngState } from './rng.js';

/** Everything `--resume` needs to continue a run bit for bit. */
export interface Checkpoint {
  readonly dtype: FloatDType;
  /** Optimizer steps taken so far. */
  readonly step: number;
  /** Epoch index and the position (batch index) within it, where training continues. */
  readonly epoch: number;
  readonly position: number;
  /** Named RNG streams (e.g. `noise`, `shuffle`). */
  readonly rng: Readonly<Record<string, RngState>>;
  readonly params: ReadonlyMap<string, HostTensor>;
  readonly state: ReadonlyMap<string, HostTensor>;
  /** Data normalization statistics computed on the training split (opaque JSON). */
  readonly normalization: unknown;
  /** SHA-256 of the model source (`Manifest.sourceHash`) and of the manifest (`manifestHash`). */
  readonly sourceHash: string;
  readonly manifestHash: string;
  /** A metrics summary (opaque JSON: best validation ELBO, last loss, …). */
  readonly metrics: unknown;
}

/** A checkpoint that is unreadable, corrupted, or belongs to another model. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const MAGIC = Buffer.from('SEQPPLCK', 'latin1');
const VERSION = 1;
const PREFIX = 16; // magic, u32 version, u32 header length
const DIGEST = 32; // trailing SHA-256 of everything before it

/** One tensor's entry in the header; `offset` is relative to the payload start. */
interface TensorEntry { name: string; group: 'param' | 'state'; shape: number[]; offset: number; bytes: number }

/** The JSON header: the checkpoint without its tensors, plus where the tensors are. */
interface Header extends Omit<Checkpoint, 'params' | 'state'> {
  format: 'seqppl-checkpoint/1';
  tensors: TensorEntry[];
  payloadBytes: number;
}

/** The file system calls `saveCheckpoint` uses; tests substitute failing ones. */
export type CheckpointIo = Pick<typeof fs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync'>;

/** SHA-256 of the manifest's canonical JSON (keys sorted), stable across JSON round trips. */
export function manifestHash(manifest: Manifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}

/**
 * Writes `ckpt` to `path` atomically: the bytes go to a temp file in the same directory, which
 * is fsynced and then renamed over `path` (and the directory fsynced). A failure or crash at any
 * point leaves the previous file at `path` untouched; on a thrown error the temp file is removed.
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint, io: CheckpointIo = fs): void {
  const tensors: TensorEntry[] = [];
  const blobs: Buffer[] = [];
  let payloadBytes = 0;
  for (const [group, map] of [['param', ckpt.params], ['state', ckpt.state]] as const) {
    for (const [name, t] of map) {
      checkTensor(name, t, ckpt.dtype);
      const bytes = littleEndianBytes(t.data);
      tensors.push({ name, group, shape: [...t.shape], offset: payloadBytes, bytes: bytes.length });
      blobs.push(bytes);
      payloadBytes += align8(bytes.length);
    }
  }
  const { params: _p, state: _s, ...meta } = ckpt;
  const header: Header = { format: 'seqppl-checkpoint/1', ...meta, tensors, payloadBytes };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerBytes = align8(PREFIX + json.length) - PREFIX; // pad with spaces so the payload is 8-aligned
  const prefix = Buffer.alloc(PREFIX + headerBytes, 0x20);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeUInt32LE(headerBytes, 12);
  json.copy(prefix, PREFIX);

  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  const fd = io.openSync(tmp, 'wx', 0o644);
  let closed = false;
  try {
    const write = (b: Buffer): void => {
      hash.update(b);
      for (let done = 0; done < b.length;) done += io.writeSync(fd, b, done, b.length - done);
    };
    write(prefix);
    for (const b of blobs) {
      write(b);
      if (align8(b.length) > b.length) write(Buffer.alloc(align8(b.length) - b.length));
    }
    const digest = hash.digest();
    for (let done = 0; done < DIGEST;) done += io.writeSync(fd, digest, done, DIGEST - done);
    io.fsyncSync(fd);
    io.closeSync(fd);
    closed = true;
    io.renameSync(tmp, path);
  } catch (e) {
    if (!closed) try { io.closeSync(fd); } catch { /* already failing */ }
    try { io.unlinkSync(tmp); } catch { /* best effort */ }
    throw e;
  }
  fsyncDirectory(dirname(path));
}

/** What `loadCheckpoint` must verify besides the file's own integrity. */
export interface LoadExpectations {
  /** The current model source hash; a different one is an error naming both. */
  readonly sourceHash?: string;
  /** The current manifest hash (same source, different compile options). */
  readonly manifestHash?: string;
  /** The model file, for messages. */
  readonly modelPath?: string;
}

/** Reads and verifies a checkpoint: magic, version, checksum, tensor layout, and the expected hashes. */
export function loadCheckpoint(path: string, expect: LoadExpectations = {}): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  const corrupt = (why: string): CheckpointError => new CheckpointError(`checkpoint ${path} is truncated or corrupted: ${why}`);
  if (buf.length < PREFIX + DIGEST) throw corrupt(`${buf.length} bytes is shorter than the smallest checkpoint`);
  if (!buf.subarray(0, 8).equals(MAGIC)) throw new CheckpointError(`${path} is not a seqppl checkpoint (bad magic)`);
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new CheckpointError(`checkpoint ${path} has format version ${version}; this seqppl reads version ${VERSION}`);
  const stored = buf.subarray(buf.length - DIGEST).toString('hex');
  const actual = createHash('sha256').update(buf.subarray(0, buf.length - DIGEST)).digest('hex');
  if (stored !== actual) throw corrupt(`checksum mismatch (stored ${stored.slice(0, 16)}…, computed ${actual.slice(0, 16)}…)`);
  const headerBytes = buf.readUInt32LE(12);
  const payloadStart = PREFIX + headerBytes;
  if (payloadStart > buf.length - DIGEST) throw corrupt(`header length ${headerBytes} runs past the end of the file`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(PREFIX, payloadStart).toString('utf8')) as Header;
  } catch (e) {
    throw corrupt(`header is not JSON (${(e as Error).message})`);
  }
  if (header.format !== 'seqppl-checkpoint/1') throw corrupt(`header format ${JSON.stringify(header.format)}`);
  if (payloadStart + header.payloadBytes !== buf.length - DIGEST) throw corrupt(`payload is ${buf.length - DIGEST - payloadStart} bytes, header says ${header.payloadBytes}`);
  checkHashes(path, header, expect);

  const params = new Map<string, HostTensor>(), state = new Map<string, HostTensor>();
  const width = header.dtype === 'float32' ? 4 : 8;
  for (const t of header.tensors) {
    const n = sizeOf(t.shape);
    if (t.bytes !== n * width || t.offset < 0 || t.offset + t.bytes > header.payloadBytes) throw corrupt(`tensor ${t.name} has a bad extent`);
    const data = fromLittleEndian(header.dtype, buf.subarray(payloadStart + t.offset, payloadStart + t.offset + t.bytes), n);
    (t.group === 'param' ? params : state).set(t.name, { shape: t.shape, data });
  }
  const { format: _f, tensors: _t, payloadBytes: _b, ...meta } = header;
  return { ...meta, params, state };
}

/** The model-identity check: `--resume` with an edited model is refused with both hashes named. */
function checkHashes(path: string, h: Header, expect: LoadExpectations): void {
  const model = expect.modelPath ?? 'the model';
  if (expect.sourceHash !== undefined && expect.sourceHash !== h.sourceHash) {
    throw new CheckpointError(
      `checkpoint ${path} was written for model source sha256 ${h.sourceHash}, but ${model} now has sha256 ${expect.sourceHash}: ` +
      'the model file changed since; a checkpoint only fits the model it was trained with (restore the model file, or train a new run)');
  }
  if (expect.manifestHash !== undefined && expect.manifestHash !== h.manifestHash) {
    throw new CheckpointError(
      `checkpoint ${path} was written for manifest sha256 ${h.manifestHash}, but ${model} now compiles to manifest sha256 ${expect.manifestHash}: ` +
      'the source is the same but the compile options (dtype, hyperparameter overrides, optimizer) differ; a checkpoint only fits the model and options it was trained with');
  }
}

function checkTensor(name: string, t: HostTensor, dtype: FloatDType): void {
  const want = dtype === 'float32' ? Float32Array : Float64Array;
  if (!(t.data instanceof want)) throw new Error(`checkpoint: tensor ${name} is ${t.data.constructor.name}, the checkpoint dtype is ${dtype}`);
  if (t.data.length !== sizeOf(t.shape)) throw new Error(`checkpoint: tensor ${name} has ${t.data.length} elements for shape [${t.shape.join(', ')}]`);
}

const LITTLE = endianness() === 'LE';

/** The array's bytes in little-endian order (a view on little-endian hosts, a copy otherwise). */
function littleEndianBytes(a: Float32Array | Float64Array): Buffer {
  if (LITTLE) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const out = Buffer.alloc(a.byteLength);
  a.forEach((x, i) => (a instanceof Float32Array ? out.writeFloatLE(x, 4 * i) : out.writeDoubleLE(x, 8 * i)));
  return out;
}

/** A fresh array of `n` elements decoded from little-endian bytes. */
function fromLittleEndian(dtype: FloatDType, bytes: Buffer, n: number): Float32Array | Float64Array {
  const out = allocate(dtype, n);
  if (LITTLE) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < n; i++) out[i] = dtype === 'float32' ? bytes.readFloatLE(4 * i) : bytes.readDoubleLE(8 * i);
  return out;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Makes the rename durable; not every platform can fsync a directory, which is fine. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch { /* unsupported here */ } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** JSON with object keys sorted at every level. */
function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v);
}
