/** @file The versions seqppl reports (`seqc --version`, exported models' metadata); imports nothing heavy, as every `seqc` start reads them. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** seqppl's version from its package.json (`unknown` if that cannot be read). */
export function seqpplVersion(): string {
  if (cached === undefined) {
    try {
      const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
      cached = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

/** The installed onnxruntime-node's version, from its package.json (loading the native library for it would cost start-up). */
function onnxruntimeVersion(): string {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** `seqc 0.1.0 (onnxruntime-node 1.30.0, Node.js 20.20.2)`. */
export function versionLine(): string {
  return `seqc ${seqpplVersion()} (onnxruntime-node ${onnxruntimeVersion()}, Node.js ${process.versions.node})`;
}
