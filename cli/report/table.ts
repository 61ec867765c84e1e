import type { Severity, StatusReport } from './model.js';

const MARK: Record<Severity, string> = { attention: '!!', warning: '!', ok: 'ok' };

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

const counts = (c: Record<Severity, number>, noun: string): string => {
  const total = c.ok + c.warning + c.attention;
  const parts = [
    c.attention ? `${c.attention} needing attention` : '',
    c.warning ? `${c.warning} warning` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${total} ${noun}${parts ? ` (${parts})` : ''}`;
};

/** The one-line summary: counts per kind and what the exit code will say. */
export const summaryLine = (report: StatusReport): string => {
  const { summary } = report;
  const verdict =
    summary.attention > 0
      ? `${summary.attention} item(s) need attention (exit code 3).`
      : report.errors.length > 0
        ? 'Nothing needs attention in what could be read.'
        : 'All healthy.';
  return `${counts(summary.secrets, 'secret(s)')}, ${counts(summary.keys, 'key(s)')}, ${counts(summary.certificates, 'certificate(s)')}. ${verdict}`;
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
          MARK[s.severity],
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
          MARK[k.severity],
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
          MARK[c.severity],
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

  const notes = [
    ...report.secrets
      .filter((s) => s.severity !== 'ok')
      .map((s) => [s.severity, `secret ${s.name}`, s.reason]),
    ...report.keys.filter((k) => k.severity !== 'ok').map((k) => [k.severity, `key ${k.alias}`, k.reason]),
    ...report.certificates
      .filter((c) => c.severity !== 'ok')
      .map((c) => [c.severity, `certificate ${c.domainName}`, c.action]),
  ];
  if (notes.length > 0) {
    out.push('', 'NOTES (!! needs attention, ! warning)');
    for (const [severity, what, why] of notes)
      out.push(`  ${MARK[severity as Severity].padEnd(2)} ${what}: ${why}`);
  }
  if (report.errors.length > 0) {
    out.push('', 'ERRORS (these parts are missing from the report)');
    for (const e of report.errors) out.push(`  ${e.service} in ${e.region}: ${e.message}`);
  }
  out.push('', summaryLine(report));
  return `${out.join('\n')}\n`;
};
