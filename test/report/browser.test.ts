/**
 * @file The run report in a real browser (Debian's headless Chromium driven by playwright-core):
 * it renders from disk with no console errors, its charts hold the run's numbers, the WAV
 * players decode, the evaluation table is there, and `seqc report --serve` reloads the page when
 * the report is rewritten. Saves a screenshot (UPDATE_GOLDEN=1 writes docs/report.png).
 * Under CI=true a missing Chromium fails the test; elsewhere it is skipped with the reason.
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { runReport } from '../../src/cli/report.js';
import { rebuildReport } from '../../src/runtime/report/live.js';
import { repoRoot } from '../helpers/examples.js';
import { testRun } from './run.js';

const CHROMIUM = '/usr/bin/chromium';
/** Flags for a closed network: without the background-networking ones Chromium keeps retrying refused connections. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** A fresh browser profile in a temporary directory. */
async function launch(): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'seqc-chromium-')), {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
}

/** Console errors and uncaught exceptions of a page. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Leaving the page (a reload) aborts its event stream: that is not an error.
    if (!(r.url().endsWith('/events') && r.failure()?.errorText === 'net::ERR_ABORTED')) errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  return errors;
}

describe('report: in headless Chromium', function () {
  this.timeout(240_000);
  let ctx: BrowserContext;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);
      console.log(`      (skipped: ${CHROMIUM} is not installed; apt-get install -y chromium)`);
      this.skip();
    }
    ctx = await launch();
  });
  after(async () => { await ctx?.close(); });

  it('browser: the report renders from disk with no errors and its charts hold the run\'s numbers', async () => {
    const r = await testRun();
    const page = await ctx.newPage();
    const errors = collectErrors(page);
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(join(r.dir, 'report.html')).href);
    await page.waitForFunction(() => (window as unknown as { seqcReport?: unknown }).seqcReport !== undefined);

    const charts = await page.evaluate(() => {
      const rep = (window as unknown as { seqcReport: { charts: Record<string, { data: (number | null)[][]; series: { label: string }[] }> } }).seqcReport;
      return Object.fromEntries(Object.entries(rep.charts).map(([k, u]) => [k, { data: u.data, labels: u.series.map((s) => s.label) }]));
    });
    const lines = readFileSync(join(r.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const train = lines.filter((m) => m['elbo_per_step'] !== undefined);
    const valid = lines.filter((m) => m['valid_elbo_per_step'] !== undefined);
    expect(train).to.have.length(80);
    expect(valid.map((v) => v['step'])).to.deep.equal([10, 20, 30, 40, 50, 60, 70, 80]);
    const col = (k: string): number[] => train.map((m) => m[k]!);
    // ELBO: x = steps, then train, its moving average, validation (null between validations).
    expect(charts['elbo']!.data[0]).to.deep.equal(col('step'));
    expect(charts['elbo']!.data[1]).to.deep.equal(col('elbo_per_step'));
    expect(charts['elbo']!.data[3]!.filter((v) => v !== null && v !== undefined)).to.deep.equal(valid.map((v) => v['valid_elbo_per_step']));
    expect(charts['elbo']!.data[3]![9]).to.equal(valid[0]!['valid_elbo_per_step']);
    expect(charts['kl']!.data[1]).to.deep.equal(col('kl_per_step'));
    charts['recon']!.data[1]!.forEach((v, i) => expect(v).to.be.closeTo(train[i]!['elbo_per_step']! + train[i]!['kl_per_step']!, 1e-9));
    expect(charts['grad']!.data[1]).to.deep.equal(col('grad_norm'));
    expect(charts['grad']!.data[2]).to.deep.equal(train.map(() => 10)); // --clip default
    expect(charts['lr']!.data[1]).to.deep.equal(col('lr'));
    expect(charts['lr']!.data[2]).to.deep.equal(col('beta'));
    expect(charts['grad']!.labels).to.include('gradient norm (before clipping)');

    // Every chart drew something on its canvas (not a blank plot).
    const inked = await page.evaluate(() => [...document.querySelectorAll('.chart canvas')].map((c) => {
      const cv = c as HTMLCanvasElement;
      const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && (px[i]! < 200 || px[i + 1]! < 200 || px[i + 2]! < 200)) n++;
      return n;
    }));
    expect(inked).to.have.length(5);
    for (const n of inked) expect(n).to.be.greaterThan(500);

    // The speech samples decode as half a second of 16 kHz audio each (40 frames of 200 samples).
    const durations = await page.evaluate(async () => Promise.all([...document.querySelectorAll('audio')].map((a) => new Promise<number>((resolve, reject) => {
      if (a.readyState >= 1) resolve(a.duration);
      a.addEventListener('loadedmetadata', () => resolve(a.duration));
      a.addEventListener('error', () => reject(new Error(`audio error ${a.error?.code}`)));
      a.load();
    }))));
    expect(durations).to.have.length(4);
    for (const d of durations) expect(d).to.be.closeTo(0.5, 1e-3);

    const evalRow = await page.$$eval('#evaluation tbody tr td', (tds) => tds.map((td) => td.textContent));
    const rec = JSON.parse(readFileSync(join(r.dir, 'eval', 'test-k2.json'), 'utf8')) as { iwae_per_step: number };
    expect(evalRow[8]).to.equal(rec.iwae_per_step.toFixed(3));
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).to.deep.equal([]);
    expect(errors).to.deep.equal([]);

    const shot = join(r.dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).to.equal('PNG');
    if (process.env['UPDATE_GOLDEN'] === '1') copyFileSync(shot, join(repoRoot, 'docs/report.png'));
    await page.close();
  });

  it('browser: seqc report --serve reloads the open page when the report is rewritten', async () => {
    const r = await testRun();
    let out = '';
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    const done = runReport(r.dir, { serve: true, port: '0' }, { out: (t) => { out += t + '\n'; }, err: () => {} }, stopped);
    while (!/at (http:\S+)/.test(out)) await new Promise((res) => setTimeout(res, 50));
    const url = /at (http:\S+)/.exec(out)![1]!;
    const page = await ctx.newPage();
    try {
      const errors = collectErrors(page);
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { seqcReport?: unknown }).seqcReport !== undefined);
      await page.evaluate(() => { (window as unknown as { marker: number }).marker = 1; });
      // Wait until the page listens for reloads, then rewrite the report as training would.
      await page.waitForFunction(() => (window as unknown as { seqcReport: { events: EventSource | null } }).seqcReport.events?.readyState === 1);
      const reloaded = page.waitForEvent('load');
      await rebuildReport(r.dir);
      await reloaded;
      await page.waitForFunction(() => (window as unknown as { seqcReport?: unknown }).seqcReport !== undefined);
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).to.equal(undefined);
      expect(await page.$eval('.state', (e) => e.textContent)).to.equal('finished');
      expect(errors).to.deep.equal([]);
    } finally {
      await page.close();
      stop();
    }
    expect(await done).to.equal(0);
  });
});
