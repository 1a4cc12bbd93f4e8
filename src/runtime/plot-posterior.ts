/** @file The posterior of a discrete latent as an SVG heat map: one cell per (step, value), darker = more probable, with the Viterbi path on top. */
import { escapeXml } from './plot.js';

/** Marginals [L·K] (probabilities) and a path [L] (value indices) of one sequence. */
export function marginalsSvg(marginals: ArrayLike<number>, path: ArrayLike<number>, L: number, K: number, title: string): string {
  const cell = Math.max(4, Math.min(24, Math.floor(800 / Math.max(L, 1))));
  const [left, top] = [56, 40];
  const width = left + L * cell + 16, height = top + K * cell + 44;
  const rects: string[] = [];
  for (let t = 0; t < L; t++) {
    for (let k = 0; k < K; k++) {
      const p = marginals[t * K + k]!;
      if (p > 0.005) rects.push(`<rect x="${left + t * cell}" y="${top + (K - 1 - k) * cell}" width="${cell}" height="${cell}" fill="#0072b2" fill-opacity="${p.toFixed(3)}"><title>t=${t} value ${k}: ${p.toFixed(3)}</title></rect>`);
    }
  }
  const pts = Array.from({ length: L }, (_, t) => `${left + (t + 0.5) * cell},${top + (K - 1 - path[t]! + 0.5) * cell}`).join(' ');
  const labels = Array.from({ length: K }, (_, k) => `<text x="${left - 6}" y="${top + (K - 1 - k + 0.5) * cell + 4}" font-size="11" text-anchor="end">${k}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" font-size="14" text-anchor="middle">${escapeXml(title)}</text>`,
    ...rects, ...labels,
    `<polyline points="${pts}" fill="none" stroke="#d55e00" stroke-width="2"><title>Viterbi path</title></polyline>`,
    `<rect x="${left}" y="${top}" width="${L * cell}" height="${K * cell}" fill="none" stroke="#333"/>`,
    `<text x="${left + (L * cell) / 2}" y="${height - 12}" font-size="12" text-anchor="middle">time step (${L} steps); orange: Viterbi path</text>`,
    '</svg>', '',
  ].join('\n');
}
