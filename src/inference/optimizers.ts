/** @file The optimizer as a graph-to-graph transform: loss graph → one training step (gradients, global-norm clipping, Adam/SGD update). */
import { copyForward, grad } from '../compiler/autodiff/backward.js';
import { GraphBuilder } from '../compiler/ir/builder.js';
import type { Shape } from '../compiler/ir/dim.js';
import { inputNamed, outputNamed, typeToString, type Graph, type Value } from '../compiler/ir/graph.js';
import type { DType } from '../compiler/ir/ops.js';

/** The optimizers `trainStep` can emit. */
export type OptimizerKind = 'adam' | 'sgd';

/** Options of `trainStep`. Hyperparameters given here are compile-time constants; the rest are graph inputs. */
export interface TrainStepOptions {
  /** Name of the scalar output to minimize. */
  readonly loss: string;
  /** Names of the graph inputs to train. */
  readonly params: readonly string[];
  readonly optimizer: OptimizerKind;
  /** Adam first-moment decay (default 0.9). */
  readonly beta1?: number;
  /** Adam second-moment decay (default 0.999). */
  readonly beta2?: number;
  /** Adam denominator offset (default 1e-8). */
  readonly eps?: number;
  /** SGD heavy-ball momentum (default 0: plain SGD, no state). */
  readonly momentum?: number;
}

/** An optimizer-state graph input; the runtime starts it at zeros of the parameter's type. */
export interface StateInput {
  readonly name: string;
  /** The parameter this state belongs to. */
  readonly param: string;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly init: 0;
}

/** A graph output that replaces a graph input for the next step. */
export interface Update {
  readonly input: string;
  readonly output: string;
}

/** The training-step graph and its interface beyond the forward graph's own inputs and outputs. */
export interface TrainStep {
  readonly graph: Graph;
  /** The scalar inputs added, in input order: `lr`, `clip_norm`, `weight_decay`, `step`. */
  readonly scalarInputs: readonly string[];
  /** Optimizer state inputs, in input order (parameter-major: `adam.m.p`, `adam.v.p`, then the next parameter). */
  readonly stateInputs: readonly StateInput[];
  /** Input → output to feed back after a step: every parameter, then every state input. */
  readonly updates: readonly Update[];
  /** Name of the pre-clipping global gradient norm output (`grad_norm`). */
  readonly gradNorm: string;
}

/** The scalar inputs every training step takes, in input order. */
export const scalarInputNames = ['lr', 'clip_norm', 'weight_decay', 'step'] as const;

/** Added to the norm in the clipping factor, as in PyTorch's `clip_grad_norm_`. */
export const clipEpsilon = 1e-6;

/** Resolved compile-time hyperparameters. */
interface Hyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly momentum: number;
}

/** What an update rule builds with: the builder, the scalar inputs and cached constants of the graph's float type. */
interface StepContext {
  readonly b: GraphBuilder;
  readonly lr: Value;
  readonly weightDecay: Value;
  /** 1-based step count, as a float. */
  readonly step: Value;
  /** A scalar constant of the graph's float type (one node per distinct value). */
  readonly lit: (x: number) => Value;
}

/** Updates one parameter from its (clipped) gradient and state; returns the new parameter and new state. */
type ParamUpdate = (theta: Value, g: Value, state: readonly Value[]) => { theta: Value; state: Value[] };

/** An optimizer: its per-parameter state slots, and a builder that emits shared scalars once and returns the per-parameter update. */
interface OptimizerRule {
  readonly slots: (h: Hyper) => readonly string[];
  readonly build: (ctx: StepContext, h: Hyper) => ParamUpdate;
}

/** 1 − βᵗ as a scalar value; βᵗ = exp(t · ln β) since the IR has no Pow. */
function biasCorrection(ctx: StepContext, beta: number): Value {
  const { b, lit, step } = ctx;
  return beta === 0 ? lit(1) : b.sub(lit(1), b.exp(b.mul(step, lit(Math.log(beta)))));
}

/** One update rule per optimizer. */
const optimizerRules: { readonly [K in OptimizerKind]: OptimizerRule } = {
  adam: {
    slots: () => ['adam.m', 'adam.v'],
    build: (ctx, h) => {
      const { b, lit, lr, weightDecay } = ctx;
      const c1 = biasCorrection(ctx, h.beta1), c2 = biasCorrection(ctx, h.beta2); // shared by every parameter
      return (theta, g, [m, v]) => {
        const m1 = b.add(b.mul(lit(h.beta1), m!), b.mul(lit(1 - h.beta1), g)); // m ← β1 m + (1 − β1) g
        const v1 = b.add(b.mul(lit(h.beta2), v!), b.mul(lit(1 - h.beta2), b.square(g))); // v ← β2 v + (1 − β2) g²
        const mHat = b.div(m1, c1), vHat = b.div(v1, c2); // m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ)
        const dir = b.div(mHat, b.add(b.sqrt(vHat), lit(h.eps))); // m̂ / (√v̂ + ε)
        // θ ← θ − lr (m̂ / (√v̂ + ε) + wd θ)   (decoupled weight decay, AdamW; wd θ does not enter m or v)
        return { theta: b.sub(theta, b.mul(lr, b.add(dir, b.mul(weightDecay, theta)))), state: [m1, v1] };
      };
    },
  },
  sgd: {
    slots: (h) => (h.momentum === 0 ? [] : ['sgd.momentum']),
    build: ({ b, lit, lr, weightDecay }, h) => (theta, g, [buf]) => {
      const gw = b.add(g, b.mul(weightDecay, theta)); // g ← g + wd θ   (L2 penalty, coupled: it goes through the momentum)
      if (h.momentum === 0) return { theta: b.sub(theta, b.mul(lr, gw)), state: [] }; // θ ← θ − lr g
      const buf1 = b.add(b.mul(lit(h.momentum), buf!), gw); // u ← μ u + g   (heavy ball, no dampening, as PyTorch)
      return { theta: b.sub(theta, b.mul(lr, buf1)), state: [buf1] }; // θ ← θ − lr u
    },
  },
};

/** ‖g‖₂ over all of `grads` together, as a scalar: √(Σₚ Σᵢ gₚᵢ²). */
export function globalNorm(b: GraphBuilder, grads: readonly Value[]): Value {
  const sq = grads.map((g) => {
    const s = b.square(g);
    return s.shape.length === 0 ? s : b.reduceSum(s, [...s.shape.keys()]);
  });
  return b.sqrt(sq.reduce((acc, s) => b.add(acc, s)));
}

/**
 * Global-norm clipping: g ← g · min(1, c / (‖g‖ + 1e-6)); no clipping when c ≤ 0 (or c = +∞,
 * where the ratio is +∞). Returns the clipped gradients and the pre-clipping norm ‖g‖.
 */
export function clipByGlobalNorm(b: GraphBuilder, grads: readonly Value[], clipNorm: Value, lit: (x: number) => Value): { grads: Value[]; norm: Value } {
  const norm = globalNorm(b, grads);
  const ratio = b.min(lit(1), b.div(clipNorm, b.add(norm, lit(clipEpsilon))));
  const factor = b.where(b.greater(clipNorm, lit(0)), ratio, lit(1));
  return { grads: grads.map((g) => b.mul(g, factor)), norm };
}

function resolve(opts: TrainStepOptions): Hyper {
  const h = { beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999, eps: opts.eps ?? 1e-8, momentum: opts.momentum ?? 0 };
  const check = (name: string, x: number, ok: boolean, want: string): void => {
    if (!ok || !Number.isFinite(x)) throw new Error(`trainStep: ${name} = ${x}, expected ${want}`);
  };
  check('beta1', h.beta1, h.beta1 >= 0 && h.beta1 < 1, 'a number in [0, 1)');
  check('beta2', h.beta2, h.beta2 >= 0 && h.beta2 < 1, 'a number in [0, 1)');
  check('eps', h.eps, h.eps >= 0, 'a number ≥ 0');
  check('momentum', h.momentum, h.momentum >= 0, 'a number ≥ 0');
  return h;
}

/** Checks the forward graph's interface; returns the float type of the loss. */
function checkInterface(g: Graph, opts: TrainStepOptions, stateNames: readonly string[]): DType {
  const loss = g.values[outputNamed(g, opts.loss).id]!;
  if (loss.shape.length !== 0 || loss.dtype === 'bool') throw new Error(`trainStep: loss '${opts.loss}' is ${typeToString(loss)}, expected a float scalar`);
  if (opts.params.length === 0) throw new Error('trainStep: no parameters to train');
  const seen = new Set<string>();
  for (const p of opts.params) {
    if (seen.has(p)) throw new Error(`trainStep: parameter '${p}' is listed twice`);
    seen.add(p);
    const t = g.values[inputNamed(g, p).id]!;
    if (t.dtype !== loss.dtype) throw new Error(`trainStep: parameter '${p}' is ${typeToString(t)}, expected ${loss.dtype} like the loss`);
  }
  const ins = new Set(g.inputs.map((p) => p.name)), outs = new Set(g.outputs.map((p) => p.name));
  for (const n of [...scalarInputNames, ...stateNames]) if (ins.has(n)) throw new Error(`trainStep: the forward graph already has an input '${n}'`);
  for (const n of [...opts.params, ...stateNames].map((s) => `new.${s}`).concat('grad_norm')) {
    if (outs.has(n)) throw new Error(`trainStep: the forward graph already has an output '${n}'`);
  }
  return loss.dtype;
}

/**
 * One training step as a graph. Inputs: `g`'s inputs, then `lr`, `clip_norm`, `weight_decay`,
 * `step` (scalars of the loss's type), then the optimizer state (see `TrainStep.stateInputs`).
 * Outputs: `g`'s outputs unchanged, then `new.<param>` per parameter, then `new.<state>` per
 * state input (same order), then `grad_norm` (‖∇loss‖₂ over all parameters, before clipping).
 * Gradients are clipped to global norm `clip_norm` before the update.
 */
export function trainStep(g: Graph, opts: TrainStepOptions): TrainStep {
  const h = resolve(opts);
  const rule = optimizerRules[opts.optimizer];
  if (rule === undefined) throw new Error(`trainStep: unknown optimizer '${String(opts.optimizer)}' (expected adam or sgd)`);
  const slots = rule.slots(h);
  const stateOf = (p: string): string[] => slots.map((s) => `${s}.${p}`);
  const dtype = checkInterface(g, opts, opts.params.flatMap(stateOf));

  const gradName = (p: string): string => `optimizer.grad.${p}`;
  const gg = grad(g, { of: opts.loss, wrt: opts.params, gradName });
  const b = new GraphBuilder();
  const ins = gg.inputs.map((p) => b.input(p.name, gg.values[p.id]!.dtype, gg.values[p.id]!.shape));
  const { env } = copyForward(b, gg, ins, new Array<boolean>(gg.values.length).fill(false));
  const at = (name: string): Value => env[outputNamed(gg, name).id]!;
  g.outputs.forEach((p) => b.output(p.name, at(p.name)));

  const [lr, clipNorm, weightDecay, step] = scalarInputNames.map((n) => b.input(n, dtype, []));
  const thetas = opts.params.map((p) => env[inputNamed(gg, p).id]!);
  const stateInputs: StateInput[] = [];
  const states = opts.params.map((p, i) => stateOf(p).map((name) => {
    stateInputs.push({ name, param: p, dtype, shape: thetas[i]!.shape, init: 0 });
    return b.input(name, dtype, thetas[i]!.shape);
  }));

  const consts = new Map<number, Value>();
  const lit = (x: number): Value => {
    const c = consts.get(x) ?? b.constant(x, [], dtype);
    consts.set(x, c);
    return c;
  };
  const clipped = clipByGlobalNorm(b, opts.params.map((p) => at(gradName(p))), clipNorm!, lit);
  const update = rule.build({ b, lr: lr!, weightDecay: weightDecay!, step: step!, lit }, h);
  const results = thetas.map((theta, i) => update(theta, clipped.grads[i]!, states[i]!));

  results.forEach((r, i) => b.output(`new.${opts.params[i]!}`, r.theta));
  results.flatMap((r) => r.state).forEach((s, k) => b.output(`new.${stateInputs[k]!.name}`, s)); // parameter-major, like the inputs
  b.output('grad_norm', clipped.norm);
  const updates = [...opts.params, ...stateInputs.map((s) => s.name)].map((input) => ({ input, output: `new.${input}` }));
  return { graph: b.build(), scalarInputs: scalarInputNames, stateInputs, updates, gradNorm: 'grad_norm' };
}
