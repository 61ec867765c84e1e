import { KMSServiceException } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  allowingPropagation,
  hasSuccessorStatement,
  keyAccessFromEnv,
  retiringAliasOf,
  withSuccessorStatement,
} from '../../../functions/key-rotation/access.js';
import { KeyAuthorizationPendingError } from '../../../functions/key-rotation/errors.js';

// KMS models no AccessDeniedException class: the SDK raises its service exception with that name.
const denied = () =>
  new KMSServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: 'User is not authorized to perform kms:Sign',
    $metadata: {},
  });
const ROLE = 'arn:aws:iam::123456789012:role/rekey-KeyRotationFunctionRole-ABC';

describe('bounded wait for KMS authorization', () => {
  const since = new Date('2026-12-01T10:00:00Z');

  it('turns AccessDenied within five minutes of the change into a retryable error carrying the cause', async () => {
    const error = await allowingPropagation(since, new Date('2026-12-01T10:04:59Z'), 'Sign', () =>
      Promise.reject(denied()),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyAuthorizationPendingError);
    expect((error as Error).name).toBe('KeyAuthorizationPendingError');
    expect(((error as Error).cause as Error).name).toBe('AccessDeniedException');
  });

  it('lets AccessDenied through as a real denial once five minutes have passed, or when the time is unknown', async () => {
    await expect(
      allowingPropagation(since, new Date('2026-12-01T10:05:00Z'), 'Sign', () => Promise.reject(denied())),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      allowingPropagation(undefined, new Date(), 'Sign', () => Promise.reject(denied())),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('never retries other errors, and returns the result when allowed', async () => {
    await expect(
      allowingPropagation(since, since, 'Sign', () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    await expect(allowingPropagation(since, since, 'Sign', async () => 42)).resolves.toBe(42);
  });
});

describe("rekey's statement in an unproven successor's key policy", () => {
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Enable IAM',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });

  it('keeps every statement of the old policy and adds one naming the role, once however often applied', () => {
    const once = withSuccessorStatement(policy, ROLE);
    const twice = withSuccessorStatement(once, ROLE);
    expect(twice).toBe(once);
    const doc = JSON.parse(once);
    expect(doc.Statement).toHaveLength(2);
    expect(doc.Statement[0]).toEqual(JSON.parse(policy).Statement[0]);
    expect(doc.Statement[1].Principal).toEqual({ AWS: ROLE });
    expect(hasSuccessorStatement(once)).toBe(true);
    expect(hasSuccessorStatement(policy)).toBe(false);
  });

  it('grants deletion of the successor but never disabling or policy-free key management', () => {
    const actions: string[] = JSON.parse(withSuccessorStatement(policy, ROLE)).Statement[1].Action;
    expect(actions).toContain('kms:ScheduleKeyDeletion');
    for (const forbidden of ['kms:*', 'kms:DisableKey', 'kms:CreateGrant', 'kms:CancelKeyDeletion'])
      expect(actions).not.toContain(forbidden);
  });
});

describe('configuration', () => {
  it('reads the role and the retiring alias prefix, and names a bad value and the fix', () => {
    expect(
      keyAccessFromEnv({ REKEY_ROLE_ARN: ROLE, REKEY_RETIRING_ALIAS_PREFIX: 'alias/rekey-retiring/prod/' }),
    ).toEqual({ roleArn: ROLE, retiringAliasPrefix: 'alias/rekey-retiring/prod/' });
    expect(retiringAliasOf(keyAccessFromEnv({}), 'mrk-1')).toBe('alias/rekey-retiring/mrk-1');
    expect(() => keyAccessFromEnv({ REKEY_RETIRING_ALIAS_PREFIX: 'alias/aws/x/' })).toThrow(
      /REKEY_RETIRING_ALIAS_PREFIX.*alias\/aws/,
    );
    expect(() => keyAccessFromEnv({ REKEY_RETIRING_ALIAS_PREFIX: 'alias/no-slash' })).toThrow(/ending in \//);
    expect(() => keyAccessFromEnv({ REKEY_ROLE_ARN: 'arn:aws:iam::123456789012:user/bob' })).toThrow(
      /REKEY_ROLE_ARN must be the ARN of an IAM role/,
    );
  });
});
