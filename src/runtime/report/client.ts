/**
 * @file The report page's own script (browser JavaScript, inlined into report.html after uPlot):
 * draws the training curves from the JSON embedded in the page, exposes them for tests as
 * `window.seqcReport`, and reloads the page when it changes — pushed by `seqc report --serve`
 * over server-sent events, or by polling the file while the run is still training.
 */

/** Milliseconds between reloads of a report opened from disk while its run is training. */
export const FILE_RELOAD_MS = 20_000;

/** The script, as inlined. It reads `#seqc-data` and needs the global `uPlot`. */
export const clientScript = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('seqc-data').textContent);
  var charts = {};
  var palette = { train: '#0072b2', avg: '#004466', valid: '#d55e00', kl: '#009e73', recon: '#cc79a7', grad: '#0072b2', clip: '#999999', lr: '#e69f00', beta: '#56b4e9' };

  function movingAverage(ys, n) {
    var out = [], sum = 0, q = [];
    for (var i = 0; i < ys.length; i++) {
      q.push(ys[i]); sum += ys[i];
      if (q.length > n) sum -= q.shift();
      out.push(sum / q.length);
    }
    return out;
  }

  function fmt(v) {
    if (v == null || !isFinite(v)) return '-';
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : (Math.round(v * 1000) / 1000).toString();
  }

  // Axis ticks: uPlot's default rounds small values (a learning rate of 0.0015 would read 0.002).
  function ticks(u, splits) {
    return splits.map(function (v) {
      if (v === 0) return '0';
      return Math.abs(v) < 0.01 ? Number(v.toPrecision(2)).toExponential() : String(Number(v.toPrecision(6)));
    });
  }

  function make(id, yLabel, series, aligned, extraAxes, extraScales) {
    var el = document.getElementById(id);
    var axes = [{ label: 'optimizer step' }, { label: yLabel, size: 70, values: ticks }].concat((extraAxes || []).map(function (a) { a.values = ticks; return a; }));
    var scales = { x: { time: false } };
    for (var k in (extraScales || {})) scales[k] = extraScales[k];
    var opts = {
      width: Math.max(320, el.clientWidth), height: 260, scales: scales, axes: axes,
      series: [{ label: 'step' }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.stroke, width: s.width || 1.5, spanGaps: true, scale: s.scale || 'y', value: function (u, v) { return fmt(v); },
          points: { show: !!s.points, size: 6, fill: s.stroke } };
      })),
      legend: { live: true },
    };
    charts[id.replace(/^chart-/, '')] = new uPlot(opts, aligned, el);
  }

  var t = data.train, v = data.valid;
  var avgLabel = 'train (avg of ' + 25 * data.bucket + ' steps)';
  make('chart-elbo', 'ELBO / step (nats)', [
    { label: 'train', stroke: '#9ecae1', width: 1 },
    { label: avgLabel, stroke: palette.avg, width: 2 },
    { label: 'validation', stroke: palette.valid, width: 2, points: true },
  ], uPlot.join([[t.step, t.elbo, movingAverage(t.elbo, 25)], [v.step, v.elbo]]));
  make('chart-kl', 'KL / step (nats)', [{ label: 'KL (train)', stroke: palette.kl }], [t.step, t.kl]);
  make('chart-recon', 'log-likelihood / step (nats)', [{ label: 'reconstruction = ELBO + KL (train)', stroke: palette.recon }], [t.step, t.recon]);
  var grad = [{ label: 'gradient norm (before clipping)', stroke: palette.grad }];
  var gradData = [t.step, t.gradNorm];
  if (data.clip) {
    grad.push({ label: 'clipping threshold', stroke: palette.clip, width: 1 });
    gradData.push(t.step.map(function () { return data.clip; }));
  }
  make('chart-grad', 'global gradient norm', grad, gradData);
  make('chart-lr', 'learning rate', [{ label: 'learning rate', stroke: palette.lr }, { label: 'KL weight β', stroke: palette.beta, scale: 'beta' }],
    [t.step, t.lr, t.beta], [{ scale: 'beta', side: 1, label: 'β', grid: { show: false } }], { beta: { range: [0, 1.05] } });

  window.addEventListener('resize', function () {
    for (var k in charts) charts[k].setSize({ width: Math.max(320, charts[k].root.parentNode.clientWidth), height: 260 });
  });
  window.seqcReport = { data: data, charts: charts, events: null };

  if (location.protocol === 'http:' || location.protocol === 'https:') {
    var events = new EventSource('events');
    events.addEventListener('reload', function () { location.reload(); });
    window.seqcReport.events = events;
  } else if (data.status === 'training') {
    setTimeout(function () { location.reload(); }, ${FILE_RELOAD_MS});
  }
})();
`;
