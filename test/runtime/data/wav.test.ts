/** @file WAV input people have: 24-bit and stereo files (Python's wave module as the reference), 8-bit and float64, and resampling to one rate. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../../src/runtime/data/dataset.js';
import { decodeWav } from '../../../src/runtime/data/formats/wav.js';
import { resample } from '../../../src/runtime/data/formats/resample.js';
import { fixtures, le, real, tempDir, wavBytes } from './helpers.js';

describe('data/wav', () => {
  it('wav: 24-bit stereo is scaled by 2^-23 and mixed down to the mean of the channels', () => {
    const a = decodeWav(readFileSync(join(fixtures, 'python-wave-24bit-stereo.wav')), 'f.wav');
    const pairs = [[0, 0], [4194304, -4194304], [8388607, 8388607], [-8388608, 0], [1, 3]];
    expect([a.sampleRate, a.channels]).to.deep.equal([11025, 2]);
    expect([...a.samples]).to.deep.equal(pairs.map(([l, r]) => (l! + r!) / 2 / 8388608));
  });

  it('wav: 8-bit PCM is unsigned around 128; float64 is read as is', () => {
    const u8 = Buffer.from(wavBytes(1, 16, 8000, Uint8Array.of(0, 128, 255, 64)));
    u8.writeUInt16LE(8, 34); u8.writeUInt16LE(1, 32);
    expect([...decodeWav(u8, 'u8.wav').samples]).to.deep.equal([-1, 0, 127 / 128, -0.5]);
    const f64 = Buffer.from(wavBytes(3, 32, 8000, le(Float64Array.of(0.25, -1))));
    f64.writeUInt16LE(64, 34); f64.writeUInt16LE(8, 32);
    expect([...decodeWav(f64, 'f64.wav').samples]).to.deep.equal([0.25, -1]);
  });

  it('resample: sines below 0.8 of the lower Nyquist frequency come out as the same sines at the new rate', () => {
    for (const [from, to, f] of [[22050, 16000, 440], [22050, 16000, 6000], [8000, 16000, 3000], [48000, 16000, 5000]] as const) {
      const x = Float64Array.from({ length: from / 2 }, (_, i) => Math.sin((2 * Math.PI * f * i) / from));
      const y = resample(x, from, to);
      expect(y.length).to.equal(to / 2);
      let err = 0;
      for (let i = to / 50; i < y.length - to / 50; i++) err = Math.max(err, Math.abs(y[i]! - Math.sin((2 * Math.PI * f * i) / to)));
      expect(err, `${from} -> ${to} Hz, ${f} Hz sine: max error ${err}`).to.be.lessThan(3e-4);
    }
    // Above the new Nyquist frequency (8 kHz) nothing aliases back.
    const hi = Float64Array.from({ length: 24000 }, (_, i) => Math.sin((2 * Math.PI * 12000 * i) / 48000));
    expect(Math.max(...resample(hi, 48000, 16000).subarray(400, 7600).map(Math.abs))).to.be.lessThan(1e-3);
  });

  it('wav: dataset.json sampleRate converts files of other rates and says so; without it mixed rates are refused with the fix', () => {
    const d = tempDir();
    const tone = (rate: number) => wavBytes(3, 32, rate, le(Float32Array.from({ length: rate / 10 }, (_, i) => Math.sin((2 * Math.PI * 200 * i) / rate))));
    d.write('train/a.wav', tone(16000)); d.write('train/b.wav', tone(22050)); d.write('valid/a.wav', tone(8000)); d.write('test/a.wav', tone(16000));
    expect(() => loadDataset(d.dir, [real('x', 10)])).to.throw(`${d.dir}/train/b.wav: sample rate is 22050 Hz, but a.wav has 16000 Hz; all files must share one rate, or give the rate to convert them to in the dataset's dataset.json: {"sampleRate": 16000}`);
    d.write('dataset.json', '{"sampleRate": 16000}');
    const ds = loadDataset(d.dir, [real('x', 10)]);
    expect([ds.sampleRate, ds.train.map((s) => s.length), ds.valid[0]!.length, ds.notes]).to.deep.equal([16000, [160, 160], 160, [
      `${d.dir}/train: 1 of 2 WAV files were resampled to 16000 Hz (dataset.json sampleRate)`, `${d.dir}/valid: 1 of 1 WAV files were resampled to 16000 Hz (dataset.json sampleRate)`,
    ]]);
    d.remove();
  });
});
