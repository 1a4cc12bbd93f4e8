/**
 * @file The polyphonic music dataset builder: the MIDI songs of two Debian packages
 * (openttd-openmsx, planetblupi-music-midi) as piano rolls in the convention of
 * Boulanger-Lewandowski et al. 2012 — one list of sounding MIDI notes (21..108) per step —
 * quantized to eighth notes. Percussion (channel 10) is left out; a note sounds at step k if it
 * overlaps the step's time span [k q, (k+1) q), q = ticks per beat / 2. Split by song.
 *
 * The training split is augmented by transposition, as is usual for piano rolls: each training
 * song also appears shifted by every interval in `TRANSPOSE` (−6 … +5 semitones, so every key
 * once) that keeps all its notes on the 88 keys. Validation and test songs are not transposed,
 * so the held-out numbers measure the original songs. With 33 songs the models otherwise
 * overfit within about 2,000 steps.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMidi } from 'midi-file';
import { pianoHigh, pianoLow } from '../../src/runtime/data/formats/pianoroll.js';
import { BuildError, ensureApt, freshDir, put, sha256, splitOf, writeSums, type AptNeed } from './common.js';
import { provenanceLines, type BuildOptions, type BuildResult } from './types.js';

/** Where the songs are, and their package. */
export const songDirs = [
  { pkg: 'openttd-openmsx', dir: '/usr/share/games/openttd/baseset/openmsx', licence: 'GPL-2.0 ("© 2010 various authors", see the package\'s readme.txt)' },
  { pkg: 'planetblupi-music-midi', dir: '/usr/share/planetblupi/music', licence: 'GPL-3+ (© 1997 Daniel Roux, EPSITEC SA & Denis Dumoulin; 2017-2018 Mathieu Schroeter)' },
] as const;
/** The Debian packages the builder needs. */
export const needs: AptNeed[] = songDirs.map((s) => ({ pkg: s.pkg, file: s.dir }));

/** Steps per quarter note (2: eighth notes). */
export const STEPS_PER_BEAT = 2;

/** The transpositions (semitones) added to the training split besides the original (0). */
export const TRANSPOSE: readonly number[] = [-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5];

/** The shifts of `TRANSPOSE` that keep every note of `steps` within the piano's keys. */
export function transpositions(steps: readonly (readonly number[])[]): number[] {
  const notes = steps.flat();
  if (notes.length === 0) return [];
  const lo = Math.min(...notes), hi = Math.max(...notes);
  return TRANSPOSE.filter((d) => lo + d >= pianoLow && hi + d <= pianoHigh);
}

/** `steps` with every note moved by `d` semitones. */
export function transpose(steps: readonly (readonly number[])[], d: number): number[][] {
  return steps.map((notes) => notes.map((n) => n + d));
}

/** A song as a piano roll, and what was dropped from it. */
export interface Roll {
  readonly steps: number[][];
  readonly outOfRange: number;
}

/** The piano roll of a standard MIDI file (any format, ticks-per-beat timing); `file` names it in errors. */
export function midiToRoll(bytes: Uint8Array, file: string): Roll {
  const midi = parseMidi(bytes);
  const tpb = midi.header.ticksPerBeat;
  if (!tpb) throw new BuildError(`${file}: SMPTE time division; expected ticks per beat`);
  const q = tpb / STEPS_PER_BEAT;
  const notes: { on: number; off: number; note: number }[] = [];
  for (const track of midi.tracks) {
    let t = 0;
    const open = new Map<number, number[]>();
    for (const e of track) {
      t += e.deltaTime;
      if (e.type !== 'noteOn' && e.type !== 'noteOff') continue;
      if (e.channel === 9) continue;
      const key = e.channel * 128 + e.noteNumber;
      if (e.type === 'noteOn' && e.velocity > 0) open.set(key, [...(open.get(key) ?? []), t]);
      else {
        const starts = open.get(key);
        const on = starts?.shift();
        if (on !== undefined && t > on) notes.push({ on, off: t, note: e.noteNumber });
      }
    }
  }
  const end = Math.max(0, ...notes.map((n) => n.off));
  const steps: Set<number>[] = Array.from({ length: Math.ceil(end / q) }, () => new Set());
  let outOfRange = 0;
  for (const n of notes) {
    if (n.note < pianoLow || n.note > pianoHigh) { outOfRange++; continue; }
    for (let k = Math.floor(n.on / q); k * q < n.off; k++) steps[k]!.add(n.note);
  }
  return { steps: steps.map((s) => [...s].sort((a, b) => a - b)), outOfRange };
}

/** Builds the music dataset into `opts.out`. */
export function buildMusic(opts: BuildOptions): BuildResult {
  ensureApt(needs, opts.log);
  const songs = songDirs.flatMap((d) => readdirSync(d.dir).filter((f) => /\.midi?$/i.test(f)).sort().map((f) => ({ pkg: d.pkg, file: join(d.dir, f) })));
  if (songs.length < 10) throw new BuildError(`found ${songs.length} MIDI files; expected at least 10`);
  const assigned = songs.map((s, i) => ({ ...s, split: splitOf(i) }));
  const used = opts.tiny ? (['train', 'valid', 'test'] as const).map((sp) => assigned.find((s) => s.split === sp)!) : assigned;
  freshDir(opts.out);
  const splits = { train: [] as number[][][], valid: [] as number[][][], test: [] as number[][][] };
  const rows = ['split\tindex\tpackage\tfile\tsha256\tsteps\tnotes_out_of_range\ttranspose'];
  let transposed = 0;
  for (const s of used) {
    const bytes = readFileSync(s.file);
    const roll = midiToRoll(bytes, s.file);
    const steps = opts.tiny ? roll.steps.slice(0, 48) : roll.steps;
    const sum = sha256(bytes);
    const add = (song: number[][], d: number): void => {
      rows.push(`${s.split}\t${splits[s.split].length}\t${s.pkg}\t${s.file}\t${sum}\t${steps.length}\t${roll.outOfRange}\t${d}`);
      splits[s.split].push(song);
    };
    add(steps, 0);
    if (s.split !== 'train') continue;
    const shifts = transpositions(steps);
    for (const d of shifts) add(transpose(steps, d), d);
    transposed += shifts.length;
  }
  for (const sp of ['train', 'valid', 'test'] as const) put(opts.out, `${sp}.json`, '[\n' + splits[sp].map((q) => JSON.stringify(q)).join(',\n') + '\n]\n');
  put(opts.out, 'songs.tsv', rows.join('\n') + '\n');
  const counts = { train: splits.train.length, valid: splits.valid.length, test: splits.test.length };
  const total = (sp: 'train' | 'valid' | 'test') => splits[sp].reduce((a, q) => a + q.length, 0);
  put(opts.out, 'PROVENANCE.md', [
    `# Polyphonic music dataset${opts.tiny ? ' (tiny)' : ''}`, '',
    `Built by \`npm run dataset -- music${opts.tiny ? ' --tiny' : ''}\` (scripts/datasets/music.ts). ${used.length} MIDI songs from Debian game`,
    'packages as piano rolls (Boulanger-Lewandowski et al. 2012 convention: per step, the list of',
    'sounding MIDI notes 21..108), quantized to eighth notes, percussion left out, split by song',
    `(songs.tsv). The training split also holds ${transposed} transposed copies of its songs (every shift`,
    `of ${TRANSPOSE[0]}..+${TRANSPOSE[TRANSPOSE.length - 1]} semitones that keeps a song on the 88 keys; column \`transpose\` of songs.tsv);`,
    'validation and test songs are the originals only. This is not one of the four standard datasets (JSB Chorales, Nottingham, MuseData,',
    'Piano-midi.de): none of them is shipped by a Debian package or an npm package that could be',
    'found, so numbers on it do not compare with published ones.', '',
    `Sequences: train ${counts.train} (${counts.train - transposed} songs and ${transposed} transpositions; ${total('train')} steps), valid ${counts.valid} (${total('valid')} steps), test ${counts.test} (${total('test')} steps).`, '',
    'Debian packages (version; licence as its copyright file states it):', '',
    ...provenanceLines(songDirs.map((d) => ({ pkg: d.pkg, licence: d.licence }))), '',
  ].join('\n'));
  return { out: opts.out, counts, sums: writeSums(opts.out) };
}
