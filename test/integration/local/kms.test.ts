import { constants, createHash, createPublicKey, publicEncrypt, verify } from 'node:crypto';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisabledException,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidAliasNameException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  type KeySpec,
  type KeyUsageType,
  KMSClient,
  KMSInvalidMacException,
  KMSInvalidSignatureException,
  KMSInvalidStateException,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  MalformedPolicyDocumentException,
  NotFoundException,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  type SigningAlgorithmSpec,
  TagResourceCommand,
  UnsupportedOperationException,
  UntagResourceCommand,
  UpdateAliasCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEndpoint } from '../../../local/endpoint.js';
import { itLocal, openTarget, type Target } from './target.js';

// Runs against AWS_ENDPOINT_URL when set (see target.ts); `itLocal` tests need this endpoint's
// clock, other accounts or its own ARNs.

const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const DAY_MS = 86_400_000;

let target: Target;
/** The local endpoint: used only by `itLocal` tests (clock, other accounts). */
let endpoint: LocalEndpoint;
let kms: KMSClient;

const client = (region = REGION, account = ACCOUNT) =>
  new KMSClient({
    endpoint: endpoint.url,
    region,
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
  });

const suffix = () => Math.random().toString(36).slice(2, 10);
const bytes = (text: string) => new TextEncoder().encode(text);

const createKey = async (KeySpec: KeySpec = 'SYMMETRIC_DEFAULT', KeyUsage?: KeyUsageType, c = kms) => {
  const out = await c.send(new CreateKeyCommand({ KeySpec, KeyUsage, Description: `test ${KeySpec}` }));
  const meta = out.KeyMetadata;
  if (!meta?.KeyId || !meta.Arn) throw new Error('CreateKey returned no key');
  return { keyId: meta.KeyId, arn: meta.Arn, meta };
};

const publicKeyOf = async (keyId: string) => {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!out.PublicKey) throw new Error('GetPublicKey returned no key');
  return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
};

beforeAll(async () => {
  target = await openTarget(REGION, ACCOUNT);
  endpoint = target.local as LocalEndpoint;
  kms = new KMSClient(target.clientConfig);
});

afterAll(async () => {
  kms?.destroy();
  await target?.close();
});

describe('symmetric encryption keys', () => {
  it('encrypts and decrypts, and Decrypt finds the key from the ciphertext without a KeyId', async () => {
    const { keyId, arn } = await createKey();
    const context = { purpose: 'test', tenant: 'a' };
    const enc = await kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: bytes('hello kms'), EncryptionContext: context }),
    );
    expect(enc.KeyId).toBe(arn);
    expect(enc.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');

    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }),
    );
    expect(dec.KeyId).toBe(arn);
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('hello kms');
  });

  it('refuses to decrypt when the encryption context differs from the one used to encrypt', async () => {
    const { keyId } = await createKey();
    const enc = await kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x'), EncryptionContext: { a: '1' } }),
    );
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: '2' } })),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
  });

  it('rejects an altered ciphertext and a KeyId that is not the key the ciphertext names', async () => {
    const { keyId } = await createKey();
    const other = await createKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x') }));
    const blob = Buffer.from(enc.CiphertextBlob ?? []);
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 1;
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: other.keyId })),
    ).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it('generates data keys whose ciphertext decrypts to the returned plaintext', async () => {
    const { keyId } = await createKey();
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect(dk.Plaintext).toHaveLength(32);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).equals(Buffer.from(dk.Plaintext ?? []))).toBe(true);

    const bare = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 16 }),
    );
    expect(bare).not.toHaveProperty('Plaintext');
    const bareDec = await kms.send(new DecryptCommand({ CiphertextBlob: bare.CiphertextBlob }));
    expect(bareDec.Plaintext).toHaveLength(16);

    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('re-encrypts a ciphertext under another key without exposing the plaintext', async () => {
    const source = await createKey();
    const destination = await createKey();
    const enc = await kms.send(
      new EncryptCommand({ KeyId: source.keyId, Plaintext: bytes('moving'), EncryptionContext: { k: 'v' } }),
    );
    const re = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        SourceEncryptionContext: { k: 'v' },
        DestinationKeyId: destination.keyId,
      }),
    );
    expect(re.SourceKeyId).toBe(source.arn);
    expect(re.KeyId).toBe(destination.arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob }));
    expect(dec.KeyId).toBe(destination.arn);
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('moving');
  });

  it('supports automatic rotation status, which asymmetric and HMAC keys do not', async () => {
    const { keyId } = await createKey();
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(
      false,
    );
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 180 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });

    const hmacKey = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    await expect(kms.send(new GetKeyRotationStatusCommand({ KeyId: hmacKey.keyId }))).rejects.toBeInstanceOf(
      UnsupportedOperationException,
    );
    await expect(kms.send(new EnableKeyRotationCommand({ KeyId: hmacKey.keyId }))).rejects.toBeInstanceOf(
      UnsupportedOperationException,
    );
  });
});

describe('asymmetric RSA encryption keys', () => {
  it('decrypts with KeyId and algorithm what was encrypted with the public key outside KMS', async () => {
    const { keyId, meta } = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    expect(meta.EncryptionAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    const publicKey = await publicKeyOf(keyId);
    const outside = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from('from outside'),
    );
    const dec = await kms.send(
      new DecryptCommand({
        CiphertextBlob: outside,
        KeyId: keyId,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    );
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('from outside');

    const enc = await kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: bytes('inside'),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
      }),
    );
    const back = await kms.send(
      new DecryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        KeyId: keyId,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
      }),
    );
    expect(Buffer.from(back.Plaintext ?? []).toString()).toBe('inside');
  });

  it('needs an RSA algorithm: the symmetric default is refused and Decrypt without KeyId cannot find the key', async () => {
    const { keyId } = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    await expect(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x') })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    const enc = await kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: bytes('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: keyId })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
  });
});

describe('asymmetric signing keys', () => {
  const RSA_ALGORITHMS: SigningAlgorithmSpec[] = [
    'RSASSA_PSS_SHA_256',
    'RSASSA_PSS_SHA_384',
    'RSASSA_PSS_SHA_512',
    'RSASSA_PKCS1_V1_5_SHA_256',
    'RSASSA_PKCS1_V1_5_SHA_384',
    'RSASSA_PKCS1_V1_5_SHA_512',
  ];
  const hashOf = (algorithm: string) => `sha${algorithm.slice(-3)}`;
  const nodeVerify = (
    key: ReturnType<typeof createPublicKey>,
    algorithm: string,
    message: Buffer,
    sig: Buffer,
  ) => {
    const hash = hashOf(algorithm);
    if (algorithm.startsWith('ECDSA')) return verify(hash, message, key, sig);
    const pss = algorithm.includes('PSS');
    return verify(
      hash,
      message,
      {
        key,
        padding: pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
        ...(pss ? { saltLength: Number(algorithm.slice(-3)) / 8 } : {}),
      },
      sig,
    );
  };

  it('signs with every RSA algorithm; Node verifies the signatures with the GetPublicKey key, RAW and DIGEST', async () => {
    const { keyId, meta } = await createKey('RSA_2048', 'SIGN_VERIFY');
    expect(meta.SigningAlgorithms).toEqual(RSA_ALGORITHMS);
    const publicKey = await publicKeyOf(keyId);
    const message = Buffer.from('a message to sign');
    for (const algorithm of RSA_ALGORITHMS) {
      const raw = await kms.send(
        new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: algorithm }),
      );
      expect(nodeVerify(publicKey, algorithm, message, Buffer.from(raw.Signature ?? []))).toBe(true);
      const digest = createHash(hashOf(algorithm)).update(message).digest();
      const fromDigest = await kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: algorithm,
        }),
      );
      expect(nodeVerify(publicKey, algorithm, message, Buffer.from(fromDigest.Signature ?? []))).toBe(true);
      const verified = await kms.send(
        new VerifyCommand({
          KeyId: keyId,
          Message: message,
          Signature: raw.Signature,
          SigningAlgorithm: algorithm,
        }),
      );
      expect(verified.SignatureValid).toBe(true);
    }
  });

  it.each([
    ['ECC_NIST_P256', 'ECDSA_SHA_256'],
    ['ECC_NIST_P384', 'ECDSA_SHA_384'],
    ['ECC_NIST_P521', 'ECDSA_SHA_512'],
    ['ECC_SECG_P256K1', 'ECDSA_SHA_256'],
  ] as const)(
    '%s signs with %s; Node verifies it and KMS rejects a signature for another message',
    async (spec, algorithm) => {
      const { keyId, meta } = await createKey(spec, 'SIGN_VERIFY');
      expect(meta.SigningAlgorithms).toEqual([algorithm]);
      const publicKey = await publicKeyOf(keyId);
      const message = Buffer.from(`signed by ${spec}`);
      const signed = await kms.send(
        new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: algorithm }),
      );
      const signature = Buffer.from(signed.Signature ?? []);
      expect(nodeVerify(publicKey, algorithm, message, signature)).toBe(true);

      const digest = createHash(hashOf(algorithm)).update(message).digest();
      const viaDigest = await kms.send(
        new VerifyCommand({
          KeyId: keyId,
          Message: digest,
          MessageType: 'DIGEST',
          Signature: signature,
          SigningAlgorithm: algorithm,
        }),
      );
      expect(viaDigest.SignatureValid).toBe(true);
      const digestSigned = await kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: algorithm,
        }),
      );
      expect(nodeVerify(publicKey, algorithm, message, Buffer.from(digestSigned.Signature ?? []))).toBe(true);

      await expect(
        kms.send(
          new VerifyCommand({
            KeyId: keyId,
            Message: bytes('another'),
            Signature: signature,
            SigningAlgorithm: algorithm,
          }),
        ),
      ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
    },
  );

  it('refuses a signing algorithm the key spec does not support, and signing with an encryption key', async () => {
    const ecc = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    await expect(
      kms.send(
        new SignCommand({ KeyId: ecc.keyId, Message: bytes('m'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
      ),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    const sym = await createKey();
    await expect(
      kms.send(new SignCommand({ KeyId: sym.keyId, Message: bytes('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(kms.send(new GetPublicKeyCommand({ KeyId: sym.keyId }))).rejects.toBeInstanceOf(
      UnsupportedOperationException,
    );
  });

  it('rejects a DIGEST message whose length does not match the algorithm hash', async () => {
    const { keyId } = await createKey('ECC_NIST_P384', 'SIGN_VERIFY');
    await expect(
      kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: Buffer.alloc(32),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_384',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('HMAC keys', () => {
  it.each([
    ['HMAC_224', 'HMAC_SHA_224', 28],
    ['HMAC_256', 'HMAC_SHA_256', 32],
    ['HMAC_384', 'HMAC_SHA_384', 48],
    ['HMAC_512', 'HMAC_SHA_512', 64],
  ] as const)(
    '%s generates a %s MAC that verifies, and a changed message does not',
    async (spec, algorithm, size) => {
      const { keyId, meta } = await createKey(spec, 'GENERATE_VERIFY_MAC');
      expect(meta.MacAlgorithms).toEqual([algorithm]);
      const mac = await kms.send(
        new GenerateMacCommand({ KeyId: keyId, Message: bytes('data'), MacAlgorithm: algorithm }),
      );
      expect(mac.Mac).toHaveLength(size);
      const again = await kms.send(
        new GenerateMacCommand({ KeyId: keyId, Message: bytes('data'), MacAlgorithm: algorithm }),
      );
      expect(Buffer.from(again.Mac ?? []).equals(Buffer.from(mac.Mac ?? []))).toBe(true);
      const ok = await kms.send(
        new VerifyMacCommand({ KeyId: keyId, Message: bytes('data'), Mac: mac.Mac, MacAlgorithm: algorithm }),
      );
      expect(ok.MacValid).toBe(true);
      await expect(
        kms.send(
          new VerifyMacCommand({
            KeyId: keyId,
            Message: bytes('date'),
            Mac: mac.Mac,
            MacAlgorithm: algorithm,
          }),
        ),
      ).rejects.toBeInstanceOf(KMSInvalidMacException);
    },
  );

  it('requires KeyUsage GENERATE_VERIFY_MAC for an HMAC key spec', async () => {
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('key identifiers and metadata', () => {
  itLocal(
    'DescribeKey finds a key by key ID, key ARN, alias name and alias ARN, with complete metadata',
    async () => {
      const { keyId, arn } = await createKey();
      const alias = `alias/describe-${suffix()}`;
      await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
      const aliasArn = `arn:aws:kms:${REGION}:${ACCOUNT}:${alias}`;
      for (const id of [keyId, arn, alias, aliasArn]) {
        const meta = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata;
        expect(meta).toMatchObject({
          AWSAccountId: ACCOUNT,
          KeyId: keyId,
          Arn: arn,
          Enabled: true,
          KeyState: 'Enabled',
          KeyManager: 'CUSTOMER',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          Origin: 'AWS_KMS',
          MultiRegion: false,
        });
        expect(meta?.CreationDate).toBeInstanceOf(Date);
      }
      await expect(
        kms.send(new DescribeKeyCommand({ KeyId: 'alias/does-not-exist' })),
      ).rejects.toBeInstanceOf(NotFoundException);
    },
  );

  itLocal(
    'DescribeKey on a predefined alias/aws/ alias returns the AWS managed key, which cannot be disabled',
    async () => {
      const account = `9${Date.now().toString().slice(-11)}`;
      const c = client(REGION, account);
      const meta = (await c.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }))).KeyMetadata;
      expect(meta).toMatchObject({ KeyManager: 'AWS', KeySpec: 'SYMMETRIC_DEFAULT', KeyState: 'Enabled' });
      const again = (await c.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }))).KeyMetadata;
      expect(again?.KeyId).toBe(meta?.KeyId);
      await expect(c.send(new DisableKeyCommand({ KeyId: meta?.KeyId }))).rejects.toBeInstanceOf(
        UnsupportedOperationException,
      );
      c.destroy();
    },
  );

  itLocal('ListKeys pages with Limit and Marker through every key of the account and Region', async () => {
    const account = `8${Date.now().toString().slice(-11)}`;
    const c = client('ap-southeast-2', account);
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await createKey('SYMMETRIC_DEFAULT', undefined, c)).keyId);
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await c.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
      seen.push(...(out.Keys ?? []).map((k) => k.KeyId ?? ''));
      marker = out.Truncated ? out.NextMarker : undefined;
      pages++;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(created.sort());
    c.destroy();
  });

  itLocal('keeps a default key policy naming the account, and refuses a malformed policy', async () => {
    const { keyId } = await createKey();
    const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
    expect(JSON.parse(policy.Policy ?? '{}').Statement[0].Principal.AWS).toBe(`arn:aws:iam::${ACCOUNT}:root`);
    await expect(
      kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: '{not json' })),
    ).rejects.toBeInstanceOf(MalformedPolicyDocumentException);
    const custom = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'kms:*' }],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: custom }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(custom);
  });

  it('tags and untags a key; a tag key with the aws: prefix is refused', async () => {
    const { keyId } = await createKey();
    await kms.send(
      new TagResourceCommand({
        KeyId: keyId,
        Tags: [
          { TagKey: 'team', TagValue: 'a' },
          { TagKey: 'env', TagValue: 'test' },
        ],
      }),
    );
    await kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'b' }] }));
    await kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ['env'] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([
      { TagKey: 'team', TagValue: 'b' },
    ]);
    await expect(
      kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] })),
    ).rejects.toMatchObject({ name: 'TagException' });
  });
});

describe('aliases', () => {
  it('UpdateAlias moves an alias to a key of the same type and usage, and refuses any other', async () => {
    const current = await createKey('RSA_2048', 'SIGN_VERIFY');
    const alias = `alias/swap-${suffix()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: current.arn }));

    const symmetric = await createKey();
    await expect(
      kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: symmetric.keyId })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    const rsaEncrypt = await createKey('RSA_2048', 'ENCRYPT_DECRYPT');
    await expect(
      kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: rsaEncrypt.keyId })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const hmacKey = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    await expect(
      kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: hmacKey.keyId })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });

    // RSA and ECC are both asymmetric: with the same usage the swap is allowed.
    const successor = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: successor.keyId }));
    const listed = await kms.send(new ListAliasesCommand({ KeyId: successor.keyId }));
    expect(listed.Aliases?.map((a) => a.AliasName)).toEqual([alias]);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyId).toBe(
      successor.keyId,
    );
    expect((await kms.send(new ListAliasesCommand({ KeyId: current.keyId }))).Aliases).toEqual([]);
  });

  it('requires alias names to start with alias/ and reserves alias/aws/', async () => {
    const { keyId } = await createKey();
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: keyId })),
    ).rejects.toBeInstanceOf(InvalidAliasNameException);
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: `alias/aws/${suffix()}`, TargetKeyId: keyId })),
    ).rejects.toBeInstanceOf(InvalidAliasNameException);
    const alias = `alias/dup-${suffix()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await expect(
      kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId })),
    ).rejects.toMatchObject({
      name: 'AlreadyExistsException',
    });
  });

  itLocal(
    'DisableKey and ScheduleKeyDeletion refuse alias names and alias ARNs (key ID or key ARN only)',
    async () => {
      const { keyId, arn } = await createKey();
      const alias = `alias/manage-${suffix()}`;
      await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
      const aliasArn = `arn:aws:kms:${REGION}:${ACCOUNT}:${alias}`;
      for (const id of [alias, aliasArn]) {
        await expect(kms.send(new DisableKeyCommand({ KeyId: id }))).rejects.toBeInstanceOf(
          NotFoundException,
        );
        await expect(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id }))).rejects.toBeInstanceOf(
          NotFoundException,
        );
      }
      expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe(
        'Enabled',
      );
      await kms.send(new DisableKeyCommand({ KeyId: arn }));
      expect((await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyState).toBe(
        'Disabled',
      );
    },
  );
});

describe('key states', () => {
  it('a disabled key refuses cryptographic calls with DisabledException until it is enabled again', async () => {
    const sym = await createKey();
    const signing = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const mac = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
    const enc = await kms.send(new EncryptCommand({ KeyId: sym.keyId, Plaintext: bytes('before') }));
    for (const key of [sym, signing, mac]) await kms.send(new DisableKeyCommand({ KeyId: key.keyId }));

    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: sym.keyId }))).KeyMetadata;
    expect(meta).toMatchObject({ Enabled: false, KeyState: 'Disabled' });
    await expect(
      kms.send(new EncryptCommand({ KeyId: sym.keyId, Plaintext: bytes('x') })),
    ).rejects.toBeInstanceOf(DisabledException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toBeInstanceOf(
      DisabledException,
    );
    await expect(
      kms.send(
        new SignCommand({ KeyId: signing.keyId, Message: bytes('m'), SigningAlgorithm: 'ECDSA_SHA_256' }),
      ),
    ).rejects.toBeInstanceOf(DisabledException);
    await expect(
      kms.send(
        new GenerateMacCommand({ KeyId: mac.keyId, Message: bytes('m'), MacAlgorithm: 'HMAC_SHA_256' }),
      ),
    ).rejects.toBeInstanceOf(DisabledException);

    await kms.send(new EnableKeyCommand({ KeyId: sym.keyId }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('before');
  });

  itLocal('ScheduleKeyDeletion accepts a waiting period of 7 to 30 days, 30 by default', async () => {
    const { keyId } = await createKey();
    for (const days of [6, 31]) {
      await expect(
        kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    }
    const before = endpoint.clock.now().getTime();
    const out = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    expect(out.PendingWindowInDays).toBe(30);
    expect(out.KeyState).toBe('PendingDeletion');
    const deletion = out.DeletionDate?.getTime() ?? 0;
    expect(deletion - before).toBeGreaterThanOrEqual(30 * DAY_MS - 1000);
    expect(deletion - before).toBeLessThanOrEqual(30 * DAY_MS + 60_000);

    const seven = await createKey();
    expect(
      (await kms.send(new ScheduleKeyDeletionCommand({ KeyId: seven.keyId, PendingWindowInDays: 7 })))
        .PendingWindowInDays,
    ).toBe(7);
  });

  it('a key pending deletion refuses use with KMSInvalidStateException; CancelKeyDeletion returns it Disabled', async () => {
    const { keyId } = await createKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: bytes('keep') }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    expect(meta?.KeyState).toBe('PendingDeletion');
    expect(meta?.DeletionDate).toBeInstanceOf(Date);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toBeInstanceOf(
      KMSInvalidStateException,
    );
    await expect(kms.send(new EnableKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(
      KMSInvalidStateException,
    );
    await expect(kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(
      KMSInvalidStateException,
    );

    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    const after = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    expect(after?.KeyState).toBe('Disabled');
    expect(after?.DeletionDate).toBeUndefined();
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('keep');
  });

  itLocal('deletes the key and all its aliases once the clock passes the deletion date', async () => {
    // Its own account, so moving the shared clock cannot delete keys other tests still use.
    const account = `7${Date.now().toString().slice(-11)}`;
    const c = client(REGION, account);
    const doomed = await createKey('SYMMETRIC_DEFAULT', undefined, c);
    const kept = await createKey('SYMMETRIC_DEFAULT', undefined, c);
    const aliases = [`alias/doomed-${suffix()}`, `alias/doomed-${suffix()}`];
    for (const AliasName of aliases)
      await c.send(new CreateAliasCommand({ AliasName, TargetKeyId: doomed.keyId }));
    await c.send(new CreateAliasCommand({ AliasName: `alias/kept-${suffix()}`, TargetKeyId: kept.keyId }));
    await c.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.keyId, PendingWindowInDays: 7 }));

    endpoint.clock.advance(6 * DAY_MS);
    expect((await c.send(new DescribeKeyCommand({ KeyId: aliases[0] }))).KeyMetadata?.KeyState).toBe(
      'PendingDeletion',
    );

    endpoint.clock.advance(1 * DAY_MS + 60_000);
    await expect(c.send(new DescribeKeyCommand({ KeyId: doomed.keyId }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    const remaining = (await c.send(new ListAliasesCommand({}))).Aliases ?? [];
    expect(remaining.map((a) => a.TargetKeyId)).toEqual([kept.keyId]);
    expect((await c.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId)).toEqual([kept.keyId]);
    c.destroy();
  });
});

describe('grants', () => {
  itLocal(
    'CreateGrant returns a grant id and token; ListGrants lists the grant; RevokeGrant removes it',
    async () => {
      const { keyId, arn } = await createKey();
      const grantee = `arn:aws:iam::${ACCOUNT}:role/worker-${suffix()}`;
      const created = await kms.send(
        new CreateGrantCommand({
          KeyId: keyId,
          GranteePrincipal: grantee,
          Operations: ['Encrypt', 'Decrypt', 'GenerateDataKey'],
          Name: 'worker',
        }),
      );
      expect(created.GrantId).toMatch(/^[0-9a-f]{64}$/);
      expect(created.GrantToken?.length).toBeGreaterThan(20);
      const again = await kms.send(
        new CreateGrantCommand({
          KeyId: keyId,
          GranteePrincipal: grantee,
          Operations: ['Encrypt', 'Decrypt', 'GenerateDataKey'],
          Name: 'worker',
        }),
      );
      expect(again.GrantId).toBe(created.GrantId);

      const listed = await kms.send(new ListGrantsCommand({ KeyId: arn }));
      expect(listed.Grants).toHaveLength(1);
      expect(listed.Grants?.[0]).toMatchObject({
        KeyId: arn,
        GrantId: created.GrantId,
        Name: 'worker',
        GranteePrincipal: grantee,
        Operations: ['Encrypt', 'Decrypt', 'GenerateDataKey'],
      });
      await kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId: created.GrantId }));
      expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([]);
    },
  );

  itLocal('refuses unknown operations and operations the key does not support', async () => {
    const { keyId } = await createKey();
    const grantee = `arn:aws:iam::${ACCOUNT}:role/x`;
    await expect(
      kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: grantee, Operations: ['Sign'] })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      kms.send(
        new CreateGrantCommand({
          KeyId: keyId,
          GranteePrincipal: grantee,
          Operations: ['Launch' as 'Encrypt'],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
