/** @file Symbolic dimensions: integer polynomials over size symbols such as `B`, `T`, `B*T`, `T-1`. */

/** A dimension: a concrete size or a polynomial over symbols. */
export type Dim = number | SymDim;

/** A non-constant polynomial; `terms` maps a sorted `*`-joined monomial ('' = constant) to its coefficient. */
export interface SymDim {
  readonly kind: 'sym';
  readonly terms: ReadonlyMap<string, number>;
}

/** What a user may write for a dim: a number, a `SymDim`, or text such as `'B'`, `'T*B'`, `'T-1'`. */
export type DimLike = Dim | string;

/** A shape: one dim per axis. */
export type Shape = readonly Dim[];

function fromTerms(terms: Map<string, number>): Dim {
  for (const [k, c] of [...terms]) if (c === 0) terms.delete(k);
  const keys = [...terms.keys()].sort();
  if (keys.length === 0) return 0;
  if (keys.length === 1 && keys[0] === '') return terms.get('')!;
  return { kind: 'sym', terms: new Map(keys.map((k) => [k, terms.get(k)!])) };
}

function termsOf(d: Dim): Map<string, number> {
  return typeof d === 'number' ? new Map([['', d]]) : new Map(d.terms);
}

/** A single symbol as a dim. */
export function sym(name: string): Dim {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`dim: bad symbol name '${name}'`);
  return fromTerms(new Map([[name, 1]]));
}

/** a + b. */
export function dimAdd(a: Dim, b: Dim): Dim {
  const t = termsOf(a);
  for (const [k, c] of termsOf(b)) t.set(k, (t.get(k) ?? 0) + c);
  return fromTerms(t);
}

/** a - b. */
export function dimSub(a: Dim, b: Dim): Dim {
  return dimAdd(a, dimMul(b, -1));
}

/** a · b. */
export function dimMul(a: Dim, b: Dim): Dim {
  const t = new Map<string, number>();
  for (const [ka, ca] of termsOf(a)) {
    for (const [kb, cb] of termsOf(b)) {
      const k = [...ka.split('*'), ...kb.split('*')].filter((s) => s !== '').sort().join('*');
      t.set(k, (t.get(k) ?? 0) + ca * cb);
    }
  }
  return fromTerms(t);
}

/** Product of dims (1 for none). */
export function dimProduct(ds: readonly Dim[]): Dim {
  return ds.reduce<Dim>((p, d) => dimMul(p, d), 1);
}

/** A size with every symbol (T, B, K, …) taken as 64: only to compare two costs at compile time. */
export function nominalSize(shape: readonly Dim[]): number {
  return shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : [...d.terms].reduce((s, [k, c]) => s + c * 64 ** k.split('*').filter((t) => t !== '').length, 0)), 1);
}

/** Structural equality of two dims. */
export function dimEq(a: Dim, b: Dim): boolean {
  return dimToString(a) === dimToString(b);
}

/** Equality of two shapes. */
export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]!));
}

/** Canonical text: `B*T`, `T-1`, `2*D+1`. */
export function dimToString(d: Dim): string {
  if (typeof d === 'number') return String(d);
  let s = '';
  const terms = [...d.terms].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : 0));
  for (const [k, c] of terms) {
    const mag = Math.abs(c);
    const body = k === '' ? String(mag) : mag === 1 ? k : `${mag}*${k}`;
    s += s === '' ? (c < 0 ? `-${body}` : body) : c < 0 ? `-${body}` : `+${body}`;
  }
  return s;
}

/** Shape as text: `[B,T,3]`. */
export function shapeToString(s: Shape): string {
  return `[${s.map(dimToString).join(',')}]`;
}

/** Parse a `DimLike`; text is a sum of products of integers and symbols. */
export function toDim(d: DimLike): Dim {
  if (typeof d !== 'string') return d;
  const text = d.replace(/\s+/g, '');
  const parts = text.match(/[+-]?[^+-]+/g);
  if (parts === null || parts.join('') !== text) throw new Error(`dim: cannot parse '${d}'`);
  let out: Dim = 0;
  for (const part of parts) {
    const neg = part.startsWith('-');
    const factors = part.replace(/^[+-]/, '').split('*');
    let term: Dim = neg ? -1 : 1;
    for (const f of factors) term = dimMul(term, /^\d+$/.test(f) ? Number(f) : sym(f));
    out = dimAdd(out, term);
  }
  return out;
}

/** Evaluate a dim with symbol values; throws naming an unbound symbol. */
export function evalDim(d: Dim, env: ReadonlyMap<string, number>): number {
  if (typeof d === 'number') return d;
  let total = 0;
  for (const [k, c] of d.terms) {
    let v = c;
    for (const s of k === '' ? [] : k.split('*')) {
      const x = env.get(s);
      if (x === undefined) throw new Error(`dim: symbol '${s}' is unbound`);
      v *= x;
    }
    total += v;
  }
  return total;
}

/** The symbol name if `d` is exactly one symbol. */
export function singleSymbol(d: Dim): string | undefined {
  if (typeof d === 'number' || d.terms.size !== 1) return undefined;
  const [[k, c]] = [...d.terms];
  return c === 1 && k !== '' && !k.includes('*') ? k : undefined;
}
