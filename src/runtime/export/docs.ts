/**
 * @file What every input and output of an exported model means, in words: the doc strings
 * written into the ONNX files and into export.json. Derived from the manifest's input roles and
 * variables, so every model gets them without a case of its own.
 */
import type { InputSpec } from '../../inference/handler.js';
import type { Manifest } from '../../compiler/pipeline.js';

/** The laws noise inputs are drawn from, and how to draw them from uniforms. */
export const noiseLaws: Readonly<Record<NonNullable<InputSpec['law']>, string>> = {
  normal: 'standard normal N(0, 1)',
  laplace: 'standard Laplace (location 0, scale 1): log(2u) if u < 1/2, else -log(2(1 - u)), with u uniform on (0, 1)',
  uniform: 'uniform on [0, 1)',
  gumbel: 'standard Gumbel: -log(-log u) with u uniform on (0, 1)',
};

/** The two exported graphs. */
export type ExportedGraph = 'sample' | 'evaluate';

/** How values are presented at the interface. */
export interface Presentation {
  /** Real observed and control variables in data units (normalization inside the graph) or normalized. */
  readonly normalization: 'baked' | 'none';
  readonly layout: 'time-major' | 'batch-major';
}

type Variable = Manifest['variables'][number];

/** `x : real[3]`. */
function describe(v: Variable): string {
  return `${v.name} : ${v.elem}[${v.width}]`;
}

/** How a real variable's values are given, for doc strings. */
function units(v: Variable | undefined, p: Presentation): string {
  if (!v || v.elem !== 'real' || (v.role !== 'observe' && v.role !== 'input')) return '';
  return p.normalization === 'baked' ? ', in data units' : ', normalized: (value - mean) / std with export.json\'s statistics';
}

/** The axes of a per-step tensor in this layout. */
export function stepAxes(p: Presentation): string {
  return p.layout === 'batch-major' ? '[B, T, ...]' : '[T, B, ...]';
}

/** The doc string of an exported graph's input. */
export function inputDoc(graph: ExportedGraph, spec: InputSpec, vars: readonly Variable[], p: Presentation): string {
  const byName = (n: string): Variable | undefined => vars.find((v) => v.name === n);
  const after = (s: string): string => s.slice(s.indexOf('.') + 1);
  switch (spec.role) {
    case 'data': {
      const name = after(spec.name);
      const v = byName(name);
      const what = v ? describe(v) : name;
      if (spec.name.startsWith('prefix.')) {
        return `given values of ${what}${units(v, p)}: where prefix_mask is 1 they are x[t] (the sample continues them); ignored where it is 0`;
      }
      if (v?.role === 'input') return `control input ${what} at every step${units(v, p)}`;
      return `observed ${what} at every step${units(v, p)}; steps where mask is 0 are ignored`;
    }
    case 'mask':
      return spec.name === 'prefix_mask'
        ? '1 where the prefix inputs give step t, 0 where it is drawn (all zeros: sample from the prior)'
        : '1 for the steps of each sequence, 0 for the padding after its end (padding only after the last step)';
    case 'noise': {
      const law = noiseLaws[spec.law ?? 'normal'];
      const parts = spec.name.split('.');
      const v = parts[1] ?? spec.name;
      if (graph === 'evaluate') return `${law} draws: the reparameterization noise of the guide's sample of ${v}[t] for each of K particles per sequence (K = 1: the ELBO; K > 1: the IWAE-K bound)`;
      const kind = parts[2];
      if (kind === 'gumbel') return `${law} draws, one per mixture component: ${v}[t]'s component is the argmax of its log-weights plus this noise`;
      if (kind === 'u') return `${law} draws: ${v}[t] is 1 where its probability exceeds this noise`;
      if (kind === 'guide') return `${law} draws: the noise of the guide's draw of ${v}[t] at the prefix steps (where prefix_mask is 1)`;
      return `${law} draws: the noise of the draw of ${v}[t] (value = location + scale · noise)`;
    }
    case 'beta':
      return 'the weight of the KL term (1 for the ELBO)';
    case 'scalar':
      return `the scalar setting ${spec.name} of the graph`;
    case 'param': case 'state': case 'optimizer':
      return `${spec.role} ${spec.name}`;
  }
}

/** The doc string of an exported graph's output. */
export function outputDoc(name: string, vars: readonly Variable[], p: Presentation): string {
  const nats = p.normalization === 'baked' ? 'nats, of the data in data units' : 'nats, of the normalized data';
  if (name.startsWith('sample.')) {
    const v = vars.find((x) => x.name === name.slice('sample.'.length));
    if (!v) return `draws of ${name}`;
    return v.role === 'latent' ? `the latent ${describe(v)} drawn at every step` : `draws of ${describe(v)} at every step${units(v, p)}`;
  }
  const table: Record<string, string> = {
    elbo: `evidence lower bound per sequence (${nats}): loglik - kl with the latents drawn from the guide, averaged over the K particles`,
    loglik: `sum over the valid steps of log p(observations | latents, states) per sequence, averaged over the K particles (${nats})`,
    kl: 'sum over the valid steps of KL(guide || prior) per sequence, averaged over the K particles (nats; closed form for Normal pairs, else the one-sample estimate log q - log p)',
    aux: 'weighted log-densities of the model\'s auxiliary terms per sequence, averaged over the K particles (0 without aux terms; not part of the ELBO)',
    logw: `importance log-weight log p(x, z) - log q(z | x) of each particle of each sequence (${nats})`,
    iwae: `importance-weighted bound per sequence (${nats}): log (1/K) sum_k exp(logw_k), a lower bound on log p(x) that tightens as K grows (K = 1: a one-sample ELBO)`,
    loss: 'the training loss: -(sum of (loglik - beta kl + aux)) / (number of valid steps), in normalized units',
  };
  return table[name] ?? name;
}

/** The doc string of a whole exported model. */
export function modelDoc(graph: ExportedGraph, m: Manifest, step: number, version: string, p: Presentation): string {
  const what = graph === 'sample'
    ? 'ancestral sampling from the generative model, or continuing given prefixes'
    : 'the ELBO and the importance log-weight of each given sequence';
  const values = p.normalization === 'baked' ? 'real variables in data units' : 'real variables normalized with the statistics in export.json';
  return `${m.model}: ${what}. Exported by seqppl ${version} from training step ${step}; per-step tensors ${stepAxes(p)}, ` +
    `${values}. Every input is required; draw each noise input from the law in its doc string. See export.json.`;
}
