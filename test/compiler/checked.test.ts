/** @file The walks over checked expressions: reads in order, tree sizes with sharing, per-node read sets, at any depth. */
import { expect } from 'chai';
import { readNameSets, readsOf, treeSize, type CExpr } from '../../src/compiler/checked.js';
import { rng } from '../helpers/mutate.js';

const span = { start: 0, end: 0 };
const read = (name: string, offset = 0): CExpr => ({ k: 'read', name, offset, width: 1, span });
const add = (left: CExpr, right: CExpr): CExpr => ({ k: 'binary', op: '+', left, right, width: 1, span });
const neg = (arg: CExpr): CExpr => ({ k: 'neg', arg, width: 1, span });

/** A random tree of depth about `n`, built in a loop, with the reads a plain recursion would list. */
function randomTree(n: number, r: () => number): { e: CExpr; reads: string[] } {
  let e = read('v0');
  const before: string[] = [];
  const after = ['v0'];
  for (let i = 1; i < n; i++) {
    const leaf = `v${Math.floor(r() * 5)}`;
    const c = r();
    if (c < 0.4) {
      e = add(e, read(leaf));
      after.push(leaf);
    } else if (c < 0.7) {
      e = add(read(leaf), e);
      before.push(leaf);
    } else e = neg(e);
  }
  return { e, reads: [...before.reverse(), ...after] };
}

describe('checked: walks over expressions', () => {
  it('readsOf: lists reads left to right, also 200 000 levels deep', () => {
    const r = rng(3);
    const small = randomTree(300, r);
    expect(readsOf(small.e).map((x) => x.name)).to.deep.equal(small.reads);
    let deep = read('a');
    for (let i = 0; i < 200_000; i++) deep = i % 2 ? add(deep, read('b', -1)) : neg(deep);
    const rs = readsOf(deep);
    expect(rs).to.have.length(100_001);
    expect(rs[0]!.name).to.equal('a');
    expect(rs[rs.length - 1]).to.deep.include({ name: 'b', offset: -1 });
  });

  it('treeSize: a shared subexpression counts at every use; 40 doublings do not take 2^40 steps', () => {
    const x = read('x');
    let e = x;
    for (let i = 0; i < 40; i++) e = add(e, e);
    expect(treeSize(e)).to.equal(2 ** 41 - 1);
    expect(treeSize(add(x, neg(x)))).to.equal(4);
  });

  it('readNameSets: every node gets exactly the names under it, at any depth', () => {
    const r = rng(5);
    const { e } = randomTree(20_000, r);
    const sets = readNameSets(e);
    let checked = 0;
    for (const [node, names] of sets) {
      if (checked++ % 997) continue;
      expect([...names].sort()).to.deep.equal([...new Set(readsOf(node).map((x) => x.name))].sort());
    }
    expect(checked).to.be.greaterThan(19_000);
  });
});
