/**
 * @file The step program as deterministic text: phases with their direction and carries, and
 * every site with its expressions, for golden tests and `seqc compile --print program`.
 * Expressions are printed without recursion (a post-order walk with an explicit stack), so a
 * deeply nested model prints as safely as it compiles.
 */
import { children, type CDist, type CExpr } from './checked.js';
import { families } from '../inference/families.js';
import type { Phase, Site, StepProgram } from './program.js';

/** One checked expression as text. */
export function exprText(root: CExpr): string {
  const done = new Map<CExpr, string>();
  const stack: { e: CExpr; open: boolean }[] = [{ e: root, open: false }];
  while (stack.length) {
    const top = stack.pop()!;
    if (!top.open) {
      stack.push({ e: top.e, open: true });
      for (const c of children(top.e)) stack.push({ e: c, open: false });
      continue;
    }
    const e = top.e;
    const kids = children(e).map((c) => done.get(c)!);
    done.set(e, leaf(e, kids));
  }
  return done.get(root)!;
}

function leaf(e: CExpr, k: readonly string[]): string {
  const t = (o: number): string => (o === 0 ? 't' : o < 0 ? `t${o}` : `t+${o}`);
  switch (e.k) {
    case 'const': return String(e.value);
    case 'read': return `${e.name}[${t(e.offset)}]`;
    case 'unary': return `${e.fn}(${k[0]})`;
    case 'binary': return `(${k[0]} ${e.op} ${k[1]})`;
    case 'neg': return `-${k[0]}`;
    case 'concat': return `concat(${k.join(', ')})`;
    case 'slice': return `${k[0]}[${e.start}:${e.end}]`;
    case 'sum': return `sum(${k[0]})`;
    case 'net': return `${e.net}(${k.join(', ')})`;
    case 'cell': return `${e.net}.step(${k.join(', ')})`;
    case 'affine': return `affine[${e.weight}, ${e.bias}](${k[0]})`;
    case 'param': return `param[${e.name}]`;
  }
}

function distText(d: CDist): string {
  const ps = Object.entries(d.params).map(([n, e]) => `${n} = ${exprText(e)}`).join(', ');
  const size = families[d.family].size;
  return `${d.family}${d.components && size ? `{${size.option}=${d.components}}` : ''}(${ps})`;
}

function siteText(s: Site): string[] {
  switch (s.kind) {
    case 'state': return [`state ${s.name}[t] : real[${s.width}]${s.owner === 'guide' ? ' (guide)' : ''}${s.cell ? ` ${s.cell.kind}` : ''}${s.initParam ? ` init=${s.initParam}` : ''} = ${exprText(s.update)}`];
    case 'latent': return [
      `latent ${s.name}[t] : ${s.support}[${s.width}]`,
      `  prior ${distText(s.prior)}`,
      s.guide ? `  guide ${distText(s.guide)}` : `  (no guide: ${s.support === 'cat' ? 'summed out' : 'none'})`,
    ];
    case 'observe': return [`observe ${s.name}[t] ~ ${distText(s.dist)}`];
    case 'aux': return [`aux(weight = ${s.weight}) ${s.name}[t] ~ ${distText(s.dist)}`];
  }
}

function phaseText(p: Phase, title: string): string[] {
  const carries = p.carries.map((c) => `${c.key}${c.initParam ? `=${c.initParam}` : ''}`).join(', ') || 'none';
  return [`  ${title}: ${p.stochastic ? 'stochastic' : 'deterministic'} ${p.direction}; carries ${carries}`, ...p.sites.flatMap(siteText).map((l) => `    ${l}`)];
}

/** The whole step program as text. */
export function printProgram(p: StepProgram): string {
  const out = [
    `program ${p.model.name}`,
    `data: ${p.data.map((v) => `${v.name} (${v.role}) ${v.elem}[${v.width}]`).join(', ')}`,
    'inference:',
    ...p.inference.phases.flatMap((ph, i) => phaseText(ph, `phase ${i + 1}`)),
    `  whole sequences: ${p.inference.sequence.length ? '' : 'none'}`,
    ...p.inference.sequence.flatMap(siteText).map((l) => `    ${l}`),
    'generation:',
    ...phaseText(p.generation, 'phase'),
  ];
  return out.join('\n') + '\n';
}
