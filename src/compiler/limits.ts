/**
 * @file The documented limits on the size of a model (docs/language.md, "Limits"). The parser
 * and the checker enforce them with located diagnostics, before anything is allocated, so no
 * model file can make seqc overflow its stack, hang, or ask for more memory than a machine has.
 */
export const LIMITS = {
  /** Nesting levels of one expression in the source: parentheses, calls, lists, slices, unary minus. */
  nesting: 10_000,
  /** Expression nodes of the whole model after substituting every let and inlining every function call. */
  expandedNodes: 2_000_000,
  /** Any width or size: a variable, a net's input, output or hidden layer, a head, a mixture's components. */
  width: 1_048_576,
  /** Trainable parameters of the whole model (4 GiB of float32 weights; training needs about 4× that). */
  params: 1_073_741_824,
} as const;

/** Bytes the training state of `params` parameters takes in float32: weights, gradients and two Adam moments. */
export function trainingBytes(params: number): number {
  return params * 4 * 4;
}

/** `14.4 GB`, `512 MB`, `4.8e+25 bytes`: a byte count for messages (decimal units). */
export function formatBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  if (v >= 1000) return `${n.toExponential(1)} bytes`;
  return u === 0 ? `${n} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
