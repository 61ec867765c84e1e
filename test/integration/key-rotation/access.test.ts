/**
 * How rekey's role reaches each key during a rotation, against the local endpoint: the
 * unproven successor through a statement in its own key policy (gone once it is in service,
 * and after a roll-back), the old key after the swap through its retiring alias.
 */
import { GetKeyPolicyCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  aliasName,
  createAliasedKey,
  describeKey,
  type Harness,
  InjectedFailureError,
  RETIRING_PREFIX,
  ROLE_ARN,
  realHandler,
  rotate,
  useHarness,
} from './helpers.js';

const h = useHarness();

const policyOf = async (harness: Harness, keyId: string) =>
  JSON.parse(
    (await harness.kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy ??
      '{}',
  ) as { Statement: { Sid?: string; Principal?: unknown; Action?: string[] }[] };

const aliasesOf = async (harness: Harness, keyId: string) =>
  ((await harness.kms().send(new ListAliasesCommand({ KeyId: keyId }))).Aliases ?? []).map(
    (a) => a.AliasName,
  );

describe('key access during a rotation', () => {
  it("names rekey's role in the successor's policy only until it is in service; the old key retires behind its retiring alias", async () => {
    const alias = aliasName('access');
    const old = await createAliasedKey(h, alias, {
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
    });
    const original = await policyOf(h, old.KeyId ?? '');
    let duringVerification: Awaited<ReturnType<typeof policyOf>> | undefined;

    const run = await rotate(
      h,
      { alias, force: true },
      {
        tasks: {
          'Verify Successor Key': async (input: unknown) => {
            const successorArn = String(
              (input as { state: { successor: { keyArn: string } } }).state.successor.keyArn,
            );
            duringVerification = await policyOf(h, successorArn);
            return realHandler(h)(input);
          },
        },
      },
    );

    expect(run.error).toBeUndefined();
    const successor = await describeKey(h, alias);
    const added = duringVerification?.Statement.find((s) => s.Sid === 'rekey-unproven-successor');
    expect(added?.Principal).toEqual({ AWS: ROLE_ARN });
    expect(added?.Action).toContain('kms:ScheduleKeyDeletion');
    expect(await policyOf(h, successor.KeyId ?? '')).toEqual(original);
    expect(await aliasesOf(h, old.KeyId ?? '')).toEqual([`${RETIRING_PREFIX}${old.KeyId}`]);
    expect((await describeKey(h, old.KeyId ?? '')).KeyState).toBe('PendingDeletion');
  });

  it('after a roll-back past the swap, the old key loses its retiring alias and the successor its extra statement', async () => {
    const alias = aliasName('access-rollback');
    const old = await createAliasedKey(h, alias, {
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
    });
    const original = await policyOf(h, old.KeyId ?? '');
    let successorArn = '';

    const run = await rotate(
      h,
      { alias, force: true },
      {
        tasks: {
          'Record Rotation Evidence': async (input: unknown) => {
            successorArn = String(
              (input as { state: { successor: { keyArn: string } } }).state.successor.keyArn,
            );
            throw new InjectedFailureError('Record Rotation Evidence');
          },
        },
      },
    );

    expect(run.error).toBeDefined();
    expect((await describeKey(h, alias)).KeyId).toBe(old.KeyId);
    expect(await aliasesOf(h, old.KeyId ?? '')).toEqual([alias]);
    expect(successorArn).not.toBe('');
    expect(await policyOf(h, successorArn)).toEqual(original);
  });
});
