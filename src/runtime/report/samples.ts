/**
 * @file Samples for the run report: a few sequences drawn from the best checkpoint with a fixed
 * seed (so successive reports differ only by the model), shown as `seqc sample` shows them —
 * sound as WAV players, strokes, piano rolls or line plots.
 */
import type * as ort from 'onnxruntime-node';
import { drawSamples, pictureKind, samplePictures, type PictureKind } from '../sample.js';
import type { Trained } from '../trained.js';

/** What the report shows of the samples of one checkpoint. */
export interface SampleView {
  readonly kind: PictureKind;
  /** The checkpoint sampled from, relative to the run (`checkpoints/best.ckpt`), and its optimizer step. */
  readonly checkpoint: string;
  readonly checkpointStep: number;
  readonly steps: number;
  /** One entry per sequence: its picture, and for sound a `data:audio/wav` URI, for music a `data:audio/midi` one. */
  readonly items: readonly SampleItem[];
}

/** One sampled sequence as the report shows it. */
export interface SampleItem {
  readonly svg: string;
  readonly wav: string | null;
  readonly midi: string | null;
}

/** Sequences drawn for the report. */
export const REPORT_SAMPLES = 4;
/** Seed of the report's samples. */
export const REPORT_SEED = 1;
/** Steps per sampled sequence, by picture: half a second of 200-sample frames of speech, a line of handwriting. */
export const reportSteps: Record<PictureKind, number> = { audio: 40, strokes: 300, pianoRoll: 100, lines: 50 };

/** Draws the report's samples from `model` (whose store holds the checkpoint's parameters). */
export async function reportSamples(model: Pick<Trained, 'compiled' | 'spec' | 'store' | 'stats'>, session: ort.InferenceSession,
  sampleRate: number | null, checkpoint: string, checkpointStep: number): Promise<SampleView> {
  const kind = pictureKind(model, sampleRate);
  const steps = reportSteps[kind];
  const s = await drawSamples(model, session, { num: REPORT_SAMPLES, steps, seed: REPORT_SEED });
  const files = samplePictures(model, s, sampleRate);
  // samplePictures names every file `sample-N.svg`, `.wav` or `.mid`: one entry per N.
  const byIndex = new Map<string, { svg: string; wav: string | null; midi: string | null }>();
  const uri = (type: string, data: string | Uint8Array): string => `data:${type};base64,${Buffer.from(data).toString('base64')}`;
  for (const f of files) {
    const n = /^sample-(\d+)\./.exec(f.file)?.[1] ?? f.file;
    const e = byIndex.get(n) ?? { svg: '', wav: null, midi: null };
    if (f.file.endsWith('.wav')) e.wav = uri('audio/wav', f.data);
    else if (f.file.endsWith('.mid')) e.midi = uri('audio/midi', f.data);
    else e.svg = (f.data as string).replace(/^<\?xml[^>]*>\s*/, ''); // inline SVG in HTML takes no XML declaration
    byIndex.set(n, e);
  }
  const items = [...byIndex.values()];
  return { kind, checkpoint, checkpointStep, steps, items };
}
