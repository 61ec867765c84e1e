/**
 * The words of the status report for edge cases the demo accounts do not reach: the verdict
 * agrees with the counts in front of it (warnings are never "All healthy"), the page version
 * carries no exit code, and a healthy or empty account still gets a sensible page.
 */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../cli/report/html.js';
import {
  type CertificateStatus,
  countBySeverity,
  type SecretStatus,
  STATUS_REPORT_VERSION,
  type StatusReport,
} from '../../../cli/report/model.js';
import { renderTable, summaryLine } from '../../../cli/report/table.js';

const NOW = '2026-06-01T00:00:00.000Z';

const secret = (name: string, state: string, severity: SecretStatus['severity']): SecretStatus => ({
  kind: 'secret',
  region: 'eu-west-1',
  name,
  arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`,
  rotationEnabled: state !== 'disabled',
  rotationLambdaArn: null,
  lastRotatedDate: null,
  nextRotationDate: state === 'healthy' ? '2026-06-20T00:00:00.000Z' : null,
  state,
  severity,
  reason: `${name} is ${state}.`,
  pendingVersionId: null,
});

const certificate = (domainName: string, days: number, severity: CertificateStatus['severity']) =>
  ({
    kind: 'certificate',
    region: 'eu-west-1',
    arn: `arn:aws:acm:eu-west-1:123456789012:certificate/${domainName}`,
    domainName,
    type: 'IMPORTED',
    status: 'ISSUED',
    keyAlgorithm: 'RSA_2048',
    notAfter: new Date(Date.parse(NOW) + days * 86_400_000).toISOString(),
    daysToExpiry: days,
    threshold: severity === 'ok' ? null : 14,
    renewalStatus: null,
    finding: severity === 'ok' ? 'OK' : 'IMPORTED',
    severity,
    action: severity === 'ok' ? 'Nothing to do yet.' : 'Reissue it at its CA and re-import it.',
  }) satisfies CertificateStatus;

const report = (secrets: SecretStatus[], certificates: CertificateStatus[], errors = 0): StatusReport => {
  const summary = {
    secrets: countBySeverity(secrets),
    keys: countBySeverity([]),
    certificates: countBySeverity(certificates),
    iamUsers: countBySeverity([]),
  };
  const attention = summary.secrets.attention + summary.certificates.attention;
  return {
    version: STATUS_REPORT_VERSION,
    generatedAt: NOW,
    regions: ['eu-west-1'],
    thresholds: [45, 30, 14, 7, 3, 1],
    summary: { ...summary, attention, healthy: attention === 0 && errors === 0 },
    secrets,
    keys: [],
    certificates,
    iamUsers: [],
    errors: Array.from({ length: errors }, () => ({
      region: 'eu-west-1',
      service: 'kms' as const,
      message: 'AccessDeniedException: not allowed',
    })),
  };
};

describe('the summary line', () => {
  it('says All healthy only when nothing at all is flagged', () => {
    expect(summaryLine(report([secret('a', 'healthy', 'ok')], [certificate('w.example', 200, 'ok')]))).toBe(
      'Checked 1 secret, 0 keys, 1 certificate. All healthy.',
    );
    expect(summaryLine(report([], [certificate('w.example', 10, 'warning')]))).toBe(
      'Checked 0 secrets, 0 keys, 1 certificate. Nothing needs attention now; 1 warning to handle before its deadline.',
    );
    expect(summaryLine(report([secret('legacy', 'disabled', 'warning')], []))).toBe(
      'Checked 1 secret, 0 keys, 0 certificates. Nothing needs attention now; 1 secret with rotation off.',
    );
  });

  it('names the exit code in the terminal and not on the page, and hedges when a part could not be read', () => {
    const broken = report([secret('s', 'stuck', 'attention'), secret('t', 'stuck', 'attention')], []);
    expect(summaryLine(broken)).toBe(
      'Checked 2 secrets, 0 keys, 0 certificates. 2 items need attention now (exit code 3).',
    );
    expect(summaryLine(broken, 'page')).not.toContain('exit code');
    expect(summaryLine(report([], [certificate('w.example', 10, 'warning')], 1))).toContain(
      'Nothing needs attention in what could be read; 1 warning',
    );
  });

  it('lists the notes most urgent first and the secrets with rotation off on one line', () => {
    const table = renderTable(
      report(
        [
          secret('legacy-1', 'disabled', 'warning'),
          secret('legacy-2', 'disabled', 'warning'),
          secret('s', 'stuck', 'attention'),
        ],
        [certificate('later.example', 20, 'warning'), certificate('sooner.example', 5, 'warning')],
      ),
    );
    const notes = table.split('\n').filter((l) => /^ {2}!/.test(l));
    expect(notes.map((l) => l.split(':')[0])).toEqual([
      '  !! secret s',
      '  !  certificate sooner.example',
      '  !  certificate later.example',
    ]);
    expect(table).toContain('ROTATION OFF (-): 2 secrets (legacy-1, legacy-2)');
  });
});

describe('the page of an account with nothing to report', () => {
  it('says so in each section instead of drawing empty tables', () => {
    const html = renderHtml(report([], []));
    expect(html).toContain('Nothing needs attention now.');
    expect(html).toContain('No warnings.');
    expect(html).toContain('Every secret has rotation on.');
    expect(html).toContain('<p class="verdict" id="summary">All healthy.</p>');
    expect(html).not.toContain('<svg id="timeline"');
    expect(html).not.toContain('<table');
  });
});
