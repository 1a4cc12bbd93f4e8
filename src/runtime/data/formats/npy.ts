/**
 * @file NPY arrays (format versions 1–3, little-endian, C order): `[N, T, D]` (or `[N, T]` for
 * D = 1) with an optional sibling `<name>.lengths.npy` of shape `[N]` giving each sequence's
 * true length; steps past it are ignored. With several variables, D is their widths
 * concatenated in the model's declaration order.
 */
import { existsSync } from 'node:fs';
import { dataErrors as E } from '../errors.js';
import { readBytes } from '../files.js';
import { describeVar, type Sequence, type VarSpec } from '../types.js';
import { makeSequence, splitColumns, totalWidth } from '../validate.js';

/** The element types we read, as NPY spells them. */
export const npyDtypes = ['<f4', '<f8', '<i4', '<i8', '|u1', '|b1'] as const;
/** One of {@link npyDtypes}. */
export type NpyDtype = (typeof npyDtypes)[number];

/** A decoded NPY array: its shape and its values in C order, as float64. */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly dtype: NpyDtype;
  readonly data: Float64Array;
}

const MAGIC = '\x93NUMPY';
const itemSize: Record<NpyDtype, number> = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '|u1': 1, '|b1': 1 };

/** Decodes the bytes of an NPY file; `file` names it in errors. */
export function decodeNpy(bytes: Uint8Array, file: string): NpyArray {
  const bad = (detail: string) => E.malformed({ file }, detail);
  if (bytes.length === 0) throw bad('file is empty; expected an NPY file (numpy.save)');
  if (bytes.length < 10 || String.fromCharCode(...bytes.subarray(0, 6)) !== MAGIC) throw bad('not an NPY file (no \\x93NUMPY magic string)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`NPY format version ${major}.${bytes[7]} is not supported; expected 1.0, 2.0 or 3.0`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad(`NPY header is truncated: its length field says ${headerLen} bytes, the file has ${bytes.length - start} after it`);
  const header = Buffer.from(bytes.subarray(start, start + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`NPY header is not a dict with descr, fortran_order and shape: ${header.trim()}`);
  if (!(npyDtypes as readonly string[]).includes(descr)) throw bad(`dtype '${descr}' is not supported; expected one of ${npyDtypes.join(', ')}`);
  if (fortran === 'True') throw bad('array is in Fortran order; save it in C order (numpy.ascontiguousarray)');
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const badDim = dims.findIndex((s) => !/^\d+L?$/.test(s));
  if (badDim >= 0) throw bad(`NPY header field 'shape' is (${shapeText.trim()}): dimension ${badDim} is '${dims[badDim]}', expected a non-negative integer. The header is malformed, not the data: rewrite the file with numpy.save`);
  const shape = dims.map((s) => parseInt(s, 10));
  const dtype = descr as NpyDtype;
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const need = count * itemSize[dtype];
  if (bytes.length - offset < need) throw bad(`file is truncated: shape (${shape.join(', ')}) of ${dtype} needs ${need} bytes of data, found ${bytes.length - offset}`);
  const data = new Float64Array(count);
  const get = reader(view, dtype);
  for (let i = 0; i < count; i++) data[i] = get(offset + i * itemSize[dtype]);
  return { shape, dtype, data };
}

function reader(view: DataView, dtype: NpyDtype): (at: number) => number {
  switch (dtype) {
    case '<f4': return (at) => view.getFloat32(at, true);
    case '<f8': return (at) => view.getFloat64(at, true);
    case '<i4': return (at) => view.getInt32(at, true);
    case '<i8': return (at) => Number(view.getBigInt64(at, true));
    case '|u1': case '|b1': return (at) => view.getUint8(at);
  }
}

/** Encodes an array as NPY version 1.0 (header padded with spaces to a multiple of 64 bytes, ending in '\n'). */
export function encodeNpy(shape: readonly number[], dtype: '<f4' | '<f8', data: ArrayLike<number>): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const size = itemSize[dtype];
  const out = new Uint8Array(10 + header.length + data.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const base = 10 + header.length;
  for (let i = 0; i < data.length; i++) {
    if (dtype === '<f4') view.setFloat32(base + i * 4, data[i]!, true);
    else view.setFloat64(base + i * 8, data[i]!, true);
  }
  return out;
}

/** The sibling lengths file of `file`: `train.npy` → `train.lengths.npy`. */
export function lengthsPathOf(file: string): string {
  return file.replace(/\.npy$/i, '') + '.lengths.npy';
}

/** Reads `file` (and its lengths sibling if present) as sequences of the spec's variables; ids are the indices. */
export function readNpy(file: string, spec: readonly VarSpec[]): Sequence[] {
  const arr = decodeNpy(readBytes(file), file);
  if (arr.shape.length !== 2 && arr.shape.length !== 3) {
    throw E.malformed({ file }, `array has shape (${arr.shape.join(', ')}); expected (N, T, D) or (N, T)`);
  }
  const [n, steps] = [arr.shape[0]!, arr.shape[1]!];
  const d = arr.shape[2] ?? 1;
  const total = totalWidth(spec);
  if (d !== total) {
    if (spec.length === 1) throw E.frameWidth({ file }, d, spec[0]!);
    throw E.malformed({ file }, `frame has ${d} values, model expects ${spec.map(describeVar).join(', ')} (${total} values, concatenated in this order)`);
  }
  const lengths = readLengths(file, n, steps);
  const out: Sequence[] = [];
  for (let i = 0; i < n; i++) {
    const len = lengths ? lengths[i]! : steps;
    const block = arr.data.subarray(i * steps * d, (i * steps + len) * d);
    out.push(makeSequence({ file, index: i, id: String(i) }, spec, splitColumns(spec, block, len)));
  }
  return out;
}

function readLengths(file: string, n: number, steps: number): Float64Array | undefined {
  const lf = lengthsPathOf(file);
  if (!existsSync(lf)) return undefined;
  const arr = decodeNpy(readBytes(lf), lf);
  if (arr.shape.length !== 1 || arr.shape[0] !== n) {
    throw E.malformed({ file: lf }, `lengths have shape (${arr.shape.join(', ')}); expected (${n},), one per sequence of ${file}`);
  }
  arr.data.forEach((len, i) => {
    if (!Number.isInteger(len) || len < 1 || len > steps) {
      throw E.malformed({ file: lf, seq: { index: i, id: String(i) } }, `length is ${len}, expected an integer from 1 to ${steps} (the array's T)`);
    }
  });
  return arr.data;
}
