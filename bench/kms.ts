/**
 * KMS alias-swap rotation: KMS calls the whole workflow makes (counted on the wire by the local
 * endpoint), its duration with short waits, and the zero-downtime loop: while the rotation runs,
 * a caller encrypts through the alias and decrypts everything produced so far; failures counted.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { createClients } from '../functions/key-rotation/clients.js';
import { createHandler } from '../functions/key-rotation/handler.js';
import type { LocalEndpoint } from '../local/endpoint.js';
import { KEY_ROTATION_ASL } from '../local/statemachines.js';
import { runWorkflow } from '../local/workflows/run.js';
import { takeCalls } from './calls.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export interface KmsBenchResult {
  keySpec: string;
  workflowKmsCalls: number;
  kmsCallsByOperation: Record<string, number>;
  workflowMs: number;
  zeroDowntime: { operations: number; failures: number };
}

export const benchKeyRotation = async (endpoint: LocalEndpoint): Promise<KmsBenchResult> => {
  const credentials = { accessKeyId: ACCOUNT, secretAccessKey: 'local' };
  const kms = new KMSClient({ endpoint: endpoint.url, region: REGION, credentials });
  const alias = `alias/rekey/bench-${Date.now()}`;
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'rekey benchmark key' }));
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata?.KeyId }));

  const produced: { data: Buffer; blob: Uint8Array }[] = [];
  let operations = 0;
  let failures = 0;
  let running = true;
  const caller = (async () => {
    while (running) {
      try {
        const data = randomBytes(32);
        const enc = await kms.send(new EncryptCommand({ KeyId: alias, Plaintext: data }));
        produced.push({ data, blob: enc.CiphertextBlob ?? new Uint8Array() });
        operations++;
        for (const item of produced) {
          const dec = await kms.send(new DecryptCommand({ CiphertextBlob: item.blob }));
          if (!Buffer.from(dec.Plaintext ?? []).equals(item.data)) failures++;
          operations++;
        }
      } catch {
        failures++;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  const handler = createHandler(createClients({ region: REGION, endpoint: endpoint.url, credentials }));
  const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-key-rotation`;
  // The caller's own KMS calls are subtracted: count the workflow alone from a separate tally.
  let callerCalls = 0;
  await takeCalls(endpoint, 'TrentService');
  const started = performance.now();
  const run = await runWorkflow({
    aslPath: KEY_ROTATION_ASL,
    substitutions: { KeyRotationFunctionArn: functionArn, EventBusName: 'default' },
    tasks: {
      [functionArn]: handler,
      // The grace period is over: old ciphertexts may stop working from here on, by design.
      'Check Predecessor Unused': async (input) => {
        running = false;
        await caller;
        callerCalls = operations;
        return handler(input);
      },
    },
    input: { alias, force: true, gracePeriodSeconds: 2, retentionSeconds: 0, pendingWindowInDays: 7 },
    region: REGION,
    accountId: ACCOUNT,
    stateMachineName: 'rekey-key-rotation',
  });
  const workflowMs = performance.now() - started;
  running = false;
  await caller;
  if (run.error) throw new Error(`key rotation failed: ${run.error.Error}: ${run.error.Cause}`);
  const kmsCalls = await takeCalls(endpoint, 'TrentService');
  // Every caller operation was one Encrypt or one Decrypt.
  kmsCalls.Encrypt = (kmsCalls.Encrypt ?? 0) - produced.length;
  kmsCalls.Decrypt = (kmsCalls.Decrypt ?? 0) - (callerCalls - produced.length);
  for (const [k, v] of Object.entries(kmsCalls)) if (v <= 0) delete kmsCalls[k];
  kms.destroy();
  return {
    keySpec: 'SYMMETRIC_DEFAULT',
    workflowKmsCalls: Object.values(kmsCalls).reduce((a, b) => a + b, 0),
    kmsCallsByOperation: kmsCalls,
    workflowMs: Math.round(workflowMs),
    zeroDowntime: { operations, failures },
  };
};
