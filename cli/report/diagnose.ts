/**
 * `rekey doctor`'s checks: broken states of secrets, keys and certificates, each with the
 * exact AWS CLI command that fixes it, and the fixes that are safe to apply unattended.
 *
 * "Safe" means: nothing is deleted, no value changes, AWSCURRENT never moves. The one safe fix
 * is removing AWSPENDING from a version that holds no value (the placeholder a failed
 * createSecret leaves behind, which makes every later RotateSecret fail). Everything else
 * (enabling or disabling keys, re-running a rotation that may already have changed a database
 * password) needs a person who knows what the resource serves.
 */

import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { type KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { GetFunctionCommand, ResourceNotFoundException as LambdaNotFound } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { isRetiringAlias } from '../../functions/key-rotation/access.js';
import { describeKeyOrUndefined, listAllTags } from '../../functions/key-rotation/kms.js';
import { TAG, tagValue } from '../../functions/key-rotation/tags.js';
import { messageOf } from '../../functions/lib/errors.js';
import { mapBounded } from '../../functions/lib/retry.js';
import {
  AWSCURRENT,
  AWSPENDING,
  foreignPending,
  pendingHasValue,
} from '../../functions/secret-fleet/assess.js';
import { listSecrets } from '../../functions/secret-fleet/list.js';
import type { SecretSnapshot } from '../../functions/secret-fleet/types.js';
import { SECRET_ROTATION_FUNCTION } from '../../local/functions.js';
import {
  type AccessKeySecretRef,
  collectAccessKeys,
  findAccessKeySecrets,
  retireKeyCommands,
} from './access-keys.js';
import { describeCacheUserFinding, findCacheUsersWithTwoPasswords } from './cache-users.js';
import type { ReportClients } from './clients.js';
import { collectCertificates, collectInto, inspectorFor, listAliases } from './collect.js';
import type { CollectionError } from './model.js';
import { AWSPREVIOUS, probeSecrets, type SecretProbe } from './probe.js';
import { describeFailure } from './rotation-failure.js';
import { findUntaggedSuperusers, SUPERUSER_TAG } from './superuser-tags.js';

const DAY_MS = 86_400_000;

/** Bumped only for incompatible changes to {@link DoctorReport}. */
export const DOCTOR_REPORT_VERSION = 1;

export type ProblemKind =
  /** AWSPENDING on a version other than AWSCURRENT that holds no value: the safe fix removes the label. */
  | 'stuck-pending-placeholder'
  /** AWSPENDING on a version other than AWSCURRENT that holds a value: the last rotation failed after createSecret. */
  | 'failed-rotation'
  /** `--probe`: AWSCURRENT of a database secret does not log in. */
  | 'current-login-failed'
  /** `--probe`: AWSPREVIOUS of an alternating-users secret does not log in (AWSCURRENT does). */
  | 'previous-login-failed'
  /** An alternating-users secret's superuser secret lacks `rekey:superuser=true` (superuser-tags.ts). */
  | 'superuser-secret-untagged'
  /** RotationEnabled is true but no RotationLambdaARN is set. */
  | 'rotation-function-not-set'
  /** The rotation function named by RotationLambdaARN does not exist. */
  | 'rotation-function-missing'
  /** An alias points at a disabled key. */
  | 'alias-key-disabled'
  /** An alias points at a key pending deletion. */
  | 'alias-key-pending-deletion'
  /** A rotated key's predecessor is still enabled long after its grace period. */
  | 'predecessor-still-enabled'
  /** A key rotation began and never reached the alias swap (interrupted-key-rotations.ts). */
  | 'key-rotation-interrupted'
  /** Local endpoint: a rotation stopped after the swap; its predecessor is still enabled. */
  | 'key-retirement-interrupted'
  /** An IAM user's access key older than the period that no rotated secret holds (access-keys.ts). */
  | 'stale-access-key'
  /** An ElastiCache/MemoryDB user with two passwords while no rotation runs (cache-users.ts). */
  | 'cache-user-two-passwords'
  /** A certificate has expired. */
  | 'certificate-expired'
  /** ACM's managed renewal of a certificate failed. */
  | 'certificate-renewal-failed';

export interface Problem {
  readonly kind: ProblemKind;
  readonly region: string;
  /** `secret`, `key` (an alias), `certificate` or `iam-user`. */
  readonly resourceType: 'secret' | 'key' | 'certificate' | 'iam-user';
  /** Secret name, alias name, certificate domain or IAM user name. */
  readonly resource: string;
  readonly resourceArn: string;
  /** What is wrong and what it breaks. */
  readonly description: string;
  /** The exact commands that fix it, in order (alternatives are explained in `description`). */
  readonly fix: readonly string[];
  /** The version AWSPENDING sits on (secret problems about a left-behind AWSPENDING). */
  readonly pendingVersionId?: string;
  /** Whether `--fix` applies `fix` (only changes that delete nothing and move no AWSCURRENT). */
  readonly safe: boolean;
  /** Set by `--fix`: applied, or why not. */
  fixed?: boolean;
  fixResult?: string;
}

export interface DoctorReport {
  readonly version: typeof DOCTOR_REPORT_VERSION;
  readonly generatedAt: string;
  readonly regions: readonly string[];
  readonly problems: Problem[];
  readonly summary: { found: number; fixed: number; remaining: number };
  /** What could not be checked (e.g. no permission for lambda:GetFunction). */
  readonly notes: string[];
  /** With `--probe`: every login tried, per database secret (no values). */
  readonly probes?: SecretProbe[];
  readonly errors: CollectionError[];
}

export interface DoctorOptions {
  regions: readonly string[];
  /**
   * AWSPENDING on a secret unchanged for less than this is a rotation still running: left alone
   * (unless its function's log says it failed). Undefined: 8 × the rotation function's timeout.
   */
  stuckAfterSeconds?: number;
  /** Key-rotation grace period; a predecessor still enabled a day after it is reported. */
  gracePeriodDays: number;
  thresholds: readonly number[];
  /** Log in to each database secret's server with its credentials (`--probe`). */
  probe?: boolean;
}

/** Quotes a shell argument when it holds anything beyond the characters AWS names use. */
export const shellArg = (value: string): string =>
  /^[A-Za-z0-9_/:.=@+,%-]+$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;

const accountOf = (arn: string): string => arn.split(':')[4] ?? 'ACCOUNT';

const removePendingCommand = (s: SecretSnapshot, versionId: string, region: string) =>
  `aws secretsmanager update-secret-version-stage --region ${region} --secret-id ${shellArg(s.arn)} --version-stage AWSPENDING --remove-from-version-id ${versionId}`;

// ---------------------------------------------------------------------------------------------
// Secrets

/** The problems a probe found: credentials that do not log in, with the fix that makes them. */
const probeProblems = (probed: SecretProbe, region: string): Problem[] => {
  const base = { region, resourceType: 'secret' as const, resource: probed.name, resourceArn: probed.arn };
  const current = probed.probes.find((p) => p.stage === AWSCURRENT);
  if (!current || current.outcome === 'unreachable') return [];
  const secretId = shellArg(probed.arn);
  if (current.outcome === 'failed') {
    const working = probed.probes.find((p) => p.stage !== AWSCURRENT && p.outcome === 'ok');
    if (working) {
      return [
        {
          ...base,
          kind: 'current-login-failed',
          description: `AWSCURRENT (version ${current.versionId}) does not log in as ${current.username} on ${current.endpoint} (${current.error}), so applications that fetch it now fail. Version ${working.versionId} (${working.stage}, user ${working.username}) does log in: the server has its password. Point AWSCURRENT at it; AWSPREVIOUS moves to the old version.`,
          fix: [
            `aws secretsmanager update-secret-version-stage --region ${region} --secret-id ${secretId} --version-stage AWSCURRENT --move-to-version-id ${working.versionId} --remove-from-version-id ${current.versionId}`,
          ],
          safe: false,
        },
      ];
    }
    return [
      {
        ...base,
        kind: 'current-login-failed',
        description: `No version of the secret logs in as ${current.username} on ${current.endpoint} (AWSCURRENT, version ${current.versionId}: ${current.error}), so applications that fetch it fail. If the error is a refused password, the server's password was changed outside Secrets Manager: as the database administrator, set ${current.username}'s password to the one in AWSCURRENT (the first command prints the secret, so run it only where that is safe), then probe again (second command). If the error is about TLS, the host or the database, correct those fields of the secret with put-secret-value instead.`,
        fix: [
          `aws secretsmanager get-secret-value --region ${region} --secret-id ${secretId} --version-stage AWSCURRENT --query SecretString --output text`,
          `rekey doctor --probe --region ${region}`,
        ],
        safe: false,
      },
    ];
  }
  const previous = probed.probes.find((p) => p.stage === AWSPREVIOUS);
  if (probed.strategy === 'alternating-users' && previous?.outcome === 'failed') {
    return [
      {
        ...base,
        kind: 'previous-login-failed',
        description: `AWSCURRENT logs in, but AWSPREVIOUS (version ${previous.versionId}, user ${previous.username}) does not on ${previous.endpoint} (${previous.error}): applications still holding it fail until they fetch AWSCURRENT again. A new rotation sets a fresh password on ${previous.username} through the superuser and makes today's working AWSCURRENT the AWSPREVIOUS.`,
        fix: [`rekey rotate-secret ${shellArg(probed.name)} --region ${region} --wait`],
        safe: false,
      },
    ];
  }
  return [];
};

const secretProblems = async (
  clients: ReportClients,
  region: string,
  options: DoctorOptions,
  notes: string[],
  probes: SecretProbe[],
): Promise<Problem[]> => {
  const fleet = clients.fleet(region);
  const inspector = inspectorFor(clients, region);
  const { secrets } = await listSecrets(fleet, {}, 10_000);
  const now = clients.now().getTime();
  const problems: Problem[] = [];
  const functionExists = new Map<string, Promise<boolean | undefined>>();
  let lambdaNote = false;
  const exists = (arn: string) => {
    let known = functionExists.get(arn);
    if (!known) {
      known = clients
        .lambda(region)
        .send(new GetFunctionCommand({ FunctionName: arn }))
        .then(
          () => true,
          (error: unknown) => {
            if (error instanceof LambdaNotFound) return false;
            // No permission, or an endpoint without the Lambda API (the local one): unknown.
            if (!lambdaNote) {
              lambdaNote = true;
              notes.push(
                `Could not check that rotation functions exist in ${region} (lambda:GetFunction: ${messageOf(error)}).`,
              );
            }
            return undefined;
          },
        );
      functionExists.set(arn, known);
    }
    return known;
  };

  await mapBounded(secrets, 5, async (s) => {
    const base = { region, resourceType: 'secret' as const, resource: s.name, resourceArn: s.arn };
    const pending = foreignPending(s.versionStages);
    const changed = s.lastChangedDate ? Date.parse(s.lastChangedDate) : Number.NaN;
    const failure =
      pending && s.rotationLambdaArn
        ? await inspector.failureOf({
            secretArn: s.arn,
            token: pending,
            lambdaArn: s.rotationLambdaArn,
            ...(Number.isNaN(changed) ? {} : { since: new Date(changed) }),
          })
        : undefined;
    const stuckAfter =
      options.stuckAfterSeconds ?? (pending ? (await inspector.stuckAfter(s.rotationLambdaArn)).seconds : 0);
    const quiet = Number.isNaN(changed) || now - changed >= stuckAfter * 1000;
    const cause = failure ? ` Cause: ${describeFailure(failure)}.` : '';
    // A rotation whose function reported a failure is over now, however recent.
    if (pending && (quiet || failure)) {
      const hasValue = await pendingHasValue(fleet, s.arn, pending);
      if (!hasValue) {
        problems.push({
          ...base,
          kind: 'stuck-pending-placeholder',
          pendingVersionId: pending,
          description: `AWSPENDING is stuck on version ${pending}, which holds no value (a rotation died in createSecret).${cause} Every RotateSecret fails until the label is removed; removing it deletes nothing.`,
          fix: [removePendingCommand(s, pending, region)],
          safe: true,
        });
      } else {
        problems.push({
          ...base,
          kind: 'failed-rotation',
          pendingVersionId: pending,
          description: `AWSPENDING is on version ${pending}, which holds a value: the last rotation failed after createSecret.${cause} The target may already use the new credential. Retry the rotation with the same token (first command) so it finishes with that value; only if you know the new value was never applied, remove the label instead (second command) and rotate again.`,
          fix: [
            `rekey rotate-secret ${shellArg(s.name)} --region ${region} --token ${pending} --wait`,
            removePendingCommand(s, pending, region),
          ],
          safe: false,
        });
      }
    }
    if (s.rotationEnabled && !s.rotationLambdaArn) {
      problems.push({
        ...base,
        kind: 'rotation-function-not-set',
        description:
          'Rotation is enabled but no rotation function is set, so no rotation can run. Point it at the rekey rotation function (first command), or turn rotation off (second command).',
        fix: [
          `aws secretsmanager rotate-secret --region ${region} --secret-id ${shellArg(s.arn)} --rotation-lambda-arn arn:aws:lambda:${region}:${accountOf(s.arn)}:function:${SECRET_ROTATION_FUNCTION} --rotation-rules AutomaticallyAfterDays=30 --no-rotate-immediately`,
          `aws secretsmanager cancel-rotation --region ${region} --secret-id ${shellArg(s.arn)}`,
        ],
        safe: false,
      });
    } else if (s.rotationEnabled && s.rotationLambdaArn && (await exists(s.rotationLambdaArn)) === false) {
      problems.push({
        ...base,
        kind: 'rotation-function-missing',
        description: `Rotation is enabled but its function ${s.rotationLambdaArn} does not exist: every scheduled rotation fails. Deploy it (sam deploy), or point the secret at the rekey rotation function.`,
        fix: [
          `aws secretsmanager rotate-secret --region ${region} --secret-id ${shellArg(s.arn)} --rotation-lambda-arn arn:aws:lambda:${region}:${accountOf(s.arn)}:function:${SECRET_ROTATION_FUNCTION} --no-rotate-immediately`,
        ],
        safe: false,
      });
    }
  });
  for (const n of inspector.notes) notes.push(n);
  for (const u of await findUntaggedSuperusers(fleet.secrets, secrets, notes)) {
    problems.push({
      region,
      resourceType: 'secret',
      resource: u.secret.name,
      resourceArn: u.secret.arn,
      kind: 'superuser-secret-untagged',
      description: `Its superuser secret ${u.superuser} ${u.tagValue === undefined ? 'has no' : `has ${SUPERUSER_TAG.key}=${u.tagValue}, not the`} tag ${SUPERUSER_TAG.key}=${SUPERUSER_TAG.value}, which the deployed rotation role requires before it reads a superuser secret: every rotation of this secret fails in setSecret with AccessDeniedException. Tag it if it is meant to be used for rotation.`,
      fix: [
        `aws secretsmanager tag-resource --region ${region} --secret-id ${shellArg(u.superuser)} --tags Key=${SUPERUSER_TAG.key},Value=${SUPERUSER_TAG.value}`,
      ],
      safe: false,
    });
  }
  if (options.probe) {
    const probed = await probeSecrets(fleet.secrets, region, secrets, notes);
    probes.push(...probed);
    for (const p of probed) problems.push(...probeProblems(p, region));
    // Only a probe may say that a credential works: say it where a rotation failed, since that
    // is what the person reading the report needs to know first.
    const working = new Set(
      probed
        .filter((p) => p.probes.some((login) => login.stage === AWSCURRENT && login.outcome === 'ok'))
        .map((p) => p.arn),
    );
    return problems.map((problem) =>
      working.has(problem.resourceArn) &&
      (problem.kind === 'failed-rotation' || problem.kind === 'stuck-pending-placeholder')
        ? {
            ...problem,
            description: `${problem.description} The probe logged in with AWSCURRENT: applications that fetch it work meanwhile.`,
          }
        : problem,
    );
  }
  return problems;
};

// ---------------------------------------------------------------------------------------------
// Keys

const keyProblems = async (
  clients: ReportClients,
  region: string,
  options: DoctorOptions,
): Promise<Problem[]> => {
  const kms: KMSClient = clients.kms(region);
  const aliases = (await listAliases(kms)).filter(
    // Retiring aliases are rekey's own mark on an old key it is retiring (key-rotation/access.ts).
    (a) =>
      a.AliasName && a.TargetKeyId && !a.AliasName.startsWith('alias/aws/') && !isRetiringAlias(a.AliasName),
  );
  const now = clients.now().getTime();
  const problems: Problem[] = [];
  await mapBounded(aliases, 5, async (alias) => {
    const name = alias.AliasName ?? '';
    const meta = await describeKeyOrUndefined(kms, alias.TargetKeyId ?? '');
    if (!meta?.KeyId || !meta.Arn || meta.KeyManager === 'AWS') return;
    const base = { region, resourceType: 'key' as const, resource: name, resourceArn: meta.Arn };
    const tags = await listAllTags(kms, meta.KeyId).catch((error: unknown) => {
      if (error instanceof NotFoundException) return [];
      throw error;
    });
    const successor = tagValue(tags, TAG.successor);
    const moveAlias = successor
      ? [`aws kms update-alias --region ${region} --alias-name ${name} --target-key-id ${successor}`]
      : [];
    if (meta.KeyState === 'Disabled') {
      problems.push({
        ...base,
        kind: 'alias-key-disabled',
        description: `${name} points at key ${meta.KeyId}, which is disabled: every call through the alias fails with DisabledException. ${successor ? `The key was replaced by ${successor}: point the alias there (first command), or re-enable the old key.` : 'Re-enable the key if the alias should work, or point the alias at the key that replaced it.'}`,
        fix: [...moveAlias, `aws kms enable-key --region ${region} --key-id ${meta.KeyId}`],
        safe: false,
      });
    } else if (meta.KeyState === 'PendingDeletion' || meta.KeyState === 'PendingReplicaDeletion') {
      problems.push({
        ...base,
        kind: 'alias-key-pending-deletion',
        description: `${name} points at key ${meta.KeyId}, scheduled for deletion${meta.DeletionDate ? ` on ${meta.DeletionDate.toISOString()}` : ''}: calls through the alias fail now, and whatever it encrypted becomes unreadable for good. ${successor ? `Point the alias at its successor ${successor} (first command), or cancel` : 'Cancel'} the deletion and re-enable it.`,
        fix: [
          ...moveAlias,
          `aws kms cancel-key-deletion --region ${region} --key-id ${meta.KeyId}`,
          `aws kms enable-key --region ${region} --key-id ${meta.KeyId}`,
        ],
        safe: false,
      });
    }
    const predecessor = tagValue(tags, TAG.predecessor);
    const rotatedAt = Date.parse(tagValue(tags, TAG.rotatedAt) ?? '');
    if (predecessor && !Number.isNaN(rotatedAt)) {
      const limit = rotatedAt + (options.gracePeriodDays + 1) * DAY_MS;
      if (now > limit) {
        const old = await describeKeyOrUndefined(kms, predecessor);
        if (old?.KeyState === 'Enabled') {
          const days = Math.floor((now - rotatedAt) / DAY_MS);
          problems.push({
            ...base,
            kind: 'predecessor-still-enabled',
            description: `${name} was rotated ${days} day(s) ago, but its predecessor ${old.KeyId} is still enabled (grace period ${options.gracePeriodDays} day(s)): the retirement step did not run. Check that no alias or grant still uses it (first command), then disable it; disabling is reversible with enable-key.`,
            fix: [
              `aws kms list-aliases --region ${region} --key-id ${old.KeyId}`,
              `aws kms disable-key --region ${region} --key-id ${old.KeyId}`,
            ],
            safe: false,
          });
        }
      }
    }
  });
  return problems;
};

// ---------------------------------------------------------------------------------------------
// Certificates

/** The private CA that issued a certificate (its ARN), else a placeholder to fill in. */
const certificateAuthorityOf = async (
  clients: ReportClients,
  region: string,
  arn: string,
): Promise<string> => {
  const { Certificate } = await clients
    .acm(region)
    .send(new DescribeCertificateCommand({ CertificateArn: arn }));
  return Certificate?.CertificateAuthorityArn ?? 'PRIVATE_CA_ARN';
};

const certificateProblems = async (
  clients: ReportClients,
  region: string,
  options: DoctorOptions,
): Promise<Problem[]> => {
  const certificates = await collectCertificates(clients, region, options);
  const problems: Problem[] = [];
  for (const c of certificates) {
    const base = { region, resourceType: 'certificate' as const, resource: c.domainName, resourceArn: c.arn };
    const arn = shellArg(c.arn);
    if (c.finding === 'EXPIRED') {
      const fix =
        c.type === 'IMPORTED'
          ? [
              `aws acm import-certificate --region ${region} --certificate-arn ${arn} --certificate fileb://certificate.pem --private-key fileb://private-key.pem --certificate-chain fileb://chain.pem`,
            ]
          : c.type === 'PRIVATE'
            ? // An expired certificate is not eligible for renewal (RenewCertificate needs an
              // ISSUED one): a new certificate from the same private CA replaces it.
              [
                `aws acm request-certificate --region ${region} --domain-name ${shellArg(c.domainName)} --certificate-authority-arn ${shellArg(await certificateAuthorityOf(clients, region, c.arn))}`,
                `aws acm delete-certificate --region ${region} --certificate-arn ${arn}`,
              ]
            : [
                `aws acm request-certificate --region ${region} --domain-name ${shellArg(c.domainName)} --validation-method DNS`,
                `aws acm delete-certificate --region ${region} --certificate-arn ${arn}`,
              ];
      const how =
        c.type === 'IMPORTED'
          ? ' Put the renewed certificate, its private key and its chain in certificate.pem, private-key.pem and chain.pem, then re-import them over this ARN (its users keep it).'
          : ' An expired certificate cannot be renewed: request a new one (first command), validate it and move its users to it, then delete the expired one (second command).';
      problems.push({
        ...base,
        kind: 'certificate-expired',
        description: `${c.action}${how}`,
        fix,
        safe: false,
      });
    } else if (c.finding === 'RENEWAL_FAILED') {
      problems.push({
        ...base,
        kind: 'certificate-renewal-failed',
        description: `${c.action} The first command shows which domain failed validation and the DNS records ACM expects.`,
        fix: [
          `aws acm describe-certificate --region ${region} --certificate-arn ${arn} --query Certificate.RenewalSummary`,
        ],
        safe: false,
      });
    }
  }
  return problems;
};

// ---------------------------------------------------------------------------------------------

/** Runs every check in every Region. A service that cannot be read is recorded in `errors`. */
export const diagnose = async (clients: ReportClients, options: DoctorOptions): Promise<DoctorReport> => {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const errors: CollectionError[] = [];
  const probes: SecretProbe[] = [];
  const accessKeySecrets: AccessKeySecretRef[] = [];
  for (const region of options.regions) {
    await Promise.all([
      collectInto(errors, region, 'secretsmanager', accessKeySecrets, () =>
        findAccessKeySecrets(clients, region, {}, 10_000, notes),
      ),
      collectInto(errors, region, 'secretsmanager', problems, () =>
        secretProblems(clients, region, options, notes, probes),
      ),
      collectInto(errors, region, 'kms', problems, () => keyProblems(clients, region, options)),
      collectInto(errors, region, 'acm', problems, () => certificateProblems(clients, region, options)),
      collectInto(errors, region, 'secretsmanager', problems, async () =>
        (await findCacheUsersWithTwoPasswords(clients, region, notes)).map(
          (finding): Problem => ({
            kind: 'cache-user-two-passwords',
            region,
            resourceType: 'secret',
            resource: finding.secretName,
            resourceArn: finding.secretArn,
            ...describeCacheUserFinding(finding, region),
            safe: false,
          }),
        ),
      ),
    ]);
  }
  // IAM is global: each user once, through the first Region's endpoint.
  const iamRegion = options.regions[0] ?? 'us-east-1';
  if (accessKeySecrets.length > 0)
    await collectInto(errors, iamRegion, 'iam', problems, async () =>
      (await collectAccessKeys(clients, iamRegion, accessKeySecrets)).flatMap((user) =>
        user.keys
          .filter((k) => k.stale)
          .map(
            (k): Problem => ({
              kind: 'stale-access-key',
              region: 'global',
              resourceType: 'iam-user',
              resource: user.userName,
              resourceArn: k.accessKeyId,
              description: `Access key ${k.accessKeyId} of IAM user ${user.userName} (${k.status}) is ${k.ageDays} days old, past the ${user.periodDays}-day rotation period of ${user.secrets.join(', ')}, and no rotated secret holds it in AWSCURRENT or AWSPREVIOUS: nothing will ever rotate it (Security Hub IAM.3). Deactivate it, check nothing fails (aws iam get-access-key-last-used --access-key-id ${k.accessKeyId}), then delete it.`,
              fix: retireKeyCommands(user.userName, k),
              safe: false,
            }),
          ),
      ),
    );
  const order: ProblemKind[] = [
    'stuck-pending-placeholder',
    'failed-rotation',
    'current-login-failed',
    'previous-login-failed',
    'superuser-secret-untagged',
    'rotation-function-not-set',
    'rotation-function-missing',
    'alias-key-disabled',
    'alias-key-pending-deletion',
    'predecessor-still-enabled',
    'stale-access-key',
    'cache-user-two-passwords',
    'certificate-expired',
    'certificate-renewal-failed',
  ];
  problems.sort(
    (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.resource.localeCompare(b.resource),
  );
  return {
    version: DOCTOR_REPORT_VERSION,
    generatedAt: clients.now().toISOString(),
    regions: [...options.regions],
    problems,
    summary: { found: problems.length, fixed: 0, remaining: problems.length },
    notes,
    ...(options.probe ? { probes: probes.sort((a, b) => a.name.localeCompare(b.name)) } : {}),
    errors,
  };
};

/**
 * Applies the safe fixes: removes AWSPENDING from value-less versions. Each is re-checked right
 * before the change (the label must still be on that version and the version still empty), so
 * a rotation that started meanwhile is left alone. Returns the report with `fixed` set.
 */
export const applySafeFixes = async (clients: ReportClients, report: DoctorReport): Promise<DoctorReport> => {
  for (const problem of report.problems) {
    if (!problem.safe || problem.kind !== 'stuck-pending-placeholder') continue;
    const secrets = clients.secrets(problem.region);
    const fleet = clients.fleet(problem.region);
    const versionId = problem.pendingVersionId;
    try {
      const described = await secrets.send(new DescribeSecretCommand({ SecretId: problem.resourceArn }));
      const pending = foreignPending(described.VersionIdsToStages ?? {});
      if (!versionId || pending !== versionId) {
        problem.fixed = false;
        problem.fixResult =
          'Not changed: AWSPENDING is no longer on that version (a rotation may have moved it).';
      } else if (await pendingHasValue(fleet, problem.resourceArn, versionId)) {
        problem.fixed = false;
        problem.fixResult = 'Not changed: the pending version now holds a value (a rotation is writing it).';
      } else {
        await secrets.send(
          new UpdateSecretVersionStageCommand({
            SecretId: problem.resourceArn,
            VersionStage: AWSPENDING,
            RemoveFromVersionId: versionId,
          }),
        );
        problem.fixed = true;
        problem.fixResult = `Removed AWSPENDING from version ${versionId}; the next rotation can start.`;
      }
    } catch (error) {
      problem.fixed = false;
      problem.fixResult = `Failed: ${error instanceof Error ? `${error.name}: ` : ''}${messageOf(error)}`;
    }
  }
  const fixed = report.problems.filter((p) => p.fixed === true).length;
  return {
    ...report,
    summary: { found: report.problems.length, fixed, remaining: report.problems.length - fixed },
  };
};
