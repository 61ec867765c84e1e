import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { FUNCTION_DEFAULT_POLICY, generatePassword } from '../../../functions/secret-rotation/password.js';
import { type ProtocolDeps, runRotationStep } from '../../../functions/secret-rotation/protocol.js';
import type { Rotator } from '../../../functions/secret-rotation/rotators/types.js';
import { captureLogs, FakeSecret, testLogger } from './helpers.js';

/**
 * A rotator's afterFinish (the IAM key rotator deactivates the previous key there) runs only
 * once AWSCURRENT is on the new version: a credential is never retired while it is current.
 */

const smMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });
const CURRENT = '11111111-1111-4111-8111-111111111111';
const TOKEN = '22222222-2222-4222-8222-222222222222';

let secret: FakeSecret;
let logs: ReturnType<typeof captureLogs>;
let order: string[];

const rotator: Rotator = {
  name: 'with-after-finish',
  createPending: async () => 'unused',
  setSecret: async () => {},
  testSecret: async () => {},
  afterFinish: async ({ previous, current }) => {
    order.push(`retire ${previous.secretString}, keep ${current.secretString}`);
  },
};

const deps = (): ProtocolDeps => ({
  secretsManager: client,
  logger: testLogger(),
  cache: new SecretValueCache(),
  selectRotator: async () => rotator,
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
  generatePassword: async (policy) => generatePassword(policy),
});
const finish = () => runRotationStep({ step: 'finishSecret', secretId: secret.arn, token: TOKEN }, deps());

beforeEach(() => {
  smMock.reset();
  order = [];
  secret = new FakeSecret(`unit/${Math.random().toString(36).slice(2)}`)
    .addVersion(CURRENT, 'old-key', ['AWSCURRENT'])
    .addVersion(TOKEN, 'new-key', ['AWSPENDING'])
    .attach(smMock);
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
});

describe('afterFinish', () => {
  it('runs after AWSCURRENT moved, with the previous and the new version', async () => {
    smMock.on(UpdateSecretVersionStageCommand).callsFake((input) => {
      order.push(`label ${input.VersionStage}`);
      return secret.updateStage(input);
    });

    await expect(finish()).resolves.toBe('completed');

    expect(order[0]).toBe('label AWSCURRENT');
    expect(order.at(-1)).toBe('retire old-key, keep new-key');
    expect(secret.stagesOf(TOKEN)).toContain('AWSCURRENT');
  });

  it('does not run when moving AWSCURRENT fails, so the current credential stays usable', async () => {
    smMock.on(UpdateSecretVersionStageCommand).rejects(new Error('throttled'));

    await expect(finish()).rejects.toThrow('throttled');

    expect(order).toEqual([]);
    expect(secret.stagesOf(CURRENT)).toEqual(['AWSCURRENT']);
  });
});
