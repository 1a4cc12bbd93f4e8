/**
 * @file Rules for discrete latents (`latent s[t] : cat[K]`), which inference sums out exactly
 * with the forward algorithm: the path of s may enter the model only through its own prior
 * (which may read s[t-1]), the priors of continuous latents and the emissions (which may read
 * s[t]). States, guides and aux terms may not read it — a state that depended on s would make
 * the sum over paths exponential, and a guide of s is never needed.
 */
import type { Def, VarInfo } from '../checked.js';
import type { Diagnostic } from '../diagnostics.js';
import * as E from '../errors.js';

/** Checks every read of a discrete latent; appends diagnostics. */
export function checkDiscreteLatents(defs: readonly Def[], vars: ReadonlyMap<string, VarInfo>, diags: Diagnostic[]): void {
  const discrete = [...vars.values()].filter((v) => v.role === 'latent' && v.elem === 'cat');
  for (const extra of discrete.slice(1)) {
    diags.push(E.discreteLatentRule(extra.span, `a model may have one discrete latent; \`${extra.name}\` is the second (after \`${discrete[0]!.name}\`)`,
      `combine them into one latent over the joint categories (cat[K1 * K2])`));
  }
  const names = new Set(discrete.map((v) => v.name));
  for (const d of defs) {
    for (const r of d.reads) {
      if (!names.has(r.name)) continue;
      const own = d.kind === 'prior' && d.target === r.name;
      if (d.kind === 'transition' || d.kind === 'guideState') {
        diags.push(E.discreteLatentRule(r.span, `${d.where} reads the discrete latent \`${r.name}\``,
          `discrete latents are summed out exactly, which needs states that do not depend on them; read \`${r.name}[t]\` in a prior or an emission instead`));
      } else if (d.kind === 'guideSample' || d.kind === 'aux') {
        diags.push(E.discreteLatentRule(r.span, `${d.where} reads the discrete latent \`${r.name}\``,
          `\`${r.name}\` is summed out exactly, so guides and auxiliary terms cannot condition on it`));
      } else if (r.offset !== 0 && !own) {
        diags.push(E.discreteLatentRule(r.span, `${d.where} reads \`${r.name}[t${r.offset > 0 ? '+' : ''}${r.offset}]\``,
          `only the prior of \`${r.name}\` may read \`${r.name}[t-1]\`; other statements read \`${r.name}[t]\``));
      }
    }
  }
}
