/** @file The options and result every dataset builder shares, and the provenance of Debian packages. */
import { run } from './common.js';

/** How a builder is run. */
export interface BuildOptions {
  /** A few sequences, built in seconds (tests). */
  readonly tiny: boolean;
  /** Output directory (emptied first). */
  readonly out: string;
  readonly log: (line: string) => void;
}

/** What a build wrote: the directory, sequences per split and the SHA256SUMS text. */
export interface BuildResult {
  readonly out: string;
  readonly counts: Record<'train' | 'valid' | 'test', number>;
  readonly sums: string;
}

/** A Debian package a dataset draws material from, and its licence as its copyright file states it. */
export interface Material {
  readonly pkg: string;
  readonly licence: string;
}

/** Markdown lines listing each package with its installed version and licence. */
export function provenanceLines(materials: readonly Material[]): string[] {
  return materials.map((m) => {
    const version = run('dpkg-query', ['-W', '-f', '${Version}', m.pkg]).toString().trim();
    return `- \`${m.pkg}\` ${version}: ${m.licence} (/usr/share/doc/${m.pkg}/copyright)`;
  });
}
