import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { integerOption, parseOptions } from './args.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io, silenceLogs } from './io.js';
import { FILTER_OPTION, OUTPUT_OPTION, outputOption, parseSecretFilter, REPORT_OPTIONS } from './options.js';

export const summary =
  'Show rotation health: secrets, managed KMS aliases and certificates (table, JSON or HTML)';

export const help = `Usage: rekey status [--region R ...] [--output table|json|html] [--out FILE]
                   [--filter tag:KEY=VALUE|name-prefix:PREFIX] [--alias-prefix alias/PREFIX]
                   [--endpoint-url URL] [--period-days N] [--thresholds 45,30,14,7,3,1]
                   [--stuck-after SECONDS]

One view of rotation health, read-only:
  secrets       rotation on/off, last and next rotation, and the state: healthy, due, overdue
                (more than a day past NextRotationDate), stuck (AWSPENDING left on a version
                with no value), failed (AWSPENDING left on a version that holds a value: the last
                rotation failed after createSecret), rotating, disabled, empty. A rotation whose
                function reported a failure is stuck or failed at once, with the step and error.
  keys          every managed alias: aliases whose key carries rekey:* evidence tags, or whose
                name starts with --alias-prefix. Key id, key spec, age, last rotation
                (rekey:rotated-at), next rotation (in-service date + the rekey:rotation-period-days tag,
                else --period-days) and state (healthy, due, overdue, rotating, disabled,
                pending-deletion).
  certificates  every ACM certificate (all key types and statuses): days to expiry and the
                certificate-expiry finding (EXPIRED, IMPORTED, RENEWAL_FAILED, ...), or OK.
  IAM users     users whose access key a rotated secret holds: each key's id, status and age
                (iam:ListAccessKeys); a key older than the secret's period (else 90 days) that no
                rotated secret holds is flagged with the commands that deactivate and delete it.
Secret values are never read into the report: secrets appear by name, ARN and version id (of an
IAM access key secret only UserName and AccessKeyId are kept; the secret access key is dropped).

Options:
  --region R             Region to report on; repeat for more. Default: AWS_REGION, else
                         AWS_DEFAULT_REGION, else us-east-1.
  --output FORMAT        table (default, for people), json (for scripts: a stable document with
                         "version": 1; see docs/status-report.md) or html (a self-contained
                         page with an expiry timeline, written to --out).
  --out FILE             Where --output html writes the page. Default: rekey-status.html.
  --filter F             Which secrets: tag:KEY=VALUE and/or name-prefix:PREFIX (both: AND).
                         Default: every secret. Keys and certificates are not filtered.
  --alias-prefix P       Also treat aliases starting with P (e.g. alias/payments-) as managed.
  --period-days N        Key rotation period when a key has no rekey:rotation-period-days tag (default 365).
  --thresholds LIST      Certificate alert thresholds in days (default ALERT_THRESHOLDS_DAYS, else
                         45,30,14,7,3,1). Within the smallest one a certificate needs attention.
  --stuck-after SECONDS  AWSPENDING on a secret unchanged for less than this is a rotation still
                         running, unless its function already reported a failure. Default: 8 × the
                         secret's rotation function timeout (lambda:GetFunctionConfiguration;
                         template.yaml's for 'rekey local'), else 3600.
  --endpoint-url URL     Send every call to this endpoint (e.g. the one 'rekey local' serves);
                         without AWS credentials in the environment, local ones are used.
                         Default: AWS_ENDPOINT_URL, else AWS with the default credential chain.
  -h, --help             Show this help.

Exit codes:
  0  healthy: nothing needs attention
  3  something needs attention: a secret stuck, failed or overdue; a key overdue, disabled or
     pending deletion behind its alias; a certificate expired, with a failed renewal, or
     expiring within the smallest threshold
  1  error: a Region or service could not be read (what could be read is still printed)
  2  usage error`;

/** Exit code when the report found something that needs attention. */
export const EXIT_ATTENTION = 3;

/**
 * `rekey status`: collects the report and prints it (or writes the HTML page). Resolves to 0
 * (healthy), 3 (attention needed) or 1 (something could not be read); throws UsageError for
 * bad options. `env` decides Region, endpoint and credentials (default `process.env`).
 */
export const run = async (
  argv: string[],
  io: Io = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> => {
  const { values } = parseOptions(argv, {
    ...REPORT_OPTIONS,
    ...OUTPUT_OPTION,
    ...FILTER_OPTION,
    out: { type: 'string' },
    'alias-prefix': { type: 'string' },
    'period-days': { type: 'string' },
  });
  const output = outputOption(values.output, ['table', 'json', 'html']);
  if (values.out !== undefined && output !== 'html') {
    throw new UsageError('--out is for --output html; table and json go to standard output.');
  }
  const { parseAliasPrefix, reportBasics } = await import('./report/options.js');
  const { DEFAULTS } = await import('../functions/secret-fleet/options.js');
  await silenceLogs(env);

  const { clients, ...basics } = reportBasics(values, env);
  const options = {
    ...basics,
    secretFilter: parseSecretFilter(values.filter),
    aliasPrefix: parseAliasPrefix(values['alias-prefix']),
    periodDays: integerOption(values['period-days'], '--period-days', { min: 1, max: 3650, fallback: 365 }),
    overdueAfterSeconds: DEFAULTS.overdueAfterSeconds,
  };

  const { collectStatus } = await import('./report/collect.js');
  const notes: string[] = [];
  const report = await collectStatus(clients, options, notes);
  if (output === 'json') {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else if (output === 'table') {
    const { renderTable } = await import('./report/table.js');
    io.stdout(renderTable(report));
  } else {
    const { renderHtml } = await import('./report/html.js');
    const { summaryLine } = await import('./report/table.js');
    const file = resolve(values.out ?? 'rekey-status.html');
    // A report path in a folder that does not exist yet (e.g. dist/ on a fresh clone) is created.
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, renderHtml(report));
    io.stdout(`Wrote ${file}\n${summaryLine(report)}\n`);
  }
  for (const note of notes) io.stderr(`rekey status: note: ${note}\n`);
  for (const e of report.errors)
    io.stderr(`rekey status: could not read ${e.service} in ${e.region}: ${e.message}\n`);
  if (report.errors.length > 0) return 1;
  return report.summary.attention > 0 ? EXIT_ATTENTION : 0;
};
