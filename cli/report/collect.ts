/**
 * Reads the rotation health of an account: secrets (through the secret-fleet assessment), the
 * keys behind managed KMS aliases (through the key-rotation evidence tags) and certificates
 * (through the certificate-expiry triage). Read-only: no call here changes anything, and no
 * secret value is kept (the one GetSecretValue, asking whether a pending version holds a value,
 * drops the answer's value at once).
 */
import {
  type ACMClient,
  CertificateStatus as AcmStatus,
  type CertificateDetail,
  type CertificateSummary,
  DescribeCertificateCommand,
  ListCertificatesCommand,
} from '@aws-sdk/client-acm';
import { type AliasListEntry, type KMSClient, ListAliasesCommand, type Tag } from '@aws-sdk/client-kms';
import { ALL_KEY_TYPES, ALL_STATUSES, needsAttention } from '../../functions/certificate-expiry/list.js';
import { triage } from '../../functions/certificate-expiry/triage.js';
import { isRetiringAlias } from '../../functions/key-rotation/access.js';
import { describeKeyOrUndefined, listAllTags } from '../../functions/key-rotation/kms.js';
import { inServiceSince } from '../../functions/key-rotation/plan.js';
import { PERIOD_TAG as SCHEDULE_PERIOD_TAG } from '../../functions/key-rotation/schedule.js';
import { isRekeyTag, TAG, tagValue } from '../../functions/key-rotation/tags.js';
import { messageOf } from '../../functions/lib/errors.js';
import { mapBounded, withBackoff } from '../../functions/lib/retry.js';
import { assessSecret, foreignPending, pendingHasValue } from '../../functions/secret-fleet/assess.js';
import { listSecrets } from '../../functions/secret-fleet/list.js';
import { DEFAULTS } from '../../functions/secret-fleet/options.js';
import type { FleetFilter, SecretSnapshot } from '../../functions/secret-fleet/types.js';
import { type AccessKeySecretRef, collectAccessKeys, findAccessKeySecrets } from './access-keys.js';
import type { ReportClients } from './clients.js';
import {
  type CertificateStatus,
  type CollectionError,
  countBySeverity,
  type IamUserStatus,
  type KeyStatus,
  type SecretStatus,
  type Severity,
  STATUS_REPORT_VERSION,
  type StatusReport,
} from './model.js';
import { createRotationInspector, describeFailure, type RotationInspector } from './rotation-failure.js';

const DAY_MS = 86_400_000;

/**
 * Tag on a KMS key that sets its rotation period in days (1-3650), overriding --period-days:
 * the same tag the key schedule rotates by (functions/key-rotation/schedule.ts).
 */
export const PERIOD_TAG = SCHEDULE_PERIOD_TAG;

/** What the report covers and the rules it judges by. */
export interface CollectOptions {
  regions: readonly string[];
  /** Narrows the secrets (tag and/or name prefix); none: every secret. */
  secretFilter: FleetFilter;
  /** Aliases with this prefix are managed even without rekey evidence tags. */
  aliasPrefix?: string;
  /** Key rotation period when the key has no rekey:rotation-period-days tag. */
  periodDays: number;
  /** Certificate alert thresholds in days, most distant first. */
  thresholds: readonly number[];
  /**
   * AWSPENDING on a secret quiet for less than this is a rotation still running (unless its
   * function's log says it failed). Undefined: 8 × the secret's rotation function timeout.
   */
  stuckAfterSeconds?: number;
  /** Past NextRotationDate by more than this is overdue. */
  overdueAfterSeconds: number;
  /** Most secrets listed per Region. */
  maxSecrets?: number;
}

// ---------------------------------------------------------------------------------------------
// Secrets

const SECRET_SEVERITY: Record<string, Severity> = {
  stuck: 'attention',
  failed: 'attention',
  overdue: 'attention',
  due: 'warning',
  empty: 'warning',
  disabled: 'warning',
  rotating: 'ok',
  healthy: 'ok',
};

/** NextRotationDate, else LastRotatedDate + AutomaticallyAfterDays, else `null`. */
const nextRotationOf = (secret: SecretSnapshot): string | null => {
  if (secret.nextRotationDate) return secret.nextRotationDate;
  const days = secret.rotationRules?.AutomaticallyAfterDays;
  if (!secret.rotationEnabled || !secret.lastRotatedDate || days === undefined) return null;
  return new Date(Date.parse(secret.lastRotatedDate) + days * DAY_MS).toISOString();
};

/** The inspector of one Region: rotation failures and rotation function timeouts. */
export const inspectorFor = (clients: ReportClients, region: string): RotationInspector =>
  createRotationInspector({
    region,
    endpoint: clients.endpoint,
    ...(clients.accountId ? { accountId: clients.accountId } : {}),
    lambda: clients.lambda(region),
    logs: clients.logs(region),
  });

/**
 * Lists and assesses the secrets of one Region. A rotation whose function already reported a
 * failure is `failed` (or `stuck`, when the pending version holds no value) at once, with the
 * step and error in `reason`; otherwise AWSPENDING is judged stuck only after the stuck
 * threshold (`stuckAfterSeconds`, else 8 × the function's timeout).
 */
export const collectSecrets = async (
  clients: ReportClients,
  region: string,
  options: CollectOptions,
  notes: string[] = [],
): Promise<SecretStatus[]> => {
  const fleet = clients.fleet(region);
  const inspector = inspectorFor(clients, region);
  const listed = await listSecrets(fleet, options.secretFilter, options.maxSecrets ?? 10_000);
  const now = clients.now();
  const statuses = await mapBounded(listed.secrets, 5, async (secret) => {
    // The threshold matters only when AWSPENDING is left on another version: only then is the
    // function's timeout read.
    const stuckAfterSeconds =
      options.stuckAfterSeconds ??
      (foreignPending(secret.versionStages)
        ? (await inspector.stuckAfter(secret.rotationLambdaArn)).seconds
        : DEFAULTS.stuckAfterSeconds);
    const thresholds = { stuckAfterSeconds, overdueAfterSeconds: options.overdueAfterSeconds };
    let assessment = assessSecret(secret, now, thresholds);
    let cause = '';
    if (assessment.pendingVersionId && secret.rotationLambdaArn) {
      const failure = await inspector.failureOf({
        secretArn: secret.arn,
        token: assessment.pendingVersionId,
        lambdaArn: secret.rotationLambdaArn,
        ...(secret.lastChangedDate ? { since: new Date(secret.lastChangedDate) } : {}),
      });
      if (failure) {
        cause = ` Cause: ${describeFailure(failure)}.`;
        // The function has already failed: the rotation is over, however recent.
        if (assessment.classification === 'rotating')
          assessment = assessSecret(secret, now, { ...thresholds, stuckAfterSeconds: 0 });
      }
    }
    // `failed` before the probe means "AWSPENDING left behind, value unknown": ask whether the
    // pending version holds a value (stuck placeholder) or not (failed after createSecret).
    if (assessment.classification === 'failed' && assessment.pendingVersionId) {
      const hasValue = await pendingHasValue(fleet, secret.arn, assessment.pendingVersionId);
      assessment = assessSecret(secret, now, { ...thresholds, stuckAfterSeconds: 0 }, hasValue);
    }
    const pending = assessment.pendingVersionId ?? null;
    let severity = SECRET_SEVERITY[assessment.classification] ?? 'warning';
    let reason = `${assessment.reason}${cause}`;
    // The fleet skips disabled secrets before looking at AWSPENDING; a label left behind still
    // blocks the next RotateSecret, so say so.
    if (pending && (assessment.classification === 'disabled' || assessment.classification === 'empty')) {
      severity = 'attention';
      reason = `${reason} AWSPENDING is left on version ${pending}: run 'rekey doctor'.`;
    }
    return {
      kind: 'secret',
      region,
      name: secret.name,
      arn: secret.arn,
      rotationEnabled: secret.rotationEnabled,
      rotationLambdaArn: secret.rotationLambdaArn ?? null,
      lastRotatedDate: secret.lastRotatedDate ?? null,
      nextRotationDate: nextRotationOf(secret),
      state: assessment.classification,
      severity,
      reason,
      pendingVersionId: pending,
    } satisfies SecretStatus;
  });
  notes.push(...inspector.notes);
  return statuses;
};

// ---------------------------------------------------------------------------------------------
// Keys

/** Every alias of a Region (ListAliases pages with Marker/Truncated). */
export const listAliases = async (kms: KMSClient): Promise<AliasListEntry[]> => {
  const aliases: AliasListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListAliasesCommand({ Marker: marker, Limit: 100 }));
    aliases.push(...(page.Aliases ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return aliases;
};

const periodOf = (tags: readonly Tag[], fallback: number): { days: number; source: 'tag' | 'option' } => {
  const raw = tagValue(tags, PERIOD_TAG);
  const days = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(days) && days >= 1 && days <= 3650
    ? { days, source: 'tag' }
    : { days: fallback, source: 'option' };
};

/** A managed alias's key, with the tags it was judged by (for `rekey doctor`). */
export interface KeyWithTags {
  readonly status: KeyStatus;
  readonly tags: readonly Tag[];
}

/**
 * The keys behind the managed aliases of one Region: aliases whose key carries a rekey:*
 * tag, or whose name starts with `aliasPrefix`. AWS managed aliases (alias/aws/...) are never
 * managed.
 */
export const collectKeysWithTags = async (
  clients: ReportClients,
  region: string,
  options: Pick<CollectOptions, 'aliasPrefix' | 'periodDays'>,
): Promise<KeyWithTags[]> => {
  const kms = clients.kms(region);
  const aliases = (await listAliases(kms)).filter(
    // Retiring aliases are rekey's own mark on an old key it is retiring (key-rotation/access.ts).
    (a) =>
      a.AliasName && a.TargetKeyId && !a.AliasName.startsWith('alias/aws/') && !isRetiringAlias(a.AliasName),
  );
  const now = clients.now();
  const found = await mapBounded(aliases, 5, async (alias): Promise<KeyWithTags | undefined> => {
    const name = alias.AliasName ?? '';
    const byPrefix = options.aliasPrefix !== undefined && name.startsWith(options.aliasPrefix);
    const meta = await describeKeyOrUndefined(kms, alias.TargetKeyId ?? '');
    if (!meta?.KeyId || !meta.Arn) return undefined;
    const tags = await listAllTags(kms, meta.KeyId);
    if (!byPrefix && !tags.some((t) => isRekeyTag(t.TagKey))) return undefined;

    const since = inServiceSince(meta, tags);
    const period = periodOf(tags, options.periodDays);
    const next = new Date(since.getTime() + period.days * DAY_MS);
    const ageDays = Math.floor((now.getTime() - since.getTime()) / DAY_MS);
    const rotatedAt = tagValue(tags, TAG.successor) ? undefined : tagValue(tags, TAG.rotatedAt);
    const keyState = meta.KeyState ?? 'Unknown';
    let state: string;
    let severity: Severity;
    let reason: string;
    if (keyState === 'Disabled') {
      [state, severity] = ['disabled', 'attention'];
      reason = `${name} points at a disabled key: every call through the alias fails with DisabledException.`;
    } else if (keyState === 'PendingDeletion' || keyState === 'PendingReplicaDeletion') {
      [state, severity] = ['pending-deletion', 'attention'];
      reason = `${name} points at a key scheduled for deletion${meta.DeletionDate ? ` on ${meta.DeletionDate.toISOString()}` : ''}: calls fail now and the key material will be gone.`;
    } else if (keyState !== 'Enabled') {
      [state, severity] = [
        'unavailable',
        keyState === 'Creating' || keyState === 'Updating' ? 'warning' : 'attention',
      ];
      reason = `${name} points at a key in state ${keyState}.`;
    } else if (tagValue(tags, TAG.pendingRotation)) {
      [state, severity] = ['rotating', 'ok'];
      reason = `A rotation is under way (execution ${tagValue(tags, TAG.pendingRotation)}).`;
    } else if (now.getTime() - next.getTime() > DAY_MS) {
      [state, severity] = ['overdue', 'attention'];
      reason = `In service for ${ageDays} days, period ${period.days} days: rotation was due ${Math.floor((now.getTime() - next.getTime()) / DAY_MS)} day(s) ago.`;
    } else if (next.getTime() <= now.getTime()) {
      [state, severity] = ['due', 'warning'];
      reason = `In service for ${ageDays} days, period ${period.days} days: rotation is due now.`;
    } else {
      [state, severity] = ['healthy', 'ok'];
      reason = `In service for ${ageDays} days; next rotation in ${Math.ceil((next.getTime() - now.getTime()) / DAY_MS)} day(s).`;
    }
    return {
      tags,
      status: {
        kind: 'key',
        region,
        alias: name,
        keyId: meta.KeyId,
        keyArn: meta.Arn,
        keySpec: meta.KeySpec ?? 'SYMMETRIC_DEFAULT',
        keyUsage: meta.KeyUsage ?? 'ENCRYPT_DECRYPT',
        keyState,
        inServiceSince: since.toISOString(),
        ageDays,
        lastRotation: rotatedAt ?? null,
        predecessorKeyArn: tagValue(tags, TAG.predecessor) ?? null,
        periodDays: period.days,
        periodSource: period.source,
        nextRotation: next.toISOString(),
        state,
        severity,
        reason,
      },
    };
  });
  return found.filter((k): k is KeyWithTags => k !== undefined);
};

// ---------------------------------------------------------------------------------------------
// Certificates

/** Statuses of certificates that do not serve anything (never issued, revoked, inactive). */
const NOT_IN_SERVICE = new Set<string>([
  AcmStatus.FAILED,
  AcmStatus.VALIDATION_TIMED_OUT,
  AcmStatus.REVOKED,
  AcmStatus.INACTIVE,
]);

/** Every certificate summary of a Region: every key type and status (ACM's default omits most). */
export const listAllCertificates = async (acm: ACMClient): Promise<CertificateSummary[]> => {
  const out: CertificateSummary[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await withBackoff(() =>
      acm.send(
        new ListCertificatesCommand({
          CertificateStatuses: ALL_STATUSES,
          Includes: { keyTypes: ALL_KEY_TYPES },
          MaxItems: 1000,
          NextToken: token,
        }),
      ),
    );
    out.push(...(page.CertificateSummaryList ?? []));
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return out;
};

/** Judges one described certificate: triage when it is within a threshold, expired, or its renewal failed. */
export const certificateStatus = (
  region: string,
  summary: CertificateSummary,
  detail: CertificateDetail,
  now: Date,
  thresholds: readonly number[],
): CertificateStatus => {
  const smallest = Math.min(...thresholds);
  const notAfter = detail.NotAfter ?? null;
  const days = notAfter ? Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS) : null;
  const base = {
    kind: 'certificate' as const,
    region,
    arn: detail.CertificateArn ?? summary.CertificateArn ?? '',
    domainName: detail.DomainName ?? summary.DomainName ?? '',
    type: detail.Type ?? summary.Type ?? 'UNKNOWN',
    status: detail.Status ?? summary.Status ?? 'UNKNOWN',
    keyAlgorithm: detail.KeyAlgorithm ?? null,
    notAfter: notAfter ? notAfter.toISOString() : null,
    daysToExpiry: days,
    renewalStatus: detail.RenewalSummary?.RenewalStatus ?? null,
  };
  const status = base.status;
  if (NOT_IN_SERVICE.has(status) || (status === AcmStatus.PENDING_VALIDATION && !notAfter)) {
    return {
      ...base,
      threshold: null,
      finding: 'NOT_IN_SERVICE',
      severity: 'ok',
      action: `Status ${status}: it serves nothing and cannot expire unnoticed; delete it if it is not needed.`,
    };
  }
  const renewalFailed = detail.RenewalSummary?.RenewalStatus === 'FAILED';
  if (!needsAttention(summary, now, Math.max(...thresholds)) && !renewalFailed) {
    return {
      ...base,
      threshold: null,
      finding: 'OK',
      severity: 'ok',
      action: days === null ? 'No expiry date.' : `Expires in ${days} day(s): nothing to do yet.`,
    };
  }
  const t = triage(detail, now, thresholds);
  const urgent =
    t.findingClass === 'EXPIRED' ||
    t.findingClass === 'RENEWAL_FAILED' ||
    (t.daysToExpiry !== null && t.daysToExpiry <= smallest);
  return {
    ...base,
    daysToExpiry: t.daysToExpiry,
    threshold: t.threshold,
    finding: t.findingClass,
    severity: urgent ? 'attention' : 'warning',
    action: t.action,
  };
};

/** Lists, describes (5 at a time, with backoff) and judges every certificate of one Region. */
export const collectCertificates = async (
  clients: ReportClients,
  region: string,
  options: Pick<CollectOptions, 'thresholds'>,
): Promise<CertificateStatus[]> => {
  const acm = clients.acm(region);
  const summaries = (await listAllCertificates(acm)).filter((s) => s.CertificateArn);
  const now = clients.now();
  return mapBounded(summaries, 5, async (summary) => {
    const { Certificate } = await withBackoff(() =>
      acm.send(new DescribeCertificateCommand({ CertificateArn: summary.CertificateArn })),
    );
    return certificateStatus(region, summary, Certificate ?? {}, now, options.thresholds);
  });
};

// ---------------------------------------------------------------------------------------------
// The whole report

const SEVERITY_ORDER: Record<Severity, number> = { attention: 0, warning: 1, ok: 2 };

/**
 * Reads one service in one Region and appends what it found to `into`. A failure is recorded in
 * `errors` (error name and message) instead of thrown, so one unreadable service or Region never
 * hides what the others report.
 */
export const collectInto = async <T>(
  errors: CollectionError[],
  region: string,
  service: CollectionError['service'],
  into: T[],
  read: () => Promise<T[]>,
): Promise<void> => {
  try {
    into.push(...(await read()));
  } catch (error) {
    errors.push({
      region,
      service,
      message: `${error instanceof Error ? `${error.name}: ` : ''}${messageOf(error)}`,
    });
  }
};

/**
 * Collects the report over every Region. A service that cannot be read in a Region is recorded
 * in `errors` and the rest is still reported. What could not be checked (a rotation function's
 * log or timeout) is added to `notes`.
 */
export const collectStatus = async (
  clients: ReportClients,
  options: CollectOptions,
  notes: string[] = [],
): Promise<StatusReport> => {
  const secrets: SecretStatus[] = [];
  const keys: KeyStatus[] = [];
  const certificates: CertificateStatus[] = [];
  const errors: CollectionError[] = [];
  const accessKeySecrets: AccessKeySecretRef[] = [];
  for (const region of options.regions) {
    await Promise.all([
      collectInto(errors, region, 'secretsmanager', accessKeySecrets, () =>
        findAccessKeySecrets(clients, region, options.secretFilter, options.maxSecrets, notes),
      ),
      collectInto(errors, region, 'secretsmanager', secrets, () =>
        collectSecrets(clients, region, options, notes),
      ),
      collectInto(errors, region, 'kms', keys, async () =>
        (await collectKeysWithTags(clients, region, options)).map((k) => k.status),
      ),
      collectInto(errors, region, 'acm', certificates, () => collectCertificates(clients, region, options)),
    ]);
  }
  // IAM is global: each user is listed once, through the first Region's endpoint.
  const iamUsers: IamUserStatus[] = [];
  const iamRegion = options.regions[0] ?? 'us-east-1';
  if (accessKeySecrets.length > 0)
    await collectInto(errors, iamRegion, 'iam', iamUsers, () =>
      collectAccessKeys(clients, iamRegion, accessKeySecrets),
    );
  const bySeverity = (a: { severity: Severity }, b: { severity: Severity }) =>
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
  secrets.sort((a, b) => bySeverity(a, b) || a.name.localeCompare(b.name));
  keys.sort((a, b) => bySeverity(a, b) || a.alias.localeCompare(b.alias));
  certificates.sort(
    (a, b) =>
      bySeverity(a, b) ||
      (a.daysToExpiry ?? Number.MAX_SAFE_INTEGER) - (b.daysToExpiry ?? Number.MAX_SAFE_INTEGER),
  );
  const summary = {
    secrets: countBySeverity(secrets),
    keys: countBySeverity(keys),
    certificates: countBySeverity(certificates),
    iamUsers: countBySeverity(iamUsers),
  };
  const attention =
    summary.secrets.attention +
    summary.keys.attention +
    summary.certificates.attention +
    summary.iamUsers.attention;
  return {
    version: STATUS_REPORT_VERSION,
    generatedAt: clients.now().toISOString(),
    regions: [...options.regions],
    thresholds: [...options.thresholds],
    summary: { ...summary, attention, healthy: attention === 0 && errors.length === 0 },
    secrets,
    keys,
    certificates,
    iamUsers,
    errors,
  };
};
