/** @file Normalization statistics against hand-computed values; normalize/denormalize; JSON round trip. */
import { expect } from 'chai';
import { computeStats, denormalize, normalize, statsFromJson, statsToJson } from '../../../src/runtime/data/normalize.js';
import type { Sequence } from '../../../src/runtime/data/types.js';
import { assertAllClose } from '../../helpers/allclose.js';
import { binary, real } from './helpers.js';

const seq = (id: string, x: number[][], pen: number[]): Sequence => ({ id, length: x.length, values: new Map([['x', Float64Array.from(x.flat())], ['pen', Float64Array.from(pen)]]) });

describe('data/normalize', () => {
  const spec = [real('x', 2), binary('pen', 1)];
  const train = [seq('a', [[1, 10], [3, 10]], [0, 1]), seq('b', [[5, 10]], [1])];

  it('normalize: per-dimension mean and population std over all train steps, std floored at 1e-8; binary skipped', () => {
    const stats = computeStats(train, spec);
    expect([...stats.keys()]).to.deep.equal(['x']);
    // dim 0: mean (1 + 3 + 5) / 3 = 3, var ((−2)² + 0² + 2²) / 3 = 8/3; dim 1: constant 10, std 0 → 1e-8
    assertAllClose(stats.get('x')!.mean, [3, 10], 'mean', { rtol: 0, atol: 0 });
    assertAllClose(stats.get('x')!.std, [Math.sqrt(8 / 3), 1e-8], 'std', { rtol: 1e-15, atol: 0 });
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
    expect(json).to.deep.equal({ version: 1, variables: { x: { mean: [3, 10], std: [Math.sqrt(8 / 3), 1e-8] } } });
    expect(statsFromJson(json, spec, 'ck.json')).to.deep.equal(stats);
    expect(() => statsFromJson({ version: 1, variables: { x: { mean: [3], std: [1] } } }, spec, 'ck.json'))
      .to.throw('ck.json: normalization statistics for x are missing or not 2 means and 2 positive stds');
    expect(() => statsFromJson({}, spec, 'ck.json')).to.throw('ck.json: normalization statistics are not {"version": 1, "variables": {...}}');
  });
});
