/**
 * KMS on-demand rotation and its record: RotateKeyOnDemand, ListKeyRotations. Runs against
 * AWS_ENDPOINT_URL when set (see target.ts).
 */
import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  KMSClient,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget, type Target } from './target.js';

let target: Target;
let kms: KMSClient;
const keys: string[] = [];

beforeAll(async () => {
  target = await openTarget('ca-central-1', '410987654321');
  kms = new KMSClient({ ...target.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  if (!target?.local) {
    for (const keyId of keys) {
      await kms
        .send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))
        .catch(() => undefined);
    }
  }
  kms?.destroy();
  await target?.close();
});

const createKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) => {
  const keyId =
    (await kms.send(new CreateKeyCommand({ Description: 'rekey test', ...input }))).KeyMetadata?.KeyId ?? '';
  keys.push(keyId);
  return keyId;
};

describe('RotateKeyOnDemand', () => {
  it('rotates the material at once; old ciphertext still decrypts and ListKeyRotations records it', async () => {
    const keyId = await createKey();
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? []).toEqual([]);
    const before = await kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: Buffer.from('before rotation'),
        EncryptionContext: { a: '1' },
      }),
    );
    const started = Date.now();
    const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    expect(rotated.KeyId).toBe(keyId);
    // Rotation is asynchronous on AWS: wait for it to be listed.
    await expect
      .poll(
        async () => (await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations?.length ?? 0,
        {
          timeout: 120_000,
          interval: 1000,
        },
      )
      .toBe(1);
    const listed = (await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations?.[0];
    expect(listed).toMatchObject({ RotationType: 'ON_DEMAND' });
    expect(listed?.KeyId).toContain(keyId);
    expect(Math.abs((listed?.RotationDate?.getTime() ?? 0) - started)).toBeLessThan(120_000);

    const old = await kms.send(
      new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { a: '1' } }),
    );
    expect(Buffer.from(old.Plaintext ?? []).toString()).toBe('before rotation');
    const after = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('after') }));
    const fresh = await kms.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }));
    expect(Buffer.from(fresh.Plaintext ?? []).toString()).toBe('after');
  });

  it('refuses keys that cannot rotate: asymmetric keys', async () => {
    const keyId = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(
      UnsupportedOperationException,
    );
  });
});
