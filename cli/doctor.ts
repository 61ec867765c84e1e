import { integerOption, parseOptions } from './args.js';
import { defaultIo, type Io, silenceLogs } from './io.js';
import { OUTPUT_OPTION, outputOption, REPORT_OPTIONS } from './options.js';
import type { DoctorReport } from './report/diagnose.js';

export const summary =
  'Find stuck rotations and other broken states, print the exact fix, apply the safe ones';

export const help = `Usage: rekey doctor [--region R ...] [--fix] [--probe] [--output table|json] [--endpoint-url URL]
                   [--stuck-after SECONDS] [--grace-days N] [--thresholds 45,30,14,7,3,1]

Looks for broken states and prints, for each, what is wrong and the exact command that fixes it:
  secrets       AWSPENDING left on a version other than AWSCURRENT: with no value (a placeholder
                from a rotation that died in createSecret: safe to remove) or with a value (the
                last rotation failed later: retry it with 'rekey rotate-secret SECRET --token
                VERSION', or remove the label if the value was never applied); rotation enabled
                with no rotation function set, or with a function that does not exist.
  keys          an alias pointing at a disabled key or at a key pending deletion; a rotated
                key whose predecessor is still enabled more than a day past the grace period; a
                rotation that began and never reached the alias swap (rekey:pending-rotation);
                against a local endpoint, one stopped after the swap with the old key enabled.
  certificates  expired, or ACM's managed renewal failed.
  access keys   an IAM user whose access key a rotated secret holds, with another key older than
                the secret's rotation period (else 90 days, Security Hub IAM.3) that no rotated
                secret holds in AWSCURRENT or AWSPREVIOUS: fix, deactivate then delete it.
  logins        with --probe: database secrets (PostgreSQL, MySQL/MariaDB, Redis) whose AWSCURRENT
                does not log in (fix: point AWSCURRENT at the version that does, or set the
                password on the server), or whose AWSPREVIOUS no longer logs in for alternating
                users (fix: rotate again).
A rotation whose function reported a failure is reported at once, with the failed step and its
error (from the rotation log of 'rekey local', or the function's CloudWatch Logs on AWS).
Secret values are never printed: secrets appear by name, ARN and version id.

Options:
  --fix                  Apply the safe fixes and report what changed. Safe means: remove
                         AWSPENDING from a version that holds no value, after checking again that
                         it still holds none. Nothing is ever deleted, no key is enabled or
                         disabled, and AWSCURRENT never moves; every other fix is printed only.
  --probe                Log in to every database secret's server it can reach, with AWSCURRENT (and
                         AWSPREVIOUS for alternating users), using the rotation function's own
                         connection code and TLS settings; report the ones that do not work. Only a
                         probe shows that a credential works: without it nothing is said about that.
                         Needs secretsmanager:GetSecretValue and a network path to the databases.
  --output FORMAT        table (default) or json (one document with "version": 1, the problems
                         with kind, resource, description, fix commands, safe, fixed).
  --region R             Region to check; repeat for more. Default: AWS_REGION, else
                         AWS_DEFAULT_REGION, else us-east-1.
  --stuck-after SECONDS  AWSPENDING on a secret unchanged for less than this is a rotation still
                         running, unless its function already reported a failure. Default: 8 × the
                         secret's rotation function timeout (lambda:GetFunctionConfiguration;
                         template.yaml's for 'rekey local'), else 3600. A local key rotation
                         stopped after its alias swap is reported after this (default 3600).
  --grace-days N         The key rotations' grace period in days (default 7).
  --thresholds LIST      Certificate alert thresholds (default ALERT_THRESHOLDS_DAYS, else 45,30,14,7,3,1).
  --endpoint-url URL     Send every call to this endpoint (e.g. the one 'rekey local' serves);
                         without AWS credentials in the environment, local ones are used.
  -h, --help             Show this help.

Exit codes:
  0  nothing found, or everything found was fixed
  3  problems remain (printed with their fixes)
  1  error: a Region or service could not be checked
  2  usage error`;

const TYPE_LABEL = {
  secret: 'secret',
  key: 'alias',
  certificate: 'certificate',
  'iam-user': 'IAM user',
} as const;

/** Renders the doctor's findings for people: each problem, its fix commands, and a summary line. */
export const formatDoctor = (report: DoctorReport, fixing: boolean): string => {
  const out: string[] = [];
  if (report.problems.length === 0) {
    out.push(`No problems found in ${report.regions.join(', ')}.`);
  }
  report.problems.forEach((p, i) => {
    const status =
      p.fixed === true
        ? 'FIXED'
        : p.safe
          ? fixing
            ? 'NOT FIXED'
            : 'safe fix: --fix applies it'
          : 'manual fix';
    out.push(`${i + 1}. ${p.kind}  ${TYPE_LABEL[p.resourceType]} ${p.resource} (${p.region})  [${status}]`);
    out.push(`   ${p.description}`);
    if (p.fixResult) out.push(`   Result: ${p.fixResult}`);
    if (p.fixed !== true) {
      out.push(`   Fix:`);
      for (const command of p.fix) out.push(`     ${command}`);
    }
    out.push('');
  });
  for (const probed of report.probes ?? []) {
    const logins = probed.probes.map(
      (p) =>
        `${p.stage} ${p.outcome === 'ok' ? 'logs in' : p.outcome === 'failed' ? 'does NOT log in' : 'could not be tried'} as ${p.username}`,
    );
    out.push(`Probe: ${probed.name} (${probed.probes[0]?.endpoint ?? '?'}): ${logins.join('; ')}.`);
  }
  if (report.probes === undefined)
    out.push('Database logins were not tried: --probe logs in with each database secret.');
  for (const note of report.notes) out.push(`Note: ${note}`);
  for (const e of report.errors) out.push(`Could not check ${e.service} in ${e.region}: ${e.message}`);
  const safe = report.problems.filter((p) => p.safe && p.fixed !== true).length;
  out.push(
    `${report.summary.found} problem(s) found, ${report.summary.fixed} fixed, ${report.summary.remaining} remaining` +
      (safe > 0 && !fixing ? ` (${safe} safe to fix: run again with --fix).` : '.'),
  );
  return `${out.join('\n')}\n`;
};

/**
 * `rekey doctor`: finds broken states, prints the fixes, applies the safe ones with `--fix`.
 * Resolves to 0 (nothing remains), 3 (problems remain) or 1 (something could not be checked).
 */
export const run = async (
  argv: string[],
  io: Io = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> => {
  const { values } = parseOptions(argv, {
    ...REPORT_OPTIONS,
    ...OUTPUT_OPTION,
    fix: { type: 'boolean' },
    probe: { type: 'boolean' },
    'grace-days': { type: 'string' },
  });
  const output = outputOption(values.output, ['table', 'json']);
  const { reportBasics } = await import('./report/options.js');
  await silenceLogs(env);

  const { clients, ...basics } = reportBasics(values, env);
  const options = {
    ...basics,
    gracePeriodDays: integerOption(values['grace-days'], '--grace-days', { min: 0, max: 365, fallback: 7 }),
    probe: values.probe === true,
  };

  const { applySafeFixes, diagnose } = await import('./report/diagnose.js');
  let report = await diagnose(clients, options);
  const { addInterruptedKeyRotations } = await import('./report/interrupted-key-rotations.js');
  // A local key retirement has no function timeout to derive a threshold from: without
  // --stuck-after it keeps the fleet's default (an hour), as before.
  const { DEFAULTS } = await import('../functions/secret-fleet/options.js');
  report = await addInterruptedKeyRotations(clients, report, {
    stuckAfterSeconds: options.stuckAfterSeconds ?? DEFAULTS.stuckAfterSeconds,
  });
  if (values.fix === true) report = await applySafeFixes(clients, report);
  io.stdout(
    output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report, values.fix === true),
  );
  for (const e of report.errors)
    io.stderr(`rekey doctor: could not check ${e.service} in ${e.region}: ${e.message}\n`);
  if (report.errors.length > 0) return 1;
  return report.summary.remaining > 0 ? 3 : 0;
};
