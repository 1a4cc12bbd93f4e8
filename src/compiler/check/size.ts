/**
 * @file The parameter budget: counts every trainable parameter (in float64, so no size can
 * overflow) and reports a model above LIMITS.params at its largest contributor, with the memory
 * the model would need, before anything downstream allocates a byte.
 */
import type * as A from '../ast.js';
import type { ParamInfo } from '../checked.js';
import type { Diagnostic } from '../diagnostics.js';
import { formatBig, tooManyParameters } from '../errors.js';
import { formatBytes, LIMITS, trainingBytes } from '../limits.js';
import type { Override } from './dims.js';

/** A declaration that owns parameters: a net, a learned initial state, a distribution head. */
export interface ParamOwner {
  /** `net rnn`, `the Normal.head of prior z[t]`. */
  readonly what: string;
  readonly span: A.Span;
  readonly params: readonly ParamInfo[];
}

/** Elements of one parameter. */
export function paramSize(p: ParamInfo): number {
  return p.shape.reduce((a, b) => a * b, 1);
}

/** Reports E0704 when the owners' parameters together exceed the limit. */
export function checkParamCount(owners: readonly ParamOwner[], modelSpan: A.Span, overrides: readonly Override[], diags: Diagnostic[]): void {
  const sized = owners.map((o) => ({ ...o, count: o.params.reduce((s, p) => s + paramSize(p), 0) }));
  const total = sized.reduce((s, o) => s + o.count, 0);
  if (total <= LIMITS.params) return;
  const top = [...sized].sort((a, b) => b.count - a.count).slice(0, 3);
  const largest = top[0];
  const notes = top.slice(1).filter((o) => o.count > 0).map((o) => ({ message: `${o.what} has ${formatBig(o.count)}`, span: o.span }));
  const biggest = largest ? [...largest.params].sort((a, b) => paramSize(b) - paramSize(a))[0] : undefined;
  const detail = largest && biggest
    ? `${largest.what} alone has ${formatBig(largest.count)} (${biggest.name} is [${biggest.shape.map(formatBig).join(', ')}]); `
    : '';
  const set = overrides.length ? ` (given: ${overrides.map((o) => `--set ${o.name}=${o.value}`).join(' ')})` : '';
  const hint = `${detail}the weights alone would take ${formatBytes(4 * total)} in float32 and training about ` +
    `${formatBytes(trainingBytes(total))} (weights, gradients and two Adam moments); the limit is ` +
    `${formatBig(LIMITS.params)} parameters (${formatBytes(4 * LIMITS.params)} of float32 weights): make the widths smaller${set}`;
  diags.push(tooManyParameters(largest?.span ?? modelSpan, total, LIMITS.params, hint, notes));
}
