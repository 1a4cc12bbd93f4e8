/** @file Learning-rate and KL schedules. */
import { expect } from 'chai';
import { klWeight, learningRate, type LrSchedule } from '../../src/runtime/schedules.js';

const base: LrSchedule = { kind: 'constant', base: 1e-3, warmup: 0, total: 100, min: 0.1, decay: 0.99 };

describe('runtime: schedules', () => {
  it('schedules: constant, warm-up, cosine end points and exponential decay', () => {
    expect(learningRate(base, 50)).to.equal(1e-3);
    expect(learningRate({ ...base, warmup: 10 }, 5)).to.be.closeTo(5e-4, 1e-15);
    const cos = { ...base, kind: 'cosine' as const, warmup: 10 };
    expect(learningRate(cos, 10)).to.be.closeTo(1e-3, 1e-15);
    expect(learningRate(cos, 55)).to.be.closeTo(1e-3 * (0.1 + 0.9 * 0.5), 1e-15);
    expect(learningRate(cos, 100)).to.be.closeTo(1e-4, 1e-15);
    expect(learningRate({ ...base, kind: 'exp' }, 3)).to.be.closeTo(1e-3 * 0.99 ** 3, 1e-15);
  });

  it('schedules: KL weight anneals linearly to 1 and stays there', () => {
    expect(klWeight({ start: 0, steps: 0 }, 1)).to.equal(1);
    expect(klWeight({ start: 0.2, steps: 100 }, 0)).to.equal(0.2);
    expect(klWeight({ start: 0.2, steps: 100 }, 50)).to.be.closeTo(0.6, 1e-15);
    expect(klWeight({ start: 0.2, steps: 100 }, 500)).to.equal(1);
  });
});
