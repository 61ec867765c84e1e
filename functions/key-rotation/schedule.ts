/**
 * The key schedule: every managed key that is due gets its own key-rotation execution. A key is
 * managed when an alias matching the managed alias pattern (the same pattern the role is scoped
 * to) points at it; its period is its `rekey:rotation-period-days` tag, or the schedule's
 * default. A tag only sets the period of a key that is already managed: tagging a key outside
 * the pattern rotates nothing, because the role could not touch it.
 */
import { ListAliasesCommand } from '@aws-sdk/client-kms';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../lib/errors.js';
import { currentLogger } from '../lib/invocation.js';
import { isRetiringAlias } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { describeKeyOrUndefined, listAllTags } from './kms.js';
import { DEFAULTS, inServiceSince } from './plan.js';
import { TAG, tagValue } from './tags.js';

/** Tag on a managed key that sets its own rotation period in days (1 to 3650). */
export const PERIOD_TAG = 'rekey:rotation-period-days';

export interface ScheduleInput {
  task: 'scheduleDueKeys';
  /** IAM-style wildcard pattern of managed aliases (`*` any characters, `?` one). */
  aliasPattern: string;
  periodDays: number;
  gracePeriodSeconds: number;
  retentionSeconds: number;
  pendingWindowInDays: number;
}

export interface ScheduledKey {
  alias: string;
  keyId: string;
  periodDays: number;
  ageDays: number;
  executionArn?: string;
  /** True when today's execution for this key had already been started (a repeated schedule). */
  alreadyStarted?: boolean;
}

export interface ScheduleResult {
  checkedAt: string;
  started: ScheduledKey[];
  notDue: ScheduledKey[];
  skipped: { alias: string; keyId: string; reason: string }[];
}

const INTEGERS = {
  periodDays: { min: 1, max: 3650 },
  gracePeriodSeconds: { min: 0, max: 365 * 86_400 },
  retentionSeconds: { min: 0, max: 365 * 86_400 },
  pendingWindowInDays: { min: 7, max: 30 },
} as const;

/** Checks the schedule's input (from template.yaml), naming the field that is wrong. */
export const parseScheduleInput = (event: Record<string, unknown>): ScheduleInput => {
  const known = new Set(['task', 'aliasPattern', ...Object.keys(INTEGERS)]);
  for (const key of Object.keys(event)) {
    if (!known.has(key)) throw new InvalidInputError(`Unknown field '${key}' in the key schedule's input.`);
  }
  if (
    typeof event.aliasPattern !== 'string' ||
    !/^alias\/[a-zA-Z0-9/_*?-]{1,250}$/.test(event.aliasPattern)
  ) {
    throw new InvalidInputError(
      `Field 'aliasPattern' must be an alias pattern such as alias/rekey/*; got ${JSON.stringify(event.aliasPattern)}.`,
    );
  }
  const out: Record<string, number> = {};
  for (const [field, { min, max }] of Object.entries(INTEGERS)) {
    const value = event[field] ?? DEFAULTS[field as keyof typeof DEFAULTS];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidInputError(
        `Field '${field}' must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}.`,
      );
    }
    out[field] = value;
  }
  return {
    task: 'scheduleDueKeys',
    aliasPattern: event.aliasPattern,
    ...(out as Omit<ScheduleInput, 'task' | 'aliasPattern'>),
  };
};

/** IAM's StringLike: `*` matches any run of characters (including `/`), `?` exactly one. */
export const matchesAliasPattern = (alias: string, pattern: string): boolean => {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(alias);
};

/** Every alias of the Region that matches the pattern, with the key it points at. */
const managedAliases = async (clients: KeyRotationClients, pattern: string) => {
  const kms = clients.kms(clients.region);
  const found: { alias: string; keyId: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListAliasesCommand({ Marker: marker }));
    for (const a of page.Aliases ?? []) {
      if (!a.AliasName || !a.TargetKeyId || a.AliasName.startsWith('alias/aws/')) continue;
      // Any stack's retiring alias marks an old key being retired: never a key to rotate.
      if (isRetiringAlias(a.AliasName) || a.AliasName.startsWith(clients.access.retiringAliasPrefix))
        continue;
      if (matchesAliasPattern(a.AliasName, pattern)) found.push({ alias: a.AliasName, keyId: a.TargetKeyId });
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return found.sort((x, y) => x.alias.localeCompare(y.alias));
};

/**
 * Starts one key-rotation execution for every managed key that is due. The execution name is
 * fixed per key and day, so a schedule that fires twice (or a retried invocation) starts nothing
 * new: Step Functions answers ExecutionAlreadyExists for a name in use.
 */
export const scheduleDueKeys = async (
  clients: KeyRotationClients,
  input: ScheduleInput,
  stateMachineArn: string,
): Promise<ScheduleResult> => {
  const kms = clients.kms(clients.region);
  const now = clients.now();
  const result: ScheduleResult = { checkedAt: now.toISOString(), started: [], notDue: [], skipped: [] };
  const seen = new Set<string>();
  for (const { alias, keyId } of await managedAliases(clients, input.aliasPattern)) {
    // A key behind two managed aliases is rotated once, through the first alias in order. The
    // other alias keeps the old key, and Check Predecessor Unused stops its retirement and says so.
    if (seen.has(keyId)) {
      result.skipped.push({
        alias,
        keyId,
        reason: 'the key is also behind another managed alias, rotated through that one',
      });
      continue;
    }
    seen.add(keyId);
    const meta = await describeKeyOrUndefined(kms, keyId);
    if (meta?.KeyState !== 'Enabled' || meta.KeyManager !== 'CUSTOMER') {
      result.skipped.push({
        alias,
        keyId,
        reason: `the key is ${meta ? `${meta.KeyState} (${meta.KeyManager})` : 'gone'}`,
      });
      continue;
    }
    const tags = await listAllTags(kms, keyId);
    if (tagValue(tags, TAG.pendingRotation)) {
      result.skipped.push({ alias, keyId, reason: 'a rotation of this key is in progress' });
      continue;
    }
    const tagged = tagValue(tags, PERIOD_TAG);
    const periodDays = tagged === undefined ? input.periodDays : Number(tagged);
    if (!Number.isInteger(periodDays) || periodDays < 1 || periodDays > 3650) {
      result.skipped.push({
        alias,
        keyId,
        reason: `tag ${PERIOD_TAG} must be a whole number of days from 1 to 3650; it is '${tagged}'`,
      });
      continue;
    }
    const ageDays = Math.floor((now.getTime() - inServiceSince(meta, tags).getTime()) / 86_400_000);
    const entry: ScheduledKey = { alias, keyId, periodDays, ageDays };
    if (ageDays < periodDays) {
      result.notDue.push(entry);
      continue;
    }
    const name = `scheduled-${keyId}-${now.toISOString().slice(0, 10)}`;
    try {
      const started = await clients.sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name,
          input: JSON.stringify({
            alias,
            periodDays,
            gracePeriodSeconds: input.gracePeriodSeconds,
            retentionSeconds: input.retentionSeconds,
            pendingWindowInDays: input.pendingWindowInDays,
            force: false,
          }),
        }),
      );
      result.started.push({
        ...entry,
        ...(started.executionArn ? { executionArn: started.executionArn } : {}),
      });
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      result.started.push({ ...entry, alreadyStarted: true });
    }
  }
  currentLogger().info('Key schedule checked the managed keys', {
    started: result.started.length,
    notDue: result.notDue.length,
    skipped: result.skipped.length,
  });
  return result;
};
