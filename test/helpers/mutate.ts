/** @file Seeded random edits of model files (deleted tokens, misspellings, broken brackets, ...) for fuzz tests. */
/** A small seeded PRNG (mulberry32) so every failure is reproducible from its index. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tok { start: number; end: number; text: string }

function tokens(text: string): Tok[] {
  const out: Tok[] = [];
  const re = /#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|->|\S/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (!m[0].startsWith('#')) out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  return out;
}

const vocab = ['(', ')', '[', ']', '{', '}', ',', ':', '~', '=', '+', '-', '*', '/', '->', 't', 'x', 'z', 'h',
  'model', 'observe', 'latent', 'state', 'net', 'prior', 'emission', 'transition', 'guide', 'let', 'fn', 'aux',
  'Normal', 'head', 'zeros', 'real', 'binary', '0', '1', '2.5', 'lstm', 'mlp'];

/** Applies one random mutation; returns the new text and a description. */
export function mutate(text: string, r: () => number): { text: string; what: string } {
  const toks = tokens(text);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const tok = pick(toks);
  const splice = (s: number, e: number, ins: string) => text.slice(0, s) + ins + text.slice(e);
  const kind = Math.floor(r() * 8);
  switch (kind) {
    case 0: return { text: splice(tok.start, tok.end, ''), what: `delete '${tok.text}' at ${tok.start}` };
    case 1: return { text: splice(tok.start, tok.start, tok.text + ' '), what: `duplicate '${tok.text}' at ${tok.start}` };
    case 2: {
      const ids = toks.filter((t) => /^[A-Za-z_]/.test(t.text));
      const t = pick(ids);
      const i = Math.floor(r() * t.text.length);
      const c = 'abcdehxz_'[Math.floor(r() * 9)]!;
      const op = Math.floor(r() * 3);
      const s = op === 0 ? t.text.slice(0, i) + t.text.slice(i + 1) : op === 1 ? t.text.slice(0, i) + c + t.text.slice(i) : t.text.slice(0, i) + c + t.text.slice(i + 1);
      return { text: splice(t.start, t.end, s), what: `misspell '${t.text}' as '${s}' at ${t.start}` };
    }
    case 3: {
      const bs = toks.filter((t) => /^[()[\]{}]$/.test(t.text));
      const t = pick(bs);
      const to = pick(['', '(', ')', '[', ']', '{', '}']);
      return { text: splice(t.start, t.end, to), what: `bracket '${t.text}' -> '${to}' at ${t.start}` };
    }
    case 4: {
      const idx = [...text.matchAll(/\[t(?:[-+]1)?\]/g)];
      const m = pick(idx);
      const to = pick(['[t]', '[t-1]', '[t+1]', '[t-2]', '[]', '[1]']);
      return { text: splice(m.index!, m.index! + m[0].length, to), what: `time '${m[0]}' -> '${to}' at ${m.index}` };
    }
    case 5: {
      const i = Math.floor(r() * (toks.length - 1));
      const a = toks[i]!;
      const b = toks[i + 1]!;
      return { text: text.slice(0, a.start) + b.text + text.slice(a.end, b.start) + a.text + text.slice(b.end), what: `swap '${a.text}' '${b.text}' at ${a.start}` };
    }
    case 6: {
      const w = pick(vocab);
      return { text: splice(tok.start, tok.start, w + ' '), what: `insert '${w}' at ${tok.start}` };
    }
    default: {
      const ns = toks.filter((t) => /^\d/.test(t.text));
      const t = ns.length ? pick(ns) : tok;
      const to = pick(['0', '1', '3', '1.5', '100000', '7']);
      return { text: splice(t.start, t.end, to), what: `number '${t.text}' -> '${to}' at ${t.start}` };
    }
  }
}
