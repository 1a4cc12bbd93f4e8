/** @file Sessions: a CPU session runs a tiny model with our options; `cuda` on a CPU-only build raises DeviceError with the install hint. */
import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { makeModel, Tape } from '../../src/compiler/onnx/builder.js';
import { encodeModel } from '../../src/compiler/onnx/proto.js';
import { createSession, cudaError, DeviceError, sessionOptions, toTensor } from '../../src/runtime/session.js';

/** y = tanh(x · W) + 1, in float64, with x [B, 3] and W [3, 2]. */
function tinyModel(): Uint8Array {
  const t = new Tape();
  const x = t.input('x', { dtype: 'float64', shape: ['B', 3] });
  const w = t.input('W', { dtype: 'float64', shape: [3, 2] });
  const y = t.op('Add', [t.op('Tanh', [t.op('MatMul', [x, w])]), t.scalar('float64', 1)]);
  t.output(y, { dtype: 'float64', shape: ['B', 2] }, 'y');
  return encodeModel(makeModel(t.graph('tiny')));
}

describe('runtime/session', () => {
  it('session: a cpu session runs a tiny model and matches the closed form', async () => {
    const session = await createSession(tinyModel(), { device: 'cpu', threads: 1 });
    try {
      const x = [1, 2, 3, -1, 0, 0.5], W = new Float64Array([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]);
      const out = await session.run({ x: toTensor('float64', x, [2, 3]), W: toTensor('float64', W, [3, 2]) });
      const y = out['y']!;
      expect(y.dims).to.deep.equal([2, 2]);
      const want = [0, 1].flatMap((i) => [0, 1].map((j) => Math.tanh(x[3 * i]! * W[j]! + x[3 * i + 1]! * W[2 + j]! + x[3 * i + 2]! * W[4 + j]!) + 1));
      Array.from(y.data as Float64Array).forEach((v, k) => expect(Math.abs(v - want[k]!), `y[${k}] = ${v}, want ${want[k]}`).to.be.below(1e-14));
    } finally {
      await session.release();
    }
  });

  it('session: options are the measured defaults (cpu only, the machine\'s cores, no spinning, level basic, no memory pattern)', () => {
    const o = sessionOptions();
    expect(o.executionProviders).to.deep.equal(['cpu']);
    expect(o.intraOpNumThreads).to.equal(availableParallelism());
    expect(o.interOpNumThreads).to.equal(1);
    expect(o.graphOptimizationLevel).to.equal('basic');
    expect(o.enableMemPattern).to.equal(false);
    expect(o.enableCpuMemArena).to.equal(true);
    expect(o.extra).to.deep.equal({ session: { intra_op: { allow_spinning: '0' } } });
    expect(sessionOptions({ threads: 2 }).intraOpNumThreads).to.equal(2);
    expect(sessionOptions({ device: 'cuda' }).executionProviders).to.deep.equal([{ name: 'cuda', deviceId: 0 }]);
    expect(() => sessionOptions({ threads: 0 })).to.throw(/threads must be a positive integer, got 0/);
  });

  it('session: device cuda on a CPU-only build raises DeviceError naming the install command', async () => {
    let error: unknown = null;
    try {
      const s = await createSession(tinyModel(), { device: 'cuda', logSeverityLevel: 4 });
      await s.release(); // a CUDA machine: nothing to assert
      return;
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DeviceError);
    const msg = (error as Error).message;
    expect(msg).to.contain('the CUDA build of onnxruntime-node is not installed');
    expect(msg).to.contain('CUDA 12.x and cuDNN 9.x');
    expect(msg).to.contain('`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`');
    expect(msg).to.contain('--device cpu');
  });

  it('session: onnxruntime\'s own CPU-build error is translated to the install hint', () => {
    const e = cudaError(new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'));
    expect(e.message).to.contain('the CUDA build of onnxruntime-node is not installed');
    expect(e.message).to.contain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
    expect(e.message).to.contain('Failed to load shared library');
  });

  it('session: other CUDA failures are DeviceErrors too, never a silent fallback', () => {
    const e = cudaError(new Error('CUDA failure 100: no CUDA-capable device is detected'));
    expect(e).to.be.instanceOf(DeviceError);
    expect(e.message).to.match(/could not start the CUDA execution provider \(CUDA failure 100/);
  });

  it('session: toTensor uses matching typed arrays in place and checks sizes', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = toTensor('float32', data, [2, 3]);
    expect(t.data).to.equal(data);
    expect(t.dims).to.deep.equal([2, 3]);
    expect(Array.from(toTensor('int64', [1, 2], [2]).data as BigInt64Array)).to.deep.equal([1n, 2n]);
    expect(toTensor('float64', [7], []).dims).to.deep.equal([]);
    expect(() => toTensor('float32', data, [4, 2])).to.throw('toTensor: 6 values for shape [4, 2] (8 elements)');
  });
});
