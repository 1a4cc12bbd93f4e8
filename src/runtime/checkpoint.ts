/**
 * @file Training checkpoints as safetensors files: parameters and optimizer state as F32/F64
 * tensors under their manifest names, and our metadata (step, RNG streams, normalization, the
 * model's hashes, a SHA-256 of the whole file) in `__metadata__`. Written atomically (temp file,
 * fsync, rename) and verified on load; seqppl 0.1's own format is still read (checkpoint-v1.ts).
 * docs/runs.md documents the layout and reads one with numpy.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Manifest } from '../compiler/pipeline.js';
import { decodeV1, V1_MAGIC } from './checkpoint-v1.js';
import { sizeOf, type FloatDType, type HostTensor } from './params.js';
import type { RngState } from './rng.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type StoredTensor } from './safetensors.js';
import { writeFileAtomic, type AtomicIo } from './safefs.js';

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
  /** SHA-256 of the model file's bytes (`Manifest.sourceHash`), for information. */
  readonly sourceHash: string;
  /** SHA-256 of the model's canonical form (`Manifest.modelHash`); absent in seqppl 0.1 checkpoints. */
  readonly modelHash?: string;
  /** `manifestHash` of the compiled manifest (compile options, parameter layout). */
  readonly manifestHash: string;
  /** A metrics summary (opaque JSON: best validation ELBO, …). */
  readonly metrics: unknown;
}

/** A checkpoint that is unreadable, corrupted, or belongs to another model. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/** The `format` metadata value of the files written here. */
export const CHECKPOINT_FORMAT = 'seqppl-checkpoint/2';

/** The file system calls `saveCheckpoint` uses; tests substitute failing ones. */
export type CheckpointIo = AtomicIo;

const ZERO_DIGEST = '0'.repeat(64);

/** SHA-256 of the manifest's canonical JSON (keys sorted) without the raw source hash, so comments do not change it. */
export function manifestHash(manifest: Manifest): string {
  const { sourceHash: _s, ...rest } = manifest;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * Writes `ckpt` to `path` atomically: a crash or failure at any point leaves the previous file
 * at `path` untouched; the metadata's `sha256` covers every byte of the file (computed with the
 * digest itself zeroed).
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint, io: CheckpointIo = fs): void {
  const tensors = new Map<string, StoredTensor>();
  for (const map of [ckpt.params, ckpt.state]) {
    for (const [name, t] of map) {
      checkTensor(name, t, ckpt.dtype);
      if (tensors.has(name)) throw new Error(`checkpoint: tensor ${name} is both a parameter and optimizer state`);
      tensors.set(name, { dtype: ckpt.dtype, shape: t.shape, data: t.data as Float32Array | Float64Array });
    }
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT, dtype: ckpt.dtype, step: String(ckpt.step), epoch: String(ckpt.epoch), position: String(ckpt.position),
    rng: JSON.stringify(ckpt.rng), normalization: JSON.stringify(ckpt.normalization ?? null), metrics: JSON.stringify(ckpt.metrics ?? null),
    source_hash: ckpt.sourceHash, model_hash: ckpt.modelHash ?? '', manifest_hash: ckpt.manifestHash,
    optimizer_state: JSON.stringify([...ckpt.state.keys()]), sha256: ZERO_DIGEST,
  };
  const chunks = encodeSafetensors(tensors, metadata);
  const digest = sha256(chunks);
  const head = chunks[0]!;
  const at = head.indexOf(`"sha256":"${ZERO_DIGEST}"`);
  head.write(digest, at + '"sha256":"'.length, 'latin1');
  writeFileAtomic(path, chunks, io);
}

/** What `loadCheckpoint` must verify besides the file's own integrity. */
export interface LoadExpectations {
  /** The model's canonical hash now; a different one is an error naming both. */
  readonly modelHash?: string;
  /** The model file's raw hash now: checked only for seqppl 0.1 checkpoints, which have no canonical hash. */
  readonly sourceHash?: string;
  /** The current manifest hash (same model, different compile options). */
  readonly manifestHash?: string;
  /** The model file, for messages. */
  readonly modelPath?: string;
}

/** Reads and verifies a checkpoint: container, checksum, tensors, and the expected hashes. */
export function loadCheckpoint(path: string, expect: LoadExpectations = {}): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`cannot read checkpoint ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
  const corrupt = (why: string): CheckpointError => new CheckpointError(`checkpoint ${path} is truncated or corrupted: ${why}`);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(V1_MAGIC)) {
    const v1 = decodeV1(buf, corrupt);
    checkHashes(path, v1, expect, false);
    return v1;
  }
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(buf);
  } catch (e) {
    if (e instanceof SafetensorsError) throw buf.length >= 9 && buf[8] !== 0x7b ? new CheckpointError(`${path} is not a seqppl checkpoint (neither safetensors nor seqppl 0.1's format)`) : corrupt(e.message);
    throw e;
  }
  const m = file.metadata;
  if (m['format'] !== CHECKPOINT_FORMAT) throw new CheckpointError(`${path} is a safetensors file but not a seqppl checkpoint (metadata format ${JSON.stringify(m['format'] ?? null)}, expected ${CHECKPOINT_FORMAT})`);
  const stored = m['sha256'] ?? '';
  const zeroed = Buffer.from(buf);
  const at = zeroed.indexOf(`"sha256":"${stored}"`, 8);
  if (!/^[0-9a-f]{64}$/.test(stored) || at < 0) throw corrupt('the metadata has no sha256');
  zeroed.write(ZERO_DIGEST, at + '"sha256":"'.length, 'latin1');
  const actual = sha256([zeroed]);
  if (actual !== stored) throw corrupt(`checksum mismatch (stored ${stored.slice(0, 16)}…, computed ${actual.slice(0, 16)}…)`);
  const dtype = m['dtype'];
  if (dtype !== 'float32' && dtype !== 'float64') throw corrupt(`metadata dtype ${JSON.stringify(dtype)}`);
  const json = (key: string): unknown => {
    try {
      return JSON.parse(m[key] ?? 'null');
    } catch {
      throw corrupt(`metadata ${key} is not JSON`);
    }
  };
  const int = (key: string): number => {
    const n = Number(m[key]);
    if (!Number.isInteger(n) || n < 0) throw corrupt(`metadata ${key} is ${JSON.stringify(m[key] ?? null)}, expected an integer ≥ 0`);
    return n;
  };
  const stateNames = new Set(json('optimizer_state') as string[]);
  const params = new Map<string, HostTensor>(), state = new Map<string, HostTensor>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== dtype) throw corrupt(`tensor ${name} is ${t.dtype}, the checkpoint is ${dtype}`);
    (stateNames.has(name) ? state : params).set(name, { shape: t.shape, data: t.data });
  }
  const ck: Checkpoint = {
    dtype, step: int('step'), epoch: int('epoch'), position: int('position'),
    rng: json('rng') as Record<string, RngState>, params, state, normalization: json('normalization'),
    sourceHash: m['source_hash'] ?? '', ...(m['model_hash'] ? { modelHash: m['model_hash'] } : {}),
    manifestHash: m['manifest_hash'] ?? '', metrics: json('metrics'),
  };
  checkHashes(path, ck, expect, true);
  return ck;
}

/** The model-identity check: a checkpoint of another model, or of other compile options, is refused. */
function checkHashes(path: string, ck: Pick<Checkpoint, 'sourceHash' | 'modelHash' | 'manifestHash'>, expect: LoadExpectations, current: boolean): void {
  const model = expect.modelPath ?? 'the model';
  if (ck.modelHash !== undefined && expect.modelHash !== undefined) {
    if (ck.modelHash !== expect.modelHash) {
      throw new CheckpointError(
        `checkpoint ${path} was written for another model: its canonical model hash is ${ck.modelHash.slice(0, 16)}…, ${model} has ${expect.modelHash.slice(0, 16)}…; ` +
        'comments and formatting do not matter, but the model\'s statements or hyperparameters differ (restore the model the run was trained with, or train a new run)');
    }
  } else if (expect.sourceHash !== undefined && expect.sourceHash !== ck.sourceHash) {
    throw new CheckpointError(
      `checkpoint ${path} (seqppl 0.1) was written for model source sha256 ${ck.sourceHash}, but ${model} now has sha256 ${expect.sourceHash}: ` +
      'the model file changed since; a checkpoint only fits the model it was trained with (restore the model file, or train a new run)');
  }
  if (current && expect.manifestHash !== undefined && expect.manifestHash !== ck.manifestHash) {
    throw new CheckpointError(
      `checkpoint ${path} was written for manifest sha256 ${ck.manifestHash}, but ${model} now compiles to manifest sha256 ${expect.manifestHash}: ` +
      'the model is the same but the compile options (dtype, hyperparameter overrides, optimizer) differ; a checkpoint only fits the model and options it was trained with');
  }
}

function checkTensor(name: string, t: HostTensor, dtype: FloatDType): void {
  const want = dtype === 'float32' ? Float32Array : Float64Array;
  if (!(t.data instanceof want)) throw new Error(`checkpoint: tensor ${name} is ${t.data.constructor.name}, the checkpoint dtype is ${dtype}`);
  if (t.data.length !== sizeOf(t.shape)) throw new Error(`checkpoint: tensor ${name} has ${t.data.length} elements for shape [${t.shape.join(', ')}]`);
}

function sha256(chunks: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

/** JSON with object keys sorted at every level. */
function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v);
}
