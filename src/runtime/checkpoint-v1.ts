/**
 * @file Reading checkpoints of seqppl 0.1 (`SEQPPLCK`, format version 1): magic, u32 version,
 * u32 header length, a JSON header, 8-aligned little-endian tensor blobs, a trailing SHA-256.
 * Only read, so runs trained before checkpoints became safetensors still evaluate and resume.
 */
import { createHash } from 'node:crypto';
import { sizeOf, type FloatDType, type HostTensor } from './params.js';
import { fromLittleEndian } from './safetensors.js';
import type { RngState } from './rng.js';

/** The first 8 bytes of a version-1 checkpoint. */
export const V1_MAGIC = Buffer.from('SEQPPLCK', 'latin1');

const PREFIX = 16;
const DIGEST = 32;

/** What a version-1 file holds (its hashes are of the raw source and the whole manifest). */
export interface CheckpointV1 {
  readonly dtype: FloatDType;
  readonly step: number;
  readonly epoch: number;
  readonly position: number;
  readonly rng: Readonly<Record<string, RngState>>;
  readonly params: Map<string, HostTensor>;
  readonly state: Map<string, HostTensor>;
  readonly normalization: unknown;
  readonly sourceHash: string;
  readonly manifestHash: string;
  readonly metrics: unknown;
}

interface Header extends Omit<CheckpointV1, 'params' | 'state'> {
  format: string;
  tensors: { name: string; group: 'param' | 'state'; shape: number[]; offset: number; bytes: number }[];
  payloadBytes: number;
}

/** Decodes a version-1 checkpoint; `corrupt(why)` builds the error to throw. */
export function decodeV1(buf: Buffer, corrupt: (why: string) => Error): CheckpointV1 {
  if (buf.length < PREFIX + DIGEST) throw corrupt(`${buf.length} bytes is shorter than the smallest checkpoint`);
  const version = buf.readUInt32LE(8);
  if (version !== 1) throw corrupt(`format version ${version} (this seqppl reads version 1 and safetensors checkpoints)`);
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
