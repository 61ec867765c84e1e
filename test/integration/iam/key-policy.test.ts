/**
 * The local endpoint evaluates KMS key policies as AWS does: a key policy that denies the
 * key-rotation function's role blocks the rotation (AccessDeniedException naming the role, the
 * action and the key), the workflow rolls back and publishes a failure event saying so, and the
 * denial is in the endpoint's audit log with the statement that denied it. The same rotation of
 * a key under the default key policy succeeds: the role's own policies allow it.
 */
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { adminFetch } from '../../../local/core/admin-client.js';
import type { AuditEntry } from '../../../local/core/iam/index.js';
import {
  ACCOUNT,
  aliasName,
  createAliasedKey,
  describeKey,
  eventsFor,
  ROLE_ARN,
  rotate,
  useHarness,
} from '../key-rotation/helpers.js';

const h = useHarness();

/** The default key policy (the account delegates to IAM) plus `extra` statements. */
const keyPolicy = (...extra: Record<string, unknown>[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      ...extra,
    ],
  });

const audit = async (): Promise<AuditEntry[]> => {
  const response = await adminFetch(`${h.endpoint.url}/_rekey/iam/audit`, {});
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
};

describe('KMS key policies', () => {
  it('a key under the default key policy rotates under the role the template gives the function', async () => {
    const alias = aliasName('iam-ok');
    const old = await createAliasedKey(h, alias, {});
    const run = await rotate(h, { alias, force: true });
    expect(run.error).toBeUndefined();
    expect((await describeKey(h, alias)).KeyId).not.toBe(old.KeyId);
  });

  it('a key policy that denies the role blocks the rotation, with a failure event naming the denial', async () => {
    const alias = aliasName('iam-denied');
    const old = await createAliasedKey(h, alias, {
      Policy: keyPolicy({
        Sid: 'NoRekey',
        Effect: 'Deny',
        Principal: { AWS: ROLE_ARN },
        Action: 'kms:GetKeyPolicy',
        Resource: '*',
      }),
    });
    // The key owner (the account root here) still reads the policy: only the role is denied.
    expect(
      (await h.kms().send(new GetKeyPolicyCommand({ KeyId: old.KeyId, PolicyName: 'default' }))).Policy,
    ).toContain('NoRekey');

    const run = await rotate(h, { alias, force: true });

    expect(run.error?.Error).toBe('AccessDeniedException');
    expect((await describeKey(h, alias)).KeyId).toBe(old.KeyId);
    const failed = (await eventsFor(h, alias)).filter((e) => e['detail-type'] === 'Key Rotation Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({ error: 'AccessDeniedException' });
    const cause = String(failed[0]?.detail.cause);
    expect(cause).toContain('kms:GetKeyPolicy');
    expect(cause).toContain(old.Arn ?? 'no arn');
    expect(cause).toContain('with an explicit deny in a resource-based policy');
    expect(cause).toMatch(/assumed-role\/rekey-KeyRotationFunctionRole\/rekey-key-rotation/);

    const denial = (await audit()).find((e) => e.action === 'kms:GetKeyPolicy' && e.resource === old.Arn);
    expect(denial).toMatchObject({ decision: 'ExplicitDeny', mode: 'enforce' });
    expect(denial?.matched).toContainEqual(
      expect.objectContaining({ kind: 'resource-based', sid: 'NoRekey', effect: 'Deny' }),
    );
  });
});
