/**
 * @file The words the language defines, with the one-line help the editor shows for each:
 * distribution families, net kinds, builtins, activations and keywords. The tables are typed
 * over the checker's own unions, so a family or net kind added there without help here fails `tsc`.
 */
import type { ElemType } from '../compiler/ast.js';
import type { Activation, Family, NetInfo, UnaryFn } from '../compiler/checked.js';

/** Help for one distribution family: its signature, what it draws, and its head. */
export interface FamilyHelp {
  readonly signature: string;
  readonly support: string;
  readonly doc: string;
  readonly head: string;
}

/** Every distribution family. */
export const families: { readonly [F in Family]: FamilyHelp } = {
  Normal: {
    signature: 'Normal(loc, scale)', support: 'real[n]', head: 'Normal.head(v[, n])',
    doc: 'diagonal normal; `loc` and `scale` of width n or 1 (`Normal(0, 1)` is the standard normal). Reparameterized; analytic KL against another Normal.',
  },
  Laplace: {
    signature: 'Laplace(loc, scale)', support: 'real[n]', head: 'Laplace.head(v[, n])',
    doc: 'diagonal Laplace; `loc` and `scale` of width n or 1. Reparameterized.',
  },
  Bernoulli: {
    signature: 'Bernoulli(logits)', support: 'binary[n]', head: 'Bernoulli.head(v[, n])',
    doc: 'independent bits with probabilities sigmoid(logits); `logits` of width n or 1.',
  },
  NADE: {
    signature: 'NADE(logits, hbias, win, wout)', support: 'binary[n]', head: 'NADE.head(v[, n], hidden = H)',
    doc: 'bits drawn one after another, each given the ones before it through H hidden units (Larochelle & Murray 2011); `logits` n, `hbias` H, `win` and `wout` n·H (key-major). A head makes `logits` and `hbias` from v and learns `win`, `wout` as free parameters.',
  },
  Categorical: {
    signature: 'Categorical(logits)', support: 'cat[K]', head: 'Categorical.head(v[, K])',
    doc: 'one of K categories with probabilities softmax(logits); a `cat` latent is summed out exactly (the forward algorithm), never sampled in training.',
  },
  MixtureNormal: {
    signature: 'MixtureNormal(logits, locs, scales)', support: 'real[n]', head: 'MixtureNormal.head(v[, n], k = K)',
    doc: 'mixture of K diagonal normals; `logits` of width K, `locs` and `scales` of width K·n, component-major.',
  },
  BivariateNormalMixture: {
    signature: 'BivariateNormalMixture(logits, locs, scales, corr)', support: 'real[2]', head: 'BivariateNormalMixture.head(v[, 2], k = K)',
    doc: 'mixture of K bivariate normals with correlation (Graves 2013); `logits` K, `locs` 2K, `scales` 2K, `corr` K.',
  },
};

/** Help for one net kind. */
export interface NetKindHelp {
  readonly signature: string;
  readonly doc: string;
  readonly recurrent: boolean;
}

/** Every net kind. */
export const netKinds: { readonly [K in NetInfo['kind']]: NetKindHelp } = {
  linear: { signature: 'linear(in -> out, dropout = 0)', recurrent: false, doc: 'one affine layer `x·W + b`; parameters `.weight [in, out]`, `.bias [out]`; `dropout = p` zeroes input units with probability p in training.' },
  mlp: { signature: 'mlp(in -> out, hidden = [h...], act = relu, out_act = act, dropout = 0)', recurrent: false, doc: 'feed-forward layers `act(x·W_i + b_i)`; the last layer uses `out_act`; `dropout = p` zeroes each layer\'s input units with probability p in training.' },
  lstm: { signature: 'lstm(in -> H, dropout = 0)', recurrent: true, doc: 'an LSTM step: the whole right-hand side of a state update `h[t] = cell(h[t-1], inputs...)`.' },
  gru: { signature: 'gru(in -> H, dropout = 0)', recurrent: true, doc: 'a GRU step: the whole right-hand side of a state update `h[t] = cell(h[t-1], inputs...)`.' },
  rnn: { signature: 'rnn(in -> H, act = tanh, dropout = 0)', recurrent: true, doc: 'a plain recurrent step `act(x·W_ih + h·W_hh + b)`.' },
};

/** Builtin functions of expressions. */
export const builtins: { readonly [B in UnaryFn | 'concat' | 'sum']: string } = {
  exp: 'elementwise exp', log: 'elementwise natural log', tanh: 'elementwise tanh', sigmoid: 'elementwise logistic sigmoid',
  relu: 'elementwise max(x, 0)', softplus: 'elementwise log(1 + exp(x))', abs: 'elementwise absolute value',
  sqrt: 'elementwise square root', square: 'elementwise x²',
  concat: 'concat(a, b, ...): joins its arguments; width = sum of widths', sum: 'sum(a): the sum over features; width 1',
};

/** Activation names (values of `act =` and `out_act =`). */
export const activations: { readonly [A in Activation]: string } = {
  relu: 'max(x, 0)', tanh: 'tanh(x)', sigmoid: 'logistic sigmoid', softplus: 'log(1 + exp(x))', none: 'identity (a linear output)',
};

/** Keywords that start an item, with what they declare. */
export const itemKeywords: Readonly<Record<string, string>> = {
  observe: 'an observed variable: `observe x[t] : real[n]`',
  input: 'a control input given with the data: `input u[t] : real[n]`',
  latent: 'a latent variable: `latent z[t] : real[n]`',
  state: 'a deterministic state: `state h[t] : real[n] = zeros`',
  net: 'a network: `net f = mlp(in -> out, ...)`',
  fn: 'a function expanded inline: `fn f(a, b) = ...`',
  let: 'a named expression: `let e = ...`',
  prior: 'the prior of a latent: `prior z[t] ~ D`',
  emission: 'the distribution of an observation: `emission x[t] ~ D`',
  transition: 'a state update: `transition h[t] = e`',
  guide: 'the inference network: `guide z[t] ~ D` or `guide { ... }`',
  aux: 'an auxiliary loss term: `aux(weight = w) b[t] ~ D`',
};

/** Element types and state initializations. */
export const elemTypes: { readonly [E in ElemType]: string } = {
  real: 'real-valued features', binary: 'bits (0 or 1), drawn by Bernoulli', cat: 'one of K categories (read as a one-hot vector of width K), drawn by Categorical',
};
/** How a state starts. */
export const stateInits: Readonly<Record<string, string>> = { zeros: 'the state starts at zero', learned: 'the initial state is a trained parameter' };

/** True if `name` is a key of `table` (narrowing helper for the tables above). */
export function has<T extends object>(table: T, name: string): name is Extract<keyof T, string> {
  return Object.prototype.hasOwnProperty.call(table, name);
}
