/**
 * The shape of `rekey status --output json` (and the data behind the table and the HTML page).
 * It is a contract for scripts: `version` changes only when a field is removed or changes
 * meaning; new fields may appear in the same version. Dates are ISO 8601 strings (UTC) or
 * `null`. Nothing in it is a secret value: secrets appear by name, ARN and version id only.
 * docs/status-report.md documents every field.
 */

import type { FindingClass } from '../../functions/certificate-expiry/schema.js';
import type { Triage } from '../../functions/certificate-expiry/triage.js';

/** Bumped only for incompatible changes to {@link StatusReport}. */
export const STATUS_REPORT_VERSION = 1;

/**
 * How much an item matters to the exit code:
 * - `ok`: nothing to do;
 * - `warning`: worth a look, not urgent (due soon, within an alert threshold, rotation off);
 * - `attention`: broken or about to break (stuck, failed, overdue, expired, expiring within the
 *   smallest threshold, renewal failed, alias on an unusable key). Any of these makes exit code 3.
 */
export type Severity = 'ok' | 'warning' | 'attention';

/**
 * A secret's rotation state: the secret-fleet classification (`due`, `overdue`, `stuck`,
 * `failed`, `rotating`, `healthy`, `disabled`, `empty`).
 */
export interface SecretStatus {
  readonly kind: 'secret';
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly rotationEnabled: boolean;
  readonly rotationLambdaArn: string | null;
  readonly lastRotatedDate: string | null;
  /** NextRotationDate as Secrets Manager reports it, else LastRotatedDate + AutomaticallyAfterDays. */
  readonly nextRotationDate: string | null;
  readonly state: string;
  readonly severity: Severity;
  /** Why, in words an operator can act on. */
  readonly reason: string;
  /** The version AWSPENDING sits on when it is not the AWSCURRENT version (stuck or failed rotation). */
  readonly pendingVersionId: string | null;
}

/**
 * The key behind a managed alias: `healthy`, `due` (next rotation has come), `overdue` (more
 * than a day past it), `rotating` (a rekey rotation is under way), `disabled`,
 * `pending-deletion` or `unavailable` (any other key state).
 */
export interface KeyStatus {
  readonly kind: 'key';
  readonly region: string;
  readonly alias: string;
  readonly keyId: string;
  readonly keyArn: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly keyState: string;
  /** When the key went into service (its rekey:rotated-at evidence tag, else its creation date). */
  readonly inServiceSince: string;
  readonly ageDays: number;
  /** rekey:rotated-at of the key: when rekey last rotated this alias, `null` if never. */
  readonly lastRotation: string | null;
  /** ARN of the key this one replaced (rekey:predecessor), if any. */
  readonly predecessorKeyArn: string | null;
  readonly periodDays: number;
  /** Where `periodDays` came from: the key's rekey:rotation-period-days tag, or the --period-days option. */
  readonly periodSource: 'tag' | 'option';
  readonly nextRotation: string;
  readonly state: string;
  readonly severity: Severity;
  readonly reason: string;
}

/**
 * A certificate: its days to expiry and the certificate-expiry triage (`OK` when it needs
 * nothing). The fields it shares with a certificate-expiry finding have the finding's meaning
 * (`threshold` is `null` when no alert threshold is crossed; `action` is the triage's sentence,
 * or why nothing is needed).
 */
export interface CertificateStatus
  extends Pick<
    Triage,
    | 'region'
    | 'domainName'
    | 'type'
    | 'status'
    | 'keyAlgorithm'
    | 'notAfter'
    | 'daysToExpiry'
    | 'threshold'
    | 'renewalStatus'
    | 'action'
  > {
  readonly kind: 'certificate';
  readonly arn: string;
  /** A certificate-expiry finding class, `OK`, or `NOT_IN_SERVICE` (a status that cannot expire unnoticed). */
  readonly finding: FindingClass | 'OK' | 'NOT_IN_SERVICE';
  readonly severity: Severity;
}

/** One access key of a rotated IAM user (ListAccessKeys: never its secret). */
export interface AccessKeyAge {
  readonly accessKeyId: string;
  /** `Active` or `Inactive`. */
  readonly status: string;
  readonly createDate: string | null;
  readonly ageDays: number | null;
  /** Names of the rotated secrets whose AWSCURRENT or AWSPREVIOUS holds this key. */
  readonly heldBy: readonly string[];
  /** Older than the user's period and held by no rotated secret: nothing will ever rotate it. */
  readonly stale: boolean;
}

/**
 * An IAM user whose access key a secret rotates (the iam-access-key rotator): the age of each
 * of its keys. `attention` when a key is older than the period and no rotated secret holds it.
 */
export interface IamUserStatus {
  readonly kind: 'iam-user';
  readonly userName: string;
  /** The rotated secrets that name this user. */
  readonly secrets: readonly string[];
  /** The shortest AutomaticallyAfterDays of those secrets, else 90 (Security Hub IAM.3). */
  readonly periodDays: number;
  readonly keys: readonly AccessKeyAge[];
  readonly severity: Severity;
  readonly reason: string;
}

/** A Region or service that could not be read; the rest of the report is still valid. */
export interface CollectionError {
  readonly region: string;
  readonly service: 'secretsmanager' | 'kms' | 'acm' | 'iam';
  readonly message: string;
}

export interface StatusReport {
  readonly version: typeof STATUS_REPORT_VERSION;
  readonly generatedAt: string;
  readonly regions: readonly string[];
  /** Certificate alert thresholds in days, most distant first. */
  readonly thresholds: readonly number[];
  readonly summary: {
    readonly secrets: Record<Severity, number>;
    readonly keys: Record<Severity, number>;
    readonly certificates: Record<Severity, number>;
    readonly iamUsers: Record<Severity, number>;
    /** Items with severity `attention`; when above 0, `rekey status` exits with 3. */
    readonly attention: number;
    readonly healthy: boolean;
  };
  readonly secrets: readonly SecretStatus[];
  readonly keys: readonly KeyStatus[];
  readonly certificates: readonly CertificateStatus[];
  /** IAM users whose access keys rotated secrets hold (IAM is global: listed once). */
  readonly iamUsers: readonly IamUserStatus[];
  readonly errors: readonly CollectionError[];
}

export type ReportItem = SecretStatus | KeyStatus | CertificateStatus;

/** Counts per severity. */
export const countBySeverity = (items: readonly { severity: Severity }[]): Record<Severity, number> => {
  const counts: Record<Severity, number> = { ok: 0, warning: 0, attention: 0 };
  for (const item of items) counts[item.severity]++;
  return counts;
};

/** The date an item sits at on the timeline: next rotation, or certificate expiry. */
export const timelineDate = (item: ReportItem): string | null => {
  if (item.kind === 'secret') return item.nextRotationDate;
  if (item.kind === 'key') return item.nextRotation;
  return item.notAfter;
};

/** A short label for an item: secret name, alias, or certificate domain. */
export const itemLabel = (item: ReportItem): string => {
  if (item.kind === 'secret') return item.name;
  if (item.kind === 'key') return item.alias;
  return item.domainName || item.arn;
};

/**
 * How the report groups an item for people (the table's notes, the summary line, the HTML page):
 * its severity, except that a secret whose rotation is off (state `disabled`, severity `warning`)
 * is its own category, `unrotated`. Many accounts hold dozens of such secrets on purpose; counted
 * as warnings they drowned the few warnings with a deadline. The JSON severity is unchanged.
 */
export type Category = Severity | 'unrotated';

export const categoryOf = (item: ReportItem): Category =>
  item.kind === 'secret' && item.state === 'disabled' && item.severity === 'warning'
    ? 'unrotated'
    : item.severity;

/** Items per category, over every kind. */
export const countByCategory = (report: StatusReport): Record<Category, number> => {
  const counts: Record<Category, number> = { attention: 0, warning: 0, unrotated: 0, ok: 0 };
  for (const item of [...report.certificates, ...report.keys, ...report.secrets]) counts[categoryOf(item)]++;
  for (const user of report.iamUsers ?? []) counts[user.severity]++;
  return counts;
};

/** Secret states that are broken now, whatever their next rotation date says. */
const BROKEN_NOW = new Set(['stuck', 'failed', 'empty']);

/**
 * When an item's problem bites, as epoch milliseconds: a broken secret now (`-Infinity`, first),
 * otherwise its timeline date (expiry, next rotation); no date at all comes last.
 */
export const deadlineOf = (item: ReportItem): number => {
  if (item.kind === 'secret' && BROKEN_NOW.has(item.state)) return Number.NEGATIVE_INFINITY;
  if (item.kind === 'key' && item.severity === 'attention' && item.state !== 'overdue')
    return Number.NEGATIVE_INFINITY;
  const at = Date.parse(timelineDate(item) ?? '');
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
};

const CATEGORY_ORDER: Record<Category, number> = { attention: 0, warning: 1, unrotated: 2, ok: 3 };

/** Most urgent first: by category, then by deadline, then by label. */
export const byUrgency = (a: ReportItem, b: ReportItem): number =>
  CATEGORY_ORDER[categoryOf(a)] - CATEGORY_ORDER[categoryOf(b)] ||
  deadlineOf(a) - deadlineOf(b) ||
  itemLabel(a).localeCompare(itemLabel(b), 'en', { numeric: true });
