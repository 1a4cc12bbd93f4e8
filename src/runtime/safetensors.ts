/**
 * @file The safetensors container (huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON (`{"__metadata__": {str: str}, name: {dtype, shape, data_offsets}}`,
 * padded with spaces to 8-byte alignment), then the tensors' little-endian bytes back to back,
 * covering the data section exactly. Only F32 and F64 tensors are written or read here.
 */
import { endianness } from 'node:os';
import { allocate, sizeOf, type FloatDType } from './params.js';

/** A tensor as stored: float dtype, shape, values. */
export interface StoredTensor {
  readonly dtype: FloatDType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

/** Why a byte buffer is not a safetensors file of ours; the caller adds the file name. */
export class SafetensorsError extends Error {}

const CODE: Record<FloatDType, string> = { float32: 'F32', float64: 'F64' };
const WIDTH: Record<FloatDType, number> = { float32: 4, float64: 8 };
const FROM_CODE: Record<string, FloatDType> = { F32: 'float32', F64: 'float64' };
/** The reference implementation refuses headers above 100 MB. */
const MAX_HEADER = 100_000_000;

/** The file's bytes as chunks: length prefix + padded header, then each tensor's bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, StoredTensor>, metadata: Readonly<Record<string, string>>): Buffer[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('safetensors: a tensor cannot be named __metadata__');
    const bytes = littleEndianBytes(t.data);
    header[name] = { dtype: CODE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  const json = JSON.stringify(header);
  const padded = json + ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8 + Buffer.byteLength(padded));
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(padded)), 0);
  head.write(padded, 8, 'utf8');
  return [head, ...blobs];
}

/** Whether `buf` starts like a safetensors file (a plausible header length, then `{`). */
export function looksLikeSafetensors(buf: Buffer): boolean {
  return buf.length >= 10 && buf.readBigUInt64LE(0) <= BigInt(buf.length - 8) && buf[8] === 0x7b;
}

/** Decodes and validates a safetensors buffer; `headerText` is the raw header (for checksums). */
export function decodeSafetensors(buf: Buffer): { metadata: Record<string, string>; tensors: Map<string, StoredTensor>; headerText: string } {
  if (buf.length < 8) throw new SafetensorsError(`${buf.length} bytes is shorter than a safetensors header`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw new SafetensorsError(`header length ${n} runs past the end of the ${buf.length}-byte file`);
  const headerText = buf.subarray(8, 8 + Number(n)).toString('utf8');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(headerText) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(`header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError('header is not a JSON object');
  const meta = header['__metadata__'] ?? {};
  if (typeof meta !== 'object' || meta === null || Object.values(meta).some((v) => typeof v !== 'string')) throw new SafetensorsError('__metadata__ is not an object of strings');
  const data = buf.subarray(8 + Number(n));
  const entries: { name: string; dtype: FloatDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = FROM_CODE[String(t?.dtype)];
    if (!dtype) throw new SafetensorsError(`tensor ${name} has dtype ${JSON.stringify(t?.dtype)}; seqppl checkpoints hold F32 or F64 tensors`);
    const shape = t.shape, off = t.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`tensor ${name} has a bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`tensor ${name} has bad data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (end - begin !== sizeOf(shape as number[]) * WIDTH[dtype]) throw new SafetensorsError(`tensor ${name} has ${end - begin} bytes for shape [${shape.join(', ')}] of ${CODE[dtype]}`);
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) throw new SafetensorsError(`tensor ${e.name} starts at byte ${e.begin} of the data, expected ${at} (tensors must cover the data without gaps or overlaps)`);
    at = e.end;
  }
  if (at !== data.length) throw new SafetensorsError(`the tensors cover ${at} bytes of data, the file holds ${data.length} (truncated or extended)`);
  const tensors = new Map<string, StoredTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: fromLittleEndian(e.dtype, data.subarray(e.begin, e.end), sizeOf(e.shape)) });
  return { metadata: meta as Record<string, string>, tensors, headerText };
}

const LITTLE = endianness() === 'LE';

/** The array's bytes in little-endian order (a view on little-endian hosts, a copy otherwise). */
export function littleEndianBytes(a: Float32Array | Float64Array): Buffer {
  if (LITTLE) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const out = Buffer.alloc(a.byteLength);
  a.forEach((x, i) => (a instanceof Float32Array ? out.writeFloatLE(x, 4 * i) : out.writeDoubleLE(x, 8 * i)));
  return out;
}

/** A fresh (aligned) array of `n` elements decoded from little-endian bytes. */
export function fromLittleEndian(dtype: FloatDType, bytes: Buffer, n: number): Float32Array | Float64Array {
  const out = allocate(dtype, n);
  if (LITTLE) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < n; i++) out[i] = dtype === 'float32' ? bytes.readFloatLE(4 * i) : bytes.readDoubleLE(8 * i);
  return out;
}
