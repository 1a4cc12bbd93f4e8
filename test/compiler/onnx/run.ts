/**
 * @file Test helper: run a serialized model in onnxruntime-node (CPU, one thread, no spinning)
 * and compare outputs with expected values.
 */
import * as ort from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../../../src/compiler/onnx/proto.js';
import { assertValidOnnx, requireOnnxChecker } from '../../helpers/onnxcheck.js';

/** A named input: element type, dims and values. */
export interface Feed {
  dtype: 'float32' | 'float64' | 'int64';
  dims: readonly number[];
  data: readonly number[];
}

/** Runs `bytes` once and returns every output as plain numbers with its dims. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Record<string, Feed>,
  options: { quiet?: boolean } = {},
): Promise<Record<string, { dims: number[]; data: number[]; type: string }>> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: options.quiet ? 4 : 2,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const data = f.dtype === 'float32' ? Float32Array.from(f.data)
        : f.dtype === 'float64' ? Float64Array.from(f.data) : BigInt64Array.from(f.data.map(BigInt));
      inputs[name] = new ort.Tensor(f.dtype, data, [...f.dims]);
    }
    const out = await session.run(inputs);
    const result: Record<string, { dims: number[]; data: number[]; type: string }> = {};
    for (const [name, t] of Object.entries(out)) {
      const raw = t.data as ArrayLike<number | bigint>;
      result[name] = { dims: [...t.dims], data: Array.from(raw, Number), type: t.type };
    }
    return result;
  } finally {
    await session.release();
  }
}

/** Throws a message naming the first element that differs by more than `tol` (absolute + relative). */
export function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let k = 0; k < actual.length; k++) {
    const a = actual[k]!;
    const e = expected[k]!;
    const bad = Number.isNaN(a) !== Number.isNaN(e) || Math.abs(a - e) > tol * (1 + Math.abs(e));
    if (bad) throw new Error(`${what}[${k}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > tol ${tol})`);
  }
}

/** A small model with inputs and the outputs it must produce. */
export interface ModelCase {
  model: ModelProto;
  feeds: Record<string, Feed>;
  expected: Record<string, readonly number[]>;
  /** Tolerance for `assertClose` (default 1e-6 for float32 feeds, 1e-12 otherwise). */
  tol?: number;
}

/**
 * Declares two tests for a case: onnxruntime's outputs equal the expected values, and the
 * serialized model passes `onnx.checker.check_model(full_check=True)`.
 */
export function defineCase(title: string, build: () => ModelCase): void {
  it(`${title}: onnxruntime matches hand-computed values`, async () => {
    const c = build();
    const out = await runOnnx(encodeModel(c.model), c.feeds);
    const f32 = Object.values(c.feeds).some((f) => f.dtype === 'float32');
    for (const [name, want] of Object.entries(c.expected)) {
      if (!out[name]) throw new Error(`${title}: output ${name} missing (got ${Object.keys(out).join(', ')})`);
      assertClose(out[name].data, want, c.tol ?? (f32 ? 1e-6 : 1e-12), `${title}: ${name}`);
    }
  });
  it(`${title}: passes onnx.checker full_check`, async function () {
    const py = requireOnnxChecker(this);
    await assertValidOnnx(py, encodeModel(build().model), title);
  });
}

/** Deterministic pseudo-random values in [lo, hi) (a small LCG; no global state). */
export function seededValues(n: number, seed: number, lo = -2, hi = 2): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / (1 << 24)) * (hi - lo);
  });
}

/** Rounds values to float32, so float32 expectations are computed from the same inputs. */
export function asDtype(xs: readonly number[], dtype: 'float32' | 'float64'): number[] {
  return dtype === 'float32' ? xs.map(Math.fround) : [...xs];
}
