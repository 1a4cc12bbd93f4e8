/**
 * @file Reporting outputs: the SVG writers (well-formed XML with a viewBox, one path per series,
 * graceful NaN and empty inputs) and the progress display (periodic lines off a TTY, a bar on one).
 */
import { expect } from 'chai';
import { formatDuration, Progress } from '../../src/runtime/progress.js';
import { escapeXml, lineChartSvg, niceTicks, pianoRollSvg, strokesSvg, waveformSvg, type StrokePoint } from '../../src/runtime/plot.js';

/** A tiny well-formedness check: balanced, properly nested tags, one root `<svg>` with a viewBox, no stray `<` or `&`. */
function assertWellFormedSvg(svg: string): void {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    expect(text, `text before ${m[0]}`).to.not.match(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop(), `closing </${name}>`).to.equal(name);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  expect(body.slice(last).trim(), 'trailing text').to.equal('');
  expect(stack, 'unclosed tags').to.deep.equal([]);
  expect(roots, 'root elements').to.equal(1);
  expect(body).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* viewBox="[-\d. ]+"/);
  expect(body).to.not.match(/NaN|Infinity|undefined/);
}

const paths = (svg: string): string[] => [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);

describe('runtime/plot', () => {
  it('plot: lineChartSvg draws one path per series with axes, ticks and a legend', () => {
    const train = Array.from({ length: 50 }, (_, i) => [i * 10, -200 + 150 * Math.exp(-i / 10)] as [number, number]);
    const valid = train.filter((_, i) => i % 5 === 0).map(([x, y]) => [x, y - 3] as [number, number]);
    const svg = lineChartSvg({ title: 'ELBO <per step> & "nats"', xLabel: 'step', yLabel: 'ELBO (nats)', series: [{ name: 'train', points: train }, { name: 'valid', points: valid }] });
    assertWellFormedSvg(svg);
    expect(paths(svg)).to.have.length(2);
    expect(svg).to.contain('ELBO &lt;per step&gt; &amp; &quot;nats&quot;');
    expect(svg).to.contain('>train</text>').and.to.contain('>valid</text>');
    expect(svg).to.contain('>step</text>');
    expect(svg.match(/text-anchor="middle">\d+<\/text>/g)?.length ?? 0, 'x tick labels').to.be.greaterThan(2);
  });

  it('plot: NaN points break a curve, and empty or all-NaN series still give one empty path each', () => {
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [
      { name: 'gappy', points: [[0, 1], [1, 2], [2, NaN], [3, 4], [4, Infinity], [5, 3]] },
      { name: 'empty', points: [] },
      { name: 'nan', points: [[0, NaN]] },
    ] });
    assertWellFormedSvg(svg);
    const [gappy, empty, nan] = paths(svg);
    expect(gappy!.match(/M/g)).to.have.length(3);
    expect(empty).to.equal('');
    expect(nan).to.equal('');
    assertWellFormedSvg(lineChartSvg({ title: 'nothing', xLabel: 'x', yLabel: 'y', series: [] }));
    assertWellFormedSvg(lineChartSvg({ title: 'flat', xLabel: 'x', yLabel: 'y', series: [{ name: 'c', points: [[3, 5], [3, 5]] }] }));
  });

  it('plot: waveformSvg handles short, long, empty and NaN signals', () => {
    const long = Float32Array.from({ length: 16000 }, (_, i) => Math.sin(i / 20));
    const svgLong = waveformSvg(long, 16000);
    assertWellFormedSvg(svgLong);
    expect(paths(svgLong)).to.have.length(1);
    expect(paths(svgLong)[0]!.match(/M/g)!.length).to.be.at.most(800);
    expect(svgLong).to.contain('time (s)');
    assertWellFormedSvg(waveformSvg([0, 1, NaN, -1, 0], 8000));
    assertWellFormedSvg(waveformSvg([], 8000));
    expect(() => waveformSvg([1], 0)).to.throw(/sampleRate must be positive/);
  });

  it('plot: pianoRollSvg draws one rectangle per held note and checks the key count', () => {
    const roll = Array.from({ length: 10 }, () => new Array<number>(88).fill(0));
    for (let t = 2; t < 6; t++) roll[t]![39] = 1; // middle C held for 4 steps
    roll[7]![0] = 1;
    roll[9]![87] = 1;
    const svg = pianoRollSvg(roll);
    assertWellFormedSvg(svg);
    expect(svg.match(/<title>MIDI \d+<\/title>/g)).to.deep.equal(['<title>MIDI 21</title>', '<title>MIDI 60</title>', '<title>MIDI 108</title>']);
    expect(svg).to.contain('width="16" height="4" fill="#0072b2"><title>MIDI 60');
    assertWellFormedSvg(pianoRollSvg([]));
    expect(() => pianoRollSvg([[1, 0]])).to.throw('pianoRollSvg: step 0 has 2 keys, expected 88');
  });

  it('plot: strokesSvg sums offsets and breaks the path at pen-up', () => {
    const pts: StrokePoint[] = [[0, 0, 0], [1, 0, 0], [0, 1, 1], [2, 0, 0], [1, 1, 1], [NaN, 0, 0], [1, 0, 0]];
    const svg = strokesSvg(pts);
    assertWellFormedSvg(svg);
    const [d] = paths(svg);
    expect(d).to.equal('M0 0L1 0L1 1M3 1L4 2M5 2');
    expect(paths(strokesSvg(pts, { flipY: true }))[0]).to.equal('M0 0L1 0L1 -1M3 -1L4 -2M5 -2');
    assertWellFormedSvg(strokesSvg([]));
  });

  it('plot: niceTicks are round numbers covering the range; escapeXml escapes all five', () => {
    expect(niceTicks(0, 1)).to.deep.equal([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-230, -40)).to.deep.equal([-200, -150, -100, -50]);
    expect(niceTicks(0, 5e-324)).to.deep.equal([0, 5e-324]);
    expect(escapeXml(`<a & 'b' "c">`)).to.equal('&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;');
  });
});

/** A stream that records what is written; a fake clock advancing 100 ms per reading. */
function fixture(isTTY: boolean): { out: string[]; stream: { isTTY: boolean; write(s: string): boolean }; now: () => number } {
  const out: string[] = [];
  let t = 0;
  const stream = { isTTY, columns: 100, write: (s: string) => { out.push(s); return true; }, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => stream, removeListener: () => stream };
  return { out, stream, now: () => (t += 100) };
}

describe('runtime/progress', () => {
  it('progress: non-TTY mode prints periodic lines with steps, rate, ETA and ELBO', () => {
    const { out, stream, now } = fixture(false);
    const p = new Progress({ total: 10, stream, logEvery: 4, now });
    expect(p.interactive).to.equal(false);
    p.start();
    for (let s = 1; s <= 10; s++) p.update(s, { elbo: -100 + s });
    p.stop();
    expect(out).to.have.length(3);
    expect(out[0]).to.match(/^train step 4\/10 \(40\.0%\) \| \d+\.\d+ steps\/s \| ETA \d+s \| ELBO -96\.000\n$/);
    expect(out[2]).to.match(/^train step 10\/10 \(100\.0%\) .* ETA 0s \| ELBO -90\.000\n$/);
  });

  it('progress: resuming counts the rate from the resumed step, and stop logs an unlogged last step', () => {
    const { out, stream, now } = fixture(false);
    const p = new Progress({ total: 1000, stream, logEvery: 100, now, label: 'resume' });
    p.start(500);
    p.update(510);
    expect(out).to.have.length(0);
    p.stop();
    expect(out).to.have.length(1);
    expect(out[0]).to.match(/^resume step 510\/1000 \(51\.0%\) \| \d+(\.\d+)? steps\/s .* ELBO -\n$/);
    const rate = Number(/\| ([\d.]+) steps\/s/.exec(out[0]!)![1]);
    expect(rate).to.equal(100); // 10 steps in one fake 100 ms tick: the 500 resumed steps do not count
  });

  it('progress: TTY mode drives a cli-progress bar without throwing', () => {
    const { out, stream, now } = fixture(true);
    const p = new Progress({ total: 5, stream, now });
    expect(p.interactive).to.equal(true);
    p.start();
    for (let s = 1; s <= 5; s++) p.update(s, { elbo: -1.5 });
    p.stop();
    expect(out.join('')).to.contain('5/5').and.to.contain('ELBO -1.500');
  });

  it('progress: formatDuration', () => {
    expect([formatDuration(12.4), formatDuration(245), formatDuration(3723), formatDuration(NaN)]).to.deep.equal(['12s', '4m05s', '1h02m03s', '-']);
  });
});
