/**
 * The HTML report of `rekey status --output html`, checked in a real headless browser (Debian's
 * Chromium driven by playwright-core) on an account the size of a real one (hundreds of
 * certificates, secrets with rotation off): it loads with no console error and no request
 * beyond the file itself; the findings come most urgent first with what to do; secrets with
 * rotation off are their own list, not warnings; healthy items are folded behind their count;
 * the page says nothing only a command-line user would understand; and at 1280 and 1920 px no
 * column is clipped or wider than its panel, with the healthy list folded or open.
 * Screenshots go to dist/status-report-{1280,1920}.png; docs/status-report.png, shown by the
 * README, is refreshed with REKEY_UPDATE_SCREENSHOT=1.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportItem, StatusReport } from '../../../cli/report/model.js';
import { run } from '../../../cli/status.js';
import { capture, createDemoAccount, type DemoAccount } from './status-demo.js';

const CHROMIUM = '/usr/bin/chromium';
const HEALTHY_CERTIFICATES = 300;
const UNROTATED_SECRETS = 14;

/** The little of the DOM the in-page checks use (the project's tsconfig has no DOM lib). */
interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  closest(selector: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number; width: number };
}
/** Used inside page.evaluate callbacks, which run in the browser: only types may come from here. */
type PageGlobal = {
  document: {
    querySelectorAll(selector: string): Iterable<PageElement>;
    documentElement: { scrollWidth: number; clientWidth: number };
  };
};

const DIST = join(process.cwd(), 'dist');
const DOCS_SCREENSHOT = join(process.cwd(), 'docs/status-report.png');

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
  demo = await createDemoAccount({
    healthyCertificates: HEALTHY_CERTIFICATES,
    unrotatedSecrets: UNROTATED_SECRETS,
    rotatedSecrets: 6,
  });
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
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const open = async (width: number): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(pageUrl, { waitUntil: 'load' });
  return page;
};

const all = (): ReportItem[] => [...report.certificates, ...report.keys, ...report.secrets];
const label = (item: ReportItem) =>
  item.kind === 'secret' ? item.name : item.kind === 'key' ? item.alias : item.domainName;

/** The text of one column of a table, row by row. */
const column = async (page: Page, table: string, index: number): Promise<string[]> =>
  page
    .locator(`#${table} tbody tr`)
    .evaluateAll(
      (rows, i) =>
        rows.map((r) => (r as unknown as PageElement & { cells: PageElement[] }).cells[i]?.textContent ?? ''),
      index,
    );

describe('rekey status --output html in Chromium', () => {
  it('loads with no console error and fetches nothing but itself', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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
    // The account is the size of a real one.
    expect(report.certificates.length).toBeGreaterThanOrEqual(HEALTHY_CERTIFICATES);
  });

  it('lists what needs attention first, most urgent first, and then the warnings', async () => {
    const page = await open(1280);
    const attention = all().filter((i) => i.severity === 'attention');
    const warnings = all().filter(
      (i) => i.severity === 'warning' && !(i.kind === 'secret' && i.state === 'disabled'),
    );
    expect(await page.locator('#attention tbody tr').count()).toBe(attention.length);
    expect(await page.locator('#warnings tbody tr').count()).toBe(warnings.length);
    for (const item of attention)
      expect(await page.locator('#attention tbody tr', { hasText: label(item) }).count()).toBe(1);

    // Broken now (stuck and failed rotations, a disabled key behind its alias) before anything
    // with a date; then the dates in order.
    const deadlines = (await column(page, 'attention', 3)).map((d) => (d === 'now' ? '' : d.slice(0, 10)));
    const firstDated = deadlines.findIndex((d) => d !== '');
    expect(firstDated).toBeGreaterThanOrEqual(3);
    expect(deadlines.slice(firstDated).every((d) => d !== '')).toBe(true);
    expect(deadlines.slice(firstDated)).toEqual([...deadlines.slice(firstDated)].sort());
    const what = await column(page, 'attention', 1);
    for (const name of [demo.secrets.stuck, demo.secrets.failed, demo.keys.legacy.alias])
      expect(what.findIndex((w) => w.includes(name))).toBeLessThan(firstDated);

    const warningDates = (await column(page, 'warnings', 3)).map((d) => d.slice(0, 10));
    expect(warningDates).toEqual([...warningDates].sort());
    // Each finding says what to do.
    for (const todo of [...(await column(page, 'attention', 4)), ...(await column(page, 'warnings', 4))])
      expect(todo.length).toBeGreaterThan(20);
  });

  it('shows secrets with rotation off as their own list, not as warnings', async () => {
    const page = await open(1280);
    const unrotated = report.secrets.filter((s) => s.state === 'disabled' && s.severity === 'warning');
    expect(unrotated.length).toBe(UNROTATED_SECRETS + 1);
    expect(await page.locator('#warnings tbody tr', { hasText: 'Rotation off' }).count()).toBe(0);
    expect(await page.locator('#warnings', { hasText: demo.secrets.neverRotated }).count()).toBe(0);
    expect(await page.locator('#unrotated tbody tr').count()).toBe(unrotated.length);
    expect(await page.locator('.card[data-category="unrotated"] .n').textContent()).toBe(
      String(unrotated.length),
    );
    const warningCard = Number(await page.locator('.card[data-category="warning"] .n').textContent());
    expect(warningCard).toBe(await page.locator('#warnings tbody tr').count());
  });

  it('folds the healthy items behind their count', async () => {
    const page = await open(1280);
    const healthy = all().filter((i) => i.severity === 'ok');
    expect(healthy.length).toBeGreaterThanOrEqual(HEALTHY_CERTIFICATES);
    const details = page.locator('#healthy-list');
    expect(await details.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
    expect(await details.locator('summary').textContent()).toContain(
      `Show the ${healthy.length} healthy items`,
    );
    expect(await page.locator('#healthy-certificates').isVisible()).toBe(false);
    // Folded, the page stays short: the findings, timeline and lists fit in a few screens.
    const folded = await page.evaluate(
      () =>
        (globalThis as unknown as { document: { body: { scrollHeight: number } } }).document.body
          .scrollHeight,
    );
    expect(folded).toBeLessThan(4000);

    await details.locator('summary').click();
    expect(await page.locator('#healthy-certificates').isVisible()).toBe(true);
    expect(await page.locator('#healthy-certificates tbody tr').count()).toBe(
      healthy.filter((i) => i.kind === 'certificate').length,
    );
    expect(await page.locator('#healthy-secrets tbody tr').count()).toBe(
      healthy.filter((i) => i.kind === 'secret').length,
    );
  });

  it('draws only the findings on the timeline, today between the overdue key and the future expiry', async () => {
    const page = await open(1280);
    const marks = page.locator('#timeline .mark');
    expect(await marks.count()).toBeGreaterThan(5);
    expect(await page.locator('#timeline .mark[data-severity="ok"]').count()).toBe(0);
    expect(await page.locator('#timeline .mark[data-kind="key"]').count()).toBeGreaterThan(0);

    const present = <T>(value: T | null, what: string): T => {
      if (value === null) throw new Error(`${what} is not on the page`);
      return value;
    };
    const todayBox = present(await page.locator('#timeline .today line').boundingBox(), 'the today marker');
    const overdueKey = report.keys.find((k) => k.state === 'overdue');
    const keyBox = present(
      await page
        .locator(`#timeline .mark[data-kind="key"][data-date="${overdueKey?.nextRotation.slice(0, 10)}"]`)
        .boundingBox(),
      'the overdue key mark',
    );
    const imported = report.certificates.find((c) => c.arn === demo.certificates.imported);
    const certBox = present(
      await page
        .locator(`#timeline .mark[data-kind="certificate"][data-date="${imported?.notAfter?.slice(0, 10)}"]`)
        .boundingBox(),
      'the imported certificate mark',
    );
    expect(keyBox.x + keyBox.width / 2).toBeLessThan(todayBox.x);
    expect(certBox.x + certBox.width / 2).toBeGreaterThan(todayBox.x + todayBox.width);

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
  });

  it('says nothing only a command-line user would understand', async () => {
    const page = await open(1280);
    await page.locator('#healthy-list summary').click();
    await page.locator('#unrotated-list summary').click();
    const words = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    expect(words).not.toMatch(/exit code/i);
    // No command-line option (--period-days, --alias-prefix ...) and no raw finding class alone.
    expect(words).not.toMatch(/(^|\s)--[a-z]/);
    expect(words).toContain('need attention now');
  });

  for (const width of [1280, 1920]) {
    it(`clips no column and overflows no panel at ${width} px, folded and open`, async () => {
      const page = await open(width);
      const problems = () =>
        page.evaluate(() => {
          const doc = (globalThis as unknown as PageGlobal).document;
          const found: string[] = [];
          if (doc.documentElement.scrollWidth > doc.documentElement.clientWidth)
            found.push(`page ${doc.documentElement.scrollWidth} px wide`);
          for (const panel of doc.querySelectorAll('.panel')) {
            if (panel.scrollWidth > panel.clientWidth + 1)
              found.push(`panel of ${panel.querySelector('table, svg, p')?.id || '?'} scrolls`);
            const right = panel.getBoundingClientRect().right;
            for (const table of panel.querySelectorAll('table')) {
              if (table.getBoundingClientRect().right > right + 0.5)
                found.push(`table ${table.id} sticks out`);
            }
          }
          for (const cell of doc.querySelectorAll('th, td')) {
            // A cell in a folded list has no box; one with content wider than itself is clipped.
            if (cell.getBoundingClientRect().width > 0 && cell.scrollWidth > cell.clientWidth + 1)
              found.push(`cell '${(cell.textContent ?? '').slice(0, 40)}' is clipped`);
          }
          return found;
        });
      expect(await problems()).toEqual([]);
      expect(await page.locator('#attention tbody tr').first().isVisible()).toBe(true);

      await mkdir(DIST, { recursive: true });
      const shot = join(DIST, `status-report-${width}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      const png = await readFile(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(width);
      if (width === 1280 && process.env.REKEY_UPDATE_SCREENSHOT === '1')
        await copyFile(shot, DOCS_SCREENSHOT);

      await page.locator('#healthy-list summary').click();
      await page.locator('#unrotated-list summary').click();
      expect(await page.locator('#healthy-certificates').isVisible()).toBe(true);
      expect(await problems()).toEqual([]);
      // The lists opened: from the secrets with rotation off into the healthy certificates.
      const top = await page
        .locator('#unrotated-list')
        .evaluate(
          (el) =>
            (el as unknown as PageElement).getBoundingClientRect().top +
            (globalThis as unknown as { scrollY: number }).scrollY,
        );
      await page.screenshot({
        path: join(DIST, `status-report-${width}-open.png`),
        fullPage: true,
        clip: { x: 0, y: Math.max(0, top - 60), width, height: 1400 },
      });
    });
  }
});
