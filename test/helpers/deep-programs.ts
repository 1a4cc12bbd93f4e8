/**
 * @file Random deep and long model files with known meaning, for the front end's depth tests:
 * nesting in every construct (parentheses, net calls, user-function calls, builtins, unary
 * minus, slices, concat), long sums and products, and long chains of lets. The generator builds
 * each expression from the inside out in a loop (no recursion) and computes, alongside its
 * text, the value it must have for x[t] = X and h[t-1] = H, with phi(v) = 0.5 v + 1
 * (weight 0.5, bias 1) and f(a) = a * 0.5 + c, c = 0.25, in the same order of operations.
 */

/** Values the generated expressions read, and the net's parameters that give phi its meaning. */
export const X = 0.75;
export const H = -0.5;
export const PHI_WEIGHT = 0.5;
export const PHI_BIAS = 1;

/** A generated model: its text, the transition's value, and how deep and long it is. */
export interface DeepProgram {
  readonly text: string;
  /** Value of the transition's right-hand side. */
  readonly value: number;
  /** Deepest nesting (parentheses, calls, slices, unary minus) of any one expression in the text. */
  readonly nesting: number;
  /** Binary operators in the text. */
  readonly terms: number;
  readonly lets: number;
  readonly what: string;
}

type Kind = 'atom' | 'sum' | 'prod';

interface Building {
  text: string;
  value: number;
  kind: Kind;
  depth: number;
}

/** Knobs for one program; every count is an upper bound reached exactly. */
export interface DeepSpec {
  /** Wrappers (paren, neg, phi, f, tanh, slice, concat) applied around the expression. */
  readonly wraps: number;
  /** Terms added or multiplied in long chains, spread over the wraps. */
  readonly terms: number;
  /** Lets the expression is cut into. */
  readonly lets: number;
  /** Which wrappers to draw from (default: all). */
  readonly wrappers?: readonly Wrapper[];
}

/** The constructs that nest. */
export type Wrapper = 'paren' | 'neg' | 'phi' | 'f' | 'tanh' | 'slice' | 'concat';
const allWrappers: readonly Wrapper[] = ['paren', 'neg', 'phi', 'f', 'tanh', 'slice', 'concat'];

const group = (e: Building): Building => (e.kind === 'atom' ? e : { text: `(${e.text})`, value: e.value, kind: 'atom', depth: e.depth + 1 });

function wrap(e: Building, w: Wrapper): Building {
  switch (w) {
    case 'paren': return { text: `(${e.text})`, value: e.value, kind: 'atom', depth: e.depth + 1 };
    case 'neg': {
      const g = group(e);
      return { text: `-${g.text}`, value: -g.value, kind: 'atom', depth: g.depth + 1 };
    }
    case 'phi': return { text: `phi(${e.text})`, value: e.value * PHI_WEIGHT + PHI_BIAS, kind: 'atom', depth: e.depth + 1 };
    case 'f': return { text: `f(${e.text})`, value: e.value * 0.5 + 0.25, kind: 'atom', depth: e.depth + 1 };
    case 'tanh': return { text: `tanh(${e.text})`, value: Math.tanh(e.value), kind: 'atom', depth: e.depth + 1 };
    case 'slice': {
      const g = group(e);
      return { text: `${g.text}[0:1]`, value: g.value, kind: 'atom', depth: g.depth + 1 };
    }
    case 'concat': return { text: `concat(${e.text})`, value: e.value, kind: 'atom', depth: e.depth + 1 };
  }
}

/** Appends `count` terms: a sum of x[t] and constants, or a product that keeps |value| in [1/4, 4]. */
function chain(e: Building, count: number, r: () => number): Building {
  const parts: string[] = [];
  if (r() < 0.5) {
    let v = e.value;
    for (let i = 0; i < count; i++) {
      const useX = r() < 0.5;
      const c = Math.round((r() - 0.5) * 8) / 4;
      v = v + (useX ? X : c);
      parts.push(useX ? 'x[t]' : c < 0 ? `(${c})` : String(c));
    }
    return { text: [e.text, ...parts].join(' + '), value: v, kind: 'sum', depth: e.depth };
  }
  const g = e.kind === 'sum' ? group(e) : e;
  let v = g.value;
  for (let i = 0; i < count; i++) {
    const big = Math.abs(v) > 1;
    const f = r() < 0.1 ? -1 : big ? 0.5 : 2;
    v = v * f;
    parts.push(f === -1 ? '-1' : String(f));
  }
  return { text: [g.text, ...parts].join(' * '), value: v, kind: 'prod', depth: g.depth };
}

/** Builds one program from a spec with a seeded random source. */
export function deepProgram(spec: DeepSpec, r: () => number, what: string): DeepProgram {
  const ws = spec.wrappers ?? allWrappers;
  let e: Building = r() < 0.5 ? { text: 'h[t-1]', value: H, kind: 'atom', depth: 0 } : { text: 'x[t]', value: X, kind: 'atom', depth: 0 };
  const lets: string[] = [];
  let nesting = 0;
  let terms = 0;
  const steps = Math.max(spec.wraps, spec.lets, 1);
  let wrapsDone = 0;
  let termsDone = 0;
  let letsDone = 0;
  for (let s = 1; s <= steps; s++) {
    for (; wrapsDone < Math.round((spec.wraps * s) / steps); wrapsDone++) e = wrap(e, ws[Math.floor(r() * ws.length)]!);
    const t = Math.round((spec.terms * s) / steps) - termsDone;
    if (t > 0) {
      e = chain(e, t, r);
      termsDone += t;
      terms += t;
    }
    nesting = Math.max(nesting, e.depth);
    for (; letsDone < Math.round((spec.lets * s) / steps); letsDone++) {
      lets.push(`  let a${letsDone} = ${e.text}`);
      e = { text: `a${letsDone}`, value: e.value, kind: 'atom', depth: 0 };
    }
  }
  const text = [
    'model deep(n = 1, c = 0.25) {',
    '  observe x[t] : real[n]',
    '  state   h[t] : real[n] = zeros',
    '  net phi = linear(n -> n)',
    '  fn f(a) = a * 0.5 + c',
    ...lets,
    `  transition h[t] = ${e.text}`,
    '  emission   x[t] ~ Normal(h[t-1], 1)',
    '}',
    '',
  ].join('\n');
  return { text, value: e.value, nesting, terms, lets: lets.length, what };
}
