import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { FleetClients } from './clients.js';
import { throttleAware } from './errors.js';
import type { Assessment, Candidate, FleetOptions, SecretSnapshot, SortKey } from './types.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
const DAY_MS = 86_400_000;

/** The version carrying `stage`, if any. */
export const versionWithStage = (stages: Record<string, string[]>, stage: string): string | undefined =>
  Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];

/** The version AWSPENDING sits on when that is not the AWSCURRENT version (a rotation not finished). */
export const foreignPending = (stages: Record<string, string[]>): string | undefined => {
  const pending = versionWithStage(stages, AWSPENDING);
  return pending && !stages[pending]?.includes(AWSCURRENT) ? pending : undefined;
};

const ms = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? undefined : value;
};

/**
 * When the secret is next due: NextRotationDate as Secrets Manager reports it (the end of the
 * rotation window: a scheduled rotation should have run by then); for an
 * `AutomaticallyAfterDays` schedule without one, LastRotatedDate plus that many days.
 * `null`: never rotated and no date (due now); `undefined`: no schedule at all.
 */
const nextDue = (secret: SecretSnapshot): number | null | undefined => {
  const next = ms(secret.nextRotationDate);
  if (next !== undefined) return next;
  const last = ms(secret.lastRotatedDate);
  const days = secret.rotationRules?.AutomaticallyAfterDays;
  if (last === undefined) return null;
  return days === undefined ? undefined : last + days * DAY_MS;
};

/**
 * Classifies one secret from what ListSecrets/DescribeSecret report, in this order:
 * `disabled` (rotation off or no function) → `empty` (no AWSCURRENT) → a foreign AWSPENDING:
 * `rotating` if the secret changed within `stuckAfterSeconds`, else `stuck` (the pending
 * version holds no value) or `failed` (it holds one; also when unknown, the cautious choice) →
 * `overdue` / `due` by NextRotationDate → `healthy`.
 *
 * `pendingHasValue` is the answer of `pendingHasValue()` for the foreign pending version.
 * DescribeSecret has no "last rotation failed" field: a failed rotation shows only as the
 * AWSPENDING it leaves behind, which is why `failed` and `stuck` both start from it.
 */
export const assessSecret = (
  secret: SecretSnapshot,
  now: Date,
  options: Pick<FleetOptions, 'stuckAfterSeconds' | 'overdueAfterSeconds'>,
  pendingHasValue?: boolean,
): Assessment | Candidate => {
  const base = { arn: secret.arn, name: secret.name };
  const pending = foreignPending(secret.versionStages);
  const withPending = pending ? { pendingVersionId: pending } : {};
  if (!secret.rotationEnabled || !secret.rotationLambdaArn) {
    return {
      ...base,
      ...withPending,
      classification: 'disabled',
      reason: secret.rotationLambdaArn
        ? 'Rotation is turned off for this secret (RotationEnabled is false).'
        : 'No rotation function is configured; RotateSecret with RotationLambdaARN turns rotation on.',
    };
  }
  if (!versionWithStage(secret.versionStages, AWSCURRENT)) {
    return { ...base, classification: 'empty', reason: 'The secret has no AWSCURRENT value to rotate from.' };
  }
  const nowMs = now.getTime();
  if (pending) {
    const changed = ms(secret.lastChangedDate);
    const quietFor = changed === undefined ? Number.POSITIVE_INFINITY : nowMs - changed;
    if (quietFor < options.stuckAfterSeconds * 1000) {
      return {
        ...base,
        ...withPending,
        classification: 'rotating',
        reason: `AWSPENDING is on version ${pending} and the secret changed ${Math.round(quietFor / 1000)} s ago: a rotation is running.`,
      };
    }
    if (pendingHasValue === false) {
      return {
        ...base,
        pendingVersionId: pending,
        classification: 'stuck',
        action: 'clear-then-rotate',
        reason: `AWSPENDING is left on version ${pending}, which holds no value: the rotation never got past createSecret.`,
      };
    }
    return {
      ...base,
      pendingVersionId: pending,
      classification: 'failed',
      action: 'resume',
      reason: `AWSPENDING is left on version ${pending}, which holds a value: the last rotation failed after createSecret and the value may already be in use, so it is finished rather than discarded.`,
    };
  }
  const due = nextDue(secret);
  const withNext = secret.nextRotationDate ? { nextRotationDate: secret.nextRotationDate } : {};
  if (due === null) {
    return { ...base, classification: 'due', action: 'rotate', reason: 'The secret has never been rotated.' };
  }
  if (due !== undefined && due <= nowMs) {
    const late = nowMs - due;
    const overdue = late > options.overdueAfterSeconds * 1000;
    return {
      ...base,
      ...withNext,
      classification: overdue ? 'overdue' : 'due',
      action: 'rotate',
      reason: overdue
        ? `Rotation was due ${Math.floor(late / DAY_MS)} day(s) ${Math.floor((late % DAY_MS) / 3_600_000)} h ago: scheduled rotations are not happening.`
        : 'The rotation date has come.',
    };
  }
  return {
    ...base,
    ...withNext,
    classification: 'healthy',
    reason: due === undefined ? 'Rotation is on but has no schedule.' : 'Not due yet.',
  };
};

export const isCandidate = (assessment: Assessment | Candidate): assessment is Candidate =>
  'action' in assessment;

/**
 * Whether the version holds a value, asked by reading it (Secrets Manager has no other call
 * that tells): ResourceNotFoundException means the rotation placeholder, still empty. The
 * value itself is dropped at once: never kept, logged or returned.
 */
export const pendingHasValue = async (
  clients: FleetClients,
  arn: string,
  versionId: string,
): Promise<boolean> => {
  try {
    await throttleAware('GetSecretValue', () =>
      clients.secrets.send(
        new GetSecretValueCommand({ SecretId: arn, VersionId: versionId, VersionStage: AWSPENDING }),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
};

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order. */
export const mapLimited = async <T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

/**
 * Where a secret stands in the rotation order (see SortKey): oldest due first. A secret never
 * rotated sorts first (0); an unfinished rotation by when it was left (its last change) or its
 * due date, whichever is older; a secret without a schedule last.
 */
export const sortKeyOf = (secret: SecretSnapshot): SortKey => {
  const due = nextDue(secret);
  let key = due === null ? 0 : (due ?? Number.MAX_SAFE_INTEGER);
  if (foreignPending(secret.versionStages)) key = Math.min(key, ms(secret.lastChangedDate) ?? key);
  return { due: key, arn: secret.arn };
};

/** Orders two keys: by due time, then by ARN. */
export const compareKeys = (a: SortKey, b: SortKey): number =>
  a.due - b.due || (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0);

/**
 * Classifies secrets: probes the value of foreign pending versions (only for secrets quiet long
 * enough to be stuck, a few at a time), then `assessSecret`.
 */
export const classifyAll = (
  clients: FleetClients,
  options: Pick<FleetOptions, 'stuckAfterSeconds' | 'overdueAfterSeconds'>,
  secrets: SecretSnapshot[],
): Promise<(Assessment | Candidate)[]> => {
  const now = clients.now();
  return mapLimited(secrets, 10, async (secret) => {
    const first = assessSecret(secret, now, options);
    if (first.classification !== 'failed' || !first.pendingVersionId) return first;
    const hasValue = await pendingHasValue(clients, secret.arn, first.pendingVersionId);
    return assessSecret(secret, now, options, hasValue);
  });
};
