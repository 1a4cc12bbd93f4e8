/**
 * @file Lowering of checked expressions to IR, in either of two modes: sequence mode (values are
 * [T, B, w], used outside scans for work hoisted out of the loop) and step mode (values are
 * [B, w], inside a Scan body). Nets are applied the same way in both: MatMul broadcasts over
 * the leading axes, so a hoisted layer is one [T·B]-row product.
 */
import type { Activation, CExpr, NetInfo } from '../checked.js';
import { InternalError } from '../diagnostics.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { DimLike } from '../ir/dim.js';
import type { Value } from '../ir/graph.js';
import type { DType } from '../ir/ops.js';
import { run, type Rec } from '../trampoline.js';
import { callKey } from './dropout.js';

/** Where expressions are lowered: builder, batch prefix, dtype, and how names resolve. */
export interface LowerScope {
  readonly b: GraphBuilder;
  /** ['T', 'B'] in sequence mode, ['B'] in step mode. */
  readonly prefix: readonly DimLike[];
  readonly dtype: DType;
  readonly nets: ReadonlyMap<string, NetInfo>;
  /** A variable read `name[t+offset]` as a [...prefix, w] value. */
  read(name: string, offset: number): Value;
  /** A parameter by its stable name. */
  param(name: string): Value;
  /** Values for subexpressions computed elsewhere (hoisted out of a scan), by identity. */
  readonly hoisted?: { get(e: CExpr): Value | undefined };
  /**
   * Training graphs: the dropout masks of a net call, one per layer ([...prefix, in-width],
   * 0 or 1/(1−p)), by the call's key (src/compiler/lower/dropout.ts); undefined: no dropout.
   */
  readonly dropout?: (call: string) => readonly Value[] | undefined;
}

/** Lowers one expression (stack-safe: any depth). */
export function lowerExpr(s: LowerScope, e: CExpr): Value {
  return run(lower(s, e));
}

function* lower(s: LowerScope, e: CExpr): Rec<Value> {
  const h = s.hoisted?.get(e);
  if (h) return h;
  const { b } = s;
  switch (e.k) {
    case 'const': return b.constant(e.value, [], s.dtype);
    case 'read': return s.read(e.name, e.offset);
    case 'unary': return unary(b, e.fn, yield lower(s, e.arg));
    case 'neg': return b.neg(yield lower(s, e.arg));
    case 'binary': {
      const l = yield lower(s, e.left);
      const r = yield lower(s, e.right);
      switch (e.op) {
        case '+': return b.add(l, r);
        case '-': return b.sub(l, r);
        case '*': return b.mul(l, r);
        case '/': return b.div(l, r);
      }
      break;
    }
    case 'concat': {
      const parts: Value[] = [];
      for (const p of e.parts) parts.push(yield lower(s, p));
      return concatLast(s, parts, e.parts.map((p) => p.width));
    }
    case 'slice': return b.slice(widen(s, yield lower(s, e.arg), e.arg.width), s.prefix.length, e.start, e.end);
    case 'sum': return b.reduceSum(widen(s, yield lower(s, e.arg), e.arg.width), [s.prefix.length], true);
    case 'net': {
      const net = s.nets.get(e.net);
      if (!net) throw new InternalError(`lower: unknown net ${e.net}`);
      const args: Value[] = [];
      for (const a of e.args) args.push(yield lower(s, a));
      return applyNet(s, net, concatLast(s, args, e.args.map((a) => a.width)), s.dropout?.(callKey(e)));
    }
    case 'affine': return affine(s, e.weight, e.bias, widen(s, yield lower(s, e.arg), e.arg.width));
    case 'param': return s.param(e.name);
    case 'cell': throw new InternalError('lower: a recurrent cell outside a state update');
  }
  throw new InternalError(`lower: unhandled expression ${(e as CExpr).k}`);
}

/** Broadcast scalars (rank-0 constants) to [...prefix, w] so they can be concatenated or sliced. */
export function widen(s: LowerScope, v: Value, w: number): Value {
  return v.shape.length === s.prefix.length + 1 ? v : s.b.expand(v, [...s.prefix, w]);
}

/** Concatenates along the feature axis (one part is passed through). */
export function concatLast(s: LowerScope, parts: readonly Value[], widths: readonly number[]): Value {
  const full = parts.map((p, i) => widen(s, p, widths[i]!));
  return full.length === 1 ? full[0]! : s.b.concat(full, s.prefix.length);
}

/** x W + b with parameters `weight` [in, out] and `bias` [out], by name. */
export function affine(s: LowerScope, weight: string, bias: string, x: Value): Value {
  return s.b.add(s.b.matmul(x, s.param(weight)), s.param(bias));
}

/** An activation function. */
export function activate(b: GraphBuilder, act: Activation, x: Value): Value {
  switch (act) {
    case 'relu': return b.relu(x);
    case 'tanh': return b.tanh(x);
    case 'sigmoid': return b.sigmoid(x);
    case 'softplus': return b.softplus(x);
    case 'none': return x;
  }
}

/** A feed-forward net (linear or mlp) applied to its concatenated input; `masks` (dropout) multiply each layer's input. */
export function applyNet(s: LowerScope, net: NetInfo, x: Value, masks?: readonly Value[]): Value {
  if (net.params.kind !== 'layers') throw new InternalError(`lower: ${net.kind} ${net.name} used as a feed-forward net`);
  const layers = net.params.layers;
  if (masks && masks.length !== layers.length) throw new InternalError(`lower: ${net.name} has ${layers.length} layers but ${masks.length} dropout masks`);
  if (!masks && net.dropout > 0 && s.dropout) throw new InternalError(`lower: a call of ${net.name} in a training graph has no dropout masks`);
  const drop = (v: Value, i: number): Value => (masks ? s.b.mul(v, masks[i]!) : v);
  if (net.kind === 'linear') return affine(s, layers[0]!.weight, layers[0]!.bias, drop(x, 0));
  let h = x;
  layers.forEach((l, i) => { h = activate(s.b, i === layers.length - 1 ? net.outAct : net.act, affine(s, l.weight, l.bias, drop(h, i))); });
  return h;
}

/** The cell parameter names of a recurrent net. */
function cellParams(net: NetInfo): Extract<NetInfo['params'], { kind: 'cell' }> {
  if (net.params.kind !== 'cell') throw new InternalError(`lower: ${net.kind} ${net.name} is not a recurrent cell`);
  return net.params;
}

function unary(b: GraphBuilder, fn: string, x: Value): Value {
  switch (fn) {
    case 'exp': return b.exp(x);
    case 'log': return b.log(x);
    case 'tanh': return b.tanh(x);
    case 'sigmoid': return b.sigmoid(x);
    case 'relu': return b.relu(x);
    case 'softplus': return b.softplus(x);
    case 'abs': return b.abs(x);
    case 'sqrt': return b.sqrt(x);
    case 'square': return b.square(x);
  }
  throw new InternalError(`lower: unknown builtin ${fn}`);
}

/** Input projection of a recurrent cell: x W_ih + b_ih (hoistable when x does not depend on the carry); `masks` (dropout) thin x. */
export function cellInput(s: LowerScope, net: NetInfo, x: Value, masks?: readonly Value[]): Value {
  const p = cellParams(net);
  if (!masks && net.dropout > 0 && s.dropout) throw new InternalError(`lower: a step of ${net.name} in a training graph has no dropout mask`);
  return s.b.add(s.b.matmul(masks ? s.b.mul(x, masks[0]!) : x, s.param(p.weightIh)), s.param(p.biasIh));
}

/**
 * One step of a recurrent cell given its input projection `gx` = x W_ih + b_ih ([B, gH]).
 * LSTM (gates i, f, g, o): c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c').
 * GRU: r = σ(gx_r + h W_r), u = σ(gx_u + h W_u), n = tanh(gx_n + r (h W_n + b_hn)), h' = (1-u) n + u h.
 * RNN: h' = act(gx + h W_hh).
 */
export function cellStep(s: LowerScope, net: NetInfo, gx: Value, h: Value, c: Value | null): { h: Value; c: Value | null } {
  const { b } = s;
  const H = net.outDim;
  const ax = s.prefix.length;
  const p = cellParams(net);
  const gh = b.matmul(h, s.param(p.weightHh));
  const part = (v: Value, i: number): Value => b.slice(v, ax, i * H, (i + 1) * H);
  switch (net.kind) {
    case 'lstm': {
      const g = b.add(gx, gh);
      const cNew = b.add(b.mul(b.sigmoid(part(g, 1)), c!), b.mul(b.sigmoid(part(g, 0)), b.tanh(part(g, 2))));
      return { h: b.mul(b.sigmoid(part(g, 3)), b.tanh(cNew)), c: cNew };
    }
    case 'gru': {
      const ghb = b.add(gh, s.param(p.biasHh!));
      const r = b.sigmoid(b.add(part(gx, 0), part(ghb, 0)));
      const u = b.sigmoid(b.add(part(gx, 1), part(ghb, 1)));
      const n = b.tanh(b.add(part(gx, 2), b.mul(r, part(ghb, 2))));
      const one = b.constant(1, [], s.dtype);
      return { h: b.add(b.mul(b.sub(one, u), n), b.mul(u, h)), c: null };
    }
    case 'rnn': return { h: activate(b, net.act, b.add(gx, gh)), c: null };
    default: throw new InternalError(`lower: ${net.kind} is not a recurrent cell`);
  }
}
