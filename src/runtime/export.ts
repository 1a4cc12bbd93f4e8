/**
 * @file `seqc export`: standalone sample.onnx and evaluate.onnx with the trained weights baked in
 * as initializers, so any ONNX runtime can run them with only noise (and data) as inputs, plus
 * export.json describing the remaining inputs and the data normalization.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, encodeModel, makeTensor, type ModelProto } from '../compiler/onnx/proto.js';
import { statsToJson } from './data/index.js';
import type { ParamStore } from './params.js';
import { writeFileAtomic } from './run.js';
import type { Trained } from './trained.js';

/** A copy of `model` whose parameter inputs are replaced by initializers holding `store`'s values. */
export function bakeWeights(model: ModelProto, store: ParamStore, params: readonly string[]): ModelProto {
  const inGraph = new Set(model.graph.input.map((i) => i.name));
  params = params.filter((p) => inGraph.has(p));
  const names = new Set(params);
  const dtype = store.dtype === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  const initializer = [...model.graph.initializer, ...params.map((p) => {
    const t = store.get(p);
    return makeTensor(p, dtype, t.shape, t.data);
  })];
  return { ...model, graph: { ...model.graph, input: model.graph.input.filter((i) => !names.has(i.name)), initializer } };
}

/** Writes the standalone models and their description into `out`; returns the files written. */
export function exportModels(t: Trained, out: string): string[] {
  mkdirSync(out, { recursive: true });
  const params = t.compiled.manifest.parameters.map((p) => p.name);
  const files: string[] = [];
  for (const [name, art] of [['sample', t.compiled.sample], ['evaluate', t.compiled.evaluate]] as const) {
    writeFileAtomic(join(out, `${name}.onnx`), encodeModel(bakeWeights(art.onnx, t.store, params)));
    files.push(join(out, `${name}.onnx`));
  }
  const m = t.compiled.manifest;
  const description = {
    format: 'seqppl-export/1', model: m.model, sourceHash: m.sourceHash, dtype: m.dtype, step: t.checkpoint.step,
    normalization: statsToJson(t.stats),
    note: 'observed real variables are normalized: feed (x - mean) / std to evaluate.onnx and map sample.onnx outputs back with x * std + mean; add -Σ log std per step to log-densities for data units',
    sample: { inputs: m.graphs.sample.inputs.filter((i) => i.role !== 'param'), outputs: m.graphs.sample.outputs },
    evaluate: { inputs: m.graphs.evaluate.inputs.filter((i) => i.role !== 'param'), outputs: m.graphs.evaluate.outputs },
  };
  writeFileAtomic(join(out, 'export.json'), JSON.stringify(description, null, 2) + '\n');
  files.push(join(out, 'export.json'));
  return files;
}
