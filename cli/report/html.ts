/**
 * The HTML report of `rekey status --output html`: one self-contained page (inline CSS, inline
 * SVG, no script, no external asset) that can be mailed, archived or opened offline. It holds
 * names, ARNs, dates and version ids only: never a secret value.
 */
import { itemLabel, type ReportItem, type Severity, type StatusReport, timelineDate } from './model.js';
import { day, summaryLine } from './table.js';

const DAY_MS = 86_400_000;

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

const COLOR: Record<Severity, string> = { ok: '#2e7d32', warning: '#d17a00', attention: '#c62828' };
const SEVERITY_TEXT: Record<Severity, string> = { ok: 'ok', warning: 'warning', attention: 'attention' };
const KIND_TEXT = {
  certificate: 'Certificates (expiry)',
  key: 'Keys (next rotation)',
  secret: 'Secrets (next rotation)',
};

const truncate = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

// ---------------------------------------------------------------------------------------------
// Timeline

const WIDTH = 1100;
const LABEL_W = 270;
const PLOT_X0 = LABEL_W + 20;
const PLOT_X1 = WIDTH - 30;
const ROW_H = 24;
const HEAD_H = 56;
const GROUP_H = 26;

/** Month ticks (first of each month, UTC) between two times, thinned to at most ~12 labels. */
const monthTicks = (start: number, end: number): number[] => {
  const ticks: number[] = [];
  const d = new Date(start);
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  while (t <= end) {
    ticks.push(t);
    const n = new Date(t);
    t = Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + 1, 1);
  }
  const step = Math.max(1, Math.ceil(ticks.length / 12));
  return ticks.filter((_, i) => i % step === 0);
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const markShape = (item: ReportItem, x: number, y: number): string => {
  const fill = COLOR[item.severity];
  const stroke = 'stroke="#fff" stroke-width="1.5"';
  if (item.kind === 'certificate') return `<circle cx="${x}" cy="${y}" r="6.5" fill="${fill}" ${stroke}/>`;
  if (item.kind === 'key')
    return `<path d="M${x} ${y - 8}L${x + 8} ${y}L${x} ${y + 8}L${x - 8} ${y}Z" fill="${fill}" ${stroke}/>`;
  return `<rect x="${x - 6}" y="${y - 6}" width="12" height="12" rx="2" fill="${fill}" ${stroke}/>`;
};

/**
 * The expiry timeline: one row and one mark per item that has a date (certificate expiry, key
 * or secret next rotation), grouped by kind, on a shared time axis with today marked and the
 * certificate alert thresholds drawn as bands after today.
 */
export const renderTimeline = (report: StatusReport): string => {
  const now = Date.parse(report.generatedAt);
  const groups = (['certificate', 'key', 'secret'] as const).map((kind) => {
    const items: ReportItem[] =
      kind === 'certificate'
        ? [...report.certificates]
        : kind === 'key'
          ? [...report.keys]
          : [...report.secrets];
    const dated = items
      .map((item) => ({ item, at: Date.parse(timelineDate(item) ?? '') }))
      .filter((d) => !Number.isNaN(d.at))
      .sort((a, b) => a.at - b.at);
    return { kind, dated };
  });
  const all = groups.flatMap((g) => g.dated.map((d) => d.at));
  const maxThreshold = Math.max(0, ...report.thresholds);
  // The axis covers every item, but never more than about a year back and two ahead, so the
  // threshold bands stay readable; items beyond are pinned to the edge (their date is in the label).
  const start = Math.max(now - 400 * DAY_MS, Math.min(now - 14 * DAY_MS, ...all.map((t) => t - 10 * DAY_MS)));
  const end = Math.min(
    now + 800 * DAY_MS,
    Math.max(now + (maxThreshold + 15) * DAY_MS, ...all.map((t) => t + 10 * DAY_MS)),
  );
  const x = (t: number) =>
    PLOT_X0 + ((Math.min(end, Math.max(start, t)) - start) / (end - start)) * (PLOT_X1 - PLOT_X0);

  const rows = groups.filter((g) => g.dated.length > 0);
  const height = HEAD_H + rows.reduce((h, g) => h + GROUP_H + g.dated.length * ROW_H, 0) + 16;
  const plotBottom = height - 10;
  const parts: string[] = [];

  // Threshold bands: nearest first so each band is the span between two thresholds.
  const sorted = [...report.thresholds].sort((a, b) => a - b);
  const bandColors = ['#fdd9d7', '#fde4cf', '#feeccc', '#fff3cd', '#fff8e1', '#fffbef'];
  let previous = 0;
  sorted.forEach((t, i) => {
    const bx0 = x(now + previous * DAY_MS);
    const bx1 = x(now + t * DAY_MS);
    parts.push(
      `<rect class="band" x="${bx0.toFixed(1)}" y="${HEAD_H - 8}" width="${Math.max(0, bx1 - bx0).toFixed(1)}" height="${plotBottom - HEAD_H + 8}" fill="${bandColors[Math.min(i, bandColors.length - 1)]}"><title>${t} day threshold</title></rect>`,
    );
    previous = t;
  });
  // Band labels on the second header line, farthest first, skipping any that would collide.
  const placed: number[] = [];
  for (const t of [...sorted].reverse()) {
    const lx = x(now + t * DAY_MS);
    if (placed.every((p) => Math.abs(p - lx) >= 30) && Math.abs(lx - x(now)) >= 16) {
      parts.push(
        `<text class="band-label" x="${lx.toFixed(1)}" y="${HEAD_H - 14}" text-anchor="middle">${t}d</text>`,
      );
      placed.push(lx);
    }
  }
  // The past, shaded grey.
  parts.push(
    `<rect class="past" x="${PLOT_X0}" y="${HEAD_H - 8}" width="${(x(now) - PLOT_X0).toFixed(1)}" height="${plotBottom - HEAD_H + 8}" fill="#eceff1"><title>past: overdue or expired</title></rect>`,
  );
  // Month grid and labels.
  for (const tick of monthTicks(start, end)) {
    const tx = x(tick).toFixed(1);
    const d = new Date(tick);
    const label = d.getUTCMonth() === 0 ? `${MONTHS[0]} ${d.getUTCFullYear()}` : MONTHS[d.getUTCMonth()];
    parts.push(
      `<line x1="${tx}" y1="${HEAD_H - 8}" x2="${tx}" y2="${plotBottom}" stroke="#cfd8dc" stroke-width="1"/>`,
    );
    // The "today" badge owns the top line around today.
    if (Math.abs(x(tick) - x(now)) >= 44) {
      parts.push(`<text class="tick" x="${tx}" y="14" text-anchor="middle">${label}</text>`);
    }
  }

  // Today, above the bands and grid but under the rows' marks and dates, which stay readable.
  const tx = x(now).toFixed(1);
  parts.push(
    `<g class="today"><line x1="${tx}" y1="18" x2="${tx}" y2="${plotBottom}" stroke="#1a237e" stroke-width="2"/>` +
      `<rect x="${(x(now) - 24).toFixed(1)}" y="2" width="48" height="17" rx="3" fill="#1a237e"/>` +
      `<text class="today-label" x="${tx}" y="15" text-anchor="middle">today</text></g>`,
  );

  // Rows.
  let y = HEAD_H;
  for (const group of rows) {
    parts.push(`<text class="group" x="8" y="${y + 17}">${escapeHtml(KIND_TEXT[group.kind])}</text>`);
    y += GROUP_H;
    group.dated.forEach(({ item, at }, i) => {
      const cy = y + ROW_H / 2;
      if (i % 2 === 0)
        parts.push(
          `<rect x="0" y="${y}" width="${WIDTH}" height="${ROW_H}" fill="#37474f" fill-opacity="0.04"/>`,
        );
      const label = itemLabel(item);
      const mx = x(at);
      const date = day(new Date(at).toISOString());
      const dateText = `${date}${at < start || at > end ? ' (off scale)' : ''}`;
      const right = mx < PLOT_X1 - 110;
      parts.push(
        `<text class="label" x="20" y="${cy + 4}">${escapeHtml(truncate(label, 38))}<title>${escapeHtml(label)}</title></text>`,
        `<g class="mark" data-kind="${item.kind}" data-severity="${item.severity}" data-date="${date}">` +
          `<title>${escapeHtml(`${label}: ${date} (${SEVERITY_TEXT[item.severity]})`)}</title>${markShape(item, mx, cy)}</g>`,
        `<text class="date" x="${(right ? mx + 12 : mx - 12).toFixed(1)}" y="${cy + 4}" text-anchor="${right ? 'start' : 'end'}">${escapeHtml(dateText)}</text>`,
      );
      y += ROW_H;
    });
  }

  const missing =
    report.secrets.length +
    report.keys.length +
    report.certificates.length -
    groups.reduce((n, g) => n + g.dated.length, 0);
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Expiry and rotation timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
${parts.join('\n')}
</svg>
<p class="caption">Marks: <span class="shape">●</span> certificate expiry, <span class="shape">◆</span> key next rotation, <span class="shape">■</span> secret next rotation; colour is the status (<span style="color:${COLOR.ok}">ok</span>, <span style="color:${COLOR.warning}">warning</span>, <span style="color:${COLOR.attention}">needs attention</span>). Shaded bands after today are the certificate alert thresholds (${sorted.map((t) => `${t}d`).join(', ')}); grey is the past.${missing > 0 ? ` ${missing} item(s) without a date (rotation off or no schedule) are in the tables only.` : ''}</p>`;
};

// ---------------------------------------------------------------------------------------------
// Tables and page

const badge = (severity: Severity, text: string) =>
  `<span class="badge ${severity}">${escapeHtml(text)}</span>`;

/** A table column: heading and cell class (`nowrap` for ids and dates, `why` for sentences). */
type Column = readonly [heading: string, cls?: 'nowrap' | 'why' | 'name'];

const table = (
  id: string,
  columns: readonly Column[],
  rows: { severity: Severity; cells: string[] }[],
  empty: string,
) =>
  rows.length === 0
    ? `<p class="empty">${escapeHtml(empty)}</p>`
    : `<table id="${id}"><thead><tr>${columns.map(([h, cls]) => `<th${cls ? ` class="${cls}"` : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((r) => `<tr class="${r.severity}">${r.cells.map((c, i) => `<td${columns[i]?.[1] ? ` class="${columns[i]?.[1]}"` : ''}>${c}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;

const code = (text: string) => `<code>${escapeHtml(text)}</code>`;
const text = (value: string) => escapeHtml(value);

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2933; background: #f5f7fa; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: #52606d; margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); border-top: 4px solid #9aa5b1; }
.card.ok { border-top-color: ${COLOR.ok}; } .card.warning { border-top-color: ${COLOR.warning}; } .card.attention { border-top-color: ${COLOR.attention}; }
.card .n { font-size: 26px; font-weight: 650; } .card .l { color: #52606d; }
.panel { background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; font-size: 12px; fill: #1f2933; }
svg text.group { font-weight: 650; font-size: 12.5px; fill: #3e4c59; }
svg text.tick, svg text.band-label { fill: #616e7c; font-size: 11px; }
svg text.date { fill: #3e4c59; font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg text.today-label { fill: #fff; font-weight: 600; font-size: 11.5px; }
.caption { color: #52606d; font-size: 12.5px; margin: 8px 0 0; }
.shape { color: #3e4c59; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: #52606d; background: #f0f4f8; }
td.why { color: #3e4c59; min-width: 260px; overflow-wrap: anywhere; }
td.nowrap { white-space: nowrap; }
td.name { min-width: 180px; overflow-wrap: anywhere; }
td.nowrap code { word-break: normal; }
tr.attention td:first-child { box-shadow: inset 4px 0 0 ${COLOR.attention}; }
tr.warning td:first-child { box-shadow: inset 4px 0 0 ${COLOR.warning}; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #f0f4f8; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.ok { background: ${COLOR.ok}; } .badge.warning { background: ${COLOR.warning}; } .badge.attention { background: ${COLOR.attention}; }
.empty { color: #52606d; }
.sub { color: #616e7c; font-size: 12px; }
.errors { color: ${COLOR.attention}; }
`;

/**
 * Renders the whole page: summary cards, the timeline, then one table per kind with the reason
 * for each item. Every value from AWS is escaped.
 */
export const renderHtml = (report: StatusReport): string => {
  const s = report.summary;
  const total = (c: Record<Severity, number>) => c.ok + c.warning + c.attention;
  const worst = (c: Record<Severity, number>): Severity =>
    c.attention ? 'attention' : c.warning ? 'warning' : 'ok';
  const card = (label: string, c: Record<Severity, number>) =>
    `<div class="card ${worst(c)}"><div class="n">${total(c)}</div><div class="l">${escapeHtml(label)}${c.attention ? `, ${c.attention} needing attention` : c.warning ? `, ${c.warning} with a warning` : ', all ok'}</div></div>`;
  const attention = s.attention > 0 ? 'attention' : 'ok';

  // The Region column only when the report covers more than one.
  const multi = report.regions.length > 1;
  const regionColumn: Column[] = multi ? [['Region', 'nowrap']] : [];
  const region = (r: string) => (multi ? [text(r)] : []);
  const secrets = table(
    'secrets',
    [
      ['Status', 'nowrap'],
      ['Secret', 'name'],
      ['State', 'nowrap'],
      ['Rotation'],
      ['Last rotated', 'nowrap'],
      ['Next rotation', 'nowrap'],
      ...regionColumn,
      ['Why', 'why'],
    ],
    report.secrets.map((x) => ({
      severity: x.severity,
      cells: [
        badge(x.severity, x.severity),
        text(x.name),
        `${text(x.state)}${x.pendingVersionId ? `<br><span class="sub">AWSPENDING on</span><br>${code(x.pendingVersionId)}` : ''}`,
        x.rotationEnabled ? 'on' : 'off',
        day(x.lastRotatedDate),
        day(x.nextRotationDate),
        ...region(x.region),
        text(x.reason),
      ],
    })),
    'No secrets matched.',
  );
  const keys = table(
    'keys',
    [
      ['Status', 'nowrap'],
      ['Alias and key id', 'nowrap'],
      ['State', 'nowrap'],
      ['Key spec', 'nowrap'],
      ['Age', 'nowrap'],
      ['Last rotation', 'nowrap'],
      ['Next rotation', 'nowrap'],
      ...regionColumn,
      ['Why', 'why'],
    ],
    report.keys.map((x) => ({
      severity: x.severity,
      cells: [
        badge(x.severity, x.severity),
        `${text(x.alias)}<br>${code(x.keyId)}`,
        `${text(x.state)}${x.state === x.keyState.toLowerCase() || x.keyState === 'Enabled' ? '' : `<br><span class="sub">${text(x.keyState)}</span>`}`,
        text(x.keySpec),
        `${x.ageDays} d`,
        day(x.lastRotation),
        `${day(x.nextRotation)}${x.periodSource === 'tag' ? '' : ' *'}`,
        ...region(x.region),
        text(x.reason),
      ],
    })),
    'No managed aliases (no alias whose key has rekey tags; use --alias-prefix to include others).',
  );
  const certificates = table(
    'certificates',
    [
      ['Status', 'nowrap'],
      ['Domain and certificate id', 'nowrap'],
      ['Finding', 'nowrap'],
      ['Days left', 'nowrap'],
      ['Expires', 'nowrap'],
      ['Type', 'nowrap'],
      ['Key', 'nowrap'],
      ...regionColumn,
      ['What to do', 'why'],
    ],
    report.certificates.map((x) => ({
      severity: x.severity,
      cells: [
        badge(x.severity, x.severity),
        `${text(x.domainName)}<br>${code(x.arn.split('/').pop() ?? x.arn)}`,
        `${text(x.finding)}${x.status === 'ISSUED' ? '' : `<br><span class="sub">${text(x.status)}</span>`}`,
        x.daysToExpiry === null ? '-' : String(x.daysToExpiry),
        day(x.notAfter),
        text(x.type),
        text(x.keyAlgorithm ?? '-'),
        ...region(x.region),
        text(x.action),
      ],
    })),
    'No certificates.',
  );
  const errors =
    report.errors.length === 0
      ? ''
      : `<h2>Could not read</h2><ul class="errors">${report.errors.map((e) => `<li>${text(`${e.service} in ${e.region}: ${e.message}`)}</li>`).join('')}</ul>`;
  const optionPeriod = report.keys.some((k) => k.periodSource === 'option')
    ? '<p class="caption">* next rotation from the --period-days option (the key has no rekey:rotation-period-days tag).</p>'
    : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rekey status: ${text(report.regions.join(', '))}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Rotation health</h1>
<p class="meta">Generated ${text(report.generatedAt.replace('T', ' ').slice(0, 16))} UTC · Regions ${text(report.regions.join(', '))} · report version ${report.version}</p>
<div class="cards">
${card('secrets', s.secrets)}
${card('keys', s.keys)}
${card('certificates', s.certificates)}
<div class="card ${attention}"><div class="n">${s.attention}</div><div class="l">need attention</div></div>
</div>
<p class="meta" id="summary">${text(summaryLine(report))}</p>
<h2>Timeline</h2>
<div class="panel">${renderTimeline(report)}</div>
${errors}
<h2>Certificates</h2>
<div class="panel">${certificates}</div>
<h2>Keys</h2>
<div class="panel">${keys}${optionPeriod}</div>
<h2>Secrets</h2>
<div class="panel">${secrets}</div>
</main>
</body>
</html>
`;
};
