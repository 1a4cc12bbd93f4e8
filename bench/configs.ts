/**
 * @file The benchmark's named configurations and pass subsets. `small` is every example at its
 * default sizes (x 200, z 32, h 256, MLP width 256, one LSTM layer) with B = 32, T = 40; `paper`
 * is x 200, z 200, an LSTM of 2000 units and 4-layer MLPs of 600 units (bench/models/*.seq, or
 * `--set` on an example where that is enough), B = 32, T = 40. Models are files, never special
 * cases in the compiler.
 */
import { basePasses, defaultPasses, type NamedPass } from '../src/compiler/passes/index.js';

/** The models the benchmark knows. */
export const benchModels = ['vrnn', 'storn', 'rnn', 'vrnn_gmm'] as const;

/** One of `benchModels`. */
export type BenchModel = (typeof benchModels)[number];

/** The named configurations. */
export const configNames = ['small', 'paper'] as const;

/** One of `configNames`. */
export type ConfigName = (typeof configNames)[number];

/** A model file with its overrides, at a batch size and length. */
export interface ModelSetup {
  readonly file: string;
  readonly sets: readonly string[];
  readonly B: number;
  readonly T: number;
}

/** Where each model of each configuration comes from. */
export const configs: { readonly [C in ConfigName]: { readonly [M in BenchModel]: ModelSetup } } = {
  small: {
    vrnn: { file: 'examples/vrnn.seq', sets: [], B: 32, T: 40 },
    storn: { file: 'examples/storn.seq', sets: [], B: 32, T: 40 },
    rnn: { file: 'examples/rnn_normal.seq', sets: [], B: 32, T: 40 },
    vrnn_gmm: { file: 'examples/vrnn_gmm.seq', sets: [], B: 32, T: 40 },
  },
  paper: {
    vrnn: { file: 'bench/models/vrnn_paper.seq', sets: [], B: 32, T: 40 },
    storn: { file: 'examples/storn.seq', sets: ['z_dim=200', 'h_dim=2000'], B: 32, T: 40 },
    rnn: { file: 'bench/models/rnn_paper.seq', sets: [], B: 32, T: 40 },
    vrnn_gmm: { file: 'bench/models/vrnn_gmm_paper.seq', sets: [], B: 32, T: 40 },
  },
};

/**
 * Which passes to run: `all`, `base` (folding, CSE and plain dead-code removal: the compiler
 * before the performance passes), `base+NAME+...` (the base and the named passes, in pipeline
 * order), or `all-NAME` (every pass but one).
 */
export type PassChoice = string;

/** The passes a `PassChoice` names. */
export function passesFor(choice: PassChoice): readonly NamedPass[] {
  const known = (n: string): NamedPass => {
    const p = defaultPasses.find((q) => q.name === n);
    if (!p) throw new Error(`unknown pass '${n}' (passes: ${defaultPasses.map((q) => q.name).join(', ')})`);
    return p;
  };
  if (choice === 'all') return defaultPasses;
  if (choice.startsWith('all-')) {
    const off = known(choice.slice(4));
    return defaultPasses.filter((p) => p !== off);
  }
  const [head, ...extra] = choice.split('+');
  if (head !== 'base') throw new Error(`bad pass choice '${choice}': use all, base, base+NAME or all-NAME`);
  const on = new Set(extra.map(known));
  return [...basePasses, ...defaultPasses.filter((p) => on.has(p))];
}
