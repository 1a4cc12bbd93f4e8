/**
 * @file Small golden dumps that make the compiler's transforms reviewable as text: the step
 * programs of SRNN (forward and backward deterministic phases, then the stochastic scan), the
 * HMM and the switching model; the gradient graphs of tanh and of a two-step Scan; and one Adam
 * update. UPDATE_GOLDEN=1 rewrites them after an intended change.
 */
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { grad } from '../../src/compiler/autodiff/backward.js';
import { GraphBuilder } from '../../src/compiler/ir/builder.js';
import { printGraph } from '../../src/compiler/ir/print.js';
import { compile, optimize } from '../../src/compiler/pipeline.js';
import { printProgram } from '../../src/compiler/print-program.js';
import { trainStep } from '../../src/inference/optimizers.js';
import { examples, smallSizes } from '../helpers/examples.js';
import { expectGolden } from '../helpers/golden.js';

describe('dumps: step programs and gradients as text', () => {
  for (const name of ['srnn', 'hmm', 'switching']) {
    it(`dumps: the ${name} step program matches its golden dump`, () => {
      const ex = examples().find((e) => e.name === name)!;
      const c = compile(ex.path, ex.text, { dtype: 'float64', overrides: parseOverrides(smallSizes[name]!) }).compiled!;
      expectGolden(`program/${name}.txt`, printProgram(c.program));
    });
  }

  it('dumps: the gradient of sum(tanh(x)) is (1 - y²) times the seed', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['B', 3]);
    b.output('y', b.reduceSum(b.tanh(x), [0, 1]));
    expectGolden('grad/tanh.txt', printGraph(grad(b.build(), { of: 'y', wrt: ['x'] })));
  });

  it('dumps: the gradient of a two-step tanh recurrence is a reverse Scan over saved residuals', () => {
    const b = new GraphBuilder();
    const xs = b.input('xs', 'float64', [2, 'B', 2]);
    const h0 = b.input('h0', 'float64', ['B', 2]);
    const w = b.input('w', 'float64', [2, 2]);
    const r = b.scan({ carries: [h0], scanned: [xs], invariants: [w] }, (s, p) => {
      const h = s.tanh(s.add(s.matmul(p.carries[0]!, p.invariants[0]!), p.slices[0]!));
      return { carries: [h], outputs: [h] };
    });
    b.output('loss', b.reduceSum(r.outputs[0]!, [0, 1, 2]));
    expectGolden('grad/scan2.txt', printGraph(grad(b.build(), { of: 'loss', wrt: ['w', 'h0'] })));
  });

  it('dumps: one Adam update with global-norm clipping', () => {
    const b = new GraphBuilder();
    const w = b.input('w', 'float64', [3]);
    b.output('loss', b.reduceSum(b.square(b.sub(w, b.constant([1, 2, 3], [3], 'float64'))), [0]));
    expectGolden('grad/adam.txt', printGraph(optimize(trainStep(b.build(), { loss: 'loss', params: ['w'], optimizer: 'adam' }).graph)));
  });
});
