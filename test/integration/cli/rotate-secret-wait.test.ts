/**
 * `rekey rotate-secret --wait` tells the truth about a failed rotation: it reports the failure
 * as soon as the rotation function reports it (not after the stall timeout), names the step and
 * the error, never claims that applications keep working, and waits by default as long as the
 * rotation function's timeout allows (template.yaml's, for the local endpoint).
 */
import { randomInt } from 'node:crypto';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { templateRotationTimeout } from '../../../cli/report/rotation-failure.js';
import { logger } from '../../../functions/lib/logger.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import { waitForRotation } from '../../../local/rotation-wait.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

const REGION = 'us-east-1';
const account = String(randomInt(100_000_000_000, 999_999_999_999));
let endpoint: TestEndpoint;
let sm: SecretsManagerClient;
const localLog = () => ({ endpointUrl: endpoint.url, region: REGION, account });

beforeAll(async () => {
  logger.setLogLevel('WARN');
  endpoint = await startTestEndpoint({ defaultFunctions: true });
  sm = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: account, secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await endpoint?.close();
});

const rekey = async (argv: string[]) => {
  let stdout = '';
  let stderr = '';
  vi.stubEnv('AWS_ACCESS_KEY_ID', account);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main([...argv, '--endpoint-url', endpoint.url, '--region', REGION, '--interval', '1']);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    vi.unstubAllEnvs();
  }
};

describe('rekey rotate-secret --wait', () => {
  it('reports a failed setSecret at once with its step and error, and promises nothing about AWSCURRENT', async () => {
    // Prepare: a rotation function (the real handler) whose setSecret fails.
    const handler = createHandler({
      secretsManager: new SecretsManagerClient({
        endpoint: endpoint.url,
        region: REGION,
        credentials: { accessKeyId: account, secretAccessKey: 'local' },
      }),
    });
    endpoint.lambdas.register('rekey-it-fails-in-set', async (payload) => {
      if ((payload as { Step?: string }).Step === 'setSecret') {
        throw new Error('setSecret failed: the server refused the new password');
      }
      await handler(payload);
      return null;
    });
    const { ARN } = await sm.send(
      new CreateSecretCommand({
        Name: `wait-${account}`,
        SecretString: JSON.stringify({ username: 'app', password: 'wait-initial-value' }),
        Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      }),
    );
    await sm.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${account}:function:rekey-it-fails-in-set`,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    // RotateSecret answers before testSecret runs, as on AWS: let the configuration test end.
    await waitForRotation({ sm, secretId: ARN ?? '', local: localLog() });

    // Act
    const started = Date.now();
    const result = await rekey(['rotate-secret', ARN ?? '', '--wait']);

    // Assess: well before any stall timeout, with the cause.
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.stderr).toContain(
      'failed in setSecret: Error: setSecret failed: the server refused the new password',
    );
    expect(result.stderr).not.toMatch(/keep(s)? working/);
    expect(result.stderr).toContain('rekey doctor --probe');
    expect(result.stdout + result.stderr).not.toContain('wait-initial-value');
  });

  it("waits by default 8 × the rotation function's timeout, read from template.yaml for the local endpoint", async () => {
    const { ARN } = await sm.send(
      new CreateSecretCommand({
        Name: `wait-ok-${account}`,
        SecretString: JSON.stringify({ username: 'app', password: 'wait-ok-initial' }),
        Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      }),
    );
    await sm.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${account}:function:rekey-secret-rotation`,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await waitForRotation({ sm, secretId: ARN ?? '', local: localLog() });

    const result = await rekey(['rotate-secret', ARN ?? '', '--wait']);

    expect(result.code).toBe(0);
    const timeout = await templateRotationTimeout();
    expect(timeout).toBeGreaterThan(0);
    expect(result.stdout).toContain(
      `after ${8 * (timeout ?? 0)} s without progress (8 × the rotation function's ${timeout} s timeout)`,
    );
  });
});
