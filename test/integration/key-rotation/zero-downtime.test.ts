/**
 * Zero downtime: while a rotation runs, callers keep encrypting and signing through the alias
 * and decrypting and verifying everything produced so far. Until the grace period ends (the
 * old key's documented lifetime for existing ciphertexts and signatures), no call may fail.
 */
import { randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { expect, it } from 'vitest';
import { aliasName, createAliasedKey, describeKey, realHandler, rotate, useHarness } from './helpers.js';

const h = useHarness();

interface Produced {
  kind: 'ciphertext' | 'signature';
  data: Buffer;
  blob: Uint8Array;
  /** Key that produced it (Encrypt/Sign report it): verification names it, as callers must. */
  keyId: string;
}

it('a caller using the aliases during two rotations sees no failure', async () => {
  // Prepare
  const encAlias = aliasName('zd-enc');
  const signAlias = aliasName('zd-sign');
  const encOld = await createAliasedKey(h, encAlias, {});
  const signOld = await createAliasedKey(h, signAlias, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const produced: Produced[] = [];
  let failures = 0;
  let operations = 0;
  let running = true;
  const kms = h.kms();

  const step = async () => {
    const data = randomBytes(32);
    const enc = await kms.send(new EncryptCommand({ KeyId: encAlias, Plaintext: data }));
    produced.push({
      kind: 'ciphertext',
      data,
      blob: enc.CiphertextBlob ?? new Uint8Array(),
      keyId: enc.KeyId ?? '',
    });
    const sig = await kms.send(
      new SignCommand({
        KeyId: signAlias,
        Message: data,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    produced.push({
      kind: 'signature',
      data,
      blob: sig.Signature ?? new Uint8Array(),
      keyId: sig.KeyId ?? '',
    });
    operations += 2;
    for (const item of [...produced]) {
      if (item.kind === 'ciphertext') {
        const dec = await kms.send(new DecryptCommand({ CiphertextBlob: item.blob }));
        if (!Buffer.from(dec.Plaintext ?? []).equals(item.data)) failures++;
      } else {
        const ok = await kms.send(
          new VerifyCommand({
            KeyId: item.keyId,
            Message: item.data,
            MessageType: 'RAW',
            Signature: item.blob,
            SigningAlgorithm: 'ECDSA_SHA_256',
          }),
        );
        if (ok.SignatureValid !== true) failures++;
      }
      operations++;
    }
  };
  const caller = (async () => {
    while (running) {
      try {
        await step();
      } catch {
        // Counted, not shown: the error could only repeat what the assertions report.
        failures++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  // The caller stops when both grace periods are over: after that the old keys are disabled on
  // purpose. Retirement waits for the caller's last call, so no call races the DisableKey.
  const graceOver = new Set<string>();
  const retireAfterCaller = (alias: string) => ({
    'Check Predecessor Unused': async (input: unknown) => {
      graceOver.add(alias);
      if (graceOver.size === 2) running = false;
      await caller;
      return realHandler(h)(input);
    },
  });

  // Act
  const [encRun, signRun] = await Promise.all([
    rotate(
      h,
      { alias: encAlias, force: true, gracePeriodSeconds: 2 },
      { tasks: retireAfterCaller(encAlias) },
    ),
    rotate(
      h,
      { alias: signAlias, force: true, gracePeriodSeconds: 2 },
      { tasks: retireAfterCaller(signAlias) },
    ),
  ]);
  running = false;
  await caller;

  // Assess
  expect(encRun.error).toBeUndefined();
  expect(signRun.error).toBeUndefined();
  expect(failures).toBe(0);
  expect(operations).toBeGreaterThan(0);
  // The caller really spanned the swap: it used both the old and the new keys.
  const keysUsed = new Set(produced.map((p) => p.keyId));
  expect(keysUsed).toContain(encOld.Arn);
  expect(keysUsed).toContain(signOld.Arn);
  expect(keysUsed).toContain((await describeKey(h, encAlias)).Arn);
  expect(keysUsed).toContain((await describeKey(h, signAlias)).Arn);
});
