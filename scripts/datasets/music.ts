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
 *
 * `music-plus` is the same dataset with more training songs: the 67 level and menu tunes of
 * Debian's `freedoom` (standard MIDI files stored as `D_*` lumps of its two WADs; duplicates
 * dropped), all in the training split and transposed likewise. Its validation and test splits
 * are exactly those of `music`, so the two tables measure the same held-out songs.
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

/** The extra training songs of `music-plus`: the music lumps of Freedoom's WADs. */
export const freedoom = {
  pkg: 'freedoom', wads: ['/usr/share/games/doom/freedoom1.wad', '/usr/share/games/doom/freedoom2.wad'],
  licence: 'BSD-3-Clause ("freedoom-license": © 2001-2012 Contributors to the Freedoom project)',
} as const;

/** One lump of a WAD file (id Software's archive format: a directory of named byte ranges). */
export interface Lump {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The lumps of a WAD ("IWAD"/"PWAD", lump count and directory offset, 16-byte entries). */
export function wadLumps(bytes: Uint8Array, file: string): Lump[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder('latin1').decode(bytes.subarray(0, 4));
  if (bytes.length < 12 || (magic !== 'IWAD' && magic !== 'PWAD')) throw new BuildError(`${file}: not a WAD file (expected IWAD or PWAD)`);
  const n = v.getInt32(4, true), dir = v.getInt32(8, true);
  if (n < 0 || dir < 12 || dir + 16 * n > bytes.length) throw new BuildError(`${file}: WAD directory out of range`);
  const out: Lump[] = [];
  for (let i = 0; i < n; i++) {
    const o = dir + 16 * i;
    const at = v.getInt32(o, true), size = v.getInt32(o + 4, true);
    if (at < 0 || size < 0 || at + size > bytes.length) throw new BuildError(`${file}: lump ${i} out of range`);
    const name = new TextDecoder('latin1').decode(bytes.subarray(o + 8, o + 16)).replace(/\0.*$/s, '');
    out.push({ name, data: bytes.subarray(at, at + size) });
  }
  return out;
}

/** Freedoom's songs: the `D_*` lumps that are standard MIDI files, first copy of each by content. */
function freedoomSongs(): { pkg: string; file: string; bytes: Uint8Array }[] {
  const seen = new Set<string>();
  const out: { pkg: string; file: string; bytes: Uint8Array }[] = [];
  for (const wad of freedoom.wads) {
    for (const l of wadLumps(readFileSync(wad), wad)) {
      if (!l.name.startsWith('D_') || new TextDecoder('latin1').decode(l.data.subarray(0, 4)) !== 'MThd') continue;
      const h = sha256(l.data);
      if (seen.has(h)) continue;
      seen.add(h);
      out.push({ pkg: freedoom.pkg, file: `${wad}:${l.name}`, bytes: l.data });
    }
  }
  return out;
}

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
  return build(opts, false);
}

/** Builds `music-plus` (the music dataset with Freedoom's songs added to its training split) into `opts.out`. */
export function buildMusicPlus(opts: BuildOptions): BuildResult {
  return build(opts, true);
}

function build(opts: BuildOptions, plus: boolean): BuildResult {
  ensureApt(plus ? [...needs, { pkg: freedoom.pkg, file: freedoom.wads[0] }] : needs, opts.log);
  const songs = songDirs.flatMap((d) => readdirSync(d.dir).filter((f) => /\.midi?$/i.test(f)).sort().map((f) => ({ pkg: d.pkg, file: join(d.dir, f), bytes: null as Uint8Array | null })));
  if (songs.length < 10) throw new BuildError(`found ${songs.length} MIDI files; expected at least 10`);
  // The split of the original songs does not depend on the extra ones, which all go to training.
  const extra = plus ? freedoomSongs() : [];
  if (plus && extra.length < 10) throw new BuildError(`found ${extra.length} MIDI lumps in Freedoom's WADs; expected at least 10`);
  const assigned = [...songs.map((s, i) => ({ ...s, split: splitOf(i) })), ...extra.map((s) => ({ ...s, split: 'train' as const }))];
  // Tiny: one song per split (and, for music-plus, the first of Freedoom's too).
  const used = opts.tiny ? [...(['train', 'valid', 'test'] as const).map((sp) => assigned.find((s) => s.split === sp)!), ...extra.slice(0, 1).map((s) => ({ ...s, split: 'train' as const }))] : assigned;
  const name = plus ? 'music-plus' : 'music';
  freshDir(opts.out);
  const splits = { train: [] as number[][][], valid: [] as number[][][], test: [] as number[][][] };
  const rows = ['split\tindex\tpackage\tfile\tsha256\tsteps\tnotes_out_of_range\ttranspose'];
  let transposed = 0;
  for (const s of used) {
    const bytes = s.bytes ?? readFileSync(s.file);
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
    `# Polyphonic music dataset${plus ? ' with Freedoom\'s songs' : ''}${opts.tiny ? ' (tiny)' : ''}`, '',
    `Built by \`npm run dataset -- ${name}${opts.tiny ? ' --tiny' : ''}\` (scripts/datasets/music.ts). ${used.length} MIDI songs from Debian game`,
    'packages as piano rolls (Boulanger-Lewandowski et al. 2012 convention: per step, the list of',
    'sounding MIDI notes 21..108), quantized to eighth notes, percussion left out, split by song',
    `(songs.tsv). The training split also holds ${transposed} transposed copies of its songs (every shift`,
    `of ${TRANSPOSE[0]}..+${TRANSPOSE[TRANSPOSE.length - 1]} semitones that keeps a song on the 88 keys; column \`transpose\` of songs.tsv);`,
    'validation and test songs are the originals only. This is not one of the four standard datasets (JSB Chorales, Nottingham, MuseData,',
    'Piano-midi.de): none of them is shipped by a Debian package or an npm package that could be',
    'found, so numbers on it do not compare with published ones.',
    ...(plus ? [`The ${opts.tiny ? 1 : extra.length} song${opts.tiny ? '' : 's'} of \`freedoom\` (its WADs' \`D_*\` MIDI lumps, duplicates dropped) ${opts.tiny ? 'is' : 'are all'} in the training split;`,
      'validation and test are the songs of `npm run dataset -- music`.'] : []), '',
    `Sequences: train ${counts.train} (${counts.train - transposed} songs and ${transposed} transpositions; ${total('train')} steps), valid ${counts.valid} (${total('valid')} steps), test ${counts.test} (${total('test')} steps).`, '',
    'Debian packages (version; licence as its copyright file states it):', '',
    ...provenanceLines([...songDirs.map((d) => ({ pkg: d.pkg, licence: d.licence })), ...(plus ? [{ pkg: freedoom.pkg, licence: freedoom.licence }] : [])]), '',
  ].join('\n'));
  return { out: opts.out, counts, sums: writeSums(opts.out) };
}
