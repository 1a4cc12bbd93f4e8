/** @file Test helpers for the data layer: temporary directories, hand-built NPY and WAV bytes, specs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VarSpec } from '../../../src/runtime/data/types.js';

/** Directory of the committed data fixtures. */
export const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'data');

/** A fresh temporary directory and a function that writes files into it (creating subdirectories). */
export function tempDir(): { dir: string; write(name: string, data: string | Uint8Array): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'seqppl-data-'));
  return {
    dir,
    write(name, data) { const p = join(dir, name); mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, data); return p; },
    remove() { rmSync(dir, { recursive: true, force: true }); },
  };
}

/** `x : real[w]` and friends. */
export const real = (name: string, width: number): VarSpec => ({ name, width, elem: 'real' });
/** `x : binary[w]`. */
export const binary = (name: string, width: number): VarSpec => ({ name, width, elem: 'binary' });

/**
 * NPY version 1.0 bytes written straight from the format description: the magic `\x93NUMPY`,
 * bytes 1 and 0, a little-endian uint16 header length, then the header dict padded with spaces
 * and ended by '\n' so that the data starts at a multiple of 64 bytes, then the raw data.
 */
export function npyBytes(descr: string, shape: readonly number[], data: Uint8Array, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  let total = 10 + dict.length + 1;
  while (total % 64 !== 0) total++;
  const header = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, header.length & 0xff, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(data, total);
  return out;
}

/** The little-endian bytes of a typed array. */
export function le(a: Float64Array | Float32Array | Int32Array | Int16Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A canonical 44-byte-header WAV: RIFF, fmt (16 bytes: format, channels, rate, byte rate, block align, bits), data. */
export function wavBytes(format: 1 | 3, bits: 16 | 32, rate: number, data: Uint8Array, channels = 1): Uint8Array {
  const out = Buffer.alloc(44 + data.length);
  out.write('RIFF', 0, 'latin1'); out.writeUInt32LE(36 + data.length, 4); out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1'); out.writeUInt32LE(16, 16); out.writeUInt16LE(format, 20); out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(rate, 24); out.writeUInt32LE(rate * channels * bits / 8, 28); out.writeUInt16LE(channels * bits / 8, 32); out.writeUInt16LE(bits, 34);
  out.write('data', 36, 'latin1'); out.writeUInt32LE(data.length, 40);
  out.set(data, 44);
  return out;
}

/** Flattens frames into a Float64Array (for comparing sequence values). */
export const flat = (frames: number[][]): number[] => frames.flat();
