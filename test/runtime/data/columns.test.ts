/** @file --columns: parsing a mapping against the model's variables, and reading plain frames of every format through it. */
import { expect } from 'chai';
import { loadDataset, readSequences } from '../../../src/runtime/data/dataset.js';
import { ColumnsError, parseColumns } from '../../../src/runtime/data/columns.js';
import { DataError } from '../../../src/runtime/data/errors.js';
import { main } from '../../../src/cli/main.js';
import { binary, le, npyBytes, real, tempDir, wavBytes } from './helpers.js';

const hw = [binary('pen', 1), real('dxy', 2)];
const vals = (s: { values: ReadonlyMap<string, Float64Array> }, n: string) => [...s.values.get(n)!];

function throwsWith(f: () => unknown, kind: typeof DataError | typeof ColumnsError, message: string): void {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  if (!(caught instanceof kind)) throw new Error(`expected a ${kind.name} "${message}", got ${caught instanceof Error ? caught.stack : String(caught)}`);
  expect(caught.message).to.equal(message);
}

describe('data/columns', () => {
  const tmp = tempDir();
  after(() => tmp.remove());

  it('columns: ranges and single columns, in any order; the row width is the highest column + 1', () => {
    const m = parseColumns('pen=3, dxy=0:2', hw);
    expect([m.ranges, m.width]).to.deep.equal([[{ name: 'pen', start: 3, end: 4 }, { name: 'dxy', start: 0, end: 2 }], 4]);
  });

  it('columns: overlaps, widths, unknown and missing variables, repeats and bad syntax are named', () => {
    const cases: [string, string][] = [
      ['dxy=0:2,pen=1', 'pen (columns 1..1) overlaps dxy (columns 0..1); each column feeds one variable'],
      ['dxy=0:3,pen=3', 'dxy=0:3 gives 3 columns, but dxy : real[2] has 2'],
      ['dxy=0,pen=2', 'dxy=0 gives 1 column, but dxy : real[2] has 2'],
      ['dxy=2:2,pen=0', 'dxy=2:2 is empty; a range A:B needs B > A (columns A to B-1)'],
      ['dxy=0:2,pen=2,x=3', "'x' is not a variable the model reads; it reads pen : binary[1], dxy : real[2]"],
      ['dxy=0:2', 'no columns for pen : binary[1]; every variable the model reads needs columns'],
      ['dxy=0:2,dxy=2:4', 'dxy is given twice'],
      ['dxy=0-2,pen=2', "'dxy=0-2' is not a column assignment; expected NAME=A:B (columns A to B-1) or NAME=A, separated by commas, e.g. dxy=0:2,pen=2"],
    ];
    for (const [text, detail] of cases) throwsWith(() => parseColumns(text, hw), ColumnsError, `--columns ${text}: ${detail}`);
  });

  it('columns: JSON, JSONL, NPY and CSV frames [dx, dy, pen] fill dxy and pen', () => {
    const m = parseColumns('dxy=0:2,pen=2', hw);
    const frames = [[1, 2, 0], [3, 4, 1]];
    const files = [
      tmp.write('f.json', JSON.stringify([frames])),
      tmp.write('f.jsonl', JSON.stringify(frames) + '\n'),
      tmp.write('f.npy', npyBytes('<f8', [1, 2, 3], le(Float64Array.from(frames.flat())))),
      tmp.write('f.csv', 'id,a,b,c\ns,1,2,0\ns,3,4,1\n'),
    ];
    for (const f of files) {
      const [s] = readSequences(f, hw, { columns: m }).sequences;
      expect([s!.length, vals(s!, 'dxy'), vals(s!, 'pen')], f).to.deep.equal([2, [1, 2, 3, 4], [0, 1]]);
    }
    const all = tmp.write('all.json', JSON.stringify({ train: [frames], valid: [frames], test: [frames] }));
    expect(vals(loadDataset(all, hw, { columns: m }).test[0]!, 'pen')).to.deep.equal([0, 1]);
  });

  it('columns: rows too short, values out of a binary range, objects and WAV audio are data errors with places', () => {
    const m = parseColumns('dxy=0:2,pen=2', hw);
    const p = tmp.write('short.json', JSON.stringify([[[1, 2, 0], [3, 4]]]));
    throwsWith(() => readSequences(p, hw, { columns: m }), DataError, `${p}: sequence 0 (id "0"), step 1: frame has 2 values, model expects rows of 3 values (--columns dxy=0:2,pen=2)`);
    const b = tmp.write('bin.json', JSON.stringify([[[1, 2, 0], [3, 4, 0.5]]]));
    throwsWith(() => readSequences(b, hw, { columns: m }), DataError, `${b}: sequence 0 (id "0"), step 1: pen[0] is 0.5, expected 0 or 1 for pen : binary[1]`);
    const n = tmp.write('nan.csv', 'id,a,b,c\ns,1,nan,0\n');
    throwsWith(() => readSequences(n, hw, { columns: m }), DataError, `${n}:2: sequence 0 (id "s"), step 0: column 1 is NaN, expected a finite number`);
    const o = tmp.write('obj.json', JSON.stringify([{ dxy: [[1, 2]], pen: [0] }]));
    throwsWith(() => readSequences(o, hw, { columns: m }), DataError, `${o}: sequence 0 (id "0"): sequence is an object with keys dxy, pen, expected an array of frames: rows of 3 values (--columns dxy=0:2,pen=2) maps the columns of plain frames; sequences keyed by variable name need no --columns`);
    tmp.write('wav/a.wav', wavBytes(1, 16, 8000, new Uint8Array(8)));
    throwsWith(() => readSequences(`${tmp.dir}/wav`, hw, { columns: m }), DataError, `${tmp.dir}/wav: --columns dxy=0:2,pen=2 maps the columns of frames in JSON, JSONL, NPY or CSV files; WAV audio has one column`);
  });

  it('columns: seqc train --columns trains the handwriting model on plain frames; a bad mapping exits 2', async function () {
    this.timeout(120_000);
    const d = tempDir();
    const seq = (k: number) => Array.from({ length: 6 + k }, (_, t) => [Math.sin(t + k), Math.cos(t), t % 3 === 2 ? 1 : 0]);
    for (const s of ['train', 'valid', 'test']) d.write(`${s}.json`, JSON.stringify([seq(0), seq(1), seq(2)]));
    let err = '', out = '';
    const term = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; } };
    const model = new URL('../../../examples/vrnn_handwriting.seq', import.meta.url).pathname;
    const sets = ['--set', 'z_dim=2', '--set', 'h_dim=8', '--set', 'f_dim=8', '--set', 'k=2'];
    const ok = await main(['train', model, '--data', d.dir, '--columns', 'dxy=0:2,pen=2', '--steps', '2', '--batch', '3', '--out', `${d.dir}/run`, ...sets], term);
    expect(ok, err).to.equal(0);
    const ev = await main(['eval', model, '--checkpoint', `${d.dir}/run`, '--json'], term);
    expect(ev, err).to.equal(0);
    expect(JSON.parse(out.slice(out.lastIndexOf('{')))).to.include({ split: 'test', n_sequences: 3 });
    err = '';
    const bad = await main(['train', model, '--data', d.dir, '--columns', 'dxy=0:2,pen=1', '--steps', '2', '--out', `${d.dir}/run2`, ...sets], term);
    expect([bad, err.trim()]).to.deep.equal([2, 'seqc: --columns dxy=0:2,pen=1: pen (columns 1..1) overlaps dxy (columns 0..1); each column feeds one variable']);
    d.remove();
  });
});
