/**
 * @file Sessions for the three graphs, with onnxruntime's failures located: an error while
 * loading or running a graph becomes a `GraphError` naming the graph and saying whether memory
 * ran out (the machine's limit, exit 5) or onnxruntime failed otherwise (a bug in seqc, exit 3).
 */
import type * as ort from 'onnxruntime-node';
import { DeviceError, GraphError, isAllocationFailure, type GraphName } from './errors.js';
import { createSession, type SessionOptions } from './session.js';

/** Re-exported from ./errors.js, which the CLI loads without onnxruntime. */
export { GraphError, isAllocationFailure, type GraphName };

/** A session for `graph` whose `run` reports failures as `GraphError`s. */
export async function openGraph(graph: GraphName, bytes: Uint8Array, opts: SessionOptions): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    session = await createSession(bytes, opts);
  } catch (e) {
    throw located(e, graph, 'load');
  }
  const run = session.run.bind(session);
  session.run = (async (...args: Parameters<typeof run>) => {
    try {
      return await run(...args);
    } catch (e) {
      throw located(e, graph, 'run');
    }
  }) as typeof session.run;
  return session;
}

function located(e: unknown, graph: GraphName, during: 'load' | 'run'): unknown {
  if (e instanceof DeviceError || e instanceof GraphError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new GraphError(graph, during, isAllocationFailure(msg) || e instanceof RangeError, msg.trim().split('\n')[0]!);
}
