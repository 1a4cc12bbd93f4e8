/**
 * @file The speech dataset builder: English sentences from Debian's texts (text.ts) read by
 * Debian's speech synthesizers — festival with voices built from recorded speakers, flite's
 * voices, espeak-ng — as 16 kHz 16-bit WAV files, one per (voice, sentence), split by sentence
 * (every voice's reading of a sentence is in that sentence's split). `dataset.json` makes the
 * loader cut each file into 200-sample frames and 40-frame (0.5 s) sequences, without overlap.
 * Normalization is the runtime's: `seqc train` computes per-dimension statistics on the
 * training split and stores them with the checkpoint.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav, encodeWav16 } from '../../src/runtime/data/formats/wav.js';
import { BuildError, ensureApt, freshDir, put, run, splitOf, writeSums, type AptNeed } from './common.js';
import { debianSentences, type Sentence } from './text.js';
import { provenanceLines, type BuildOptions, type BuildResult, type Material } from './types.js';

/** The sample rate, frame and sequence sizes of the dataset. */
export const RATE = 16000, FRAME = 200, WINDOW = 40;
/** Training sequences the full build must reach. */
export const MIN_TRAIN_SEQUENCES = 1500;

type Engine = 'festival' | 'flite' | 'espeak-ng';

/** One voice: how to run it, the package that ships it and whose voice it is. */
interface Voice {
  readonly id: string;
  readonly licence: string;
  readonly engine: Engine;
  readonly name: string;
  readonly need: AptNeed;
  readonly speaker: string;
}

const fest = (id: string, name: string, pkg: string, dir: string, speaker: string, licence: string): Voice =>
  ({ id, engine: 'festival', name, need: { pkg, file: `/usr/share/festival/voices/${dir}/${name}/festvox/${name}.scm` }, speaker, licence });
const flite = (name: string, speaker: string): Voice =>
  ({ id: `flite-${name}`, engine: 'flite', name, need: { pkg: 'flite', file: '/usr/bin/flite' }, speaker, licence: 'CMU/Edinburgh free licence (use, modify and distribute, keep the notice)' });
const espeak = (name: string, speaker: string): Voice =>
  ({ id: `espeak-${name}`, engine: 'espeak-ng', name, need: { pkg: 'espeak-ng', file: '/usr/bin/espeak-ng' }, speaker, licence: 'GPL-3+' });
const festLicence = 'free licence of CSTR/CMU (use, modify and distribute, keep the notice)';

/** Every voice of the full build. */
export const voices: readonly Voice[] = [
  fest('festival-kal', 'kal_diphone', 'festvox-kallpc16k', 'english', 'diphones recorded by Kevin Lenzo (US English, male)', festLicence),
  fest('festival-ked', 'ked_diphone', 'festvox-kdlpc16k', 'english', 'diphones recorded by "Kurt" in 1997 (US English, male)', festLicence),
  fest('festival-slt', 'cmu_us_slt_arctic_hts', 'festvox-us-slt-hts', 'us', 'HTS voice trained on CMU ARCTIC slt (US English, female)', 'EST-2003 and Nagoya Institute of Technology licence (free, keep the notice)'),
  flite('kal16', 'diphones recorded by Kevin Lenzo (US English, male)'),
  flite('awb', 'clustergen voice trained on CMU ARCTIC awb (Scottish English, male)'),
  flite('rms', 'clustergen voice trained on CMU ARCTIC rms (US English, male)'),
  flite('slt', 'clustergen voice trained on CMU ARCTIC slt (US English, female)'),
  espeak('en-us', 'formant synthesis, American English'),
  espeak('en-gb-x-rp', 'formant synthesis, British English (Received Pronunciation)'),
];

/** Voices of the tiny build: the two fastest to install and run. */
export const tinyVoices: readonly string[] = ['flite-kal16', 'espeak-en-us'];

/** Packages the builder needs besides the voices: the texts and sox (resampling espeak-ng's 22.05 kHz). */
const baseNeeds: AptNeed[] = [
  { pkg: 'fortunes-min', file: '/usr/share/games/fortunes/literature' },
  { pkg: 'sox', file: '/usr/bin/sox' },
  { pkg: 'festival', file: '/usr/bin/festival' },
];

/** The sentences of a build: 60 spread evenly over the Debian texts, or 4 for a tiny build (2 train, 1 valid, 1 test). */
export function chooseSentences(all: readonly Sentence[], tiny: boolean): { s: Sentence; split: 'train' | 'valid' | 'test' }[] {
  const n = 60;
  if (all.length < n) throw new BuildError(`found only ${all.length} usable sentences in the Debian texts; expected at least ${n}`);
  const chosen = Array.from({ length: n }, (_, i) => ({ s: all[Math.floor((i * all.length) / n)]!, split: splitOf(i) }));
  return tiny ? [0, 1, 8, 9].map((i) => chosen[i]!) : chosen;
}

/** Synthesizes `text` with `v` into 16 kHz mono samples in [-1, 1). */
function synthesize(v: Voice, texts: readonly string[], tmp: string): Float64Array[] {
  const wav = (i: number) => join(tmp, `${v.id}-${i}.wav`);
  if (v.engine === 'festival') {
    const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const scm = [`(voice_${v.name})`, ...texts.map((t, i) => `(let ((u (utt.synth (Utterance Text ${q(t)})))) (utt.wave.resample u ${RATE}) (utt.save.wave u ${q(wav(i))} 'riff))`)].join('\n');
    put(tmp, `${v.id}.scm`, scm + '\n');
    run('festival', ['--batch', join(tmp, `${v.id}.scm`)]);
  } else {
    texts.forEach((t, i) => {
      if (v.engine === 'flite') run('flite', ['-voice', v.name, '-t', t, '-o', wav(i)]);
      else {
        run('espeak-ng', ['-v', v.name, '-w', join(tmp, 'raw.wav'), t]);
        run('sox', ['-D', join(tmp, 'raw.wav'), '-r', String(RATE), '-b', '16', '-c', '1', wav(i)]);
      }
    });
  }
  return texts.map((_, i) => {
    const a = decodeWav(readFileSync(wav(i)), wav(i));
    if (a.sampleRate !== RATE) throw new BuildError(`${v.id} wrote ${a.sampleRate} Hz audio; expected ${RATE} Hz`);
    return a.samples;
  });
}

/** The Debian packages a build needs (a tiny build: no festival). */
export function speechNeeds(tiny: boolean): AptNeed[] {
  const used = voices.filter((v) => !tiny || tinyVoices.includes(v.id));
  return [...baseNeeds.filter((n) => !tiny || n.pkg !== 'festival'), ...new Map(used.map((v) => [v.need.pkg, v.need])).values()];
}

/** Builds the speech dataset into `opts.out`. */
export function buildSpeech(opts: BuildOptions): BuildResult {
  const used = voices.filter((v) => !opts.tiny || tinyVoices.includes(v.id));
  ensureApt(speechNeeds(opts.tiny), opts.log);
  const sentences = chooseSentences(debianSentences(), opts.tiny);
  freshDir(opts.out);
  const tmp = mkdtempSync(join(tmpdir(), 'seqppl-speech-'));
  const counts = { train: 0, valid: 0, test: 0 };
  try {
    for (const v of used) {
      opts.log(`${v.id}: ${sentences.length} sentences`);
      synthesize(v, sentences.map((x) => x.s.text), tmp).forEach((samples, i) => {
        const { split } = sentences[i]!;
        put(opts.out, `${split}/s${String(i).padStart(3, '0')}-${v.id}.wav`, encodeWav16(samples, RATE));
        counts[split] += Math.floor(samples.length / (FRAME * WINDOW));
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!opts.tiny && counts.train < MIN_TRAIN_SEQUENCES) throw new BuildError(`only ${counts.train} training sequences; expected at least ${MIN_TRAIN_SEQUENCES}`);
  put(opts.out, 'dataset.json', JSON.stringify({ window: { steps: WINDOW, hop: WINDOW } }) + '\n');
  put(opts.out, 'sentences.tsv', ['file_prefix\tsplit\tsource\ttext', ...sentences.map((x, i) => `s${String(i).padStart(3, '0')}\t${x.split}\t${x.s.source}\t${x.s.text}`)].join('\n') + '\n');
  const materials: Material[] = [
    { pkg: 'fortunes-min', licence: 'BSD (fortune-mod); the quotations are short extracts of published works' },
    { pkg: 'base-files', licence: 'the licence texts of /usr/share/common-licenses, which may be copied verbatim' },
    ...[...new Map(used.map((v) => [v.need.pkg, v.licence])).entries()].map(([pkg, licence]) => ({ pkg, licence })),
  ];
  put(opts.out, 'PROVENANCE.md', [
    `# Speech dataset${opts.tiny ? ' (tiny)' : ''}`, '',
    `Built by \`npm run dataset -- speech${opts.tiny ? ' --tiny' : ''}\` (scripts/datasets/speech.ts). ${sentences.length} English sentences`,
    `(sentences.tsv: text and source file) read by ${used.length} voices, 16 kHz 16-bit mono WAV, one file per`,
    `voice and sentence, split by sentence. dataset.json cuts every file into 0.5 s sequences of 40`,
    `frames of 200 samples (no overlap); the runtime normalizes on the training split.`, '',
    `Sequences: train ${counts.train}, valid ${counts.valid}, test ${counts.test}.`, '',
    '| voice | engine | speaker |', '| --- | --- | --- |', ...used.map((v) => `| ${v.id} | ${v.engine} ${v.name} | ${v.speaker} |`), '',
    'Debian packages (version; licence as its copyright file states it):', '',
    ...provenanceLines(materials), '',
  ].join('\n'));
  return { out: opts.out, counts, sums: writeSums(opts.out) };
}
