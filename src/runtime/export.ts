/**
 * @file `seqc export`: standalone sample.onnx and evaluate.onnx that a stranger can call — the
 * trained weights baked in, inputs and outputs named, documented (ONNX doc strings and model
 * metadata) and in data units by default — plus export.json with their full signature. The
 * contract is docs/export.md; the graph edits are in export/graphs.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { valueType } from '../compiler/onnx/edit.js';
import { encodeModel, type ModelProto, type ValueInfoProto } from '../compiler/onnx/proto.js';
import { statsToJson, type NormStatsJson } from './data/index.js';
import { noiseLaws, type ExportedGraph, type Presentation } from './export/docs.js';
import { exportGraph } from './export/graphs.js';
import { writeFileAtomic } from './run.js';
import type { Trained } from './trained.js';
import { seqpplVersion } from './version.js';

/** How `seqc export` presents the models (defaults: data units, time-major). */
export interface ExportOptions {
  /** `baked` (default): real variables in data units, normalized inside the graphs; `none`: normalized units. */
  readonly normalization?: Presentation['normalization'];
  /** `time-major` (default): per-step tensors `[T, B, ...]`; `batch-major`: `[B, T, ...]`. */
  readonly layout?: Presentation['layout'];
}

/** One input or output of an exported graph, as export.json lists it. */
export interface TensorSignature {
  readonly name: string;
  /** Sizes; `T` (steps) and `B` (sequences) are chosen by the caller. */
  readonly shape: readonly (number | string)[];
  readonly dtype: string;
  /** For inputs: data, mask or noise. */
  readonly role?: string;
  /** For noise inputs: the law to draw from (see `noise`). */
  readonly law?: string;
  readonly doc: string;
}

/** export.json. */
export interface ExportDescription {
  readonly format: 'seqppl-export/2';
  readonly model: string;
  readonly seqppl: string;
  readonly sourceHash: string;
  readonly step: number;
  readonly dtype: string;
  readonly layout: Presentation['layout'];
  readonly normalization: Presentation['normalization'];
  /** Training-split statistics of the real observed and control variables (used inside the graphs when baked). */
  readonly stats: NormStatsJson['variables'];
  readonly variables: Trained['compiled']['manifest']['variables'];
  /** How to draw each noise law. */
  readonly noise: Readonly<Record<string, string>>;
  readonly graphs: Readonly<Record<ExportedGraph, { file: string; doc: string; inputs: TensorSignature[]; outputs: TensorSignature[] }>>;
}

/** The exported models and their description, in memory. */
export interface Exported {
  readonly models: Readonly<Record<ExportedGraph, ModelProto>>;
  readonly description: ExportDescription;
}

/** What an export needs of a trained run: the compiled model, its parameters and statistics, the step. */
export type Exportable = Pick<Trained, 'compiled' | 'store' | 'stats'> & { readonly checkpoint: { readonly step: number } };

/** Builds the standalone models of a trained run. */
export function exportTrained(t: Exportable, opts: ExportOptions = {}): Exported {
  const p: Presentation = { normalization: opts.normalization ?? 'baked', layout: opts.layout ?? 'time-major' };
  const m = t.compiled.manifest;
  const version = seqpplVersion();
  const build = (graph: ExportedGraph): ModelProto => exportGraph({
    graph, onnx: t.compiled[graph].onnx, inputs: t.compiled[graph].inputs, manifest: m,
    store: t.store, stats: t.stats, step: t.checkpoint.step, version,
  }, p).model;
  const models = { sample: build('sample'), evaluate: build('evaluate') };
  const roles = new Map([...t.compiled.sample.inputs, ...t.compiled.evaluate.inputs].map((i) => [i.name, i] as const));
  const signature = (graph: ExportedGraph) => ({
    file: `${graph}.onnx`,
    doc: models[graph].docString ?? '',
    inputs: models[graph].graph.input.map((v) => tensorSignature(v, roles.get(v.name))),
    outputs: models[graph].graph.output.map((v) => tensorSignature(v)),
  });
  const description: ExportDescription = {
    format: 'seqppl-export/2', model: m.model, seqppl: version, sourceHash: m.sourceHash, step: t.checkpoint.step, dtype: m.dtype,
    layout: p.layout, normalization: p.normalization, stats: statsToJson(t.stats).variables, variables: m.variables,
    noise: noiseLaws, graphs: { sample: signature('sample'), evaluate: signature('evaluate') },
  };
  return { models, description };
}

/** Writes the standalone models and export.json into `out`; returns the files written. */
export function exportModels(t: Exportable, out: string, opts: ExportOptions = {}): string[] {
  return writeExport(exportTrained(t, opts), out);
}

/** Writes exported models and their description into `out`; returns the files written. */
export function writeExport({ models, description }: Exported, out: string): string[] {
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const put = (file: string, data: string | Uint8Array): void => {
    writeFileAtomic(join(out, file), data);
    files.push(join(out, file));
  };
  put('sample.onnx', encodeModel(models.sample));
  put('evaluate.onnx', encodeModel(models.evaluate));
  put('export.json', JSON.stringify(description, null, 2) + '\n');
  return files;
}

/** The signature of a value info, with the role and law of an input. */
function tensorSignature(v: ValueInfoProto, spec?: { role: string; law?: string }): TensorSignature {
  const t = valueType(v);
  return {
    name: v.name, shape: t.shape ?? [], dtype: t.dtype,
    ...(spec ? { role: spec.role } : {}), ...(spec?.law ? { law: spec.law } : {}),
    doc: v.docString ?? '',
  };
}
