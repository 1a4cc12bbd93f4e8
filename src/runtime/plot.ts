/**
 * @file Dependency-free SVG writers for training curves, waveforms, piano rolls and handwriting
 * strokes. Each returns a complete standalone SVG document as a string; non-finite values are
 * skipped (a NaN breaks a curve) and empty inputs give an empty but valid plot.
 */

/** One named curve of a line chart. */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A line chart: train vs valid loss or ELBO against steps. */
export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
}

/** Colours for successive series (colour-blind safe, Okabe–Ito). */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#f0e442', '#000000'];

/** The plot area inside the margins of a `width × height` canvas. */
interface Frame { left: number; top: number; right: number; bottom: number; width: number; height: number; canvasWidth: number; canvasHeight: number }

/** A linear map from data extents to the frame's pixels (y up). */
interface Scale { x: (v: number) => number; y: (v: number) => number; xTicks: number[]; yTicks: number[] }

/** A line chart with axes, ticks, axis labels, a title and a legend; one `<path>` per series. */
export function lineChartSvg(chart: LineChart): string {
  const frame = makeFrame(chart.width ?? 640, chart.height ?? 400, 64, 140);
  const finite = chart.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const scale = makeScale(frame, extent(finite.map((p) => p[0])), extent(finite.map((p) => p[1])));
  const body: string[] = [axes(frame, scale, chart.xLabel, chart.yLabel)];
  chart.series.forEach((s, k) => {
    const colour = PALETTE[k % PALETTE.length]!;
    body.push(`<path d="${polyline(s.points.map(([x, y]) => [scale.x(x), scale.y(y)]))}" fill="none" stroke="${colour}" stroke-width="1.5"><title>${escapeXml(s.name)}</title></path>`);
    const ly = frame.top + 8 + 18 * k, lx = frame.right + 12;
    body.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    body.push(`<text x="${lx + 26}" y="${ly + 4}" font-size="12">${escapeXml(s.name)}</text>`);
  });
  return document(frame, chart.title, body);
}

/** A waveform against time in seconds; long signals are drawn as a per-pixel min/max envelope. */
export function waveformSvg(samples: ArrayLike<number>, sampleRate: number, opts: { title?: string; width?: number; height?: number } = {}): string {
  if (!(sampleRate > 0)) throw new Error(`waveformSvg: sampleRate must be positive, got ${sampleRate}`);
  const frame = makeFrame(opts.width ?? 800, opts.height ?? 240, 64, 24);
  const n = samples.length;
  const values = Array.from(samples).filter(Number.isFinite);
  const scale = makeScale(frame, [0, Math.max(n - 1, 1) / sampleRate], extent(values));
  let d: string;
  if (n <= frame.width) {
    d = polyline(Array.from(samples, (v, i) => [scale.x(i / sampleRate), scale.y(v)]));
  } else {
    const parts: string[] = [];
    for (let c = 0; c < frame.width; c++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = Math.floor((c * n) / frame.width); i < Math.floor(((c + 1) * n) / frame.width); i++) {
        const v = samples[i]!;
        if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
      if (lo <= hi) parts.push(`M${fmt(frame.left + c + 0.5)} ${fmt(scale.y(hi))}V${fmt(scale.y(lo) + (hi === lo ? 0.5 : 0))}`);
    }
    d = parts.join('');
  }
  const body = [axes(frame, scale, 'time (s)', 'amplitude'), `<path d="${d}" fill="none" stroke="${PALETTE[0]}" stroke-width="1"/>`];
  return document(frame, opts.title ?? `waveform, ${n} samples at ${sampleRate} Hz`, body);
}

/** The MIDI note of piano key 0 (A0); key 87 is C8. */
const LOWEST_MIDI = 21;

/** A piano roll from a binary `[T][88]` matrix (key 0 = A0): one rectangle per held note. */
export function pianoRollSvg(roll: readonly ArrayLike<number>[], opts: { title?: string; cell?: number } = {}): string {
  const T = roll.length, cell = opts.cell ?? 4, keys = 88;
  roll.forEach((row, t) => { if (row.length !== keys) throw new Error(`pianoRollSvg: step ${t} has ${row.length} keys, expected ${keys}`); });
  const frame = makeFrame(Math.max(T, 1) * cell + 64 + 16, keys * cell + 36 + 44, 64, 16);
  const rects: string[] = [];
  for (let k = 0; k < keys; k++) {
    for (let t = 0; t < T;) {
      if (!roll[t]![k]) { t++; continue; }
      const start = t;
      while (t < T && roll[t]![k]) t++;
      const y = frame.top + (keys - 1 - k) * cell; // high notes at the top
      rects.push(`<rect x="${fmt(frame.left + start * cell)}" y="${fmt(y)}" width="${fmt((t - start) * cell)}" height="${fmt(cell)}" fill="${PALETTE[0]}"><title>MIDI ${k + LOWEST_MIDI}</title></rect>`);
    }
  }
  const octaves: string[] = [];
  for (let k = 3; k < keys; k += 12) { // C1, C2, …: key 3 is MIDI 24 = C1
    const y = frame.top + (keys - k) * cell;
    octaves.push(`<line x1="${frame.left}" y1="${fmt(y)}" x2="${frame.right}" y2="${fmt(y)}" stroke="#ddd"/>`);
    octaves.push(`<text x="${frame.left - 6}" y="${fmt(y)}" font-size="10" text-anchor="end">C${(k - 3) / 12 + 1}</text>`);
  }
  const box = `<rect x="${frame.left}" y="${frame.top}" width="${frame.width}" height="${frame.height}" fill="none" stroke="#333"/>`;
  const xLabel = `<text x="${fmt((frame.left + frame.right) / 2)}" y="${frame.bottom + 28}" font-size="12" text-anchor="middle">time step (${T} steps)</text>`;
  return document(frame, opts.title ?? 'piano roll', [...octaves, ...rects, box, xLabel]);
}

/** One handwriting point: pen offset (dx, dy) and whether the pen lifts after this point. */
export type StrokePoint = readonly [dx: number, dy: number, penUp: number | boolean];

/**
 * Handwriting from pen offsets: positions are the cumulative sum of (dx, dy) from the origin and
 * the path is broken after every pen-up point (one `<path>` with one subpath per stroke). SVG's
 * y axis points down, as in the IAM-OnDB offsets; `flipY` draws y up instead.
 */
export function strokesSvg(points: readonly StrokePoint[], opts: { title?: string; flipY?: boolean; strokeWidth?: number } = {}): string {
  const sign = opts.flipY ? -1 : 1;
  const xy: [number, number][] = [];
  let x = 0, y = 0;
  for (const [dx, dy] of points) {
    if (Number.isFinite(dx) && Number.isFinite(dy)) { x += dx; y += sign * dy; }
    xy.push([x, y]);
  }
  const [x0, x1] = xy.length ? extent(xy.map((p) => p[0])) : [0, 1];
  const [y0, y1] = xy.length ? extent(xy.map((p) => p[1])) : [0, 1];
  const pad = 0.05 * Math.max(x1 - x0, y1 - y0) || 1;
  const parts: string[] = [];
  let penDown = false;
  points.forEach(([dx, dy, up], i) => {
    const [px, py] = xy[i]!;
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) { penDown = false; return; }
    parts.push(`${penDown ? 'L' : 'M'}${num(px)} ${num(py)}`);
    penDown = !up;
  });
  const vb = [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad].map(fmt).join(' ');
  const sw = num(opts.strokeWidth ?? (x1 - x0 + y1 - y0 + 2 * pad) / 400);
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${vb}" preserveAspectRatio="xMidYMid meet">\n`
    + `<title>${escapeXml(opts.title ?? 'handwriting')}</title>\n`
    + `<path d="${parts.join('')}" fill="none" stroke="#000" stroke-width="${sw}" stroke-linecap="round" stroke-linejoin="round"/>\n`
    + '</svg>\n';
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Evenly spaced "nice" ticks (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  const raw = (hi - lo) / Math.max(target - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.ceil(lo / step - 1e-9), last = Math.floor(hi / step + 1e-9);
  if (!(step > 0) || !Number.isFinite(first) || !Number.isFinite(last) || last - first > 100) return [lo, hi]; // degenerate ranges
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  return ticks;
}

function makeFrame(width: number, height: number, left: number, rightMargin: number): Frame {
  const top = 36, bottomMargin = 44;
  return { left, top, right: width - rightMargin, bottom: height - bottomMargin, width: width - rightMargin - left, height: height - bottomMargin - top, canvasWidth: width, canvasHeight: height };
}

/** [min, max] of the finite values, widened when degenerate and [0, 1] when there are none. */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo > hi) return [0, 1];
  if (lo === hi) { const w = Math.abs(lo) * 0.5 || 1; return [lo - w, hi + w]; }
  return [lo, hi];
}

function makeScale(f: Frame, [x0, x1]: [number, number], [y0, y1]: [number, number]): Scale {
  return {
    x: (v) => f.left + ((v - x0) / (x1 - x0)) * f.width,
    y: (v) => f.bottom - ((v - y0) / (y1 - y0)) * f.height,
    xTicks: niceTicks(x0, x1),
    yTicks: niceTicks(y0, y1),
  };
}

/** The frame, tick marks with labels and grid lines, and the two axis labels. */
function axes(f: Frame, s: Scale, xLabel: string, yLabel: string): string {
  const out: string[] = [`<rect x="${f.left}" y="${f.top}" width="${f.width}" height="${f.height}" fill="none" stroke="#333"/>`];
  for (const t of s.xTicks) {
    const x = fmt(s.x(t));
    out.push(`<line x1="${x}" y1="${f.top}" x2="${x}" y2="${f.bottom}" stroke="#eee"/><line x1="${x}" y1="${f.bottom}" x2="${x}" y2="${f.bottom + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${f.bottom + 18}" font-size="11" text-anchor="middle">${tickLabel(t, s.xTicks)}</text>`);
  }
  for (const t of s.yTicks) {
    const y = fmt(s.y(t));
    out.push(`<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="#eee"/><line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${f.left - 8}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${tickLabel(t, s.yTicks)}</text>`);
  }
  out.push(`<text x="${fmt((f.left + f.right) / 2)}" y="${f.bottom + 36}" font-size="12" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${fmt((f.top + f.bottom) / 2)}) rotate(-90)" font-size="12" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  return out.join('\n');
}

/** A tick label with as many decimals as the tick spacing needs (exponent form when extreme). */
function tickLabel(v: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(v) || 1;
  if (v !== 0 && (Math.abs(v) >= 1e6 || step < 1e-4)) return v.toExponential(2);
  return v.toFixed(Math.max(0, Math.min(10, -Math.floor(Math.log10(step)))));
}

/** Path data through the points; a non-finite point ends the current subpath. */
function polyline(points: readonly (readonly [number, number])[]): string {
  let d = '', open = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) { open = false; continue; }
    d += `${open ? 'L' : 'M'}${fmt(x)} ${fmt(y)}`;
    open = true;
  }
  return d;
}

/** A complete SVG document around `body`, with a viewBox and a title. */
function document(f: Frame, title: string, body: readonly string[]): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<svg xmlns="http://www.w3.org/2000/svg" width="${f.canvasWidth}" height="${f.canvasHeight}" viewBox="0 0 ${f.canvasWidth} ${f.canvasHeight}" font-family="sans-serif">\n`
    + `<title>${escapeXml(title)}</title>\n`
    + `<rect width="100%" height="100%" fill="#fff"/>\n`
    + `<text x="${fmt(f.canvasWidth / 2)}" y="22" font-size="14" text-anchor="middle">${escapeXml(title)}</text>\n`
    + body.join('\n') + '\n</svg>\n';
}

/** A data-unit coordinate with six significant digits (strokes are drawn in data units). */
function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** A pixel coordinate with at most two decimals. */
function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}
