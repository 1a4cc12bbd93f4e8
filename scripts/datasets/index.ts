/**
 * @file `npm run dataset -- speech|handwriting|music|music-plus [--tiny] [--out DIR]`: builds one dataset
 * from real material in Debian packages into a git-ignored cache folder (data/cache/NAME, or
 * data/cache/NAME-tiny), installing the packages with apt-get when they are missing.
 */
import { join } from 'node:path';
import { BuildError } from './common.js';
import { buildHandwriting } from './handwriting.js';
import { buildMusic, buildMusicPlus } from './music.js';
import { buildSpeech } from './speech.js';
import type { BuildOptions, BuildResult } from './types.js';

/** The builders by name. */
export const builders: Record<string, (o: BuildOptions) => BuildResult> = { speech: buildSpeech, handwriting: buildHandwriting, music: buildMusic, 'music-plus': buildMusicPlus };

/** The default output folder of a build. */
export function cacheDir(name: string, tiny: boolean): string {
  return join('data', 'cache', tiny ? `${name}-tiny` : name);
}

function main(argv: readonly string[]): number {
  const name = argv.find((a) => !a.startsWith('--'));
  const tiny = argv.includes('--tiny');
  const outAt = argv.indexOf('--out');
  const build = name ? builders[name] : undefined;
  if (!build || (outAt >= 0 && !argv[outAt + 1])) {
    process.stderr.write(`usage: npm run dataset -- ${Object.keys(builders).join('|')} [--tiny] [--out DIR]\n`);
    return 2;
  }
  const out = outAt >= 0 ? argv[outAt + 1]! : cacheDir(name!, tiny);
  const t0 = Date.now();
  try {
    const r = build({ tiny, out, log: (l) => process.stderr.write(`${name}: ${l}\n`) });
    process.stdout.write(`${name}: wrote ${r.out}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s: train ${r.counts.train}, valid ${r.counts.valid}, test ${r.counts.test} sequences (SHA256SUMS, PROVENANCE.md)\n`);
    return 0;
  } catch (e) {
    if (e instanceof BuildError) { process.stderr.write(`dataset ${name}: ${e.message}\n`); return 1; }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
