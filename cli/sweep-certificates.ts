import type { Clients } from '../functions/certificate-expiry/clients.js';
import type { Finding } from '../functions/certificate-expiry/schema.js';
import type { RegionSweep } from '../functions/certificate-expiry/sweep.js';
import { parseOptions } from './args.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io, silenceLogs } from './io.js';
import { OUTPUT_OPTION, outputOption, REGIONS_OPTIONS, regionsOption } from './options.js';
import { alignColumns } from './report/table.js';
import { resolveTarget } from './target.js';

export const summary = 'Sweep ACM certificates in one or more Regions now and print the findings';

export const help = `Usage: rekey sweep-certificates [--region R ...] [--output table|json] [--thresholds 45,30,14,7,3,1]
                                [--endpoint-url URL] [--event-bus NAME] [--dry-run]

Lists every ACM certificate (all key types and statuses) in each Region, looks closer at the
ones within the largest threshold or expired, triages them (expired, imported, not eligible,
private, renewal failed or pending validation), renews what ACM allows (RenewCertificate for
private certificates; re-import from the secret named by the tag rekey:source-secret), and
prints the findings. The same code the scheduled sweep runs, in this process.

Options:
  --region R             Region to sweep; repeat for more. us-east-1 is always swept (CloudFront
                         certificates live there). Default: SWEEP_REGIONS, else AWS_REGION.
  --output FORMAT        table (default) or json (one object: regions and findings).
  --thresholds LIST      Alert thresholds in days (default ALERT_THRESHOLDS_DAYS, else 45,30,14,7,3,1).
  --endpoint-url URL     Send every call to this endpoint (e.g. the one 'rekey local' serves);
                         without AWS credentials in the environment, local ones are used.
                         Default: AWS_ENDPOINT_URL, else AWS with the default credential chain.
  --event-bus NAME       Publish due findings to this EventBridge bus and tag the certificates as
                         alerted, like the scheduled sweep. Default: EVENT_BUS_NAME; when neither
                         is set, findings are only printed and nothing is tagged.
  --dry-run              Look only: no renewal, no event, no tag.
  -h, --help             Show this help.

Exit codes: 0 when every Region was swept (findings are results, not errors, whatever they
say); 1 when a Region could not be swept (the others are still printed); 2 for a usage error.`;

/** The certificate-expiry function's logical id in template.yaml: the role a local sweep runs under. */
export const CERTIFICATE_EXPIRY_FUNCTION = 'CertificateExpiryFunction';

/** A finding as printed: the event detail plus what this run did about its alert. */
export interface PrintedFinding extends Finding {
  readonly alertDue: boolean;
  readonly alerted: boolean;
}

export interface SweepReport {
  readonly regions: {
    region: string;
    listed: number;
    candidates: number;
    acmCalls: number;
    error?: string;
  }[];
  readonly findings: PrintedFinding[];
}

/** Renders the report as a table, the actions underneath, and a one-line total. */
export const formatTable = (report: SweepReport): string => {
  const lines: string[] = [];
  if (report.findings.length === 0) {
    lines.push('No certificate needs attention.');
  } else {
    const rows = [
      ['#', 'REGION', 'DAYS', 'THRESHOLD', 'CLASS', 'TYPE', 'DOMAIN', 'ALERT', 'RENEWAL', 'CERTIFICATE'],
      ...report.findings.map((f, i) => [
        String(i + 1),
        f.region,
        f.daysToExpiry === null ? '-' : String(f.daysToExpiry),
        f.threshold === null ? '-' : f.threshold === 0 ? 'expired' : `${f.threshold}d`,
        f.findingClass,
        f.type,
        f.domainName,
        f.alerted ? 'sent' : f.alertDue ? 'due' : 'already sent',
        f.renewalResult ?? '-',
        f.certificateArn,
      ]),
    ];
    lines.push(alignColumns(rows), '', 'Actions:');
    report.findings.forEach((f, i) => {
      lines.push(`  ${i + 1}. ${f.action}`);
      for (const r of f.dnsRecords) lines.push(`     DNS ${r.type} ${r.name} -> ${r.value}`);
    });
  }
  const swept = report.regions.filter((r) => r.error === undefined);
  const totalListed = swept.reduce((n, r) => n + r.listed, 0);
  const calls = swept.reduce((n, r) => n + r.acmCalls, 0);
  lines.push(
    '',
    `Swept ${swept.length} of ${report.regions.length} Region(s) (${report.regions.map((r) => r.region).join(', ')}): ` +
      `${totalListed} certificate(s), ${report.findings.length} finding(s), ` +
      `${report.findings.filter((f) => f.alerted).length} alert(s) published, ${calls} ACM call(s).`,
  );
  for (const r of report.regions)
    if (r.error !== undefined) lines.push(`Region ${r.region} failed: ${r.error}`);
  return `${lines.join('\n')}\n`;
};

/**
 * `rekey sweep-certificates`: sweeps the Regions in this process and prints the findings.
 * Resolves to 0 when every Region was swept, 1 when one could not be; throws UsageError for bad options.
 */
export const run = async (argv: string[], io: Io = defaultIo): Promise<number> => {
  const { values } = parseOptions(argv, {
    ...REGIONS_OPTIONS,
    ...OUTPUT_OPTION,
    thresholds: { type: 'string' },
    'event-bus': { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  const output = outputOption(values.output, ['table', 'json']);
  // Checked here, as every command checks --region; SWEEP_REGIONS by the function's own parser.
  const flagged = values.region === undefined ? undefined : regionsOption(values.region, []);
  // Loaded here so `--help` stays fast and free of SDK imports.
  const { parseRegions } = await import('../functions/certificate-expiry/config.js');
  const { thresholdsOption } = await import('./report/options.js');
  const { InvalidInputError } = await import('../functions/certificate-expiry/errors.js');
  const { createClients } = await import('../functions/certificate-expiry/clients.js');
  const { sweepRegion } = await import('../functions/certificate-expiry/sweep.js');
  await silenceLogs();

  const env = process.env;
  // --endpoint-url, else AWS_ENDPOINT_URL, else AWS: the same choice as every command.
  const target = resolveTarget({ endpointUrl: values['endpoint-url'] }, env);
  const homeRegion = target.region;
  let regions: string[];
  try {
    regions = flagged
      ? parseRegions(flagged, '--region', [homeRegion])
      : parseRegions(env.SWEEP_REGIONS || undefined, 'SWEEP_REGIONS', [homeRegion]);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const thresholds = thresholdsOption(values.thresholds, env);
  const busName = values['event-bus'] ?? (env.EVENT_BUS_NAME || undefined);
  // Against an endpoint (e.g. 'rekey local') the sweep signs as the certificate-expiry function's
  // role, as deployed, so the endpoint enforces that role's policies; against AWS, as the caller.
  const { functionCredentials } = await import('../local/core/iam/identities.js');
  const credentials = target.endpoint
    ? functionCredentials(CERTIFICATE_EXPIRY_FUNCTION, target.accountId)
    : target.credentials;
  const clients: Clients = createClients({
    homeRegion,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });

  const now = new Date();
  const settled = await Promise.allSettled(
    regions.map((region) =>
      sweepRegion(region, { clients, now, thresholds, busName, dryRun: values['dry-run'] === true }),
    ),
  );
  const report: SweepReport = { regions: [], findings: [] };
  settled.forEach((result, i) => {
    const region = regions[i] ?? '';
    if (result.status === 'fulfilled') {
      const sweep: RegionSweep = result.value;
      report.regions.push({
        region,
        listed: sweep.listed,
        candidates: sweep.candidates,
        acmCalls: sweep.acmCalls,
      });
      for (const e of sweep.examined)
        report.findings.push({ ...e.finding, alertDue: e.alertDue, alerted: e.alerted });
    } else {
      const reason = result.reason;
      report.regions.push({
        region,
        listed: 0,
        candidates: 0,
        acmCalls: 0,
        error: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason),
      });
    }
  });
  // Most urgent first: expired, then fewest days left.
  report.findings.sort(
    (a, b) => (a.daysToExpiry ?? Number.MAX_SAFE_INTEGER) - (b.daysToExpiry ?? Number.MAX_SAFE_INTEGER),
  );
  io.stdout(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
  const failed = report.regions.filter((r) => r.error !== undefined);
  for (const r of failed)
    io.stderr(`rekey sweep-certificates: Region ${r.region} could not be swept: ${r.error}\n`);
  return failed.length === 0 ? 0 : 1;
};
