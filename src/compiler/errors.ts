/**
 * @file The error catalogue: every diagnostic the front end can produce, as a named constructor
 * taking the span it blames. Codes are stable and documented in docs/language.md.
 */
import type { Span } from './ast.js';
import type { Diagnostic } from './diagnostics.js';

const err = (code: string, span: Span, message: string, hint?: string, notes?: Diagnostic['notes']): Diagnostic => ({
  severity: 'error', code, span, message, ...(hint ? { hint } : {}), ...(notes ? { notes } : {}),
});

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The closest candidate within a small edit distance, if any. */
export function closest(name: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestD || (dist === bestD && best !== null && c < best)) [best, bestD] = [c, dist];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

const didYouMean = (s: string | null): string | undefined => (s ? `did you mean \`${s}\`?` : undefined);

/** E0001: the parser could not continue. */
export function syntaxError(span: Span, expected: string, found: string): Diagnostic {
  const what = found === '' ? 'end of file' : `'${found}'`;
  let hint: string | undefined;
  if (found === '') hint = 'the file ended early: is a closing `}` or `)` missing?';
  else if (/^[)\]}]$/.test(found)) hint = 'brackets do not match here';
  else if (found === '=' && expected.includes("'~'")) hint = 'random variables are drawn with `~`; `=` is for deterministic states';
  else if (found === '~' && expected.includes("'='")) hint = 'states are assigned with `=`; `~` is for random variables';
  return err('E0001', span, `syntax error: expected ${expected}, found ${what}`, hint);
}

/** E0002: a bracket opened on an earlier line and never closed. */
export function unclosedBracket(span: Span, open: Span, bracket: string, found: string): Diagnostic {
  const close = bracket === '(' ? ')' : ']';
  return err('E0002', span, `expected '${close}' to close the '${bracket}' opened earlier, found ${found === '' ? 'end of file' : `'${found}'`}`,
    `add the missing '${close}'`, [{ message: `this '${bracket}' is not closed`, span: open }]);
}

/** E0003: an invisible character outside a comment (a byte-order mark is allowed at the start of a file). */
export function invisibleCharacter(span: Span, name: string): Diagnostic {
  return err('E0003', span, `invisible character ${name}`,
    'delete it: it looks like a space or like nothing at all, but is not whitespace in a model file (it often comes from copying text)');
}

/** E0004: bytes that are not UTF-8; `seqc` reads and writes model files as UTF-8 and never changes bytes it cannot read. */
export function invalidUtf8(span: Span, bytes: string, offset: number): Diagnostic {
  return err('E0004', span, `the file is not valid UTF-8: byte${bytes.includes(' ') ? 's' : ''} ${bytes} at byte offset ${offset}`,
    'model files are UTF-8; convert the file (for Latin-1 text: `iconv -f latin1 -t utf-8 FILE`); nothing was changed');
}

/** E0101: a name that is not defined. */
export function unknownName(span: Span, name: string, what: string, candidates: Iterable<string>): Diagnostic {
  return err('E0101', span, `unknown ${what} \`${name}\``, didYouMean(closest(name, candidates)));
}

/** E0102: a name defined twice. */
export function duplicateName(span: Span, name: string, first: Span): Diagnostic {
  return err('E0102', span, `\`${name}\` is already defined`, 'rename one of the two definitions', [
    { message: 'first defined here', span: first },
  ]);
}

/** E0103: a name used as the wrong kind of thing. */
export function wrongKind(span: Span, name: string, is: string, usedAs: string, hint?: string): Diagnostic {
  return err('E0103', span, `\`${name}\` is ${is}, not ${usedAs}`, hint);
}

/** E0104: a user function that calls itself, or a let defined in terms of itself. */
export function recursiveFunction(span: Span, name: string, isLet = false): Diagnostic {
  return isLet
    ? err('E0104', span, `let \`${name}\` is defined in terms of itself`, 'lets are substituted where they are used and cannot refer to themselves')
    : err('E0104', span, `function \`${name}\` calls itself`, 'functions are expanded inline and cannot recurse');
}

/** E0105: a per-step variable used without a time index. */
export function missingTimeIndex(span: Span, name: string): Diagnostic {
  return err('E0105', span, `\`${name}\` is a per-step variable and needs a time index`, `write \`${name}[t]\` or \`${name}[t-1]\``);
}

/** E0106: a time index on something that is not a per-step variable. */
export function notIndexable(span: Span, name: string, is: string): Diagnostic {
  return err('E0106', span, `\`${name}\` is ${is} and cannot be indexed by time`, `write \`${name}\` without \`[t]\``);
}

/** E0201: a dimension that is not a positive integer. */
export function badDimension(span: Span, value: number, why: string): Diagnostic {
  return err('E0201', span, `dimension must be a positive integer, but this is ${formatNum(value)}`, why);
}

/** E0202: a compile-time constant (a size, a slice bound, a weight) that uses something else than numbers and hyperparameters. */
export function nonConstantDimension(span: Span, what = 'dimensions'): Diagnostic {
  return err('E0202', span, `${what} may only use numbers, hyperparameters and + - * /`,
    'declare the value as a hyperparameter in the model header, e.g. `model m(h_dim = 64)`');
}

/** E0301: a net called with the wrong total input width. */
export function netInputWidth(span: Span, net: string, expected: number, got: number, parts: string[]): Diagnostic {
  const arith = parts.length > 1 ? ` = ${parts.join(' + ')}` : parts.length === 1 ? ` (${parts[0]})` : '';
  return err('E0301', span, `${net} expects ${expected} inputs but gets ${got}${arith}`,
    `the arguments of a net call are concatenated; change the net's input width or the arguments`);
}

/** E0302: elementwise operands of incompatible widths. */
export function widthMismatch(span: Span, op: string, left: string, right: string): Diagnostic {
  return err('E0302', span, `cannot apply \`${op}\` to ${left} and ${right}`,
    'elementwise operands must have equal widths, or one of them width 1');
}

/** E0303: a distribution parameter of the wrong width. */
export function distParamWidth(span: Span, family: string, param: string, expected: string, got: number, target: string): Diagnostic {
  return err('E0303', span, `${family} parameter \`${param}\` has width ${got}, but ${target} needs ${expected}`);
}

/** E0304: a slice outside the value's width. */
export function badSlice(span: Span, start: number, end: number, width: number): Diagnostic {
  return err('E0304', span, `slice [${start}:${end}] is out of range for a value of width ${width}`,
    'slice bounds must satisfy 0 <= start < end <= width');
}

/** E0305: a state assigned a value of the wrong width. */
export function assignWidth(span: Span, target: string, expected: number, got: number): Diagnostic {
  return err('E0305', span, `${target} has width ${expected} but is assigned a value of width ${got}`);
}

/** E0306: a call with the wrong number of arguments. */
export function arity(span: Span, callee: string, expected: string, got: number): Diagnostic {
  return err('E0306', span, `\`${callee}\` takes ${expected} but is given ${got}`);
}

/** E0307: an unknown or invalid option/named argument. */
export function badOption(span: Span, what: string, hint?: string): Diagnostic {
  return err('E0307', span, what, hint);
}

/** E0308: a distribution that does not fit the variable's element type or role. */
export function distNotAllowed(span: Span, family: string, why: string, hint?: string): Diagnostic {
  return err('E0308', span, `${family} cannot be used here: ${why}`, hint);
}

/** E0401: the generative model reads the future. */
export function readsFuture(span: Span, ref: string, where: string, hint?: string): Diagnostic {
  return err('E0401', span, `${where} cannot read ${ref}: it is not known yet at step t`, hint);
}

/** E0402: a prior that depends on the current observation. */
export function priorReadsObservation(span: Span, latent: string, obs: string, via: string | null): Diagnostic {
  const through = via ? ` (through ${via})` : '';
  return err('E0402', span, `the prior of ${latent}[t] depends on the observation ${obs}[t]${through}`,
    `a prior may only use the past: did you mean ${obs}[t-1]?`);
}

/** E0403: a state or sampled variable that reads its own current value. */
export function stateReadsItself(span: Span, name: string, backward: boolean, drawn = false): Diagnostic {
  return err('E0403', span, `${name}[t] is being defined and cannot read itself at t`,
    `${name}[t] is ${drawn ? 'drawn here' : 'a state'}: did you mean ${name}[t${backward ? '+' : '-'}1]?`);
}

/** E0404: a cycle among the quantities of one step. */
export function stepCycle(span: Span, cycle: string[]): Diagnostic {
  return err('E0404', span, `cycle within one step: ${cycle.join(' -> ')}`,
    'one of these must read the previous step (t-1) instead');
}

/** E0405: a time offset other than t-1, t, t+1. */
export function badOffset(span: Span, offset: number): Diagnostic {
  return err('E0405', span, `time offset t${offset > 0 ? '+' : ''}${offset} is not supported`,
    'only t-1, t and t+1 can be read; carry older values in a state');
}

/** E0406: a backward-in-time state that depends on latents sampled forward in time. */
export function backwardReadsLatent(span: Span, state: string, latent: string): Diagnostic {
  return err('E0406', span, `${state} runs backward in time but depends on the latent ${latent}, which is sampled forward`,
    'backward states may only read observations, inputs and other backward states');
}

/** E0407: the generative model reads a guide-only quantity. */
export function generativeReadsGuide(span: Span, name: string, where: string): Diagnostic {
  return err('E0407', span, `${where} cannot read ${name}: it belongs to the guide`,
    'the generative model must not depend on the inference network');
}

/** E0408: a recurrent cell used other than as a state's update. */
export function cellMisuse(span: Span, net: string, why: string, hint: string): Diagnostic {
  return err('E0408', span, `recurrent net \`${net}\` ${why}`, hint);
}

/** E0409: a state that reads itself both before and after t. */
export function mixedDirection(span: Span, name: string): Diagnostic {
  return err('E0409', span, `${name} reads both ${name}[t-1] and ${name}[t+1]`, 'a state runs either forward or backward in time');
}

/** E0410: a generative state running backward. */
export function backwardGenerative(span: Span, name: string): Diagnostic {
  return err('E0410', span, `generative state ${name} cannot run backward in time`,
    'only states declared inside `guide { ... }` may read [t+1]');
}

/** E0501: a variable without its defining statement. */
export function missingDefinition(span: Span, name: string, role: string, needs: string, example: string): Diagnostic {
  return err('E0501', span, `${role} \`${name}\` has no ${needs}`, `add \`${example}\``);
}

/** E0502: a variable defined twice by the same kind of statement. */
export function duplicateDefinition(span: Span, what: string, first: Span): Diagnostic {
  return err('E0502', span, `${what} is defined twice`, undefined, [{ message: 'first defined here', span: first }]);
}

/** E0503: a statement whose target has the wrong role. */
export function wrongTarget(span: Span, stmt: string, name: string, role: string, hint?: string): Diagnostic {
  return err('E0503', span, `${stmt} cannot define \`${name}\`, which is ${role}`, hint);
}

/** E0504: a statement's target must be indexed at t. */
export function targetNotAtT(span: Span, name: string): Diagnostic {
  return err('E0504', span, `a statement defines ${name}[t], not another step`, `write \`${name}[t]\` on the left`);
}

/** E0505: a declaration in the wrong place. */
export function misplacedDecl(span: Span, what: string, hint: string): Diagnostic {
  return err('E0505', span, what, hint);
}

/** E0701: an expression nested deeper than the limit. */
export function nestingTooDeep(span: Span, limit: number): Diagnostic {
  return err('E0701', span, `expression nested more than ${formatBig(limit)} levels deep`,
    'this is the limit on parentheses, calls, lists, slices and unary minus inside one another; name inner parts with `let`');
}

/** E0702: the model's expressions grow past the limit once lets are substituted and functions inlined. */
export function expansionTooLarge(span: Span, limit: number): Diagnostic {
  return err('E0702', span, `the model's expressions grow past ${formatBig(limit)} nodes once lets are substituted and functions inlined`,
    'every use of a let or a function call is a copy of its expression; a let used twice inside another let that is used twice, and so on, doubles at every level');
}

/** E0703: a width or size above the limit. */
export function dimensionTooLarge(span: Span, value: number, limit: number, hint: string): Diagnostic {
  return err('E0703', span, `size ${formatBig(value)} is larger than the limit of ${formatBig(limit)}`, hint);
}

/** E0704: more trainable parameters than the limit; names the largest contributors. */
export function tooManyParameters(span: Span, count: number, limit: number, hint: string, notes: Diagnostic['notes']): Diagnostic {
  return err('E0704', span, `the model has ${formatBig(count)} parameters, more than the limit of ${formatBig(limit)}`, hint, notes);
}

/** 1,234,567 for counts a reader can take in, 3.0e+24 beyond (no Intl: its first use costs ~25 ms of start-up). */
export function formatBig(v: number): string {
  return Number.isSafeInteger(v) ? String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : v.toExponential(1);
}

/** W0601: something declared but never used (a warning). */
export function unused(span: Span, what: string): Diagnostic {
  return { severity: 'warning', code: 'W0601', span, message: `${what} is never used` };
}

function formatNum(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** E0411: a discrete (`cat`) latent used in a way exact enumeration cannot sum out. */
export function discreteLatentRule(span: Span, message: string, hint: string): Diagnostic {
  return err('E0411', span, message, hint);
}
