/** Demo part: a signing key rotated by alias swap, with the chain of keys it leaves. */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  ListResourceTagsCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { run as rotateKey } from '../../cli/rotate-key.js';
import { heading, localClientConfig } from './common.js';

const describe = async (kms: KMSClient, keyId: string) => {
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  // ListResourceTags takes a key id or ARN, never an alias (as on AWS).
  const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: KeyMetadata?.KeyId }));
  return { meta: KeyMetadata, tags: Object.fromEntries((Tags ?? []).map((t) => [t.TagKey, t.TagValue])) };
};

export const demoKeyRotation = async (endpoint: string): Promise<void> => {
  heading('KMS: an ECC signing key rotated by alias swap');
  const kms = new KMSClient(localClientConfig(endpoint));
  const alias = `alias/rekey/demo-signing-${Date.now()}`;
  try {
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        Description: 'rekey demo: release signing key',
        Tags: [{ TagKey: 'team', TagValue: 'platform' }],
      }),
    );
    const oldKeyId = KeyMetadata?.KeyId ?? '';
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: oldKeyId }));
    const message = new TextEncoder().encode('release 1.0.0');
    const signed = await kms.send(
      new SignCommand({ KeyId: alias, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    console.log(`  ${alias} -> ${oldKeyId} (signed 'release 1.0.0' with it)`);

    // Grace and retention of one second each, so the demo sees the whole lifecycle.
    const code = await rotateKey([
      alias,
      '--force',
      '--endpoint-url',
      endpoint,
      '--grace-seconds',
      '1',
      '--retention-seconds',
      '1',
      '--pending-window-days',
      '7',
    ]);
    if (code !== 0) throw new Error(`rekey rotate-key ${alias} exited ${code}`);

    const current = await describe(kms, alias);
    const previous = await describe(kms, oldKeyId);
    console.log('  the chain of keys (evidence tags):');
    console.log(`    ${alias} -> ${current.meta?.KeyId} ${current.meta?.KeyState}`);
    console.log(`      rekey:predecessor = ${current.tags['rekey:predecessor']}`);
    console.log(`      rekey:rotated-at  = ${current.tags['rekey:rotated-at']}`);
    console.log(
      `    ${oldKeyId} ${previous.meta?.KeyState} (deletion ${previous.meta?.DeletionDate?.toISOString()})`,
    );
    console.log(`      rekey:successor   = ${previous.tags['rekey:successor']}`);
    const fresh = await kms.send(
      new SignCommand({ KeyId: alias, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const verified = await kms.send(
      new VerifyCommand({
        KeyId: alias,
        Message: message,
        Signature: fresh.Signature,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    console.log(
      `  signing through the alias now uses the successor: ${verified.SignatureValid ? 'verified' : 'NOT verified'} ` +
        `(the first signature, ${signed.Signature?.length ?? 0} bytes, was made by the retired key)`,
    );
  } finally {
    kms.destroy();
  }
};
