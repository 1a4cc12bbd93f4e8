/**
 * Builds seqppl's built-in speech dataset, data/speech/{train,valid,test}/*.wav and
 * data/speech/dataset.json, from real recorded speech shipped in Debian packages (see
 * data/speech/README.md for provenance and licences). Run through scripts/build-default-dataset.sh,
 * which fetches and unpacks the packages and decodes the G.722 prompts with ffmpeg:
 *
 *   bash scripts/build-default-dataset.sh     # or: npx tsx scripts/build-default-dataset.ts <root> [outDir]
 *
 * <root> holds the unpacked .deb files (`dpkg -x`) and, in <root>/g722-decoded/, every top-level
 * Allison prompt decoded to headerless 16-bit little-endian mono PCM at 16 kHz (`<name>.s16`).
 *
 * Processing, per recording:
 *   1. read 16-bit PCM (RIFF WAV, or headerless little-endian raw at 16 kHz); check its sha256;
 *   2. mono: average the channels (every source used here is already mono);
 *   3. 16 kHz: kept as is at 16 kHz; 48 kHz is decimated by 3 after a windowed-sinc low-pass FIR
 *      (see designLowpass) and rounded back to 16-bit;
 *   4. written whole as a 16-bit mono PCM WAV file into the recording's split.
 * The loader cuts them into 200-sample frames (the model's x_dim) and, as dataset.json says,
 * into sequences of 40 frames (0.5 s) every 20 frames, inside each recording.
 * Everything is integer or IEEE-754 double arithmetic without library transcendental functions,
 * so the output is byte-identical from run to run and machine to machine (SHA256SUMS).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TARGET_RATE = 16000;
/** The windows the loader cuts: 40 frames of 200 samples, a new one every 20 frames. */
export const WINDOW = { steps: 40, hop: 20 };

type Split = 'train' | 'valid' | 'test';
interface Source {
  /** Prefix of the output file name, naming the package. */
  tag: string;
  path: string; // inside the unpacked package
  sha256: string;
  /** 'wav', or 'raw16k' = headerless 16-bit little-endian mono PCM at 16 kHz */
  format: 'wav' | 'raw16k';
  split: Split;
  says: string;
}

const ALSA = 'usr/share/sounds/alsa';
const PS = 'usr/share/pocketsphinx/test/data';
const C2 = 'usr/share/codec2';
/** The decoded Allison prompts (asterisk-core-sounds-en-g722), see selectPrompts. */
const G722 = 'g722-decoded';

/**
 * Every fixed recording used, and its split. Left out on purpose (see data/speech/README.md):
 * alsa-utils Noise.wav (noise); pocketsphinx-testdata tidigits/dhd.2934z.raw (from TIDIGITS, an
 * LDC corpus under its own licence), numbers.raw and something.raw (origin not documented);
 * codec2-examples' 8 kHz recordings (narrow-band) and wia_16kHz.wav (content not documented).
 */
export const SOURCES: Source[] = [
  // alsa-utils 1.2.8-1: the spoken channel names played by speaker-test, 48 kHz
  { tag: 'alsa', path: `${ALSA}/Front_Center.wav`, sha256: '0d61518bcd3f13b0c709a5298e939caf698b80d31d71d50475365ee0e5536cc9', format: 'wav', split: 'train', says: 'front center' },
  { tag: 'alsa', path: `${ALSA}/Front_Left.wav`, sha256: '9f97e8458785da2f0aa0ec60bf9cc81520cbf80a4683e83eca9cb5f2958e9fef', format: 'wav', split: 'train', says: 'front left' },
  { tag: 'alsa', path: `${ALSA}/Front_Right.wav`, sha256: '1fdea4d7003f1f7d3e48d3521aaab0a112c4ac570b02ddf1813abacac3070f6f', format: 'wav', split: 'train', says: 'front right' },
  { tag: 'alsa', path: `${ALSA}/Rear_Center.wav`, sha256: '9343207e3298813fdc4d26b7948e15a38533c37a9f232c3eff809b565398b330', format: 'wav', split: 'train', says: 'rear center' },
  { tag: 'alsa', path: `${ALSA}/Rear_Left.wav`, sha256: '1679e0557701864d55b742a0abd3fe5f50d95b1bfcb55ffad4b597dcc7e3c7b8', format: 'wav', split: 'train', says: 'rear left' },
  { tag: 'alsa', path: `${ALSA}/Side_Left.wav`, sha256: '03dc7c641d7825417d2a261831715e945e95d87343fb037db910e7ce4f87a2a1', format: 'wav', split: 'train', says: 'side left' },
  { tag: 'alsa', path: `${ALSA}/Rear_Right.wav`, sha256: '12828d125f692faa75c7445d52125dcc2c36f82c4f7a3ef49b8ae6afd74ada9d', format: 'wav', split: 'valid', says: 'rear right' },
  { tag: 'alsa', path: `${ALSA}/Side_Right.wav`, sha256: 'ecdd0329945f355960796a56f8126d5080ed93fdd2437c7eaddbbbd56137d7e9', format: 'wav', split: 'test', says: 'side right' },
  // pocketsphinx-testdata 0.8+5prealpha+1-15: LibriVox reading of "Sense and Sensibility", ch. 1, 16 kHz
  { tag: 'librivox', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0870.wav`, sha256: 'b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c', format: 'wav', split: 'train', says: 'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them' },
  { tag: 'librivox', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0890.wav`, sha256: '5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10', format: 'wav', split: 'train', says: 'unless to be rather cold hearted and rather selfish is to be ill disposed' },
  { tag: 'librivox', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0920.wav`, sha256: '40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59', format: 'wav', split: 'train', says: 'had he married a more a amiable woman he might have been made still more respectable than he was' },
  { tag: 'librivox', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0930.wav`, sha256: '954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7', format: 'wav', split: 'valid', says: 'he might even have been made amiable himself' },
  { tag: 'librivox', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0880.wav`, sha256: 'fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414', format: 'wav', split: 'test', says: 'he was not an ill disposed young man' },
  // pocketsphinx-testdata: CMU Sphinx test utterances, 16 kHz
  { tag: 'cmu', path: `${PS}/cards/001.wav`, sha256: '899951e768666f27c8f8b1d4090b96fe7909cae9cec01bec0a5d5d1b8a8d566e', format: 'wav', split: 'train', says: 'ten of clubs' },
  { tag: 'cmu', path: `${PS}/cards/002.wav`, sha256: 'a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec', format: 'wav', split: 'train', says: 'four queen of clubs' },
  { tag: 'cmu', path: `${PS}/cards/005.wav`, sha256: '090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9', format: 'wav', split: 'train', says: 'eight of spades four of clubs seven of hearts' },
  { tag: 'cmu', path: `${PS}/goforward.raw`, sha256: 'f15c60ec54059d8b66e410d0064945a0b0a04ea56e1ddca1958e493c0cf70e71', format: 'raw16k', split: 'train', says: 'go forward ten meters' },
  { tag: 'cmu', path: `${PS}/cards/004.wav`, sha256: '4c44a8177f5b128b99f078cdeb918119933155574231f1833e8840d1af09c521', format: 'wav', split: 'valid', says: 'five five' },
  { tag: 'cmu', path: `${PS}/cards/003.wav`, sha256: '00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b', format: 'wav', split: 'test', says: 'seven of clubs' },
  // codec2-examples 1.0.5-1: codec2's wide-band reference recording, 16 kHz
  { tag: 'codec2', path: `${C2}/raw/speech_orig_16k.wav`, sha256: '594c291468dfb3c0974ee204cf1ddd7925a87c1dbdcd905fcd23a43942b660f7', format: 'wav', split: 'train', says: '(not transcribed)' },
];

/**
 * The Allison Smith prompts used (asterisk-core-sounds-en-g722 1.6.1-1, top-level directory, not
 * digits/letters/silence): every 8th prompt in code-unit order of its name, skipping `beep` (a
 * tone, not speech) and prompts longer than 8 s, until they add up to at most 96 s; of those, the 5th of every 10 goes to valid and
 * the 10th to test, the rest to train. Their sha256s are those of the decoded PCM.
 */
export function selectPrompts(names: readonly string[], seconds: (name: string) => number): { name: string; split: Split }[] {
  const out: { name: string; split: Split }[] = [];
  let total = 0;
  [...names].sort().forEach((name, i) => {
    if (i % 8 !== 0 || name === 'beep' || seconds(name) > 8 || total + seconds(name) > 96) return;
    total += seconds(name);
    const k = out.length % 10;
    out.push({ name, split: k === 4 ? 'valid' : k === 9 ? 'test' : 'train' });
  });
  return out;
}
// ---------------------------------------------------------------------------------------------
// Reading

interface Pcm {
  rate: number;
  channels: number;
  /** interleaved 16-bit samples */
  data: Int16Array;
}

function readWav(buf: Buffer, name: string): Pcm {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${name}: not RIFF/WAVE`);
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new Error(`${name}: data before fmt`);
      if (fmt.format !== 1 || fmt.bits !== 16) throw new Error(`${name}: only 16-bit PCM is supported`);
      size = Math.min(size, buf.length - body); // tolerate a truncated data chunk
      return { rate: fmt.rate, channels: fmt.channels, data: readRaw(buf.subarray(body, body + size)) };
    }
    off = body + size + (size & 1);
  }
  throw new Error(`${name}: no data chunk`);
}

function readRaw(buf: Buffer): Int16Array {
  const n = Math.floor(buf.length / 2);
  const data = new Int16Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readInt16LE(2 * i);
  return data;
}

/** Mono 16-bit samples (channels averaged, rounded half away from zero; a no-op for mono). */
function toMono(p: Pcm): Int16Array {
  if (p.channels === 1) return p.data;
  const n = Math.floor(p.data.length / p.channels);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < p.channels; c++) s += p.data[i * p.channels + c]!;
    out[i] = Math.sign(s) * Math.round(Math.abs(s) / p.channels);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Resampling: windowed-sinc low-pass FIR + integer decimation

/** sin(2*pi*num/den) for integers, by exact integer range reduction and a Taylor series. */
function sin2pi(num: number, den: number): number {
  let r = ((num % den) + den) % den; // 0 <= r < den, exact
  // map to x in [-pi, pi]
  let x = (2 * Math.PI * r) / den;
  if (2 * r > den) x = (2 * Math.PI * (r - den)) / den;
  let term = x;
  let sum = x;
  for (let k = 1; k < 40; k++) {
    term *= -(x * x) / ((2 * k) * (2 * k + 1));
    sum += term;
  }
  return sum;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-20 * sum) break;
  }
  return sum;
}

/**
 * Zero-phase low-pass FIR of 2*half+1 taps: ideal low-pass h[n] = sin(2 pi fc n / fs) / (pi n)
 * (cutoff fc = cutNum/cutDen * fs) times a Kaiser window of parameter beta, scaled to unit DC
 * gain. For 48 kHz -> 16 kHz: fc = 7.5 kHz (cutNum/cutDen = 5/32), half = 180 (361 taps),
 * beta = 8.6: stop-band attenuation about 86 dB, transition width about
 * (86 - 8) / (2.285 * 2 pi * 360) * 48 kHz = 720 Hz, i.e. roughly 7.14 to 7.86 kHz, so everything
 * that would alias (>= 8 kHz) is attenuated by about 86 dB while 0 to 7.1 kHz passes unchanged.
 */
export function designLowpass(cutNum: number, cutDen: number, half: number, beta: number): Float64Array {
  const h = new Float64Array(2 * half + 1);
  const i0b = besselI0(beta);
  for (let n = -half; n <= half; n++) {
    const ideal = n === 0 ? (2 * cutNum) / cutDen : sin2pi(n * cutNum, cutDen) / (Math.PI * n);
    const t = n / half;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - t * t))) / i0b;
    h[n + half] = ideal * w;
  }
  let s = 0;
  for (const v of h) s += v;
  for (let i = 0; i < h.length; i++) h[i] /= s;
  return h;
}

/** y[m] = sum_k h[k] x[m*factor + k - half], with zeros outside the recording. */
function filterDecimate(x: Float64Array, h: Float64Array, factor: number): Float64Array {
  const half = (h.length - 1) / 2;
  const n = Math.floor(x.length / factor);
  const y = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    const c = m * factor;
    let s = 0;
    const k0 = Math.max(0, half - c);
    const k1 = Math.min(h.length - 1, x.length - 1 - c + half);
    for (let k = k0; k <= k1; k++) s += h[k] * x[c + k - half];
    y[m] = s;
  }
  return y;
}

/** 16 kHz 16-bit samples: as they are at 16 kHz; 48 kHz low-passed, decimated by 3, rounded and clipped. */
function to16k(x: Int16Array, rate: number): Int16Array {
  if (rate === TARGET_RATE) return x;
  if (rate !== 48000) throw new Error(`no resampler for ${rate} Hz`);
  const y = filterDecimate(Float64Array.from(x, (v) => v / 32768), designLowpass(5, 32, 180, 8.6), 3);
  return Int16Array.from(y, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A canonical 44-byte-header 16-bit mono PCM WAV file. */
export function wavBytes(samples: Int16Array, rate: number): Buffer {
  const out = Buffer.alloc(44 + samples.length * 2);
  out.write('RIFF', 0, 'latin1'); out.writeUInt32LE(36 + samples.length * 2, 4); out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1'); out.writeUInt32LE(16, 16); out.writeUInt16LE(1, 20); out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24); out.writeUInt32LE(rate * 2, 28); out.writeUInt16LE(2, 32); out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1'); out.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 44 + 2 * i);
  return out;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function main(): void {
  const root = process.argv[2];
  const outDir = process.argv[3] ?? 'data/speech';
  if (!root) throw new Error('usage: build-default-dataset.ts <dir with the unpacked .debs> [outDir]');
  const jobs: { file: string; split: Split; pcm: Pcm; says: string }[] = [];
  for (const s of SOURCES) {
    const buf = readFileSync(join(root, s.path));
    if (sha256(buf) !== s.sha256) throw new Error(`${s.path}: sha256 ${sha256(buf)}, expected ${s.sha256}`);
    const pcm = s.format === 'wav' ? readWav(buf, s.path) : { rate: 16000, channels: 1, data: readRaw(buf) };
    jobs.push({ file: `${s.tag}-${s.path.split('/').pop()!.replace(/\.(wav|raw)$/, '')}.wav`, split: s.split, pcm, says: s.says });
  }
  const dir = join(root, G722);
  const raw = new Map(readdirSync(dir).filter((f) => f.endsWith('.s16')).map((f) => [f.replace(/\.s16$/, ''), readFileSync(join(dir, f))]));
  for (const p of selectPrompts([...raw.keys()], (n) => raw.get(n)!.length / 2 / TARGET_RATE)) {
    jobs.push({ file: `allison-${p.name}.wav`, split: p.split, pcm: { rate: TARGET_RATE, channels: 1, data: readRaw(raw.get(p.name)!) }, says: p.name });
  }
  for (const split of ['train', 'valid', 'test']) rmSync(join(outDir, split), { recursive: true, force: true });
  const sums: string[] = [];
  const rows: string[] = [];
  const seconds = { train: 0, valid: 0, test: 0 };
  for (const j of jobs) {
    const x = to16k(toMono(j.pcm), j.pcm.rate);
    const bytes = wavBytes(x, TARGET_RATE);
    mkdirSync(join(outDir, j.split), { recursive: true });
    writeFileSync(join(outDir, j.split, j.file), bytes);
    sums.push(`${sha256(bytes)}  ${j.split}/${j.file}`);
    const frames = Math.floor(x.length / 200);
    const seqs = frames < WINDOW.steps ? 0 : Math.floor((frames - WINDOW.steps) / WINDOW.hop) + 1;
    seconds[j.split] += x.length / TARGET_RATE;
    rows.push(`${j.split}\t${seqs}\t${j.pcm.rate}\t${(x.length / TARGET_RATE).toFixed(3)}s\t${j.file}\t${j.says}`);
  }
  const descriptor = JSON.stringify({ window: WINDOW }) + '\n';
  writeFileSync(join(outDir, 'dataset.json'), descriptor);
  sums.push(`${sha256(Buffer.from(descriptor))}  dataset.json`);
  writeFileSync(join(outDir, 'SHA256SUMS'), sums.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1)).join('\n') + '\n');
  console.log(['split\tseqs\trate\tduration\tfile\tsays', ...rows].join('\n'));
  console.log(`seconds: train ${seconds.train.toFixed(1)}, valid ${seconds.valid.toFixed(1)}, test ${seconds.test.toFixed(1)}`);
}

main();
