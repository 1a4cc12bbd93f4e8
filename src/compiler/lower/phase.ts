/**
 * @file One time phase as one Scan. Before the body is built, every maximal subexpression that
 * reads nothing computed in the phase is hoisted: lowered once in sequence mode ([T, B, w], one
 * batched product for all steps) and fed to the Scan as a scanned input. Cell input projections
 * are hoisted the same way. The rest — what depends on the carry — is lowered in the body.
 */
import { children, type CExpr } from '../checked.js';
import { InternalError } from '../diagnostics.js';
import { preorder, run, type Rec } from '../trampoline.js';
import type { GraphBuilder, ScanParams } from '../ir/builder.js';
import type { Value } from '../ir/graph.js';
import { cellInput, lowerExpr, type LowerScope } from './exprs.js';
import { callKey } from './dropout.js';

/** A carried variable: its value before the first step (or after the last, for backward phases). */
export interface CarrySpec {
  readonly key: string;
  readonly init: Value;
}

/** What the body callback receives. */
export interface PhaseBody {
  /** Step-mode scope; `read` resolves `cur` and carries; hoisted values resolve by identity. */
  readonly scope: LowerScope;
  /** Values computed so far at this step, by variable name (the body fills it in order). */
  readonly cur: Map<string, Value>;
  /** Carry values from the previous step, by key. */
  readonly prev: ReadonlyMap<string, Value>;
  /** Extra per-step inputs, by key. */
  readonly slices: ReadonlyMap<string, Value>;
  /** Hoisted cell input projections, by the cell expression. */
  readonly cellInputs: ReadonlyMap<CExpr, Value>;
  readonly b: GraphBuilder;
}

/** Builds one phase Scan in the outer (sequence-mode) scope. */
export class Phase {
  private readonly roots: CExpr[] = [];
  private readonly cellRoots: CExpr[] = [];
  private readonly extra = new Map<string, Value>();

  /**
   * @param outer sequence-mode scope that can read every variable computed before this phase
   * @param members variables computed in this phase
   * @param reverse whether the scan runs backward in time
   */
  constructor(private readonly outer: LowerScope, private readonly members: ReadonlySet<string>, readonly reverse: boolean) {}

  /** Registers an expression the body will lower (for hoisting). */
  root(e: CExpr): void {
    this.roots.push(e);
  }

  /** Registers a recurrent cell update (its input projection may be hoisted). */
  cellRoot(e: CExpr): void {
    if (e.k !== 'cell') throw new InternalError('phase: cellRoot expects a cell');
    this.cellRoots.push(e);
  }

  /** Adds a per-step input (time-major, sliced along axis 0). */
  scanned(key: string, seq: Value): void {
    this.extra.set(key, seq);
  }

  /** Per node: whether it reads a variable of this phase, and whether it reads any variable. */
  private readonly flags = new Map<CExpr, Flags>();

  /** The flags of `e`, each node's computed once (any depth, linear in the tree). */
  private flagsOf(e: CExpr): Flags {
    return this.flags.get(e) ?? run(flagsRec(e, this.members, this.flags));
  }

  /** Whether an expression reads nothing computed in this phase. */
  private free(e: CExpr): boolean {
    return !this.flagsOf(e).member;
  }

  /** Maximal hoistable subexpressions that read something (constants stay in the body); any depth. */
  private collect(e: CExpr, out: Set<CExpr>): void {
    this.flagsOf(e);
    for (const n of preorder(e, (x) => (this.flags.get(x)!.member ? children(x) : []))) {
      const f = this.flags.get(n)!;
      if (!f.member && f.any) out.add(n);
    }
  }

  /** Builds the Scan; returns final carries by key and stacked outputs in order. */
  run(carries: readonly CarrySpec[], invariants: readonly string[],
    body: (p: PhaseBody) => { carries: ReadonlyMap<string, Value>; outputs: readonly Value[] }): { carries: Map<string, Value>; outputs: Value[] } {
    const o = this.outer;
    const hoists = new Set<CExpr>();
    for (const r of this.roots) this.collect(r, hoists);
    const hoistedCells: CExpr[] = [];
    for (const c of this.cellRoots) {
      if (c.k !== 'cell') continue;
      if (c.inputs.every((i) => this.free(i))) hoistedCells.push(c);
      else for (const i of c.inputs) this.collect(i, hoists);
    }
    const hoistList = [...hoists];
    const seqs: Value[] = hoistList.map((e) => lowerExpr(o, e));
    const cellSeqs = hoistedCells.map((c) => {
      if (c.k !== 'cell') throw new InternalError('phase');
      const net = o.nets.get(c.net)!;
      const x = c.inputs.map((i) => lowerExpr(o, i));
      return cellInput(o, net, x.length === 1 ? fullSeq(o, x[0]!, c.inputs[0]!.width) : o.b.concat(x.map((v, k) => fullSeq(o, v, c.inputs[k]!.width)), 2), o.dropout?.(callKey(c)));
    });
    const extraKeys = [...this.extra.keys()];
    // Dropout masks of the net calls the body may lower (unused ones, of hoisted calls, are dropped by scan-dce).
    const drops = new Map<string, readonly Value[]>();
    if (o.dropout) {
      for (const r of [...this.roots, ...this.cellRoots]) {
        for (const e of preorder(r, children)) {
          if ((e.k !== 'net' && e.k !== 'cell') || drops.has(callKey(e))) continue;
          const m = o.dropout(callKey(e));
          if (m) drops.set(callKey(e), m);
        }
      }
    }
    const dropKeys = [...drops.keys()];
    const dropSeqs = dropKeys.flatMap((k) => drops.get(k)!);
    const scanned = [...seqs.map((v, i) => fullSeq(o, v, hoistList[i]!.width)), ...cellSeqs, ...extraKeys.map((k) => this.extra.get(k)!), ...dropSeqs];
    const invValues = invariants.map((n) => o.param(n));
    const res = o.b.scan({
      carries: carries.map((c) => c.init),
      scanned,
      invariants: invValues,
      inputReverse: scanned.map(() => this.reverse),
      outputReverse: undefined,
    }, (bb, p: ScanParams) => {
      const params = new Map(invariants.map((n, i) => [n, p.invariants[i]!] as const));
      const hoisted = new Map<CExpr, Value>(hoistList.map((e, i) => [e, p.slices[i]!] as const));
      const cellInputs = new Map<CExpr, Value>(hoistedCells.map((c, i) => [c, p.slices[hoistList.length + i]!] as const));
      const slices = new Map(extraKeys.map((k, i) => [k, p.slices[hoistList.length + hoistedCells.length + i]!] as const));
      const dropSlices = new Map<string, Value[]>();
      let at = hoistList.length + hoistedCells.length + extraKeys.length;
      for (const k of dropKeys) {
        const n = drops.get(k)!.length;
        dropSlices.set(k, p.slices.slice(at, at + n) as Value[]);
        at += n;
      }
      const prev = new Map(carries.map((c, i) => [c.key, p.carries[i]!] as const));
      const cur = new Map<string, Value>();
      const prevOffset = this.reverse ? 1 : -1;
      const scope: LowerScope = {
        b: bb, prefix: [o.prefix[1]!], dtype: o.dtype, nets: o.nets, hoisted,
        ...(o.dropout ? { dropout: (k: string) => dropSlices.get(k) } : {}),
        param: (n) => {
          const v = params.get(n);
          if (!v) throw new InternalError(`phase: parameter ${n} is not an invariant of this scan`);
          return v;
        },
        read: (name, offset) => {
          if (offset === 0 && cur.has(name)) return cur.get(name)!;
          if (offset === prevOffset && prev.has(name)) return prev.get(name)!;
          throw new InternalError(`phase: ${name}[t${offset >= 0 ? '+' : ''}${offset}] is not available in this scan`);
        },
      };
      const r = body({ scope, cur, prev, slices, cellInputs, b: bb });
      return { carries: carries.map((c) => r.carries.get(c.key)!), outputs: [...r.outputs] };
    });
    return { carries: new Map(carries.map((c, i) => [c.key, res.carries[i]!] as const)), outputs: res.outputs };
  }
}

/** Whether an expression reads a variable of the phase (`member`), and whether it reads any. */
interface Flags {
  readonly member: boolean;
  readonly any: boolean;
}

function* flagsRec(e: CExpr, members: ReadonlySet<string>, memo: Map<CExpr, Flags>): Rec<Flags> {
  const known = memo.get(e);
  if (known) return known;
  let member = e.k === 'read' && members.has(e.name), any = e.k === 'read';
  for (const c of children(e)) {
    const f: Flags = yield flagsRec(c, members, memo);
    member ||= f.member;
    any ||= f.any;
  }
  const f = { member, any };
  memo.set(e, f);
  return f;
}

/** A hoisted value as a full [T, B, w] sequence (scalars broadcast). */
function fullSeq(o: LowerScope, v: Value, w: number): Value {
  return v.shape.length === 3 ? v : o.b.expand(v, ['T', o.prefix[1]!, w]);
}
