/**
 * Secrets Manager calls per rotation and time per rotation, measured on real HTTP traffic:
 * the local endpoint counts every request the rotation function sends while RotateSecret runs.
 *
 * "warm" is the usual case on AWS: Secrets Manager invokes the four steps seconds apart, so they
 * land on one warm container and the function's version cache is used. "cold" clears that
 * cache before every step, as if each step ran in a fresh container: the upper bound.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { secretValueCache } from '../functions/secret-rotation/cache.js';
import { createHandler } from '../functions/secret-rotation/handler.js';
import { readRotationLog } from '../local/core/admin-client.js';
import type { LocalEndpoint } from '../local/endpoint.js';
import { takeCalls } from './calls.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const COLD_FUNCTION = 'rekey-bench-cold-rotation';

export interface RotationCase {
  name: string;
  /** Creates the target (database user, superuser secret) and returns the secret's value. */
  secretString: (client: SecretsManagerClient) => Promise<string>;
  tags?: Tag[];
}

export interface RotationResult {
  rotator: string;
  mode: 'warm' | 'cold';
  rotations: number;
  secretsManagerCallsPerRotation: number;
  callsByOperation: Record<string, number>;
  msPerRotationMedian: number;
}

const clientFor = (endpoint: LocalEndpoint) =>
  new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
  });

/** Registers a rotation function that starts every step with an empty cache (a cold container). */
export const registerColdFunction = (endpoint: LocalEndpoint): void => {
  const handler = createHandler({ secretsManager: clientFor(endpoint) });
  endpoint.lambdas.register(COLD_FUNCTION, async (payload) => {
    secretValueCache.clear();
    await handler(payload);
    return null;
  });
};

export const benchRotation = async (
  endpoint: LocalEndpoint,
  testCase: RotationCase,
  mode: 'warm' | 'cold',
  rotations: number,
): Promise<RotationResult> => {
  const client = clientFor(endpoint);
  const functionName = mode === 'warm' ? 'rekey-secret-rotation' : COLD_FUNCTION;
  const name = `bench/${testCase.name.replace(/[^A-Za-z0-9/_+=.@-]+/g, '-')}-${mode}-${Date.now()}`;
  const created = await client.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: await testCase.secretString(client),
      Tags: testCase.tags,
    }),
  );
  const arn = created.ARN ?? name;
  const totals: Record<string, number> = {};
  const times: number[] = [];
  try {
    for (let i = 0; i < rotations; i++) {
      await takeCalls(endpoint, 'secretsmanager');
      const started = performance.now();
      await client.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      // RotateSecret answers before the steps run, as on AWS: the rotation has ended when the
      // local log says its steps stopped (read through the admin route, which is not counted).
      const local = { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT };
      let log = await readRotationLog(local, arn);
      while (log.inProgress) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        log = await readRotationLog(local, arn);
      }
      times.push(performance.now() - started);
      const calls = await takeCalls(endpoint, 'secretsmanager');
      const failedStep = log.entries.find((r) => r.outcome === 'failed');
      if (failedStep)
        throw new Error(`${testCase.name}: ${failedStep.step} failed: ${failedStep.message ?? ''}`);
      for (const [operation, n] of Object.entries(calls)) {
        if (operation !== 'RotateSecret') totals[operation] = (totals[operation] ?? 0) + n;
      }
    }
  } finally {
    await client
      .send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }))
      .catch(() => {});
    client.destroy();
  }
  const total = Object.values(totals).reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    rotator: testCase.name,
    mode,
    rotations,
    secretsManagerCallsPerRotation: Number((total / rotations).toFixed(2)),
    callsByOperation: Object.fromEntries(
      Object.entries(totals).map(([k, v]) => [k, Number((v / rotations).toFixed(2))]),
    ),
    msPerRotationMedian: Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)),
  };
};
