import { randomBytes } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import { validation } from './input.js';
import { type GrantRecord, type KeyRecord, keyType, notFound } from './model.js';
import { GRANT_OPERATIONS, grantOperationsFor, KEY_SPECS } from './specs.js';

/** Grant rules of the local KMS (CreateGrant, ListGrants, RevokeGrant and RetireGrant API references). */

export interface GrantRequest {
  grantee: string;
  retiring?: string;
  name?: string;
  operations: string[] | undefined;
  constraints: unknown;
}

/** "The most grants a key can have" (KMS quotas). */
const MAX_GRANTS = 50_000;

/** Operations must be grant operations the key supports; constraints only on symmetric keys. */
export const checkGrantRequest = (key: KeyRecord, request: GrantRequest): string[] => {
  const { operations, constraints } = request;
  if (!operations || operations.length === 0) {
    throw validation(
      `Operations is required: list the operations the grant allows (${GRANT_OPERATIONS.join(', ')}).`,
    );
  }
  const supported = grantOperationsFor(KEY_SPECS[key.KeySpec]?.kind ?? 'SYMMETRIC', key.KeyUsage);
  for (const op of operations) {
    if (!(GRANT_OPERATIONS as readonly string[]).includes(op)) {
      throw validation(
        `Operations contains '${op}', which is not a grant operation; use: ${GRANT_OPERATIONS.join(', ')}.`,
      );
    }
    if (!supported.has(op)) {
      throw validation(
        `Operations contains ${op}, which ${key.Arn} (${key.KeySpec} ${key.KeyUsage}) does not support.`,
      );
    }
  }
  if (constraints !== undefined && constraints !== null) {
    if (typeof constraints !== 'object' || Array.isArray(constraints)) {
      throw validation(
        'Constraints must be an object with EncryptionContextSubset or EncryptionContextEquals.',
      );
    }
    if (keyType(key) !== 'SYMMETRIC') {
      throw validation('Encryption context grant constraints apply only to symmetric encryption KMS keys.');
    }
  }
  return operations;
};

/**
 * Adds a grant (after `checkGrantRequest`). CreateGrant with the same Name and the same grant is
 * idempotent: it returns the same GrantId (with a new token).
 */
export const addGrant = (
  key: KeyRecord,
  request: GrantRequest,
  issuingAccount: string,
  now: number,
): { GrantToken: string; GrantId: string } => {
  const operations = checkGrantRequest(key, request);
  const { grantee, retiring, name } = request;
  const constraints = request.constraints ?? undefined;
  const token = () => randomBytes(96).toString('base64url');
  const same = name
    ? key.Grants.find(
        (g) =>
          g.Name === name &&
          g.GranteePrincipal === grantee &&
          g.RetiringPrincipal === retiring &&
          JSON.stringify(g.Operations) === JSON.stringify(operations) &&
          JSON.stringify(g.Constraints) === JSON.stringify(constraints),
      )
    : undefined;
  if (same) return { GrantToken: token(), GrantId: same.GrantId };
  if (key.Grants.length >= MAX_GRANTS)
    throw new AwsError('LimitExceededException', 'The key has 50,000 grants already.');
  const grant: GrantRecord = {
    GrantId: randomBytes(32).toString('hex'),
    GrantToken: token(),
    ...(name ? { Name: name } : {}),
    CreationDate: now,
    GranteePrincipal: grantee,
    ...(retiring ? { RetiringPrincipal: retiring } : {}),
    IssuingAccount: `arn:aws:iam::${issuingAccount}:root`,
    Operations: [...operations],
    ...(constraints ? { Constraints: constraints as Record<string, unknown> } : {}),
  };
  key.Grants.push(grant);
  return { GrantToken: grant.GrantToken, GrantId: grant.GrantId };
};

/** The grants of a key, filtered as ListGrants filters them; tokens are never listed. */
export const grantsOf = (
  key: KeyRecord,
  filter: { grantId?: string; grantee?: string },
): Omit<GrantRecord, 'GrantToken'>[] =>
  key.Grants.filter(
    (g) =>
      (filter.grantId === undefined || g.GrantId === filter.grantId) &&
      (filter.grantee === undefined || g.GranteePrincipal === filter.grantee),
  ).map(({ GrantToken: _token, ...g }) => g);

export const revokeGrant = (key: KeyRecord, grantId: string): void => {
  const before = key.Grants.length;
  key.Grants = key.Grants.filter((g) => g.GrantId !== grantId);
  if (key.Grants.length === before) throw notFound(`Grant ${grantId} does not exist on ${key.Arn}.`);
};

/** RetireGrant: by token (any key of the Region) or by key and grant ID. */
export const retireGrant = (keys: KeyRecord[], by: { token?: string; grantId?: string }): void => {
  if (by.token === undefined && by.grantId === undefined) {
    throw validation('Specify GrantToken, or KeyId and GrantId, to retire a grant.');
  }
  for (const key of keys) {
    const grant = key.Grants.find((g) => (by.token ? g.GrantToken === by.token : g.GrantId === by.grantId));
    if (grant) {
      key.Grants = key.Grants.filter((g) => g !== grant);
      return;
    }
  }
  throw notFound('No grant matches the GrantToken or GrantId.');
};
