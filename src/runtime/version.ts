/** @file The versions seqppl reports (`seqc --version`, exported models' metadata). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { env as ortEnv } from 'onnxruntime-node';
import { packageRoot } from './run.js';

let cached: string | undefined;

/** seqppl's version from its package.json (`unknown` if that cannot be read). */
export function seqpplVersion(): string {
  if (cached === undefined) {
    try {
      cached = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}

/** `seqc 0.1.0 (onnxruntime-node 1.30.0, Node.js 20.20.2)`. */
export function versionLine(): string {
  return `seqc ${seqpplVersion()} (onnxruntime-node ${ortEnv.versions.node ?? 'unknown'}, Node.js ${process.versions.node})`;
}
