/**
 * The IAM users whose access keys rotated secrets hold (the iam-access-key rotator's format,
 * `{"UserName", "AccessKeyId", "SecretAccessKey"}`): the age of each of their keys, and the
 * keys nothing rotates. Read-only. The secret values are read (AWSCURRENT and AWSPREVIOUS, to
 * learn the user and which key each holds) and only `UserName` and `AccessKeyId` are kept: the
 * SecretAccessKey is dropped at once and never reaches the report.
 */

import { type AccessKeyMetadata, ListAccessKeysCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { mapBounded } from '../../functions/lib/retry.js';
import { listSecrets } from '../../functions/secret-fleet/list.js';
import type { FleetFilter } from '../../functions/secret-fleet/types.js';
import { tryParseJsonObject } from '../../functions/secret-rotation/rotators/secret-format.js';
import type { ReportClients } from './clients.js';
import type { AccessKeyAge, IamUserStatus } from './model.js';

const DAY_MS = 86_400_000;

/** Security Hub control IAM.3: access keys should be rotated every 90 days. */
export const DEFAULT_ACCESS_KEY_PERIOD_DAYS = 90;

/** A rotated secret holding an IAM user's access key: its name, the user and the key ids only. */
export interface AccessKeySecretRef {
  readonly secretName: string;
  readonly region: string;
  readonly userName: string;
  /** Key ids in AWSCURRENT and AWSPREVIOUS. */
  readonly keyIds: readonly string[];
  readonly periodDays: number;
}

const UNREADABLE = new Set(['AccessDeniedException', 'DecryptionFailure']);

/** `UserName` and `AccessKeyId` of an IAM-key secret version; nothing else is kept. */
const keyRefOf = async (
  clients: ReportClients,
  region: string,
  secretId: string,
  stage: 'AWSCURRENT' | 'AWSPREVIOUS',
): Promise<{ userName: string; keyId: string } | 'unreadable' | undefined> => {
  try {
    const answer = await clients
      .secrets(region)
      .send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    const value = answer.SecretString === undefined ? undefined : tryParseJsonObject(answer.SecretString);
    if (
      value &&
      value.engine === undefined &&
      typeof value.UserName === 'string' &&
      typeof value.AccessKeyId === 'string' &&
      value.SecretAccessKey !== undefined
    ) {
      return { userName: value.UserName, keyId: value.AccessKeyId };
    }
  } catch (error) {
    // No AWSPREVIOUS (never rotated) is normal. A value this caller may not read (or whose KMS
    // key is unusable) is skipped and counted, not an error hiding the rest of the Region.
    if (error instanceof Error && UNREADABLE.has(error.name)) return 'unreadable';
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  return undefined;
};

/** The secrets of one Region, with rotation on, that hold an IAM user's access key. */
export const findAccessKeySecrets = async (
  clients: ReportClients,
  region: string,
  filter: FleetFilter,
  maxSecrets = 10_000,
  notes: string[] = [],
): Promise<AccessKeySecretRef[]> => {
  let unreadable = 0;
  const fleet = clients.fleet(region);
  const listed = await listSecrets(fleet, filter, maxSecrets);
  const found = await mapBounded(
    listed.secrets,
    5,
    async (secret): Promise<AccessKeySecretRef | undefined> => {
      if (!secret.rotationEnabled) return undefined;
      const current = await keyRefOf(clients, region, secret.arn, 'AWSCURRENT');
      if (current === 'unreadable') unreadable++;
      if (!current || current === 'unreadable') return undefined;
      const read = await keyRefOf(clients, region, secret.arn, 'AWSPREVIOUS');
      const previous = read === 'unreadable' ? undefined : read;
      const days = secret.rotationRules?.AutomaticallyAfterDays;
      return {
        secretName: secret.name,
        region,
        userName: current.userName,
        keyIds: [
          current.keyId,
          ...(previous && previous.userName === current.userName ? [previous.keyId] : []),
        ],
        periodDays: days !== undefined && days >= 1 ? days : DEFAULT_ACCESS_KEY_PERIOD_DAYS,
      } satisfies AccessKeySecretRef;
    },
  );
  if (unreadable > 0)
    notes.push(
      `${unreadable} rotated secret(s) in ${region} could not be read (secretsmanager:GetSecretValue denied, or their KMS key unusable): IAM access keys they may hold were not checked.`,
    );
  return found.filter((r): r is AccessKeySecretRef => r !== undefined);
};

const listKeys = async (clients: ReportClients, region: string, userName: string) => {
  const keys: AccessKeyMetadata[] = [];
  let marker: string | undefined;
  do {
    const page = await clients
      .iam(region)
      .send(new ListAccessKeysCommand({ UserName: userName, Marker: marker, MaxItems: 100 }));
    keys.push(...(page.AccessKeyMetadata ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return keys;
};

/** The AWS CLI commands that retire a key nothing rotates: deactivate it, then delete it. */
export const retireKeyCommands = (userName: string, key: Pick<AccessKeyAge, 'accessKeyId' | 'status'>) => [
  ...(key.status === 'Active'
    ? [
        `aws iam update-access-key --user-name ${userName} --access-key-id ${key.accessKeyId} --status Inactive`,
      ]
    : []),
  `aws iam delete-access-key --user-name ${userName} --access-key-id ${key.accessKeyId}`,
];

/**
 * Judges the users the secrets name (IAM is global: each user once, through `region`'s
 * endpoint). A key older than the user's period (the shortest rotation period of its secrets)
 * that no rotated secret holds in AWSCURRENT or AWSPREVIOUS is stale: `attention`.
 */
export const collectAccessKeys = async (
  clients: ReportClients,
  region: string,
  refs: readonly AccessKeySecretRef[],
): Promise<IamUserStatus[]> => {
  const users = new Map<string, AccessKeySecretRef[]>();
  for (const ref of refs) users.set(ref.userName, [...(users.get(ref.userName) ?? []), ref]);
  const heldBy = new Map<string, string[]>();
  for (const ref of refs)
    for (const id of ref.keyIds) heldBy.set(id, [...new Set([...(heldBy.get(id) ?? []), ref.secretName])]);
  const now = clients.now();
  const statuses = await mapBounded([...users.entries()], 5, async ([userName, userRefs]) => {
    const periodDays = Math.min(...userRefs.map((r) => r.periodDays));
    const secrets = [...new Set(userRefs.map((r) => r.secretName))].sort();
    let listed: AccessKeyMetadata[];
    try {
      listed = await listKeys(clients, region, userName);
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
      return {
        kind: 'iam-user',
        userName,
        secrets,
        periodDays,
        keys: [],
        severity: 'attention',
        reason: `IAM user ${userName}, named by ${secrets.join(', ')}, does not exist: the next rotation fails. Fix UserName in the secret or create the user.`,
      } satisfies IamUserStatus;
    }
    const keys: AccessKeyAge[] = listed
      .filter((k) => k.AccessKeyId)
      .map((k) => {
        const ageDays = k.CreateDate ? Math.floor((now.getTime() - k.CreateDate.getTime()) / DAY_MS) : null;
        const holders = heldBy.get(k.AccessKeyId ?? '') ?? [];
        return {
          accessKeyId: k.AccessKeyId ?? '',
          status: k.Status ?? 'Unknown',
          createDate: k.CreateDate ? k.CreateDate.toISOString() : null,
          ageDays,
          heldBy: holders,
          stale: holders.length === 0 && ageDays !== null && ageDays > periodDays,
        };
      })
      .sort((a, b) => (b.ageDays ?? 0) - (a.ageDays ?? 0));
    const stale = keys.filter((k) => k.stale);
    const ages = keys.map((k) => `${k.accessKeyId} ${k.status} ${k.ageDays ?? '?'}d`).join(', ');
    return {
      kind: 'iam-user',
      userName,
      secrets,
      periodDays,
      keys,
      severity: stale.length > 0 ? 'attention' : 'ok',
      reason:
        stale.length > 0
          ? `${stale.map((k) => `Access key ${k.accessKeyId} (${k.status}) is ${k.ageDays} days old, past the ${periodDays}-day period, and no rotated secret holds it: nothing will ever rotate it. Deactivate, then delete it: ${retireKeyCommands(userName, k).join(' && ')}`).join(' ')}`
          : `Keys: ${ages || 'none'}.`,
    } satisfies IamUserStatus;
  });
  return statuses.sort((a, b) => a.userName.localeCompare(b.userName));
};
