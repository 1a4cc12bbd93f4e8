/**
 * @file The handwriting dataset builder: whole written lines as `(dx, dy, pen_up)` steps, drawn
 * from the vector glyphs of Debian's Hershey fonts (hershey.ts) by simulated writers. Each
 * writer has a font and a hand of their own — slant, size and aspect, letter and word spacing,
 * baseline drift, jitter and speed (the distance between sampled points) — and writes lines of
 * real Debian text (text.ts). Split by writer. `pen_up` is 1 on the last point of a stroke
 * (the pen lifts after it); y grows downwards, as in IAM-OnDB. Files are JSON arrays of
 * sequences of frames `[dx, dy, pen_up]`: read them with `--columns dxy=0:2,pen=2`.
 */
import { Rng } from '../../src/runtime/rng.js';
import { strokesSvg } from '../../src/runtime/plot.js';
import { BuildError, ensureApt, freshDir, put, splitOf, writeSums, type AptNeed } from './common.js';
import { readJhf, type Glyph, type Point } from './hershey.js';
import { debianSentences } from './text.js';
import { provenanceLines, type BuildOptions, type BuildResult } from './types.js';

const FONTS = '/usr/share/hershey-fonts';
/** Fonts writers are drawn from: the script and cursive faces, and two plain ones for print-like hands. */
export const fonts = ['cursive', 'scripts', 'scriptc', 'futural', 'timesi'] as const;
/** The Debian packages the builder needs. */
export const needs: AptNeed[] = [
  { pkg: 'hershey-fonts-data', file: `${FONTS}/cursive.jhf` },
  { pkg: 'fortunes-min', file: '/usr/share/games/fortunes/literature' },
];

/** A writer's hand. Lengths are in font units (a capital is about 21 tall). */
export interface Hand {
  readonly font: (typeof fonts)[number];
  readonly scale: number;
  readonly aspect: number;
  readonly slant: number;
  readonly letterGap: number;
  readonly wordGap: number;
  readonly driftAmp: number;
  readonly driftPeriod: number;
  readonly driftPhase: number;
  readonly jitter: number;
  readonly spacing: number;
}

/** Draws writer `w`'s hand from a generator seeded by w alone. */
export function handOf(w: number): Hand {
  const r = new Rng(1000 + w);
  const u = (a: number, b: number) => a + (b - a) * r.uniform();
  return {
    font: fonts[Math.min(fonts.length - 1, Math.floor(r.uniform() * fonts.length))]!, scale: u(0.75, 1.3), aspect: u(0.85, 1.15),
    slant: u(-0.1, 0.45), letterGap: u(-2, 3), wordGap: u(6, 14), driftAmp: u(0, 4), driftPeriod: u(250, 700),
    driftPhase: u(0, 6.283185307179586), jitter: u(0.05, 0.5), spacing: u(1.5, 4),
  };
}

/** Points of a polyline every `d` units of arc length (its first and last points kept). */
function resample(line: readonly Point[], d: number): Point[] {
  const out: Point[] = [line[0]!];
  let carry = 0;
  for (let i = 1; i < line.length; i++) {
    const [x0, y0] = line[i - 1]!, [x1, y1] = line[i]!;
    const len = Math.hypot(x1 - x0, y1 - y0);
    let s = d - carry;
    while (s < len) { out.push([x0 + ((x1 - x0) * s) / len, y0 + ((y1 - y0) * s) / len]); s += d; }
    carry = len - (s - d);
  }
  const last = line[line.length - 1]!;
  const prev = out[out.length - 1]!;
  if (prev[0] !== last[0] || prev[1] !== last[1]) out.push(last);
  return out;
}

/** One written line as `[dx, dy, pen_up]` frames (offsets from the previous point, the first from the origin). */
export function writeLine(text: string, font: ReadonlyMap<string, Glyph>, hand: Hand, rng: Rng): number[][] {
  const frames: number[][] = [];
  let penX = 0, lastX = 0, lastY = 0;
  for (const ch of text) {
    const g = font.get(ch) ?? font.get('?')!;
    if (ch === ' ') { penX += hand.wordGap; continue; }
    const origin = penX - g.left;
    for (const stroke of g.strokes) {
      const pts = resample(stroke.map(([x, y]) => [origin + x, y] as Point), hand.spacing);
      pts.forEach(([gx, gy], k) => {
        const base = hand.driftAmp * Math.sin((2 * Math.PI * gx) / hand.driftPeriod + hand.driftPhase);
        const x = hand.scale * hand.aspect * (gx - hand.slant * gy) + hand.jitter * rng.normal();
        const y = hand.scale * gy + base + hand.jitter * rng.normal();
        frames.push([round(x - lastX), round(y - lastY), k === pts.length - 1 ? 1 : 0]);
        lastX += frames[frames.length - 1]![0]!;
        lastY += frames[frames.length - 1]![1]!;
      });
    }
    penX += g.right - g.left + hand.letterGap;
  }
  return frames;
}

/** Rounds to 1/1000 of a unit, so files are short and exact sums reproduce the positions. */
const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Builds the handwriting dataset into `opts.out`. */
export function buildHandwriting(opts: BuildOptions): BuildResult {
  ensureApt(needs, opts.log);
  const faces = new Map(fonts.map((f) => [f, readJhf(`${FONTS}/${f}.jhf`)]));
  const texts = debianSentences(opts.tiny ? 2 : 4, opts.tiny ? 3 : 9).map((s) => s.text);
  const writers = opts.tiny ? 3 : 60, perWriter = opts.tiny ? 2 : 8;
  if (texts.length < writers * perWriter / 4) throw new BuildError(`only ${texts.length} text lines in the Debian texts`);
  freshDir(opts.out);
  const splits = { train: [] as number[][][], valid: [] as number[][][], test: [] as number[][][] };
  const rows: string[] = ['split\tindex\twriter\tfont\tsteps\ttext'];
  for (let w = 0; w < writers; w++) {
    const split = opts.tiny ? (['train', 'valid', 'test'] as const)[w]! : splitOf(w);
    const hand = handOf(w);
    const rng = new Rng(5000 + w);
    for (let k = 0; k < perWriter; k++) {
      const text = texts[(w * perWriter + k * 7) % texts.length]!;
      const seq = writeLine(text, faces.get(hand.font)!, hand, rng);
      rows.push(`${split}\t${splits[split].length}\t${w}\t${hand.font}\t${seq.length}\t${text}`);
      splits[split].push(seq);
    }
  }
  for (const s of ['train', 'valid', 'test'] as const) put(opts.out, `${s}.json`, '[\n' + splits[s].map((q) => JSON.stringify(q)).join(',\n') + '\n]\n');
  put(opts.out, 'lines.tsv', rows.join('\n') + '\n');
  put(opts.out, 'preview.svg', strokesSvg(splits.train[0]!.map((f) => [f[0]!, f[1]!, f[2]!] as const), { title: 'handwriting: training line 0' }));
  const counts = { train: splits.train.length, valid: splits.valid.length, test: splits.test.length };
  put(opts.out, 'PROVENANCE.md', [
    `# Handwriting dataset${opts.tiny ? ' (tiny)' : ''}`, '',
    `Built by \`npm run dataset -- handwriting${opts.tiny ? ' --tiny' : ''}\` (scripts/datasets/handwriting.ts). ${writers} simulated writers, ${perWriter} lines`,
    'each, split by writer (lines.tsv: split, index in the split, writer, font, steps, text). Each',
    'sequence is a whole line as frames [dx, dy, pen_up] in font units (y down); train with',
    '`--columns dxy=0:2,pen=2`. Glyphs: Hershey fonts (cursive, scripts, scriptc, futural, timesi).', '',
    `Sequences: train ${counts.train}, valid ${counts.valid}, test ${counts.test}.`, '',
    'Debian packages (version; licence as its copyright file states it):', '',
    ...provenanceLines([
      { pkg: 'hershey-fonts-data', licence: 'hershey-license: use for any purpose, with the acknowledgements: "The Hershey Fonts were originally created by Dr. A. V. Hershey while working at the U. S. National Bureau of Standards. The format of the Font data in this distribution was originally created by James Hurt, Cognition, Inc."' },
      { pkg: 'fortunes-min', licence: 'BSD (fortune-mod); the quotations are short extracts of published works' },
      { pkg: 'base-files', licence: 'the licence texts of /usr/share/common-licenses, which may be copied verbatim' },
    ]), '',
  ].join('\n'));
  return { out: opts.out, counts, sums: writeSums(opts.out) };
}
