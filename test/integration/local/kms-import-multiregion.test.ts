import {
  constants,
  createCipheriv,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  ExpiredImportTokenException,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  IncorrectKeyMaterialException,
  KMSClient,
  KMSInvalidStateException,
  ListAliasesCommand,
  NotFoundException,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UnsupportedOperationException,
  VerifyCommand,
  type WrappingKeySpec,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

const ACCOUNT = '310987654321';
const PRIMARY_REGION = 'us-east-1';
const REPLICA_REGION = 'eu-central-1';
const DAY_MS = 86_400_000;

let endpoint: TestEndpoint;
let primary: KMSClient;
let replica: KMSClient;

const clientFor = (url: string, region: string, account = ACCOUNT) =>
  new KMSClient({ endpoint: url, region, credentials: { accessKeyId: account, secretAccessKey: 'x' } });

/** Waits until a replica key has left `Creating`, as a caller must on AWS after ReplicateKey. */
const untilReady = (client: KMSClient, keyId: string) =>
  expect
    .poll(async () => (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, {
      timeout: 30_000,
      interval: 200,
    })
    .not.toBe('Creating');

const suffix = () => Math.random().toString(36).slice(2, 10);
const text = (blob: Uint8Array | undefined) => Buffer.from(blob ?? []).toString();

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  primary = clientFor(endpoint.url, PRIMARY_REGION);
  replica = clientFor(endpoint.url, REPLICA_REGION);
});

afterAll(async () => {
  primary?.destroy();
  replica?.destroy();
  await endpoint?.close();
});

/** Gets import parameters and wraps `material` with them, as a key owner would outside AWS. */
const wrapForImport = async (
  c: KMSClient,
  keyId: string,
  material: Buffer,
  WrappingAlgorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256',
  WrappingKeySpec: WrappingKeySpec = 'RSA_2048',
) => {
  const params = await c.send(
    new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm, WrappingKeySpec }),
  );
  const wrappingKey = createPublicKey({
    key: Buffer.from(params.PublicKey ?? []),
    format: 'der',
    type: 'spki',
  });
  const oaepHash = WrappingAlgorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  let encrypted: Buffer;
  if (WrappingAlgorithm === 'RSA_AES_KEY_WRAP_SHA_256') {
    // RSA_AES_KEY_WRAP: an ephemeral AES-256 key under RSA-OAEP, then the material under AES key wrap with padding.
    const aesKey = randomBytes(32);
    const wrappedAes = publicEncrypt(
      { key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
      aesKey,
    );
    const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
    encrypted = Buffer.concat([wrappedAes, cipher.update(material), cipher.final()]);
  } else {
    encrypted = publicEncrypt(
      { key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
      material,
    );
  }
  return { importToken: params.ImportToken, encrypted, validTo: params.ParametersValidTo };
};

describe('imported key material (Origin EXTERNAL)', () => {
  it('a key created for import is PendingImport and unusable until its material is imported', async () => {
    const created = await primary.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'byok' }));
    const keyId = created.KeyMetadata?.KeyId ?? '';
    expect(created.KeyMetadata).toMatchObject({
      Origin: 'EXTERNAL',
      KeyState: 'PendingImport',
      Enabled: false,
    });
    await expect(
      primary.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
    ).rejects.toBeInstanceOf(KMSInvalidStateException);

    const material = randomBytes(32);
    const { importToken, encrypted } = await wrapForImport(primary, keyId, material, 'RSAES_OAEP_SHA_256');
    const validTo = new Date(endpoint.clock.now().getTime() + 10 * DAY_MS);
    await primary.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: importToken,
        EncryptedKeyMaterial: encrypted,
        ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: validTo,
      }),
    );
    const meta = (await primary.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    expect(meta).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    expect(Math.abs((meta?.ValidTo?.getTime() ?? 0) - validTo.getTime())).toBeLessThan(1000);

    const enc = await primary.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('imported') }));
    expect(
      text((await primary.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext),
    ).toBe('imported');

    // Reimporting is allowed only with the same material.
    const other = await wrapForImport(primary, keyId, randomBytes(32), 'RSAES_OAEP_SHA_1');
    await expect(
      primary.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: other.importToken,
          EncryptedKeyMaterial: other.encrypted,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
    ).rejects.toBeInstanceOf(IncorrectKeyMaterialException);
  });

  it('material expires at ValidTo: the key returns to PendingImport, and the same material can be reimported', async () => {
    // Own account: this test moves the shared clock.
    const c = clientFor(endpoint.url, PRIMARY_REGION, `6${Date.now().toString().slice(-11)}`);
    const keyId = (await c.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata?.KeyId ?? '';
    const material = randomBytes(32);
    const first = await wrapForImport(c, keyId, material, 'RSAES_OAEP_SHA_256');
    await c.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: first.importToken,
        EncryptedKeyMaterial: first.encrypted,
        ValidTo: new Date(endpoint.clock.now().getTime() + 2 * DAY_MS),
      }),
    );
    const enc = await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('before expiry') }));

    endpoint.clock.advance(2 * DAY_MS + 60_000);
    expect((await c.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe(
      'PendingImport',
    );
    await expect(c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toBeInstanceOf(
      KMSInvalidStateException,
    );
    // The first import token is older than 24 hours now.
    await expect(
      c.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: first.importToken,
          EncryptedKeyMaterial: first.encrypted,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
    ).rejects.toBeInstanceOf(ExpiredImportTokenException);

    const again = await wrapForImport(c, keyId, material, 'RSAES_OAEP_SHA_256');
    await c.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: again.importToken,
        EncryptedKeyMaterial: again.encrypted,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    expect(text((await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext)).toBe(
      'before expiry',
    );
    c.destroy();
  });

  it('imports an ECC private key wrapped with RSA_AES_KEY_WRAP_SHA_256; its signatures verify with our own public key', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const created = await primary.send(
      new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    );
    const keyId = created.KeyMetadata?.KeyId ?? '';
    const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer;
    const { importToken, encrypted } = await wrapForImport(
      primary,
      keyId,
      pkcs8,
      'RSA_AES_KEY_WRAP_SHA_256',
      'RSA_3072',
    );
    await primary.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: importToken,
        EncryptedKeyMaterial: encrypted,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    const exported = await primary.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const ours = pair.publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
    expect(Buffer.from(exported.PublicKey ?? []).equals(ours)).toBe(true);
    const message = Buffer.from('signed with imported material');
    const signed = await primary.send(
      new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(verify('sha256', message, pair.publicKey as KeyObject, Buffer.from(signed.Signature ?? []))).toBe(
      true,
    );
  });

  it('refuses GetParametersForImport on a key with KMS-generated material', async () => {
    const keyId = (await primary.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
    await expect(
      primary.send(
        new GetParametersForImportCommand({
          KeyId: keyId,
          WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          WrappingKeySpec: 'RSA_2048',
        }),
      ),
    ).rejects.toBeInstanceOf(UnsupportedOperationException);
  });
});

describe('multi-Region keys', () => {
  it('a replica shares key ID and material: ciphertext from the primary Region decrypts in the replica Region', async () => {
    const created = await primary.send(new CreateKeyCommand({ MultiRegion: true, Description: 'mrk' }));
    const keyId = created.KeyMetadata?.KeyId ?? '';
    expect(keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    const replicated = await primary.send(
      new ReplicateKeyCommand({
        KeyId: keyId,
        ReplicaRegion: REPLICA_REGION,
        Tags: [{ TagKey: 'copy', TagValue: 'yes' }],
      }),
    );
    expect(replicated.ReplicaKeyMetadata).toMatchObject({
      KeyId: keyId,
      Arn: `arn:aws:kms:${REPLICA_REGION}:${ACCOUNT}:key/${keyId}`,
      // A new replica is Creating for a moment (ReplicateKey), then Enabled.
      KeyState: 'Creating',
      MultiRegion: true,
    });
    await untilReady(replica, keyId);
    expect((await replica.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe(
      'Enabled',
    );
    expect(replicated.ReplicaTags).toEqual([{ TagKey: 'copy', TagValue: 'yes' }]);

    const enc = await primary.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: Buffer.from('cross-region'),
        EncryptionContext: { r: '1' },
      }),
    );
    const dec = await replica.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { r: '1' } }),
    );
    expect(text(dec.Plaintext)).toBe('cross-region');
    expect(dec.KeyId).toBe(`arn:aws:kms:${REPLICA_REGION}:${ACCOUNT}:key/${keyId}`);

    for (const c of [primary, replica]) {
      const meta = (await c.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      expect(meta?.MultiRegionConfiguration).toEqual({
        MultiRegionKeyType: c === primary ? 'PRIMARY' : 'REPLICA',
        PrimaryKey: { Arn: `arn:aws:kms:${PRIMARY_REGION}:${ACCOUNT}:key/${keyId}`, Region: PRIMARY_REGION },
        ReplicaKeys: [
          { Arn: `arn:aws:kms:${REPLICA_REGION}:${ACCOUNT}:key/${keyId}`, Region: REPLICA_REGION },
        ],
      });
    }
  });

  it('a replica has its own aliases and key state', async () => {
    const keyId = (await primary.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata?.KeyId ?? '';
    await primary.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    await untilReady(replica, keyId);
    const alias = `alias/mrk-${suffix()}`;
    await primary.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await expect(replica.send(new DescribeKeyCommand({ KeyId: alias }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    expect((await replica.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases).toEqual([]);

    await replica.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await replica.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe(
      'Disabled',
    );
    expect((await primary.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyState).toBe(
      'Enabled',
    );
    const enc = await primary.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('x') }));
    await expect(
      replica.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
    ).rejects.toMatchObject({
      name: 'DisabledException',
    });
  });

  it('only a multi-Region primary can be replicated, once per Region', async () => {
    const single = (await primary.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
    await expect(
      primary.send(new ReplicateKeyCommand({ KeyId: single, ReplicaRegion: REPLICA_REGION })),
    ).rejects.toBeInstanceOf(UnsupportedOperationException);
    const mrk = (await primary.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata?.KeyId ?? '';
    await primary.send(new ReplicateKeyCommand({ KeyId: mrk, ReplicaRegion: REPLICA_REGION }));
    await expect(
      primary.send(new ReplicateKeyCommand({ KeyId: mrk, ReplicaRegion: REPLICA_REGION })),
    ).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    await expect(
      replica.send(new ReplicateKeyCommand({ KeyId: mrk, ReplicaRegion: 'ap-northeast-1' })),
    ).rejects.toBeInstanceOf(UnsupportedOperationException);
  });

  it('a primary scheduled for deletion waits for its replicas (PendingReplicaDeletion), then is deleted', async () => {
    const c1 = clientFor(endpoint.url, PRIMARY_REGION, `5${Date.now().toString().slice(-11)}`);
    const account = (await c1.config.credentials()).accessKeyId;
    const c2 = clientFor(endpoint.url, REPLICA_REGION, account);
    const keyId = (await c1.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata?.KeyId ?? '';
    await c1.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION }));
    await untilReady(c2, keyId);

    const scheduled = await c1.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(scheduled.KeyState).toBe('PendingReplicaDeletion');
    expect((await c1.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
      KeyState: 'PendingReplicaDeletion',
      PendingDeletionWindowInDays: 7,
    });
    await c2.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));

    endpoint.clock.advance(7 * DAY_MS + 60_000);
    await expect(c2.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(NotFoundException);
    expect((await c1.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe(
      'PendingDeletion',
    );
    endpoint.clock.advance(7 * DAY_MS + 60_000);
    await expect(c1.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(NotFoundException);
    c1.destroy();
    c2.destroy();
  });
});

describe('--state FILE', () => {
  it('keeps keys, key material and aliases across an endpoint restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekey-kms-state-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await startTestEndpoint({ stateFile });
      const c = clientFor(first.url, PRIMARY_REGION);
      const sym = (await c.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
      const alias = `alias/persist-${suffix()}`;
      await c.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: sym }));
      const enc = await c.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('persisted') }));
      const signer =
        (await c.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
          .KeyMetadata?.KeyId ?? '';
      const message = Buffer.from('persisted signature');
      const signed = await c.send(
        new SignCommand({ KeyId: signer, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      c.destroy();
      await first.close();

      const second = await startTestEndpoint({ stateFile });
      const c2 = clientFor(second.url, PRIMARY_REGION);
      try {
        const dec = await c2.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
        expect(text(dec.Plaintext)).toBe('persisted');
        expect((await c2.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyId).toBe(sym);
        const verified = await c2.send(
          new VerifyCommand({
            KeyId: signer,
            Message: message,
            Signature: signed.Signature,
            SigningAlgorithm: 'ECDSA_SHA_256',
          }),
        );
        expect(verified.SignatureValid).toBe(true);
      } finally {
        c2.destroy();
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
