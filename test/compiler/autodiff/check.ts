/** @file Gradient checks of IR graphs against float64 finite differences through the interpreter. */
import { grad } from '../../../src/compiler/autodiff/backward.js';
import type { DimLike } from '../../../src/compiler/ir/dim.js';
import { outputNamed, type Graph } from '../../../src/compiler/ir/graph.js';
import { evaluate } from '../../../src/compiler/ir/eval.js';
import { tensor, type Tensor } from '../../../src/compiler/ir/tensor.js';
import { assertValid } from '../../../src/compiler/ir/verify.js';
import { assertAllClose, type Tol } from '../../helpers/allclose.js';
import { centralDifference } from '../../helpers/gradcheck.js';
import type { Rng } from '../../helpers/random.js';

/** A random input: its concrete shape, declared (possibly symbolic) shape, and value range. */
export interface InputSpec {
  readonly shape: readonly number[];
  readonly decl?: readonly DimLike[];
  readonly positive?: boolean;
}

/** Random float64 tensors for the specs (positive ones are |z| + 0.5). */
export function randomInputs(specs: Readonly<Record<string, InputSpec>>, rng: Rng): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => {
    const z = rng.normals(s.shape.reduce((p, d) => p * d, 1));
    return [k, tensor(s.shape, s.positive ? z.map((v) => Math.abs(v) + 0.5) : z)];
  }));
}

/**
 * Checks grad(<u, of>) w.r.t. every `wrt` input against central differences, for a random
 * cotangent u; the gradient graph must verify.
 */
export function checkGradFd(g: Graph, of: string, inputs: Record<string, Tensor>, wrt: readonly string[], rng: Rng, tol: Tol = { rtol: 1e-5, atol: 1e-7 }): void {
  assertValid(g, 'primal');
  const y = evaluate(g, inputs)[of]!;
  const u = tensor(y.shape, rng.normals(y.data.length));
  const gg = grad(g, { of, wrt, seed: 'input' });
  assertValid(gg, 'gradient graph');
  const res = evaluate(gg, { ...inputs, [`ct_${of}`]: u });
  outputNamed(g, of);
  for (const name of wrt) {
    const x = inputs[name]!;
    const f = (flat: Float64Array): number => {
      const out = evaluate(g, { ...inputs, [name]: tensor(x.shape, flat) })[of]!;
      let s = 0;
      for (let i = 0; i < out.data.length; i++) s += out.data[i]! * u.data[i]!;
      return s;
    };
    assertAllClose(res[`grad_${name}`]!.data, centralDifference(f, x.data), `d<u, ${of}>/d${name}`, tol);
  }
}
