/**
 * @file Numbers pinned across compiler changes: every example's evaluate, sample and train_step
 * graphs (ELBO and IWAE-3 training), run by the float64 interpreter on feeds drawn per input
 * name, must reproduce the recorded outputs to 1e-9. Restructuring the lowering, adding passes
 * or renumbering nodes must not move a number; UPDATE_GOLDEN=1 records them after an intended
 * change of the arithmetic.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseOverrides } from '../../src/compiler/check/dims.js';
import { evaluate, tensor, type Tensor } from '../../src/compiler/ir/index.js';
import { compile, type Artifact, type Compiled } from '../../src/compiler/pipeline.js';
import { assertAllClose } from '../helpers/allclose.js';
import { examples, smallSizes } from '../helpers/examples.js';
import { goldenDir } from '../helpers/golden.js';
import { Rng } from '../helpers/random.js';

const T = 5;
const B = 2;
const K = 3;
const lengths = [5, 3];

/** A seed from an input's name, so feeds do not depend on the order of the graph's inputs. */
function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function feeds(c: Compiled, a: Artifact): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const i of a.inputs) {
    const shape = i.shape.map((d) => (d === 'T' ? T : d === 'B' ? B : d === 'K' ? 1 : (d as number)));
    const n = shape.reduce((x, y) => x * y, 1);
    const rng = new Rng(seedOf(i.name));
    const binary = (i.role === 'data') && c.model.vars.get(i.name.slice(i.name.indexOf('.') + 1))?.elem === 'binary';
    const v = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      switch (i.role) {
        case 'param': v[k] = 0.3 * rng.normal(); break;
        case 'mask': v[k] = Math.floor(k / (n / T)) < lengths[k % B]! ? 1 : 0; break;
        case 'beta': v[k] = 0.7; break;
        case 'state': v[k] = i.name.startsWith('adam.v.') ? 0.01 * rng.uniform() : 0.1 * rng.normal(); break;
        case 'optimizer': v[k] = ({ lr: 0.01, clip_norm: 5, weight_decay: 0.01, step: 3 } as Record<string, number>)[i.name] ?? 0; break;
        case 'noise': v[k] = i.law === 'uniform' ? rng.uniform() : i.law === 'gumbel' ? -Math.log(-Math.log(rng.uniform() + 1e-12)) : rng.normal(); break;
        default: v[k] = binary ? (rng.uniform() < 0.5 ? 1 : 0) : rng.normal();
      }
    }
    out[i.name] = tensor(shape, v);
  }
  return out;
}

/** Every output of every graph, by `graph.output`; parameters of the train step reduced to sums. */
function numbersOf(c: Compiled, iwae: Compiled): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const run = (tag: string, comp: Compiled, a: Artifact): void => {
    const r = evaluate(a.ir, feeds(comp, a));
    for (const o of a.ir.outputs) {
      const d = Array.from(r[o.name]!.data);
      // New parameter and optimizer state values are large: pin a sum and a weighted sum of each.
      out[`${tag}.${o.name}`] = d.length > 16 ? [d.reduce((s, x) => s + x, 0), d.reduce((s, x, i) => s + x * Math.sin(i + 1), 0)] : d;
    }
  };
  run('evaluate', c, c.evaluate);
  run('sample', c, c.sample);
  run('train_step', c, c.train);
  run('train_step_iwae3', iwae, iwae.train);
  return out;
}

describe('numbers: every example reproduces its recorded outputs', function () {
  this.timeout(120_000);
  for (const ex of examples()) {
    it(`numbers: ${ex.name} evaluate, sample, train_step and IWAE-3 train_step equal the recorded values (1e-9)`, () => {
      const overrides = parseOverrides(smallSizes[ex.name] ?? []);
      const c = compile(ex.path, ex.text, { dtype: 'float64', overrides }).compiled!;
      const iw = compile(ex.path, ex.text, { dtype: 'float64', overrides, iwaeK: K }).compiled!;
      const got = numbersOf(c, iw);
      const path = join(goldenDir, 'numbers', `${ex.name}.json`);
      if (process.env['UPDATE_GOLDEN'] === '1') {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, JSON.stringify(got, null, 1) + '\n');
        return;
      }
      if (!existsSync(path)) throw new Error(`golden file numbers/${ex.name}.json is missing: run with UPDATE_GOLDEN=1 to create it`);
      const want = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number[]>;
      for (const k of Object.keys(want)) {
        if (!(k in got)) throw new Error(`${k} is no longer an output`);
        assertAllClose(got[k]!, want[k]!, k, { rtol: 1e-9, atol: 1e-9 });
      }
    });
  }
});
