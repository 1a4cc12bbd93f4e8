/** @file The reverse-mode driver: it refuses a rule that returns the wrong number of cotangents; the autodiff modules import no cycle. */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { grad } from '../../../src/compiler/autodiff/backward.js';
import type { VjpRule } from '../../../src/compiler/autodiff/rule.js';
import { vjpRules } from '../../../src/compiler/autodiff/vjp.js';
import { GraphBuilder } from '../../../src/compiler/ir/builder.js';
import type { Value } from '../../../src/compiler/ir/graph.js';
import { Op } from '../../../src/compiler/ir/ops.js';
import { repoRoot } from '../../helpers/examples.js';

/** Runs `f` with the VJP rule of `op` replaced. */
function withRule(op: Op, rule: VjpRule<Op>, f: () => void): void {
  const table = vjpRules as Record<Op, VjpRule<Op>>;
  const saved = table[op];
  table[op] = rule;
  try {
    f();
  } finally {
    table[op] = saved;
  }
}

describe('autodiff driver', () => {
  const g = (() => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', [3]);
    const y = b.input('y', 'float64', [3]);
    b.output('z', b.reduceSum(b.mul(x, y), [0]));
    return b.build();
  })();

  it('driver: a rule returning fewer cotangents than inputs is an internal error, not a zero gradient', () => {
    withRule(Op.Mul, (_, __, [c]) => [c!], () => {
      expect(() => grad(g, { of: 'z', wrt: ['x', 'y'] })).to.throw(/internal: vjp of node 0 \(mul\) returned 1 cotangents for 2 inputs/);
    });
  });

  it('driver: a rule leaving a hole is an internal error', () => {
    const holey = new Array<Value>(2);
    withRule(Op.Mul, (_, __, [c]) => { holey[1] = c!; return holey; }, () => {
      expect(() => grad(g, { of: 'z', wrt: ['x', 'y'] })).to.throw(/internal: vjp of node 0 \(mul\) left the cotangent of input 0 undefined/);
    });
  });

  it('autodiff: the modules import no cycle (rules reach the driver through their context)', () => {
    const dir = join(repoRoot, 'src', 'compiler', 'autodiff');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    const deps = new Map(files.map((f) => [f, [...readFileSync(join(dir, f), 'utf8').matchAll(/from '\.\/([\w-]+)\.js'/g)].map((m) => `${m[1]}.ts`)]));
    const visiting = new Set<string>(), done = new Set<string>();
    const visit = (f: string, path: string[]): void => {
      if (done.has(f)) return;
      if (visiting.has(f)) throw new Error(`import cycle: ${[...path, f].join(' → ')}`);
      visiting.add(f);
      for (const d of deps.get(f) ?? []) visit(d, [...path, f]);
      visiting.delete(f);
      done.add(f);
    };
    for (const f of files) visit(f, []);
    expect(done.size).to.equal(files.length);
  });
});
