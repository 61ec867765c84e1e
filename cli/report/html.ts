/**
 * The HTML report of `rekey status --output html`: one self-contained page (inline CSS, inline
 * SVG, no script, no external asset) that can be mailed, archived or opened offline. It holds
 * names, ARNs, dates and version ids only: never a secret value.
 */
import { PERIOD_TAG } from './collect.js';
import {
  byUrgency,
  type Category,
  categoryOf,
  countByCategory,
  deadlineOf,
  itemLabel,
  type ReportItem,
  type Severity,
  type StatusReport,
  timelineDate,
} from './model.js';
import { day, plural, verdict } from './table.js';

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

/** Most rows the timeline draws; the rest of the findings are in the tables. */
export const MAX_TIMELINE_ROWS = 30;

/**
 * The expiry timeline of the findings: one row and one mark per item that needs something
 * (attention or warning) and has a date, the most urgent {@link MAX_TIMELINE_ROWS}, grouped by
 * kind, on a shared time axis with today marked and the certificate alert thresholds drawn as
 * bands after today. Healthy items and secrets with rotation off are left to the lists: drawn,
 * hundreds of healthy certificates pushed every key and secret below the fold.
 */
export const renderTimeline = (report: StatusReport): string => {
  const now = Date.parse(report.generatedAt);
  const flagged = [...report.certificates, ...report.keys, ...report.secrets]
    .filter((item) => categoryOf(item) === 'attention' || categoryOf(item) === 'warning')
    .sort(byUrgency);
  const datedFlagged = flagged
    // Broken now (a stuck rotation, an alias on a disabled key) is drawn at today, not at a
    // next-rotation date that no longer means anything.
    .map((item) => ({
      item,
      at: deadlineOf(item) === Number.NEGATIVE_INFINITY ? now : Date.parse(timelineDate(item) ?? ''),
    }))
    .filter((d) => !Number.isNaN(d.at));
  const drawn = datedFlagged.slice(0, MAX_TIMELINE_ROWS);
  const groups = (['certificate', 'key', 'secret'] as const).map((kind) => ({
    kind,
    dated: drawn.filter((d) => d.item.kind === kind).sort((a, b) => a.at - b.at),
  }));
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

  const counts = countByCategory(report);
  const undated = flagged.length - datedFlagged.length;
  const left = [
    datedFlagged.length > drawn.length
      ? `the ${datedFlagged.length - drawn.length} less urgent findings`
      : '',
    undated > 0 ? `${plural(undated, 'finding')} without a date` : '',
    counts.unrotated > 0 ? `${plural(counts.unrotated, 'secret')} with rotation off` : '',
    counts.ok > 0 ? `${counts.ok} healthy ${counts.ok === 1 ? 'item' : 'items'}` : '',
  ].filter(Boolean);
  if (drawn.length === 0) {
    return `<p class="empty" id="timeline-empty">Nothing to draw: no finding has a deadline.${left.length > 0 ? ` Not drawn: ${left.join(', ')}.` : ''}</p>`;
  }
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Expiry and rotation timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">
${parts.join('\n')}
</svg>
<p class="caption">Marks: <span class="shape">●</span> certificate expiry, <span class="shape">◆</span> key next rotation, <span class="shape">■</span> secret next rotation; colour is the status (<span style="color:${COLOR.ok}">ok</span>, <span style="color:${COLOR.warning}">warning</span>, <span style="color:${COLOR.attention}">needs attention</span>). Shaded bands after today are the certificate alert thresholds (${sorted.map((t) => `${t}d`).join(', ')}); grey is the past.${left.length > 0 ? ` Not drawn (see the lists): ${left.join(', ')}.` : ''}</p>`;
};

// ---------------------------------------------------------------------------------------------
// Tables and page

const code = (value: string) => `<code>${escapeHtml(value)}</code>`;
const text = (value: string) => escapeHtml(value);
const sub = (value: string) => `<span class="sub">${value}</span>`;

const BADGE_TEXT: Record<Severity, string> = { attention: 'act now', warning: 'warning', ok: 'ok' };
const badge = (severity: Severity) => `<span class="badge ${severity}">${BADGE_TEXT[severity]}</span>`;

/** Finding classes and states in words; the code the JSON and the alerts carry stays beside them. */
const FINDING_TEXT: Record<string, string> = {
  EXPIRED: 'Expired',
  IMPORTED: 'Imported: ACM cannot renew it',
  NOT_ELIGIBLE: 'Not eligible for renewal',
  PRIVATE_RENEWAL: 'Private: renew it yourself',
  RENEWAL_FAILED: 'Renewal failed',
  RENEWAL_PENDING_VALIDATION: 'Renewal waits for validation',
  MANAGED_RENEWAL_PENDING: 'Renewal not done yet',
  NOT_IN_SERVICE: 'Not in service',
  OK: 'Fine',
};
const KEY_STATE_TEXT: Record<string, string> = {
  disabled: 'Alias on a disabled key',
  'pending-deletion': 'Alias on a key pending deletion',
  unavailable: 'Key unusable',
  overdue: 'Rotation overdue',
  due: 'Rotation due',
  rotating: 'Rotating',
  healthy: 'Healthy',
};
const SECRET_STATE_TEXT: Record<string, string> = {
  stuck: 'Rotation stuck',
  failed: 'Last rotation failed',
  overdue: 'Rotation overdue',
  due: 'Rotation due',
  empty: 'No current value',
  disabled: 'Rotation off',
  rotating: 'Rotating',
  healthy: 'Healthy',
};
const TYPE_TEXT: Record<string, string> = {
  IMPORTED: 'imported',
  AMAZON_ISSUED: 'Amazon-issued',
  PRIVATE: 'private',
};

/** "in 12 days", "3 days ago", "today". */
const relative = (at: number, now: number): string => {
  const days = Math.floor((at - now) / DAY_MS);
  if (days === 0) return 'today';
  return days > 0 ? `in ${plural(days, 'day')}` : `${plural(-days, 'day')} ago`;
};

const finding = (item: ReportItem): string => {
  if (item.kind === 'certificate') {
    const words = FINDING_TEXT[item.finding] ?? item.finding;
    // <wbr> after each underscore: a long class such as RENEWAL_PENDING_VALIDATION wraps at a word.
    const codeText = text(item.finding).replaceAll('_', '_<wbr>');
    return `${text(words)}<br>${sub(`${codeText} · ${text(TYPE_TEXT[item.type] ?? item.type)}`)}`;
  }
  const words = (item.kind === 'key' ? KEY_STATE_TEXT : SECRET_STATE_TEXT)[item.state] ?? item.state;
  return text(words);
};

const deadline = (item: ReportItem, now: number): string => {
  const at = deadlineOf(item);
  if (at === Number.NEGATIVE_INFINITY) return 'now';
  if (at === Number.POSITIVE_INFINITY) return '-';
  const what = item.kind === 'certificate' ? 'expires' : 'rotation';
  return `${day(new Date(at).toISOString())}<br>${sub(`${what} ${relative(at, now)}`)}`;
};

const KIND_WORD = { certificate: 'Certificate', key: 'KMS key', secret: 'Secret' };

/** Kind (unless the table holds one kind), name, and the key or certificate id. */
const what = (item: ReportItem, multiRegion: boolean, showKind = true): string => {
  const id =
    item.kind === 'certificate'
      ? (item.arn.split('/').pop() ?? item.arn)
      : item.kind === 'key'
        ? item.keyId
        : null;
  return [
    showKind || multiRegion
      ? sub(
          [showKind ? KIND_WORD[item.kind] : '', multiRegion ? text(item.region) : '']
            .filter(Boolean)
            .join(' · '),
        )
      : '',
    `<span class="label">${text(itemLabel(item))}</span>`,
    id ? code(id) : '',
  ]
    .filter(Boolean)
    .join('<br>');
};

const todo = (item: ReportItem): string => {
  if (item.kind === 'certificate') return text(item.action);
  const pending =
    item.kind === 'secret' && item.pendingVersionId
      ? `<br>${sub(`AWSPENDING is on version ${code(item.pendingVersionId)}`)}`
      : '';
  return `${text(item.reason)}${pending}`;
};

/**
 * A table with fixed column widths (percentages): the page is laid out from the widths, never
 * from the content, so a long name or finding wraps inside its cell instead of pushing a
 * column off the panel.
 */
const table = (
  id: string,
  columns: readonly (readonly [heading: string, width: number])[],
  rows: readonly { category: Category; cells: readonly string[] }[],
): string =>
  `<table id="${id}"><colgroup>${columns.map(([, w]) => `<col style="width:${w}%">`).join('')}</colgroup>` +
  `<thead><tr>${columns.map(([h]) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>\n` +
  rows
    .map((r) => `<tr class="${r.category}">${r.cells.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n') +
  '\n</tbody></table>';

const FINDING_COLUMNS = [
  ['Status', 9],
  ['What', 24],
  ['Finding', 16],
  ['Deadline', 12],
  ['What to do', 39],
] as const;

const findingsTable = (id: string, items: readonly ReportItem[], now: number, multi: boolean) =>
  table(
    id,
    FINDING_COLUMNS,
    items.map((item) => ({
      category: categoryOf(item),
      cells: [badge(item.severity), what(item, multi), finding(item), deadline(item, now), todo(item)],
    })),
  );

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2933; background: #f5f7fa; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h2 .count { color: #52606d; font-weight: 500; }
.meta { color: #52606d; margin: 0 0 18px; }
.verdict { font-size: 15px; font-weight: 600; margin: 14px 0 0; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); border-top: 4px solid #9aa5b1; }
.card.ok { border-top-color: ${COLOR.ok}; } .card.warning { border-top-color: ${COLOR.warning}; } .card.attention { border-top-color: ${COLOR.attention}; } .card.unrotated { border-top-color: #7b8794; }
.card.none { opacity: .65; }
.card .n { font-size: 26px; font-weight: 650; } .card .l { color: #52606d; }
.panel { background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
.panel > p.lead { margin: 0 0 10px; color: #3e4c59; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; font-size: 12px; fill: #1f2933; }
svg text.group { font-weight: 650; font-size: 12.5px; fill: #3e4c59; }
svg text.tick, svg text.band-label { fill: #616e7c; font-size: 11px; }
svg text.date { fill: #3e4c59; font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg text.today-label { fill: #fff; font-weight: 600; font-size: 11.5px; }
.caption { color: #52606d; font-size: 12.5px; margin: 8px 0 0; }
.shape { color: #3e4c59; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e4e7eb; vertical-align: top; overflow-wrap: anywhere; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: #52606d; background: #f0f4f8; }
td .label { font-weight: 600; }
tr.attention td:first-child { box-shadow: inset 4px 0 0 ${COLOR.attention}; }
tr.warning td:first-child { box-shadow: inset 4px 0 0 ${COLOR.warning}; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #f0f4f8; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.ok { background: ${COLOR.ok}; } .badge.warning { background: ${COLOR.warning}; } .badge.attention { background: ${COLOR.attention}; }
.empty { color: #52606d; margin: 0; }
.sub { color: #616e7c; font-size: 12px; }
.errors { color: ${COLOR.attention}; }
details > summary { cursor: pointer; font-weight: 600; color: #1f2933; padding: 2px 0; }
details[open] > summary { margin-bottom: 10px; }
details h3 { font-size: 14px; margin: 14px 0 6px; color: #3e4c59; }
`;

/**
 * Renders the whole page for a reader who may never run the command: a verdict and four counts
 * (act now, warnings, secrets with rotation off, healthy), the findings most urgent first with
 * what to do, the timeline of the findings, the secrets with rotation off as their own list, and
 * every healthy item folded behind its count. Every value from AWS is escaped.
 */
export const renderHtml = (report: StatusReport): string => {
  const now = Date.parse(report.generatedAt);
  const multi = report.regions.length > 1;
  const all = [...report.certificates, ...report.keys, ...report.secrets].sort(byUrgency);
  const inCategory = (c: Category) => all.filter((item) => categoryOf(item) === c);
  const attention = inCategory('attention');
  const warnings = inCategory('warning');
  const unrotated = inCategory('unrotated');
  const healthy = inCategory('ok');
  const count = (items: readonly ReportItem[], kind: ReportItem['kind']) =>
    items.filter((i) => i.kind === kind).length;
  const kinds = (items: readonly ReportItem[]) =>
    [
      plural(count(items, 'certificate'), 'certificate'),
      plural(count(items, 'key'), 'key'),
      plural(count(items, 'secret'), 'secret'),
    ].join(', ');

  const card = (category: Category, n: number, label: string) =>
    `<div class="card ${n === 0 ? 'none' : category}" data-category="${category}"><div class="n">${n}</div><div class="l">${escapeHtml(label)}</div></div>`;

  const attentionPanel =
    attention.length === 0
      ? '<p class="empty">Nothing needs attention now.</p>'
      : findingsTable('attention', attention, now, multi);
  const warningPanel =
    warnings.length === 0
      ? '<p class="empty">No warnings.</p>'
      : findingsTable('warnings', warnings, now, multi);
  const unrotatedPanel =
    unrotated.length === 0
      ? '<p class="empty">Every secret has rotation on.</p>'
      : `<details id="unrotated-list"><summary>Show the ${plural(unrotated.length, 'secret')} with rotation off</summary>
<p class="lead">These keep their value until someone changes it. That may be intended (a credential another system owns); if not, turn rotation on with the rekey rotation function.</p>
${table(
  'unrotated',
  [
    ['Secret', 40],
    ['Last rotated', 20],
    ['Why', 40],
  ],
  unrotated.map((item) => ({
    category: 'unrotated' as const,
    cells: [
      `<span class="label">${text(itemLabel(item))}</span>${multi ? `<br>${sub(text(item.region))}` : ''}`,
      item.kind === 'secret' ? day(item.lastRotatedDate) : '-',
      todo(item),
    ],
  })),
)}</details>`;

  const isHealthy = (item: ReportItem) => categoryOf(item) === 'ok';
  /** One kind's healthy items: the name and its date first, then two columns of its own. */
  const healthyTable = <T extends ReportItem>(
    kind: string,
    title: string,
    items: readonly T[],
    headings: readonly [name: string, date: string, third: string, fourth: string],
    cells: (item: T) => [string, string],
  ) =>
    items.length === 0
      ? ''
      : `<h3>${title}</h3>${table(
          `healthy-${kind}`,
          headings.map((h, i) => [h, [38, 22, 20, 20][i] ?? 20] as const),
          items.map((item) => ({
            category: 'ok' as const,
            cells: [what(item, multi, false), deadline(item, now), ...cells(item)],
          })),
        )}`;
  const healthyPanel =
    healthy.length === 0
      ? '<p class="empty">No healthy items.</p>'
      : `<details id="healthy-list"><summary>Show the ${healthy.length} healthy ${healthy.length === 1 ? 'item' : 'items'} (${kinds(healthy)})</summary>
${healthyTable(
  'certificates',
  'Certificates',
  report.certificates.filter(isHealthy).sort(byUrgency),
  ['Domain', 'Expires', 'Type', 'Key'],
  (c) => [
    text(
      `${c.finding === 'OK' ? '' : `${FINDING_TEXT[c.finding] ?? c.finding}, `}${TYPE_TEXT[c.type] ?? c.type}`,
    ),
    text(c.keyAlgorithm ?? '-'),
  ],
)}${healthyTable(
  'keys',
  'KMS keys',
  report.keys.filter(isHealthy).sort(byUrgency),
  ['Alias and key', 'Next rotation', 'Key spec', 'Age'],
  (k) => [text(k.keySpec), plural(k.ageDays, 'day')],
)}${healthyTable(
  'secrets',
  'Secrets',
  report.secrets.filter(isHealthy).sort(byUrgency),
  ['Secret', 'Next rotation', 'Last rotated', 'State'],
  (x) => [day(x.lastRotatedDate), finding(x)],
)}</details>`;

  const errors =
    report.errors.length === 0
      ? ''
      : `<h2>Could not read</h2><div class="panel"><p class="lead">These parts are missing from the report; what is shown is still valid.</p><ul class="errors">${report.errors.map((e) => `<li>${text(`${SERVICE_TEXT[e.service]} in ${e.region}: ${e.message}`)}</li>`).join('')}</ul></div>`;
  const assumedPeriod = report.keys.some((k) => k.periodSource === 'option' && categoryOf(k) !== 'ok')
    ? `<p class="caption">A key without a ${PERIOD_TAG} tag is given the default period (${report.keys.find((k) => k.periodSource === 'option')?.periodDays ?? 365} days) to compute its next rotation.</p>`
    : '';
  const counts = countByCategory(report);
  const iamUsers = report.iamUsers ?? [];
  const iamPanel =
    iamUsers.length === 0
      ? '<p class="empty">No rotated secret holds an IAM access key.</p>'
      : table(
          'iam-users',
          [
            ['IAM user', 30],
            ['Access keys (age)', 35],
            ['Why', 35],
          ],
          iamUsers.map((u) => ({
            category: u.severity,
            cells: [
              `<span class="label">${text(u.userName)}</span><br>${sub(text(u.secrets.join(', ')))}`,
              u.keys.map((k) => text(`${k.accessKeyId} ${k.status} ${k.ageDays ?? '?'} days`)).join('<br>'),
              text(u.reason),
            ],
          })),
        );

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
<p class="meta">Generated ${text(report.generatedAt.replace('T', ' ').slice(0, 16))} UTC · ${multi ? 'Regions' : 'Region'} ${text(report.regions.join(', '))} · ${kinds(all)} checked</p>
<div class="cards">
${card('attention', counts.attention, 'need attention now')}
${card('warning', counts.warning, `${counts.warning === 1 ? 'warning' : 'warnings'}: handle before the deadline`)}
${card('unrotated', counts.unrotated, `${counts.unrotated === 1 ? 'secret' : 'secrets'} with rotation off`)}
${card('ok', counts.ok, 'healthy')}
</div>
<p class="verdict" id="summary">${text(verdict(report, 'page'))}</p>
${errors}
<h2>Needs attention now <span class="count">(${attention.length})</span></h2>
<div class="panel">${attentionPanel}</div>
<h2>Warnings <span class="count">(${warnings.length})</span></h2>
<div class="panel">${warningPanel}</div>
<h2>Timeline of the findings</h2>
<div class="panel">${renderTimeline(report)}${assumedPeriod}</div>
<h2>Secrets with rotation off <span class="count">(${unrotated.length})</span></h2>
<div class="panel">${unrotatedPanel}</div>
<h2>IAM access keys <span class="count">(${iamUsers.length})</span></h2>
<div class="panel">${iamPanel}</div>
<h2>Healthy <span class="count">(${healthy.length})</span></h2>
<div class="panel">${healthyPanel}</div>
</main>
</body>
</html>
`;
};

const SERVICE_TEXT = {
  secretsmanager: 'Secrets Manager',
  kms: 'KMS',
  acm: 'Certificate Manager',
  iam: 'IAM',
};
