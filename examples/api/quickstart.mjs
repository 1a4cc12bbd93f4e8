// seqppl's TypeScript/JavaScript API in one script (docs/api.md): check a model, train it on a
// small synthetic dataset, evaluate and sample the run, and export standalone ONNX models.
// Run it from a project that has seqppl installed: `node quickstart.mjs`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, evaluate, exportModel, loadRun, sample, seqpplVersion, train, writeSamples } from 'seqppl';

const work = mkdtempSync(join(tmpdir(), 'seqppl-quickstart-'));

// 1. A model file. Without a guide, seqppl adds its default structured guide.
const model = join(work, 'tiny.seq');
writeFileSync(model, `model tiny(x_dim = 3, z_dim = 2, h_dim = 16) {
  observe x[t] : real[x_dim]
  latent  z[t] : real[z_dim]
  state   h[t] : real[h_dim] = zeros

  net rnn = gru(x_dim + z_dim -> h_dim)
  net dec = mlp(z_dim + h_dim -> h_dim, act = tanh)

  prior      z[t] ~ Normal.head(h[t-1], z_dim)
  emission   x[t] ~ Normal.head(dec(z[t], h[t-1]), x_dim)
  transition h[t] = rnn(h[t-1], x[t], z[t])
}
`);
const checked = check(model);
if (!checked.ok) throw new Error(checked.problems.map((p) => p.rendered).join('\n\n'));
console.log(`seqppl ${seqpplVersion()}: ${checked.model.name} has ${checked.model.parameters} parameters`);

// Problems come back located, with the caret rendering `seqc check` prints.
const broken = check('broken.seq', { text: 'model m() {\n  observe x[t] : real[3]\n  emission x[t] ~ Normal(y[t], 1)\n}\n' });
console.log(`a broken model: ${broken.problems[0].file}:${broken.problems[0].line}:${broken.problems[0].col} ${broken.problems[0].code}`);

// 2. Data: train/valid/test splits of sequences of 3-dimensional frames (JSON, docs/data.md).
const data = join(work, 'data');
mkdirSync(data);
const wave = (k, T) => Array.from({ length: T }, (_, t) => [Math.sin(0.5 * t + k), Math.cos(0.3 * t * k), 0.1 * t]);
for (const [split, n] of [['train', 32], ['valid', 8], ['test', 8]]) {
  writeFileSync(join(data, `${split}.json`), JSON.stringify({ sequences: Array.from({ length: n }, (_, k) => wave(k, 8 + (k % 5))) }));
}

// 3. Train. The reporter receives what `seqc train` would print; here only warnings.
const out = join(work, 'run');
const summary = await train(model, { data, out, steps: 60, validEvery: 20, batch: 8, seed: 1, reporter: { warn: (l) => console.warn(l) } });
console.log(`trained ${summary.steps} steps in ${summary.seconds.toFixed(1)} s: ELBO per step ${summary.firstElbo.toFixed(3)} -> ${summary.lastElbo.toFixed(3)}`);

// 4. Use the run: evaluate a split, draw samples, export standalone models.
const run = loadRun(model, out);
const ev = await evaluate(run, { split: 'test', iwae: 8 });
console.log(`test ELBO per step ${ev.elboPerStep.toFixed(3)}, IWAE-8 per step ${ev.iwaePerStep.toFixed(3)} (nats)`);
const s = await sample(run, { num: 2, steps: 10, seed: 3 });
const x = s.values.get('x');
console.log(`sampled ${s.num} sequences of ${s.steps} steps; first frame ${Array.from(x.data.subarray(0, x.width), (v) => v.toFixed(2)).join(' ')}`);
console.log(`wrote ${writeSamples(run, s, join(out, 'samples')).length} sample files`);
const { files, description } = exportModel(run, join(out, 'export'), { layout: 'batch-major' });
console.log(`exported ${files.length} files; evaluate.onnx reads ${description.graphs.evaluate.inputs.map((i) => `${i.name}[${i.shape.join(', ')}]`).join(', ')}`);
