/** @file `seqc infer`: the posterior over the latents of every sequence of a split, written as NPY and SVG. */
import { loadDataset, normalize } from '../runtime/data/index.js';
import { openGraph } from '../runtime/graphs.js';
import { inferGraph, inferSplit, writePosterior } from '../runtime/infer.js';
import { dataPathOf } from '../runtime/run.js';
import { Exit, UsageError, type Terminal } from './io.js';
import { describeCheckpoint, device, int, loadOptions, need, trained, type UseOptions } from './use.js';

/** `seqc infer [FILE] --checkpoint RUN [--data D] [--split S] -o OUT`. */
export async function runInfer(model: string | undefined, o: UseOptions, term: Terminal): Promise<number> {
  const t = trained(model, o, term);
  const out = need(o.out, '--out');
  const split = o.split ?? 'test';
  if (!['train', 'valid', 'test'].includes(split)) throw new UsageError(`--split must be train, valid or test, not '${split}'`);
  const dataPath = o.data ?? (t.config ? dataPathOf(t.config) : undefined);
  if (!dataPath) throw new UsageError('--data is required (the checkpoint is not inside a run directory that records its data)');
  if (![...t.compiled.model.vars.values()].some((v) => v.role === 'latent')) throw new UsageError(`${t.compiled.manifest.model} has no latent variables: there is no posterior to infer`);
  const seqs = loadDataset(dataPath, t.spec, loadOptions(o, t, t.spec))[split as 'test'].map((s) => normalize(s, t.stats));
  const g = inferGraph(t);
  const session = await openGraph('infer', g.bytes, device(o));
  const post = await inferSplit(t, g.artifact, session, seqs, { batch: int(o.batch, '--batch', 32), seed: int(o.seed, '--seed', 1, 0) });
  const files = writePosterior(post, out);
  term.out(`posterior of ${post.latents.map((l) => `${l.name} (${l.kind === 'discrete' ? 'filtered and smoothed marginals, Viterbi path' : 'guide mean, scale and a sample'})`).join(', ')} for ${seqs.length} sequences of '${split}', checkpoint ${describeCheckpoint(t)}`);
  term.out(`wrote ${files.length} files to ${out}/: ${files.join(', ')}`);
  return Exit.ok;
}
