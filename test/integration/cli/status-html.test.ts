/**
 * The HTML report of `rekey status --output html`, checked in a real headless browser (Debian's
 * Chromium driven by playwright-core): it loads with no console error and no request beyond the
 * file itself, holds one table row per item and one timeline mark per dated item, marks today
 * between the past and the future, has no overlapping text and no table wider than its panel.
 * The screenshot goes to dist/status-report.png (docs/status-report.png, shown by the README,
 * with REKEY_UPDATE_SCREENSHOT=1).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StatusReport, timelineDate } from '../../../cli/report/model.js';
import { run } from '../../../cli/status.js';
import { capture, createDemoAccount, type DemoAccount } from './status-demo.js';

const CHROMIUM = '/usr/bin/chromium';

/** The little of the DOM the in-page checks use (the project's tsconfig has no DOM lib). */
interface PageElement {
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  closest(selector: string): unknown;
  querySelector(selector: string): { id: string } | null;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
}
/** Used inside page.evaluate callbacks, which run in the browser: only types may come from here. */
type PageGlobal = { document: { querySelectorAll(selector: string): Iterable<PageElement> } };
// Written under dist/ so a test run leaves the work tree clean; REKEY_UPDATE_SCREENSHOT=1
// refreshes the committed picture the README shows.
const SCREENSHOT = join(
  process.cwd(),
  process.env.REKEY_UPDATE_SCREENSHOT === '1' ? 'docs/status-report.png' : 'dist/status-report.png',
);

let demo: DemoAccount;
let browser: Browser;
let dir: string;
let report: StatusReport;
let pageUrl: string;

beforeAll(async () => {
  // No skipping: without the browser this check fails and says how to get it.
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the HTML report is checked in Debian's Chromium. Install it with: apt-get install -y chromium`,
    );
  }
  demo = await createDemoAccount();
  dir = await mkdtemp(join(tmpdir(), 'rekey-status-html-'));
  const args = ['--stuck-after', '0', '--alias-prefix', demo.aliasPrefix];
  const asJson = capture();
  await run([...args, '--output', 'json'], asJson.io, demo.env);
  report = JSON.parse(asJson.stdout) as StatusReport;
  // In a folder that does not exist yet, as dist/ on a fresh clone: the command creates it.
  const file = join(dir, 'reports', 'rekey-status.html');
  const html = capture();
  expect(await run([...args, '--output', 'html', '--out', file], html.io, demo.env)).toBe(3);
  expect(html.stdout).toContain(`Wrote ${file}`);
  pageUrl = pathToFileURL(file).href;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rekey status --output html in Chromium', () => {
  it('loads with no console error, fetches nothing but itself, and shows every item', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => requests.push(request.url()));

    await page.goto(pageUrl, { waitUntil: 'load' });

    expect(problems).toEqual([]);
    // Self-contained: no stylesheet, script, font or image from anywhere else.
    expect(requests).toEqual([pageUrl]);
    expect(await page.title()).toBe('rekey status: us-east-1');

    // One table row per item, the stuck secret flagged.
    expect(await page.locator('#secrets tbody tr').count()).toBe(report.secrets.length);
    expect(await page.locator('#keys tbody tr').count()).toBe(report.keys.length);
    expect(await page.locator('#certificates tbody tr').count()).toBe(report.certificates.length);
    const stuckRow = page.locator('#secrets tbody tr', { hasText: demo.secrets.stuck });
    expect(await stuckRow.getAttribute('class')).toBe('attention');
    expect(await stuckRow.locator('td').nth(2).textContent()).toMatch(/^stuck/);

    // One mark per dated item, by kind and severity.
    const dated = [...report.certificates, ...report.keys, ...report.secrets].filter((i) => timelineDate(i));
    expect(dated.length).toBeGreaterThan(6);
    expect(await page.locator('#timeline .mark').count()).toBe(dated.length);
    for (const kind of ['certificate', 'key', 'secret'] as const) {
      expect(await page.locator(`#timeline .mark[data-kind="${kind}"]`).count()).toBe(
        dated.filter((i) => i.kind === kind).length,
      );
    }
    expect(
      await page
        .locator('#timeline .mark[data-kind="certificate"][data-severity="attention"] circle')
        .getAttribute('fill'),
    ).toBe('#c62828');
    expect(await page.locator('#timeline .band').count()).toBe(report.thresholds.length);
  });

  it('marks today between the overdue key and the future expiry, with no overlapping text', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await page.goto(pageUrl, { waitUntil: 'load' });

    const today = page.locator('#timeline .today');
    expect(await today.count()).toBe(1);
    expect(await today.textContent()).toContain('today');
    // A mark missing from the page fails here, naming it.
    const present = <T>(value: T | null, what: string): T => {
      if (value === null) throw new Error(`${what} is not on the page`);
      return value;
    };
    const todayBox = present(await today.locator('line').boundingBox(), 'the today marker');
    const overdueKey = present(
      await page
        .locator(
          `#timeline .mark[data-kind="key"][data-date="${report.keys.find((k) => k.state === 'overdue')?.nextRotation.slice(0, 10)}"]`,
        )
        .boundingBox(),
      'the overdue key mark',
    );
    const importedCert = report.certificates.find((c) => c.arn === demo.certificates.imported);
    const futureCert = present(
      await page
        .locator(
          `#timeline .mark[data-kind="certificate"][data-date="${importedCert?.notAfter?.slice(0, 10)}"]`,
        )
        .boundingBox(),
      'the imported certificate mark',
    );
    expect(overdueKey.x + overdueKey.width / 2).toBeLessThan(todayBox.x);
    expect(futureCert.x + futureCert.width / 2).toBeGreaterThan(todayBox.x + todayBox.width);

    // Every text of the chart sits clear of every other (the today badge's own label aside).
    const overlaps = await page.evaluate(() => {
      const boxes = [...(globalThis as unknown as PageGlobal).document.querySelectorAll('#timeline text')]
        .filter((t) => !t.closest('.today'))
        .map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }));
      const found: string[] = [];
      boxes.forEach((a, i) => {
        for (const b of boxes.slice(i + 1)) {
          const x = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
          const y = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
          if (x > 0.5 && y > 0.5) found.push(`${a.text} / ${b.text}`);
        }
      });
      return found;
    });
    expect(overlaps).toEqual([]);

    // No table or chart is wider than its panel (nothing cut off or scrolled at this width).
    const overflowing = await page.evaluate(() =>
      [...(globalThis as unknown as PageGlobal).document.querySelectorAll('.panel')]
        .filter((p) => p.scrollWidth > p.clientWidth + 1)
        .map((p) => p.querySelector('table, svg')?.id ?? '?'),
    );
    expect(overflowing).toEqual([]);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1360);
  });
});
