import {
  byUrgency,
  type Category,
  categoryOf,
  countByCategory,
  itemLabel,
  type StatusReport,
} from './model.js';

/** The first column: `-` is a secret with rotation off, its own category rather than a warning. */
const MARK: Record<Category, string> = { attention: '!!', warning: '!', unrotated: '-', ok: 'ok' };

/** Aligns rows into columns two spaces apart; the first row is the heading. */
export const alignColumns = (rows: readonly (readonly string[])[]): string => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** `2026-03-01` from an ISO date; `-` for none. */
export const day = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : '-');

/** `1 certificate`, `3 certificates`. */
export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * The verdict, consistent with the counts in front of it: "All healthy." only when nothing is
 * flagged at all. `page` words it for a reader of the HTML report (no exit codes).
 */
export const verdict = (report: StatusReport, audience: 'terminal' | 'page' = 'terminal'): string => {
  const c = countByCategory(report);
  const later = [
    c.warning
      ? `${plural(c.warning, 'warning')} to handle before ${c.warning === 1 ? 'its' : 'their'} deadline`
      : '',
    c.unrotated ? `${plural(c.unrotated, 'secret')} with rotation off` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const unread = report.errors.length > 0;
  if (c.attention > 0) {
    const now = `${c.attention} ${c.attention === 1 ? 'item needs' : 'items need'} attention now`;
    return `${now}${audience === 'terminal' ? ' (exit code 3)' : ''}${later ? `; ${later}` : ''}.`;
  }
  const scope = unread ? 'in what could be read' : 'now';
  if (later) return `Nothing needs attention ${scope}; ${later}.`;
  return unread ? 'Nothing needs attention in what could be read.' : 'All healthy.';
};

/** The one-line summary: what was checked, then the verdict. */
export const summaryLine = (report: StatusReport, audience: 'terminal' | 'page' = 'terminal'): string => {
  const checked = [
    plural(report.secrets.length, 'secret'),
    plural(report.keys.length, 'key'),
    plural(report.certificates.length, 'certificate'),
    ...((report.iamUsers ?? []).length > 0 ? [plural(report.iamUsers.length, 'IAM user')] : []),
  ].join(', ');
  return `Checked ${checked}. ${verdict(report, audience)}`;
};

/**
 * Renders the report for people: one aligned table per kind (most urgent first), the reasons
 * for every item that is not ok, and a summary line. Secrets appear by name and version id only.
 */
export const renderTable = (report: StatusReport): string => {
  const out: string[] = [];
  const multiRegion = report.regions.length > 1;
  const region = (r: string) => (multiRegion ? [r] : []);
  const regionHead = multiRegion ? ['REGION'] : [];

  out.push(`SECRETS (${report.secrets.length})`);
  if (report.secrets.length === 0) out.push('  none');
  else
    out.push(
      alignColumns([
        [
          '',
          'STATE',
          'SECRET',
          'ROTATION',
          'LAST ROTATED',
          'NEXT ROTATION',
          'PENDING VERSION',
          ...regionHead,
        ],
        ...report.secrets.map((s) => [
          MARK[categoryOf(s)],
          s.state,
          s.name,
          s.rotationEnabled ? 'on' : 'off',
          day(s.lastRotatedDate),
          day(s.nextRotationDate),
          s.pendingVersionId ?? '-',
          ...region(s.region),
        ]),
      ]),
    );

  out.push('', `KEYS (${report.keys.length})`);
  if (report.keys.length === 0) out.push('  none (no alias whose key has rekey tags; see --alias-prefix)');
  else
    out.push(
      alignColumns([
        [
          '',
          'STATE',
          'ALIAS',
          'KEY ID',
          'KEY SPEC',
          'AGE',
          'LAST ROTATION',
          'NEXT ROTATION',
          'KEY STATE',
          ...regionHead,
        ],
        ...report.keys.map((k) => [
          MARK[categoryOf(k)],
          k.state,
          k.alias,
          k.keyId,
          k.keySpec,
          `${k.ageDays}d`,
          day(k.lastRotation),
          day(k.nextRotation),
          k.keyState,
          ...region(k.region),
        ]),
      ]),
    );

  out.push('', `CERTIFICATES (${report.certificates.length})`);
  if (report.certificates.length === 0) out.push('  none');
  else
    out.push(
      alignColumns([
        [
          '',
          'FINDING',
          'DAYS',
          'DOMAIN',
          'TYPE',
          'STATUS',
          'KEY',
          'EXPIRES',
          'CERTIFICATE ID',
          ...regionHead,
        ],
        ...report.certificates.map((c) => [
          MARK[categoryOf(c)],
          c.finding,
          c.daysToExpiry === null ? '-' : String(c.daysToExpiry),
          c.domainName,
          c.type,
          c.status,
          c.keyAlgorithm ?? '-',
          day(c.notAfter),
          c.arn.split('/').pop() ?? c.arn,
          ...region(c.region),
        ]),
      ]),
    );

  const iamUsers = report.iamUsers ?? [];
  if (iamUsers.length > 0) {
    out.push('', `IAM ACCESS KEYS (${iamUsers.length} rotated ${iamUsers.length === 1 ? 'user' : 'users'})`);
    out.push(
      alignColumns([
        ['', 'USER', 'ACCESS KEY', 'STATUS', 'AGE', 'CREATED', 'HELD BY'],
        ...iamUsers.flatMap((u) =>
          (u.keys.length === 0 ? [undefined] : u.keys).map((k) => [
            k?.stale || (!k && u.severity !== 'ok') ? '!!' : 'ok',
            u.userName,
            k?.accessKeyId ?? '-',
            k?.status ?? '-',
            k?.ageDays === null || k === undefined ? '-' : `${k.ageDays}d`,
            day(k?.createDate),
            k && k.heldBy.length > 0 ? k.heldBy.join(', ') : '-',
          ]),
        ),
      ]),
    );
  }

  // Most urgent first; secrets with rotation off are one line of their own, not a warning each.
  const flagged = [...report.certificates, ...report.keys, ...report.secrets]
    .filter((item) => categoryOf(item) === 'attention' || categoryOf(item) === 'warning')
    .sort(byUrgency);
  if (flagged.length > 0) {
    out.push('', 'NOTES, most urgent first (!! needs attention now, ! warning)');
    for (const item of flagged) {
      const what = item.kind === 'certificate' ? item.domainName : itemLabel(item);
      const why = item.kind === 'certificate' ? item.action : item.reason;
      out.push(`  ${MARK[categoryOf(item)].padEnd(2)} ${item.kind} ${what}: ${why}`);
    }
  }
  const flaggedUsers = iamUsers.filter((u) => u.severity !== 'ok');
  if (flaggedUsers.length > 0) {
    if (flagged.length === 0) out.push('', 'NOTES, most urgent first (!! needs attention now, ! warning)');
    for (const u of flaggedUsers)
      out.push(`  ${MARK[u.severity].padEnd(2)} iam-user ${u.userName}: ${u.reason}`);
  }
  const unrotated = report.secrets.filter((s) => categoryOf(s) === 'unrotated');
  if (unrotated.length > 0) {
    const names = unrotated.slice(0, 5).map((s) => s.name);
    const more = unrotated.length > names.length ? ` and ${unrotated.length - names.length} more` : '';
    out.push(
      '',
      `ROTATION OFF (-): ${plural(unrotated.length, 'secret')} (${names.join(', ')}${more}) keep their value until someone changes it; turn rotation on where that is not intended.`,
    );
  }
  if (report.errors.length > 0) {
    out.push('', 'ERRORS (these parts are missing from the report)');
    for (const e of report.errors) out.push(`  ${e.service} in ${e.region}: ${e.message}`);
  }
  out.push('', summaryLine(report));
  return `${out.join('\n')}\n`;
};
