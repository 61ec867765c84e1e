import { GetKeyPolicyCommand, type KeyMetadata, type Tag } from '@aws-sdk/client-kms';
import { InvalidInputError } from '../lib/errors.js';
import type { KeyRotationClients } from './clients.js';
import { AliasNotFoundError, KeyNotRotatableError } from './errors.js';
import { describeKeyOrUndefined, listAllTags } from './kms.js';
import { isRekeyTag, isReservedTag, TAG, tagValue } from './tags.js';
import type { KeyPlan, ReEncryptRequest, ReplicaPlan, RotationOptions } from './types.js';

const DAY_SECONDS = 86_400;
/** A Standard Step Functions execution lasts at most one year; every wait must fit inside it. */
const MAX_EXECUTION_SECONDS = 365 * DAY_SECONDS;

export const DEFAULTS = {
  force: false,
  periodDays: 365,
  gracePeriodSeconds: 7 * DAY_SECONDS,
  retentionSeconds: 7 * DAY_SECONDS,
  pendingWindowInDays: 30,
  importTimeoutSeconds: DAY_SECONDS,
  importPollSeconds: 60,
} as const;

const INTEGER_FIELDS = {
  periodDays: { min: 1, max: 3650 },
  gracePeriodSeconds: { min: 0, max: MAX_EXECUTION_SECONDS },
  retentionSeconds: { min: 0, max: MAX_EXECUTION_SECONDS },
  // ScheduleKeyDeletion accepts 7 to 30 days.
  pendingWindowInDays: { min: 7, max: 30 },
  importTimeoutSeconds: { min: 60, max: 30 * DAY_SECONDS },
  importPollSeconds: { min: 1, max: 3600 },
} as const;

const KNOWN_FIELDS = new Set(['alias', 'force', 'reencrypt', ...Object.keys(INTEGER_FIELDS)]);
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Accepts `alias/NAME`, a bare `NAME` or an alias ARN, and returns `alias/NAME`. */
export const normaliseAlias = (raw: string): string => {
  const fromArn = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(alias\/.+)$/.exec(raw)?.[1];
  const name = fromArn ?? (raw.startsWith('alias/') ? raw : `alias/${raw}`);
  if (!ALIAS_NAME.test(name)) {
    throw new InvalidInputError(
      `Field 'alias' must be an alias name such as alias/payments-signing (letters, digits, / _ -); got '${raw}'.`,
    );
  }
  if (name.startsWith('alias/aws/')) {
    throw new KeyNotRotatableError(
      `${name} is an AWS managed alias: AWS owns and rotates its key; choose a customer managed key's alias.`,
    );
  }
  return name;
};

const parseReEncrypt = (raw: unknown): ReEncryptRequest => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(
      'Field \'reencrypt\' must be an object: { "ciphertexts": [base64, ...] } or { "secretId": "NAME" }.',
    );
  }
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'ciphertexts' && key !== 'secretId') {
      throw new InvalidInputError(`Unknown field 'reencrypt.${key}': use 'ciphertexts' or 'secretId'.`);
    }
  }
  const { ciphertexts, secretId } = record;
  if ((ciphertexts === undefined) === (secretId === undefined)) {
    throw new InvalidInputError("Field 'reencrypt' needs exactly one of 'ciphertexts' and 'secretId'.");
  }
  if (secretId !== undefined) {
    if (typeof secretId !== 'string' || secretId === '') {
      throw new InvalidInputError("Field 'reencrypt.secretId' must be a secret name or ARN.");
    }
    return { secretId };
  }
  if (
    !Array.isArray(ciphertexts) ||
    ciphertexts.length === 0 ||
    !ciphertexts.every((c) => typeof c === 'string' && BASE64.test(c))
  ) {
    throw new InvalidInputError("Field 'reencrypt.ciphertexts' must be a non-empty list of base64 strings.");
  }
  return { ciphertexts: ciphertexts as string[] };
};

/**
 * Validates the execution input, applies defaults and rejects unknown fields, naming the
 * field and the fix.
 */
export const parseRotationInput = (raw: unknown): RotationOptions => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(
      'The execution input must be a JSON object such as { "alias": "alias/NAME" }.',
    );
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw new InvalidInputError(
        `Unknown input field '${key}': the key rotation accepts ${[...KNOWN_FIELDS].join(', ')}.`,
      );
    }
  }
  if (typeof input.alias !== 'string' || input.alias === '') {
    throw new InvalidInputError(
      "Field 'alias' is required: the alias whose key to rotate, e.g. alias/orders.",
    );
  }
  if (input.force !== undefined && typeof input.force !== 'boolean') {
    throw new InvalidInputError("Field 'force' must be true or false.");
  }
  const numbers = {} as Record<keyof typeof INTEGER_FIELDS, number>;
  for (const [field, bounds] of Object.entries(INTEGER_FIELDS) as [
    keyof typeof INTEGER_FIELDS,
    { min: number; max: number },
  ][]) {
    const value = input[field] ?? DEFAULTS[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      throw new InvalidInputError(
        `Field '${field}' must be an integer from ${bounds.min} to ${bounds.max}; got ${JSON.stringify(value)}.`,
      );
    }
    numbers[field] = value;
  }
  const waits = numbers.gracePeriodSeconds + numbers.retentionSeconds + numbers.importTimeoutSeconds;
  if (waits > MAX_EXECUTION_SECONDS - DAY_SECONDS) {
    throw new InvalidInputError(
      `gracePeriodSeconds + retentionSeconds + importTimeoutSeconds is ${waits} s: a Step Functions execution lasts at most one year; shorten them.`,
    );
  }
  return {
    alias: normaliseAlias(input.alias),
    force: input.force ?? DEFAULTS.force,
    ...numbers,
    ...(input.reencrypt === undefined ? {} : { reencrypt: parseReEncrypt(input.reencrypt) }),
  };
};

/** Why a key must not be rotated by alias swap, or `undefined` when it may be. */
export const refusalReason = (meta: KeyMetadata, alias: string): string | undefined => {
  if (meta.KeyManager === 'AWS') {
    return `${alias} points at an AWS managed key: AWS rotates those itself and they cannot be replaced by alias swap.`;
  }
  if (meta.KeyState !== 'Enabled') {
    return `${alias} points at key ${meta.Arn} in state ${meta.KeyState}: only an Enabled key can be rotated (enable it, or cancel its deletion, first).`;
  }
  if (meta.MultiRegionConfiguration?.MultiRegionKeyType === 'REPLICA') {
    return `${alias} points at a multi-Region replica key: rotate from the primary key's Region (${meta.MultiRegionConfiguration.PrimaryKey?.Region}), which rotates every replica.`;
  }
  if (meta.KeyUsage === 'KEY_AGREEMENT') {
    return `${alias} points at a KEY_AGREEMENT key: rekey cannot prove a successor works for key agreement, so it does not rotate these.`;
  }
  if (meta.Origin === 'EXTERNAL_KEY_STORE') {
    return `${alias} points at a key in an external key store: a successor needs a new external key (XksKeyId) that rekey cannot create.`;
  }
  return undefined;
};

/** A warning when automatic rotation would serve the key better than alias swap. */
export const automaticRotationWarning = (meta: KeyMetadata): string | undefined =>
  meta.KeySpec === 'SYMMETRIC_DEFAULT' && meta.Origin === 'AWS_KMS' && !meta.CustomKeyStoreId
    ? `Key ${meta.Arn} is a symmetric key with AWS_KMS origin: automatic rotation (EnableKeyRotation) can rotate it in place, keeping its key ID and decrypting old ciphertexts without a grace period. Alias swap is only needed when a policy demands a new key ID.`
    : undefined;

/** When the key went into service: its evidence tag if valid, else its creation date. */
export const inServiceSince = (meta: KeyMetadata, tags: readonly Tag[]): Date => {
  const tagged = tagValue(tags, TAG.rotatedAt);
  const parsed = tagged ? new Date(tagged) : undefined;
  // A predecessor also carries rekey:rotated-at (when it was replaced); it is only an
  // in-service date on a key that has no successor recorded.
  if (parsed && !Number.isNaN(parsed.getTime()) && !tagValue(tags, TAG.successor)) return parsed;
  return meta.CreationDate ? new Date(meta.CreationDate) : new Date(0);
};

const copyableTags = (tags: readonly Tag[]): Tag[] =>
  tags.filter((t) => !isRekeyTag(t.TagKey) && !isReservedTag(t.TagKey));

const defaultPolicy = async (clients: KeyRotationClients, region: string, keyId: string): Promise<string> =>
  (await clients.kms(region).send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy ??
  '';

/**
 * Step 1, Plan: resolves the alias, reads the key's metadata, policy, tags and replicas, and
 * decides whether the key is due. Refuses keys that must not be rotated this way. A symmetric
 * AWS_KMS key is still rotated when due or forced (a policy may demand a new key ID), with a
 * warning that names automatic rotation as the better option.
 */
export const planRotation = async (clients: KeyRotationClients, rawInput: unknown): Promise<KeyPlan> => {
  const options = parseRotationInput(rawInput);
  const region = clients.region;
  const kms = clients.kms(region);
  const meta = await describeKeyOrUndefined(kms, options.alias);
  if (!meta?.Arn || !meta.KeyId) {
    throw new AliasNotFoundError(
      `Alias ${options.alias} does not exist in ${region}: create it or check the name.`,
    );
  }
  const refusal = refusalReason(meta, options.alias);
  if (refusal) throw new KeyNotRotatableError(refusal);

  if (options.reencrypt && meta.KeySpec !== 'SYMMETRIC_DEFAULT') {
    throw new InvalidInputError(
      `Field 'reencrypt' works with symmetric encryption keys only; ${options.alias} is ${meta.KeySpec} (${meta.KeyUsage}). Remove 'reencrypt'.`,
    );
  }
  const [policy, allTags] = await Promise.all([
    defaultPolicy(clients, region, meta.KeyId),
    listAllTags(kms, meta.KeyId),
  ]);
  const replicas: ReplicaPlan[] = [];
  const aliasRegions = [region];
  for (const replica of meta.MultiRegionConfiguration?.ReplicaKeys ?? []) {
    if (!replica.Region || !replica.Arn) continue;
    const replicaKms = clients.kms(replica.Region);
    const replicaMeta = await describeKeyOrUndefined(replicaKms, replica.Arn);
    const [replicaPolicy, replicaTags] = await Promise.all([
      defaultPolicy(clients, replica.Region, replica.Arn),
      listAllTags(replicaKms, replica.Arn),
    ]);
    replicas.push({
      region: replica.Region,
      keyArn: replica.Arn,
      policy: replicaPolicy,
      tags: copyableTags(replicaTags),
      description: replicaMeta?.Description ?? meta.Description ?? '',
    });
    // Aliases are per Region: swap only where this alias exists and points at this key.
    const aliasTarget = await describeKeyOrUndefined(replicaKms, options.alias);
    if (aliasTarget?.KeyId === meta.KeyId) aliasRegions.push(replica.Region);
  }

  const since = inServiceSince(meta, allTags);
  const ageDays = Math.floor((clients.now().getTime() - since.getTime()) / 86_400_000);
  const due = options.force || ageDays >= options.periodDays;
  const reason = options.force
    ? 'forced (on-demand rotation)'
    : due
      ? `key in service for ${ageDays} days, period is ${options.periodDays} days`
      : `key in service for ${ageDays} days, due after ${options.periodDays} days`;
  const warning = automaticRotationWarning(meta);

  return {
    ...options,
    region,
    keyArn: meta.Arn,
    keyId: meta.KeyId,
    keySpec: meta.KeySpec ?? 'SYMMETRIC_DEFAULT',
    keyUsage: meta.KeyUsage ?? 'ENCRYPT_DECRYPT',
    origin: meta.Origin ?? 'AWS_KMS',
    description: meta.Description ?? '',
    multiRegion: meta.MultiRegion === true,
    ...(meta.CustomKeyStoreId ? { customKeyStoreId: meta.CustomKeyStoreId } : {}),
    policy,
    tags: copyableTags(allTags),
    rekeyTags: allTags.filter((t) => isRekeyTag(t.TagKey)),
    replicas,
    aliasRegions,
    inServiceSince: since.toISOString(),
    ageDays,
    due,
    reason,
    warnings: warning ? [warning] : [],
    reencryptRequested: options.reencrypt !== undefined,
  };
};
