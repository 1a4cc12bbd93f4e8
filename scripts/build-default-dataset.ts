/**
 * Builds seqppl's built-in default speech dataset, data/speech/{train,valid,test}.npy, from real
 * recorded speech shipped in two Debian packages (see data/speech/README.md for provenance and
 * licences). Run through scripts/build-default-dataset.sh, which fetches and unpacks the packages:
 *
 *   bash scripts/build-default-dataset.sh            # or: npx tsx scripts/build-default-dataset.ts <root>
 *
 * <root> is a directory into which both .deb files were unpacked with `dpkg -x`.
 *
 * Processing, per recording:
 *   1. read 16-bit PCM (RIFF WAV, or headerless little-endian raw at a known rate); check sha256;
 *   2. mono: average the channels (every source used here is already mono);
 *   3. 16 kHz: kept as is when the native rate is 16 kHz; 48 kHz is decimated by 3 after a
 *      windowed-sinc low-pass FIR (see designLowpass);
 *   4. scale: sample / 32768 (no normalization; the runtime computes its own statistics);
 *   5. frames of 200 samples (the trailing partial frame is dropped);
 *   6. sequences of 40 frames (0.5 s) with a hop of 20 frames (50% overlap), inside the recording.
 * Recordings are assigned whole to train, valid or test (table SOURCES). Output is little-endian
 * float32 NPY 1.0 of shape [N, 40, 200], header padded so the data starts at byte 128.
 * Everything is integer or IEEE-754 double arithmetic without library transcendental functions,
 * so the output is byte-identical from run to run and machine to machine.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FRAME = 200;
export const SEQ_FRAMES = 40;
export const HOP_FRAMES = 20;
export const TARGET_RATE = 16000;

type Split = 'train' | 'valid' | 'test';
interface Source {
  pkg: string;
  path: string; // inside the unpacked package
  sha256: string;
  /** 'wav', or 'raw16k' = headerless 16-bit little-endian mono PCM at 16 kHz */
  format: 'wav' | 'raw16k';
  split: Split;
  says: string;
}

const ALSA = 'usr/share/sounds/alsa';
const PS = 'usr/share/pocketsphinx/test/data';

/**
 * Every recording used, and its split. Order here is the order of sequences in the files.
 * Left out on purpose (see data/speech/README.md): alsa-utils Noise.wav (noise, not speech);
 * pocketsphinx-testdata tidigits/dhd.2934z.raw (from TIDIGITS, an LDC corpus under its own
 * licence), numbers.raw and something.raw (origin not documented), and, only to keep the float32
 * files under 5 MB, goforward.raw ("go forward ten meters", 10 sequences) and cards/001.wav
 * ("ten of clubs", 3 sequences).
 */
export const SOURCES: Source[] = [
  // alsa-utils 1.2.8-1: the spoken channel names played by speaker-test, 48 kHz
  { pkg: 'alsa-utils', path: `${ALSA}/Front_Center.wav`, sha256: '0d61518bcd3f13b0c709a5298e939caf698b80d31d71d50475365ee0e5536cc9', format: 'wav', split: 'train', says: 'front center' },
  { pkg: 'alsa-utils', path: `${ALSA}/Front_Left.wav`, sha256: '9f97e8458785da2f0aa0ec60bf9cc81520cbf80a4683e83eca9cb5f2958e9fef', format: 'wav', split: 'train', says: 'front left' },
  { pkg: 'alsa-utils', path: `${ALSA}/Front_Right.wav`, sha256: '1fdea4d7003f1f7d3e48d3521aaab0a112c4ac570b02ddf1813abacac3070f6f', format: 'wav', split: 'train', says: 'front right' },
  { pkg: 'alsa-utils', path: `${ALSA}/Rear_Center.wav`, sha256: '9343207e3298813fdc4d26b7948e15a38533c37a9f232c3eff809b565398b330', format: 'wav', split: 'train', says: 'rear center' },
  { pkg: 'alsa-utils', path: `${ALSA}/Rear_Left.wav`, sha256: '1679e0557701864d55b742a0abd3fe5f50d95b1bfcb55ffad4b597dcc7e3c7b8', format: 'wav', split: 'train', says: 'rear left' },
  { pkg: 'alsa-utils', path: `${ALSA}/Side_Left.wav`, sha256: '03dc7c641d7825417d2a261831715e945e95d87343fb037db910e7ce4f87a2a1', format: 'wav', split: 'train', says: 'side left' },
  { pkg: 'alsa-utils', path: `${ALSA}/Rear_Right.wav`, sha256: '12828d125f692faa75c7445d52125dcc2c36f82c4f7a3ef49b8ae6afd74ada9d', format: 'wav', split: 'valid', says: 'rear right' },
  { pkg: 'alsa-utils', path: `${ALSA}/Side_Right.wav`, sha256: 'ecdd0329945f355960796a56f8126d5080ed93fdd2437c7eaddbbbd56137d7e9', format: 'wav', split: 'test', says: 'side right' },
  // pocketsphinx-testdata 0.8+5prealpha+1-15: LibriVox reading of "Sense and Sensibility", ch. 1, 16 kHz
  { pkg: 'pocketsphinx-testdata', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0870.wav`, sha256: 'b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c', format: 'wav', split: 'train', says: 'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0890.wav`, sha256: '5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10', format: 'wav', split: 'train', says: 'unless to be rather cold hearted and rather selfish is to be ill disposed' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0920.wav`, sha256: '40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59', format: 'wav', split: 'train', says: 'had he married a more a amiable woman he might have been made still more respectable than he was' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0930.wav`, sha256: '954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7', format: 'wav', split: 'valid', says: 'he might even have been made amiable himself' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/librivox/sense_and_sensibility_01_austen_64kb-0880.wav`, sha256: 'fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414', format: 'wav', split: 'test', says: 'he was not an ill disposed young man' },
  // pocketsphinx-testdata: CMU Sphinx test utterances, 16 kHz
  { pkg: 'pocketsphinx-testdata', path: `${PS}/cards/002.wav`, sha256: 'a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec', format: 'wav', split: 'train', says: 'four queen of clubs' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/cards/005.wav`, sha256: '090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9', format: 'wav', split: 'train', says: 'eight of spades four of clubs seven of hearts' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/cards/004.wav`, sha256: '4c44a8177f5b128b99f078cdeb918119933155574231f1833e8840d1af09c521', format: 'wav', split: 'valid', says: 'five five' },
  { pkg: 'pocketsphinx-testdata', path: `${PS}/cards/003.wav`, sha256: '00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b', format: 'wav', split: 'test', says: 'seven of clubs' },
];

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
      const n = Math.floor(size / 2);
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) data[i] = buf.readInt16LE(body + 2 * i);
      return { rate: fmt.rate, channels: fmt.channels, data };
    }
    off = body + size + (size & 1);
  }
  throw new Error(`${name}: no data chunk`);
}

function readRaw16k(buf: Buffer): Pcm {
  const n = Math.floor(buf.length / 2);
  const data = new Int16Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readInt16LE(2 * i);
  return { rate: 16000, channels: 1, data };
}

/** Mono, in the original PCM scale / 32768, as doubles. */
function toMono(p: Pcm): Float64Array {
  const n = Math.floor(p.data.length / p.channels);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < p.channels; c++) s += p.data[i * p.channels + c];
    out[i] = s / p.channels / 32768;
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

function to16k(x: Float64Array, rate: number): Float64Array {
  if (rate === TARGET_RATE) return x;
  if (rate === 48000) return filterDecimate(x, designLowpass(5, 32, 180, 8.6), 3);
  throw new Error(`no resampler for ${rate} Hz`);
}

// ---------------------------------------------------------------------------------------------
// Framing, sequences, NPY

export function cutSequences(x: Float64Array, hop = HOP_FRAMES): Float32Array[] {
  const frames = Math.floor(x.length / FRAME);
  const out: Float32Array[] = [];
  for (let f = 0; f + SEQ_FRAMES <= frames; f += hop) {
    const seq = new Float32Array(SEQ_FRAMES * FRAME);
    for (let i = 0; i < seq.length; i++) seq[i] = x[f * FRAME + i];
    out.push(seq);
  }
  return out;
}

export function npyBytes(seqs: Float32Array[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${seqs.length}, ${SEQ_FRAMES}, ${FRAME}), }`;
  const pre = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header.padEnd(total - pre - 1, ' ') + '\n';
  const buf = Buffer.alloc(total + seqs.length * SEQ_FRAMES * FRAME * 4);
  buf.write('\x93NUMPY', 0, 'latin1');
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, pre, 'latin1');
  let off = total;
  for (const s of seqs) for (const v of s) { buf.writeFloatLE(v, off); off += 4; }
  return buf;
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  const root = process.argv[2];
  const outDir = process.argv[3] ?? 'data/speech';
  if (!root) throw new Error('usage: build-default-dataset.ts <dir with the unpacked .debs> [outDir]');
  const splits: Record<Split, Float32Array[]> = { train: [], valid: [], test: [] };
  const rows: string[] = [];
  for (const s of SOURCES) {
    const buf = readFileSync(join(root, s.path));
    const sha = createHash('sha256').update(buf).digest('hex');
    if (sha !== s.sha256) throw new Error(`${s.path}: sha256 ${sha}, expected ${s.sha256}`);
    const pcm = s.format === 'wav' ? readWav(buf, s.path) : readRaw16k(buf);
    const x = to16k(toMono(pcm), pcm.rate);
    const seqs = cutSequences(x);
    splits[s.split].push(...seqs);
    const name = s.path.split('/').pop();
    rows.push(`${s.split}\t${seqs.length}\t${pcm.rate}\t${(pcm.data.length / pcm.channels / pcm.rate).toFixed(3)}s\t${name}`);
  }
  mkdirSync(outDir, { recursive: true });
  for (const split of ['train', 'valid', 'test'] as const) {
    const bytes = npyBytes(splits[split]);
    writeFileSync(join(outDir, `${split}.npy`), bytes);
    console.log(`${split}: N=${splits[split].length} (${bytes.length} bytes)`);
  }
  console.log(['split\tseqs\trate\tduration\tfile', ...rows].join('\n'));
}

main();
