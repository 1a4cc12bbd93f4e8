/**
 * @file Dropout in training graphs. A net declared with `dropout = p` has, at every call site,
 * one uniform noise input per layer, `dropout.<net>.<call>.<layer>` ([T, B, in-width of that
 * layer]; a recurrent cell has one, for its input x in x·W_ih, and its recurrent state is never
 * thinned, as in Zaremba et al. 2014); the unit is kept where u ≥ p and then scaled by 1/(1−p)
 * ("inverted" dropout: evaluation and sampling graphs apply the net unchanged). `<call>`
 * numbers the net's call sites in source order (a call inside a `fn` body once per use of the
 * function, ordered by the use), so a call keeps its name when the file is reformatted, and one
 * call has one mask per step wherever the lowering evaluates it (hoisted
 * over the whole sequence or inside a scan, for the prior and the guide alike). The noise is
 * drawn per sequence, shared by the particles of that sequence: each sequence sees one thinned
 * network per step.
 */
import type { CExpr, CheckedModel } from '../checked.js';
import { children } from '../checked.js';
import { preorder } from '../trampoline.js';
import type { StepProgram } from '../program.js';

/** A call of a net, or a recurrent cell step (its input is thinned, never its state). */
export type NetCall = Extract<CExpr, { k: 'net' | 'cell' }>;

/** One layer input of one call site of a net with dropout. */
export interface DropoutSite {
  /** `net@offset`: the call site, the same for every copy of that call's expression. */
  readonly call: string;
  readonly layer: number;
  readonly width: number;
  readonly rate: number;
  /** The graph input's name. */
  readonly input: string;
}

/** Where a call is: the offsets of the `fn` calls it was expanded through, then its own. */
function callSite(e: NetCall): readonly number[] {
  return [...(e.k === 'net' ? e.via ?? [] : []), e.span.start];
}

/** The key of a call site: net name and where the call is in the source. */
export function callKey(e: NetCall): string {
  return `${e.net}@${callSite(e).join('/')}`;
}

/** Source order of two call sites (lexicographic over their offsets). */
function bySite(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Every expression of the inference program: state updates and every distribution's parameters. */
function* programExprs(p: StepProgram): Generator<CExpr> {
  const sites = [...p.inference.phases.flatMap((ph) => ph.sites), ...p.inference.sequence];
  for (const s of sites) {
    if (s.kind === 'state') yield s.update;
    const dists = s.kind === 'latent' ? [s.prior, ...(s.guide ? [s.guide] : [])] : s.kind === 'state' ? [] : [s.dist];
    for (const d of dists) yield* Object.values(d.params);
  }
}

/** The dropout sites of a program, by net, call (in source order) and layer. */
export function dropoutSites(m: CheckedModel, p: StepProgram): DropoutSite[] {
  const calls = new Map<string, NetCall>();
  for (const root of programExprs(p)) {
    for (const e of preorder(root, children)) if ((e.k === 'net' || e.k === 'cell') && m.nets.get(e.net)!.dropout > 0) calls.set(callKey(e), e);
  }
  const ordered = [...calls.values()].sort((a, b) => (a.net < b.net ? -1 : a.net > b.net ? 1 : bySite(callSite(a), callSite(b))));
  const out: DropoutSite[] = [];
  let prev = '', n = 0;
  for (const e of ordered) {
    n = e.net === prev ? n + 1 : 0;
    prev = e.net;
    const net = m.nets.get(e.net)!;
    const widths = e.k === 'cell' ? [net.inDim] : [net.inDim, ...net.hidden];
    widths.forEach((w, layer) => out.push({ call: callKey(e), layer, width: w, rate: net.dropout, input: `dropout.${e.net}.${n}.${layer}` }));
  }
  return out;
}
