/** @file Normalization statistics against hand-computed values; normalize/denormalize; JSON round trip. */
import { expect } from 'chai';
import { computeStats, constantDimensions, denormalize, normalize, statsFromJson, statsToJson } from '../../../src/runtime/data/normalize.js';
import type { Sequence } from '../../../src/runtime/data/types.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { binary, real } from './helpers.js';

const seq = (id: string, x: number[][], pen: number[]): Sequence => ({ id, length: x.length, values: new Map([['x', Float64Array.from(x.flat())], ['pen', Float64Array.from(pen)]]) });

describe('data/normalize', () => {
  const spec = [real('x', 2), binary('pen', 1)];
  const train = [seq('a', [[1, 10], [3, 10]], [0, 1]), seq('b', [[5, 10]], [1])];

  it('normalize: per-dimension mean and population std over all train steps, a constant dimension std 1; binary skipped', () => {
    const stats = computeStats(train, spec);
    expect([...stats.keys()]).to.deep.equal(['x']);
    // dim 0: mean (1 + 3 + 5) / 3 = 3, var ((−2)² + 0² + 2²) / 3 = 8/3; dim 1: constant 10, std 0 → 1 (centred only)
    assertAllClose(stats.get('x')!.mean, [3, 10], 'mean', { rtol: 0, atol: 0 });
    assertAllClose(stats.get('x')!.std, [Math.sqrt(8 / 3), 1], 'std', { rtol: 1e-15, atol: 0 });
    expect(stats.get('x')!.constant).to.deep.equal([1]);
  });

  it('normalize: standardizes real variables, leaves binary ones, and denormalize inverts it', () => {
    const stats = computeStats(train, spec);
    const z = normalize(train[0]!, stats);
    assertAllClose(z.values.get('x')!, [-2 / Math.sqrt(8 / 3), 0, 0, 0], 'z', { atol: 1e-15 });
    expect(z.values.get('pen')).to.equal(train[0]!.values.get('pen'));
    assertAllClose(denormalize('x', z.values.get('x')!, stats), train[0]!.values.get('x')!, 'x', { atol: 1e-12 });
    const f32 = denormalize('x', Float32Array.of(1, 0), stats);
    expect(f32).to.be.instanceOf(Float32Array);
    assertAllClose(f32, [3 + Math.sqrt(8 / 3), 10], 'f32', { rtol: 1e-7 });
    expect([...denormalize('pen', Float64Array.of(1), stats)]).to.deep.equal([1]);
  });

  it('normalize: statistics survive a JSON round trip and are checked on the way back', () => {
    const stats = computeStats(train, spec);
    const json = JSON.parse(JSON.stringify(statsToJson(stats)));
    expect(json).to.deep.equal({ version: 1, variables: { x: { mean: [3, 10], std: [Math.sqrt(8 / 3), 1] } } });
    const back = statsFromJson(json, spec, 'ck.json').get('x')!;
    expect([back.mean, back.std]).to.deep.equal([stats.get('x')!.mean, stats.get('x')!.std]);
    expect(() => statsFromJson({ version: 1, variables: { x: { mean: [3], std: [1] } } }, spec, 'ck.json'))
      .to.throw('ck.json: normalization statistics for x are missing or not 2 means and 2 positive stds');
    expect(() => statsFromJson({}, spec, 'ck.json')).to.throw('ck.json: normalization statistics are not {"version": 1, "variables": {...}}');
  });

  it('normalize: a feature constant over train keeps other splits in data units, with a warning', () => {
    // Before: std 1e-8 turned a deviation of 1 in validation into 1e8 (an ELBO of about -1e16 per step).
    const stats = computeStats(train, spec);
    const valid = normalize(seq('v', [[3, 11]], [0]), stats);
    assertAllClose(valid.values.get('x')!, [0, 1], 'valid z', { atol: 1e-15 });
    expect(constantDimensions(stats)).to.deep.equal(['x[1] is constant over the training split (1 of 2 dimensions): it is centred but not scaled (std 1), so other splits are compared in data units']);
    // Relative to the data's scale: a tiny but real spread in small-valued data is kept.
    const small = computeStats([seq('s', [[1e-9, 0], [3e-9, 0]], [0, 0])], spec).get('x')!;
    assertAllClose(small.std, [1e-9, 1], 'small std', { rtol: 1e-12 });
  });
});
