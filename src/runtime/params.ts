/**
 * @file Parameters and optimizer state as host typed arrays keyed by name: initialized from the
 * manifest's rules with a seeded RNG, fed to onnxruntime in place, updated from a step's outputs.
 */
import type { ParamInit } from '../compiler/checked.js';
import type { Manifest } from '../compiler/pipeline.js';
import type { FloatArray, Rng } from './rng.js';
import { InternalError } from '../compiler/diagnostics.js';

/** The float types parameters can have. */
export type FloatDType = 'float32' | 'float64';

/** A dense row-major host tensor. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: FloatArray;
}

/** The number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** A zero-filled array of the dtype. */
export function allocate(dtype: FloatDType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** The manifest's dtype as a float dtype (parameters are never bool). */
export function floatDType(manifest: Pick<Manifest, 'dtype'>): FloatDType {
  if (manifest.dtype !== 'float32' && manifest.dtype !== 'float64') throw new Error(`params: manifest dtype ${manifest.dtype} is not a float type`);
  return manifest.dtype;
}

/** Validates a manifest `init` entry (typed `unknown` in the JSON) as a `ParamInit`. */
export function parseInit(name: string, init: unknown): ParamInit {
  const r = init as { kind?: unknown; bound?: unknown; value?: unknown } | null;
  if (r && r.kind === 'uniform' && typeof r.bound === 'number' && Number.isFinite(r.bound) && r.bound >= 0) return { kind: 'uniform', bound: r.bound };
  if (r && r.kind === 'zeros') return { kind: 'zeros' };
  if (r && r.kind === 'const' && typeof r.value === 'number' && Number.isFinite(r.value)) return { kind: 'const', value: r.value };
  throw new Error(`params: parameter ${name} has an unknown init rule ${JSON.stringify(init)} (expected uniform{bound}, zeros or const{value})`);
}

/** Fills `out` by the rule: U(−bound, bound), zeros, or a constant; only `uniform` draws from `rng`. */
export function initialize(init: ParamInit, out: FloatArray, rng: Rng): FloatArray {
  switch (init.kind) {
    case 'uniform': for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * init.bound; break;
    case 'zeros': out.fill(0); break;
    case 'const': out.fill(init.value); break;
    default: return unreachable(init);
  }
  return out;
}

/** The subset of the manifest a `ParamStore` needs. */
export type ParamManifest = Pick<Manifest, 'dtype' | 'parameters' | 'optimizer'>;

/**
 * Parameters and optimizer state of one model. Arrays are owned here and stable: `applyUpdates`
 * copies a step's outputs into them, so feeds built once from `params`/`state` stay valid.
 */
export class ParamStore {
  /** Parameters in manifest order. */
  readonly params = new Map<string, HostTensor>();
  /** Optimizer state in manifest order (each shaped like its parameter). */
  readonly state = new Map<string, HostTensor>();

  private constructor(readonly dtype: FloatDType) {}

  /** Fresh parameters drawn in manifest order from `rng`, optimizer state at zeros. */
  static initialize(manifest: ParamManifest, rng: Rng): ParamStore {
    const store = ParamStore.zeros(manifest);
    for (const p of manifest.parameters) initialize(parseInit(p.name, p.init), store.params.get(p.name)!.data, rng);
    return store;
  }

  /** Every parameter and state tensor allocated at zeros (the shape of a store to load into). */
  static zeros(manifest: ParamManifest): ParamStore {
    const store = new ParamStore(floatDType(manifest));
    const shapes = new Map<string, readonly number[]>();
    for (const p of manifest.parameters) {
      if (store.params.has(p.name)) throw new Error(`params: duplicate parameter ${p.name} in the manifest`);
      shapes.set(p.name, p.shape);
      store.params.set(p.name, { shape: [...p.shape], data: allocate(store.dtype, sizeOf(p.shape)) });
    }
    for (const s of manifest.optimizer.state) {
      const shape = shapes.get(s.param);
      if (!shape) throw new Error(`params: optimizer state ${s.name} belongs to unknown parameter ${s.param}`);
      store.state.set(s.name, { shape: [...shape], data: allocate(store.dtype, sizeOf(shape)) });
    }
    return store;
  }

  /** A store holding `manifest`'s tensors with values copied from `tensors` (e.g. a checkpoint); every name, shape and dtype must match. */
  static fromTensors(manifest: ParamManifest, params: ReadonlyMap<string, HostTensor>, state: ReadonlyMap<string, HostTensor>): ParamStore {
    const store = ParamStore.zeros(manifest);
    copyAll('parameter', store.params, params);
    copyAll('optimizer state', store.state, state);
    return store;
  }

  /** The tensor named `name`, parameter or optimizer state. */
  get(name: string): HostTensor {
    const t = this.params.get(name) ?? this.state.get(name);
    if (!t) throw new Error(`params: no parameter or optimizer state named ${name}`);
    return t;
  }

  /** Copies each update's output (e.g. `new.W`) into its input's array (e.g. `W`). */
  applyUpdates(updates: readonly { input: string; output: string }[], outputs: Readonly<Record<string, { data: unknown }>>): void {
    for (const u of updates) {
      const dst = this.get(u.input).data;
      const src = outputs[u.output]?.data;
      if (!(src instanceof Float32Array || src instanceof Float64Array)) throw new Error(`params: step output ${u.output} is missing or not a float array`);
      if (src.length !== dst.length) throw new Error(`params: step output ${u.output} has ${src.length} elements, ${u.input} has ${dst.length}`);
      dst.set(src);
    }
  }

  /** Total number of scalar parameters (optimizer state excluded). */
  count(): number {
    let n = 0;
    for (const t of this.params.values()) n += t.data.length;
    return n;
  }
}

/** Copies `src[name]` into each `dst[name]`, checking the sets of names, the shapes and the array types agree. */
function copyAll(what: string, dst: Map<string, HostTensor>, src: ReadonlyMap<string, HostTensor>): void {
  const extra = [...src.keys()].filter((k) => !dst.has(k));
  if (extra.length > 0) throw new Error(`params: unexpected ${what} ${extra.join(', ')} (not in the manifest)`);
  for (const [name, t] of dst) {
    const s = src.get(name);
    if (!s) throw new Error(`params: missing ${what} ${name}`);
    if (s.shape.join(',') !== t.shape.join(',')) throw new Error(`params: ${what} ${name} has shape [${s.shape.join(', ')}], the manifest says [${t.shape.join(', ')}]`);
    if (s.data.constructor !== t.data.constructor) throw new Error(`params: ${what} ${name} is ${s.data.constructor.name}, the manifest needs ${t.data.constructor.name}`);
    t.data.set(s.data);
  }
}

function unreachable(x: never): never {
  throw new InternalError(`unexpected init rule ${JSON.stringify(x)}`);
}
