/**
 * The key-rotation state machine end to end against the local endpoint's KMS and EventBridge:
 * every key type, EXTERNAL origin with the import done while the workflow waits, multi-Region,
 * re-encryption, and a second run that finds nothing due.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  type CreateKeyCommandInput,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  ReplicateKeyCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  aliasName,
  createAliasedKey,
  describeKey,
  eventsFor,
  importKeyMaterial,
  REGION,
  rotate,
  tagsOf,
  useHarness,
} from './helpers.js';

const h = useHarness();

const KEY_TYPES: [string, CreateKeyCommandInput][] = [
  ['symmetric', { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }],
  ['RSA encryption', { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }],
  ['RSA signing', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }],
  ['ECC signing', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }],
  ['HMAC', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }],
  [
    'symmetric with imported material',
    { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'EXTERNAL' },
  ],
];

/** Uses the key behind the alias the way its callers do; returns the key id that served. */
const useThroughAlias = async (alias: string, usage: string): Promise<string | undefined> => {
  const kms = h.kms();
  const data = randomBytes(16);
  if (usage === 'ENCRYPT_DECRYPT') {
    const spec = (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeySpec;
    const algorithm = spec === 'SYMMETRIC_DEFAULT' ? 'SYMMETRIC_DEFAULT' : 'RSAES_OAEP_SHA_256';
    const enc = await kms.send(
      new EncryptCommand({ KeyId: alias, Plaintext: data, EncryptionAlgorithm: algorithm }),
    );
    const dec = await kms.send(
      new DecryptCommand({
        KeyId: alias,
        CiphertextBlob: enc.CiphertextBlob,
        EncryptionAlgorithm: algorithm,
      }),
    );
    expect(Buffer.from(dec.Plaintext ?? []).equals(data)).toBe(true);
    return enc.KeyId;
  }
  if (usage === 'SIGN_VERIFY') {
    const spec = (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeySpec;
    const algorithm = spec?.startsWith('RSA') ? 'RSASSA_PSS_SHA_256' : 'ECDSA_SHA_256';
    const sig = await kms.send(
      new SignCommand({ KeyId: alias, Message: data, MessageType: 'RAW', SigningAlgorithm: algorithm }),
    );
    const ok = await kms.send(
      new VerifyCommand({
        KeyId: alias,
        Message: data,
        MessageType: 'RAW',
        Signature: sig.Signature,
        SigningAlgorithm: algorithm,
      }),
    );
    expect(ok.SignatureValid).toBe(true);
    return sig.KeyId;
  }
  const mac = await kms.send(
    new GenerateMacCommand({ KeyId: alias, Message: data, MacAlgorithm: 'HMAC_SHA_256' }),
  );
  const ok = await kms.send(
    new VerifyMacCommand({ KeyId: alias, Message: data, Mac: mac.Mac, MacAlgorithm: 'HMAC_SHA_256' }),
  );
  expect(ok.MacValid).toBe(true);
  return mac.KeyId;
};

describe('rotating each key type by alias swap', () => {
  it.each(KEY_TYPES)(
    '%s: the alias moves to a verified copy, the old key is retired, the chain is tagged',
    async (_name, input) => {
      // Prepare
      const alias = aliasName('rotate');
      const old = await createAliasedKey(h, alias, input);
      const policy = JSON.parse(
        (await h.kms().send(new GetKeyPolicyCommand({ KeyId: old.KeyId, PolicyName: 'default' }))).Policy ??
          '{}',
      ) as { Statement: Record<string, unknown>[] };
      policy.Statement.push({
        Sid: 'AppRole',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::310987654321:role/app' },
        Action: 'kms:DescribeKey',
        Resource: '*',
      });
      await h.kms().send(
        new PutKeyPolicyCommand({
          KeyId: old.KeyId,
          PolicyName: 'default',
          Policy: JSON.stringify(policy),
        }),
      );
      const external = input.Origin === 'EXTERNAL';
      // The key owner imports material into the successor as soon as the workflow announces it.
      let imported: Promise<void> | undefined;

      // Act
      const run = await rotate(
        h,
        { alias, force: true, pendingWindowInDays: 9, importPollSeconds: 1 },
        {
          onEvent: (event) => {
            if (event.type === 'StateExited' && event.state?.name === 'Announce Key Material Import') {
              imported = (async () => {
                const waiting = (await eventsFor(h, alias)).find(
                  (e) => e['detail-type'] === 'Key Rotation Awaiting Key Material',
                );
                const successorArn = String(waiting?.detail.successorKeyArn);
                await importKeyMaterial(h, successorArn, 'SYMMETRIC_DEFAULT');
              })();
            }
          },
        },
      );
      await imported;

      // Assess
      expect(run.error).toBeUndefined();
      const aliasTarget = await describeKey(h, alias);
      expect(aliasTarget.KeyId).not.toBe(old.KeyId);
      expect(aliasTarget).toMatchObject({
        KeySpec: old.KeySpec,
        KeyUsage: old.KeyUsage,
        Origin: old.Origin,
        Description: old.Description,
        KeyState: 'Enabled',
      });
      const newPolicy = (
        await h.kms().send(new GetKeyPolicyCommand({ KeyId: aliasTarget.KeyId, PolicyName: 'default' }))
      ).Policy;
      expect(JSON.parse(newPolicy ?? '{}')).toEqual(policy);
      expect(await useThroughAlias(alias, old.KeyUsage ?? '')).toBe(aliasTarget.Arn);

      const retired = await describeKey(h, old.KeyId ?? '');
      expect(retired.KeyState).toBe('PendingDeletion');
      const daysLeft = (new Date(retired.DeletionDate ?? 0).getTime() - Date.now()) / 86_400_000;
      expect(daysLeft).toBeGreaterThan(8.9);
      expect(daysLeft).toBeLessThanOrEqual(9);

      const newTags = await tagsOf(h, aliasTarget.KeyId ?? '');
      const oldTags = await tagsOf(h, old.KeyId ?? '');
      expect(newTags).toMatchObject({
        team: 'payments',
        'rekey:predecessor': old.Arn,
        'rekey:execution': run.executionId,
      });
      expect(oldTags).toMatchObject({
        'rekey:successor': aliasTarget.Arn,
        'rekey:execution': run.executionId,
      });
      expect(newTags['rekey:rotated-at']).toBe(oldTags['rekey:rotated-at']);
      expect(oldTags['rekey:pending-successor']).toBeUndefined();

      const events = await eventsFor(h, alias);
      const succeeded = events.filter((e) => e['detail-type'] === 'Key Rotation Succeeded');
      expect(succeeded).toHaveLength(1);
      expect(succeeded[0]?.detail).toMatchObject({
        predecessorKeyArn: old.Arn,
        successorKeyArn: aliasTarget.Arn,
      });
      expect(events.some((e) => e['detail-type'] === 'Key Rotation Awaiting Key Material')).toBe(external);
      if (external) {
        expect(run.states.filter((s) => s === 'Check Key Material Import').length).toBeGreaterThanOrEqual(1);
      }
      const verified = (run.output as { verification: { checks: { algorithm: string }[] } }).verification
        .checks;
      expect(verified.map((c) => c.algorithm)).toEqual(
        aliasTarget.EncryptionAlgorithms ?? aliasTarget.SigningAlgorithms ?? aliasTarget.MacAlgorithms,
      );
    },
  );

  it('warns that automatic rotation would serve a symmetric AWS_KMS key better, and rotates it anyway', async () => {
    const alias = aliasName('warn');
    await createAliasedKey(h, alias, {});

    const run = await rotate(h, { alias, force: true });

    expect(run.error).toBeUndefined();
    const [event] = (await eventsFor(h, alias)).filter((e) => e['detail-type'] === 'Key Rotation Succeeded');
    expect(event?.detail.warnings).toEqual([expect.stringContaining('EnableKeyRotation')]);
  });
});

describe('a second run', () => {
  it('finds nothing due right after a rotation and changes nothing', async () => {
    const alias = aliasName('again');
    await createAliasedKey(h, alias, { KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' });
    const first = await rotate(h, { alias, force: true });
    const afterFirst = await describeKey(h, alias);
    const keyCount = (await h.kms().send(new ListKeysCommand({}))).Keys?.length;

    const second = await rotate(h, { alias, periodDays: 30 });

    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(second.states.at(-1)).toBe('Rotation Not Due');
    expect(second.output).toMatchObject({ plan: { due: false, ageDays: 0 } });
    expect((await describeKey(h, alias)).KeyId).toBe(afterFirst.KeyId);
    expect((await h.kms().send(new ListKeysCommand({}))).Keys?.length).toBe(keyCount);
  });
});

describe('multi-Region keys', () => {
  it('rotates the primary and its replica, swapping the alias in both Regions', async () => {
    // Prepare
    const other = 'ap-southeast-2';
    const alias = aliasName('mrk');
    const old = await createAliasedKey(h, alias, { MultiRegion: true });
    await h.kms().send(
      new ReplicateKeyCommand({
        KeyId: old.Arn,
        ReplicaRegion: other,
        Tags: [{ TagKey: 'site', TagValue: 'syd' }],
      }),
    );
    await h.kms(other).send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: old.KeyId }));

    // Act: the successor's new replica is Creating for a moment, as on AWS; the state machine's
    // SuccessorNotReadyError retry waits for it (with real pauses here, not the tests' 0 ms).
    const run = await rotate(h, { alias, force: true }, { retryDelayMs: 250 });

    // Assess
    expect(run.error).toBeUndefined();
    const primary = await describeKey(h, alias);
    const replica = await describeKey(h, alias, other);
    expect(primary.KeyId).not.toBe(old.KeyId);
    expect(replica.KeyId).toBe(primary.KeyId);
    expect(primary.MultiRegionConfiguration?.ReplicaKeys?.map((r) => r.Region)).toEqual([other]);
    expect(replica.MultiRegionConfiguration?.MultiRegionKeyType).toBe('REPLICA');
    expect(await tagsOf(h, primary.KeyId ?? '', other)).toMatchObject({
      site: 'syd',
      'rekey:predecessor': old.Arn,
    });
    // Ciphertext from one Region decrypts in the other: the replica shares the successor's material.
    const enc = await h.kms().send(new EncryptCommand({ KeyId: alias, Plaintext: randomBytes(8) }));
    await expect(
      h.kms(other).send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: alias })),
    ).resolves.toMatchObject({
      KeyId: replica.Arn,
    });
    expect((await describeKey(h, old.KeyId ?? '', other)).KeyState).toBe('PendingDeletion');
    expect(['PendingDeletion', 'PendingReplicaDeletion']).toContain(
      (await describeKey(h, old.KeyId ?? '')).KeyState,
    );
    const regions = (
      run.output as { verification: { checks: { region: string }[] } }
    ).verification.checks.map((c) => c.region);
    expect(new Set(regions)).toEqual(new Set([REGION, other]));
  });
});

describe('re-encryption', () => {
  it('re-encrypts ciphertexts from the input under the successor', async () => {
    const alias = aliasName('reenc');
    await createAliasedKey(h, alias, {});
    const secrets = [randomBytes(24), randomBytes(24)];
    const ciphertexts = await Promise.all(
      secrets.map(async (p) =>
        Buffer.from(
          (await h.kms().send(new EncryptCommand({ KeyId: alias, Plaintext: p }))).CiphertextBlob ?? [],
        ).toString('base64'),
      ),
    );

    const run = await rotate(h, { alias, force: true, reencrypt: { ciphertexts } });

    expect(run.error).toBeUndefined();
    const out = (run.output as { reencryption: { count: number; ciphertexts: string[] } }).reencryption;
    expect(out.count).toBe(2);
    const successor = await describeKey(h, alias);
    for (const [i, c] of out.ciphertexts.entries()) {
      const dec = await h.kms().send(new DecryptCommand({ CiphertextBlob: Buffer.from(c, 'base64') }));
      expect(dec.KeyId).toBe(successor.Arn);
      expect(Buffer.from(dec.Plaintext ?? []).equals(secrets[i] ?? Buffer.alloc(0))).toBe(true);
    }
  });

  it('re-encrypts the list held in a secret and stores it as a new version', async () => {
    const alias = aliasName('reenc-secret');
    await createAliasedKey(h, alias, {});
    const plaintext = randomBytes(24);
    const blob =
      (await h.kms().send(new EncryptCommand({ KeyId: alias, Plaintext: plaintext }))).CiphertextBlob ?? [];
    const secretId = `rekey/test/${alias.slice(6)}`;
    const created = await h.secrets.send(
      new CreateSecretCommand({
        Name: secretId,
        SecretString: JSON.stringify([Buffer.from(blob).toString('base64')]),
        // The deployed role reads and writes only secrets tagged for re-encryption (ReencryptionSecrets).
        Tags: [{ Key: 'rekey:reencrypt', Value: 'true' }],
      }),
    );

    const run = await rotate(h, { alias, force: true, reencrypt: { secretId } });

    expect(run.error).toBeUndefined();
    const current = await h.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(current.VersionId).not.toBe(created.VersionId);
    const [c] = JSON.parse(current.SecretString ?? '[]') as string[];
    const dec = await h.kms().send(new DecryptCommand({ CiphertextBlob: Buffer.from(c ?? '', 'base64') }));
    expect(dec.KeyId).toBe((await describeKey(h, alias)).Arn);
    expect(Buffer.from(dec.Plaintext ?? []).equals(plaintext)).toBe(true);
  });
});
