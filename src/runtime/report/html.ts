/**
 * @file The run report as one self-contained HTML page: the charting library (uPlot, an npm
 * dependency) and the page script are inlined and the samples are data URIs, so the file opens
 * from disk with no server and no network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { escapeXml } from '../plot.js';
import { clientScript } from './client.js';
import type { RunData } from './data.js';
import type { SampleView } from './samples.js';

/** Where the run stands, for the page header. */
export interface ReportStatus {
  /** `training` while the run is live (a report opened from disk then reloads itself); anything else is final. */
  readonly state: 'training' | 'finished' | 'stopped' | 'rebuilt';
  readonly detail: string;
  readonly total: number | null;
  readonly updated: string;
}

/** The samples section: samples, or why there are none. */
export type SamplesSection = { readonly view: SampleView } | { readonly note: string };

let vendored: { js: string; css: string } | null = null;

/** uPlot's script and stylesheet from node_modules (read once). */
function uplot(): { js: string; css: string } {
  if (!vendored) {
    const require = createRequire(import.meta.url);
    vendored = {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return vendored;
}

const esc = (s: unknown): string => escapeXml(String(s));

/** A number as the tables print it. */
function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Renders the whole page. */
export function renderReport(d: RunData, status: ReportStatus, samples: SamplesSection): string {
  const lib = uplot();
  const best = d.valid.elbo.length ? d.valid.elbo.reduce((b, v, i) => (v > d.valid.elbo[b]! ? i : b), 0) : -1;
  const lastStep = d.train.step.at(-1) ?? 0;
  const clip = typeof d.config['clip'] === 'number' && d.config['clip'] > 0 ? d.config['clip'] : null;
  const page = { model: d.model, status: status.state, bucket: d.bucket, clip, train: d.train, valid: d.valid };
  const headline = [
    `step ${lastStep}${status.total ? ` of ${status.total}` : ''}`,
    best >= 0 ? `best validation ELBO ${num(d.valid.elbo[best])} nats/step at step ${d.valid.step[best]}` : 'no validation yet',
    status.detail,
  ].filter(Boolean).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(d.model)}: training report</title>
<style>${lib.css}
${css}</style>
</head>
<body>
<header>
<h1>${esc(d.model)} <span class="state state-${status.state}">${esc(status.state)}</span></h1>
<p id="headline">${esc(headline)}</p>
<p class="muted">run ${esc(d.dir)} · updated ${esc(status.updated)}${d.bucket > 1 ? ` · curves average every ${d.bucket} steps` : ''}</p>
</header>
<section>
<h2>Training curves</h2>
<p class="muted">Per time step, in nats and data units. Reconstruction is the expected log-likelihood of the observations (ELBO + KL).</p>
<div class="charts">
${['elbo', 'kl', 'recon', 'grad', 'lr'].map((id) => `<div class="chart" id="chart-${id}"></div>`).join('\n')}
</div>
</section>
${evaluationSection(d)}
${validationSection(d, best)}
${samplesSection(samples)}
${configSection(d)}
<script type="application/json" id="seqc-data">${scriptJson(page)}</script>
<script>${lib.js}</script>
<script>${clientScript}</script>
</body>
</html>
`;
}

function evaluationSection(d: RunData): string {
  if (!d.evaluations.length) return '';
  const fivo = d.evaluations.some((e) => e.fivo_per_step !== undefined && e.fivo_per_step !== null);
  const rows = d.evaluations.map((e) => `<tr><td>${esc(e.split)}</td><td>${e.k}</td><td>${esc(e.checkpoint)} (step ${e.checkpoint_step})</td>` +
    `<td>${e.n_sequences}</td><td>${e.n_steps}</td><td>${num(e.elbo_per_seq)}</td><td>${num(e.elbo_per_step)}</td>` +
    `<td>${num(e.iwae_per_seq)}${e.exact ? ' (exact)' : ''}</td><td>${num(e.iwae_per_step)}</td>` +
    (fivo ? `<td>${num(e.fivo_per_seq)}</td><td>${num(e.fivo_per_step)}</td>` : '') + `<td>${esc(e.time)}</td></tr>`).join('\n');
  return `<section>
<h2>Evaluation</h2>
<p class="muted">From <code>seqc eval</code>. The ELBO is a lower bound; the importance-sampled log-likelihood with K samples tightens as K grows (K = 1 is a one-sample ELBO)${fivo ? '; FIVO is the particle-filter bound with K particles' : ''}. A model whose latents are all summed out has an exact log-likelihood.</p>
<table id="evaluation"><thead><tr><th>split</th><th>K</th><th>checkpoint</th><th>sequences</th><th>steps</th><th>ELBO / seq</th><th>ELBO / step</th><th>log-lik. (IWAE-K) / seq</th><th>log-lik. / step</th>${fivo ? '<th>FIVO / seq</th><th>FIVO / step</th>' : ''}<th>when</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

function validationSection(d: RunData, best: number): string {
  if (!d.valid.step.length) return '';
  const rows = d.valid.step.map((s, i) => `<tr${i === best ? ' class="best"' : ''}><td>${s}</td><td>${num(d.valid.elbo[i])}</td><td>${i === best ? 'best' : ''}</td></tr>`);
  return `<section>
<h2>Validation</h2>
<div class="scroll"><table id="validation"><thead><tr><th>step</th><th>ELBO / step</th><th></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>
</section>`;
}

function samplesSection(s: SamplesSection): string {
  if ('note' in s) return `<section>\n<h2>Samples</h2>\n<p id="samples-note">${esc(s.note)}</p>\n</section>`;
  const v = s.view;
  const items = v.items.map((it, n) => `<figure class="sample sample-${v.kind}">${it.svg}${it.wav ? `<audio controls preload="metadata" src="${it.wav}"></audio>` : ''}<figcaption>sample ${n}${it.midi ? ` · <a download="sample-${n}.mid" href="${it.midi}">MIDI</a>` : ''}</figcaption></figure>`);
  return `<section>
<h2>Samples</h2>
<p class="muted">From ${esc(v.checkpoint)} (step ${v.checkpointStep}): ${v.items.length} sequences of ${v.steps} steps, seed 1, drawn from the prior.</p>
<div class="samples" id="samples">
${items.join('\n')}
</div>
</section>`;
}

function configSection(d: RunData): string {
  const rows = Object.entries(d.config).map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(JSON.stringify(v))}</code></td></tr>`);
  if (!rows.length) return '';
  return `<section>\n<details>\n<summary><h2>Settings</h2></summary>\n<table id="config">\n${rows.join('\n')}\n</table>\n</details>\n</section>`;
}

const css = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.muted { color: #666; margin: 2px 0; }
.state { font-size: 13px; font-weight: 600; padding: 2px 8px; border-radius: 10px; vertical-align: middle; background: #eee; }
.state-training { background: #fff3c4; } .state-finished { background: #d8f0dc; } .state-stopped { background: #fde2d8; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
.chart { min-width: 320px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #eee; }
tr.best td { font-weight: 600; }
.scroll { max-height: 320px; overflow: auto; display: inline-block; }
.samples { display: flex; flex-wrap: wrap; gap: 16px; }
.sample { margin: 0; flex: 1 1 560px; max-width: 100%; } .sample svg { max-width: 100%; height: auto; display: block; background: #fff; }
.sample audio { display: block; width: 100%; margin-top: 4px; }
figcaption { color: #666; font-size: 12px; }
summary { cursor: pointer; } summary h2 { display: inline-block; border: 0; }
code { font-size: 12px; }
`;
