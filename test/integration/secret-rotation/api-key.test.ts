import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { DATADOG } from '../../../functions/secret-rotation/rotators/api-key-provider.js';
import { readRotationLog } from '../../../local/core/admin-client.js';
import type { LocalEndpoint } from '../../../local/endpoint.js';
import { waitForRotation } from '../../../local/rotation-wait.js';
import { captureLogs } from '../../unit/secret-rotation/helpers.js';
import {
  type FakeProvider,
  type Fault,
  type Operation,
  startFakeProvider,
} from '../helpers/api-key-provider.js';
import { startRotationEndpoint } from '../helpers/rotation-endpoint.js';

/**
 * Third-party API keys rotated through RotateSecret on the local endpoint, against a provider
 * on loopback HTTP that speaks Datadog's and Confluent Cloud's documented shapes and fails on
 * demand. RotateSecret may return before the rotation ends (as AWS does): every test waits
 * on the endpoint's rotation log. Keys are compared, never printed.
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`;

let endpoint: LocalEndpoint;
let provider: FakeProvider;
let sm: SecretsManagerClient;
let cache: SecretValueCache;
let logs: ReturnType<typeof captureLogs>;
const created: string[] = [];

beforeAll(async () => {
  provider = await startFakeProvider();
  ({ endpoint, sm, cache } = await startRotationEndpoint(ACCOUNT, REGION));
});

afterAll(async () => {
  for (const id of created) {
    await sm.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  }
  sm.destroy();
  await endpoint.close();
  await provider.close();
});

beforeEach(() => {
  logs = captureLogs();
  // A cold container each test: idempotency must not rest on the in-memory cache.
  cache.clear();
  for (const op of ['create', 'test', 'revoke'] as const) provider.fail(op, undefined);
});

afterEach(() => {
  logs.restore();
});

interface ApiKeyValue {
  provider: unknown;
  apiKey: string;
  keyId: string;
  baseUrl?: string;
  retiredKeys?: { id: string; retiredAt: string }[];
  [field: string]: unknown;
}

/** Datadog's shipped description with a short time limit, given inline: no code, only data. */
const inlineDatadog = { ...DATADOG, name: 'datadog-inline', timeoutMs: 500 };

const createApiKeySecret = async (fields: Partial<ApiKeyValue> = {}) => {
  const seed = provider.seedKey();
  const value: ApiKeyValue = {
    provider: inlineDatadog,
    apiKey: seed.secret,
    keyId: seed.id,
    applicationKey: provider.applicationKey,
    baseUrl: provider.url,
    ...fields,
  };
  const output = await sm.send(
    new CreateSecretCommand({
      Name: `rekey-it/api-key-${randomUUID().slice(0, 8)}`,
      SecretString: JSON.stringify(value),
    }),
  );
  created.push(output.ARN ?? '');
  return { arn: output.ARN ?? '', seed };
};

const current = async (arn: string): Promise<ApiKeyValue> =>
  JSON.parse(
    (await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }))).SecretString ??
      '',
  ) as ApiKeyValue;

interface LogEntry {
  clientRequestToken: string;
  step: string;
  outcome: string;
  errorType?: string;
  message?: string;
}

const localLog = () => ({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT });

const rotationLog = async (secretId: string): Promise<LogEntry[]> =>
  (await readRotationLog(localLog(), secretId)).entries;

/**
 * Starts (or, with `token`, reattempts) a rotation and waits, as against AWS, until it finished
 * or failed (the shared wait: DescribeSecret, and the local rotation log for the failed step).
 * Returns the failure, if any.
 */
const rotate = async (arn: string, token?: string): Promise<{ token: string; failure?: LogEntry }> => {
  const output = await sm.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: FUNCTION_ARN,
      RotationRules: { AutomaticallyAfterDays: 30 },
      ...(token ? { ClientRequestToken: token } : {}),
    }),
  );
  const version = output.VersionId ?? token ?? '';
  const outcome = await waitForRotation({ sm, secretId: arn, token: version, local: localLog() });
  return { token: version, ...(outcome.failure ? { failure: outcome.failure } : {}) };
};

/** No key value ever held by the secret in the logs, the rotation log, or any request URL. */
const expectNothingLeaked = async (arn: string, keys: string[]) => {
  const printed = `${logs.text()}\n${JSON.stringify(await rotationLog(arn))}\n${provider.requests.map((r) => r.url).join('\n')}`;
  for (const key of [...keys, provider.applicationKey]) {
    expect(printed.includes(key), 'a key was printed or sent in a URL').toBe(false);
  }
};

describe('API keys rotated through RotateSecret', () => {
  it('Datadog (shipped description): the old key works until the next rotation revokes it', async () => {
    const { arn, seed } = await createApiKeySecret({ provider: 'datadog' });
    const issuedBefore = provider.issuedCount();

    const first = await rotate(arn);
    expect(first.failure).toBeUndefined();
    const v1 = await current(arn);
    expect(v1.apiKey).not.toBe(seed.secret);
    expect(provider.works(v1.apiKey)).toBe(true);
    // Overlap: the previous key keeps working for a whole rotation period.
    expect(provider.works(seed.secret)).toBe(true);
    expect(v1.retiredKeys?.map((r) => r.id)).toEqual([seed.id]);
    expect(v1.applicationKey).toBe(provider.applicationKey);

    const second = await rotate(arn);
    expect(second.failure).toBeUndefined();
    const v2 = await current(arn);
    expect(provider.works(v2.apiKey)).toBe(true);
    expect(provider.works(v1.apiKey)).toBe(true);
    expect(provider.isRevoked(seed.id)).toBe(true);
    expect(v2.retiredKeys?.map((r) => r.id)).toEqual([v1.keyId]);
    expect(provider.issuedCount() - issuedBefore).toBe(2);
    await expectNothingLeaked(arn, [seed.secret, v1.apiKey, v2.apiKey]);
  });

  it('Confluent Cloud (shipped description): Basic-auth keys rotate and the retired one is revoked next time', async () => {
    const { arn, seed } = await createApiKeySecret({
      provider: 'confluent-cloud',
      ownerId: 'u-abc123',
      resourceId: 'cloud',
    });
    await rotate(arn);
    const v1 = await current(arn);
    expect(provider.works(v1.apiKey)).toBe(true);
    expect(provider.works(seed.secret)).toBe(true);
    const second = await rotate(arn);
    expect(second.failure).toBeUndefined();
    const v2 = await current(arn);
    expect(provider.isRevoked(seed.id)).toBe(true);
    expect(provider.works(v1.apiKey)).toBe(true);
    expect(provider.works(v2.apiKey)).toBe(true);
    expect(v2.ownerId).toBe('u-abc123');
    await expectNothingLeaked(arn, [seed.secret, v1.apiKey, v2.apiKey]);
  });

  it('RotateImmediately=false tests the current key and issues none', async () => {
    const { arn, seed } = await createApiKeySecret();
    const issuedBefore = provider.issuedCount();
    await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: FUNCTION_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await waitForRotation({ sm, secretId: arn, local: localLog() });
    const entries = (await rotationLog(arn)).filter((e) => e.step === 'testSecret');
    expect(entries.map((e) => e.outcome)).toEqual(['succeeded']);
    expect(provider.issuedCount()).toBe(issuedBefore);
    expect((await current(arn)).apiKey).toBe(seed.secret);
  });

  it('revokeAfterHours keeps a retired key until its delay has passed', async () => {
    const old = provider.seedKey();
    const { arn, seed } = await createApiKeySecret({
      revokeAfterHours: 1,
      retiredKeys: [{ id: old.id, retiredAt: new Date(Date.now() - 2 * 3_600_000).toISOString() }],
    });
    await rotate(arn);
    await rotate(arn);
    const v2 = await current(arn);
    // The key retired two hours ago is revoked; the ones retired just now are kept.
    expect(provider.isRevoked(old.id)).toBe(true);
    expect(provider.works(seed.secret)).toBe(true);
    expect(v2.retiredKeys?.map((r) => r.id)).toContain(seed.id);
    expect(v2.retiredKeys?.map((r) => r.id)).not.toContain(old.id);
  });

  const failures: [Operation, Fault, string][] = [
    ['create', 'status400', 'HTTP 400'],
    ['create', 'status500', 'HTTP 500'],
    ['create', 'slow', 'did not answer within 500 ms'],
    ['create', 'malformed-json', 'no JSON body'],
    ['create', 'missing-field', 'data.attributes.key'],
    ['create', 'redirect', 'never follows redirects'],
    ['create', 'huge', 'more than 65536 bytes'],
    ['test', 'status500', 'HTTP 500'],
    ['test', 'slow', 'did not answer within 500 ms'],
  ];
  it.each(failures)(
    '%s failing with %s leaves AWSCURRENT working; a retry finishes without a second key',
    async (operation, fault, says) => {
      const { arn, seed } = await createApiKeySecret();
      const issuedBefore = provider.issuedCount();
      provider.fail(operation, fault);

      const attempt = await rotate(arn);
      expect(attempt.failure?.message).toContain(says);
      const after = await current(arn);
      expect(after.apiKey).toBe(seed.secret);
      expect(provider.works(seed.secret)).toBe(true);

      provider.fail(operation, undefined);
      cache.clear();
      const retry = await rotate(arn, attempt.token);
      expect(retry.failure).toBeUndefined();
      const done = await current(arn);
      expect(provider.works(done.apiKey)).toBe(true);
      expect(done.apiKey).not.toBe(seed.secret);
      // A test failure happens after the key was stored in AWSPENDING: the retry reuses it.
      // (A create failure after the provider issued a key is reported so the operator can revoke it.)
      // The missing-field fault issues a key whose secret the response leaves out: that one is lost.
      expect(provider.issuedCount() - issuedBefore).toBe(fault === 'missing-field' ? 2 : 1);
      await expectNothingLeaked(arn, [seed.secret, done.apiKey]);
    },
  );

  it('a new key that does not work fails testSecret, is never made current, and a retry issues no other key', async () => {
    const { arn, seed } = await createApiKeySecret();
    const issuedBefore = provider.issuedCount();
    provider.fail('create', 'dead-key');
    const attempt = await rotate(arn);
    expect(attempt.failure?.step).toBe('testSecret');
    expect(attempt.failure?.errorType).toBe('SecretTestFailedError');
    provider.fail('create', undefined);
    cache.clear();
    const retry = await rotate(arn, attempt.token);
    expect(retry.failure?.step).toBe('testSecret');
    expect(provider.issuedCount() - issuedBefore).toBe(1);
    expect((await current(arn)).apiKey).toBe(seed.secret);
    expect(provider.works(seed.secret)).toBe(true);
  });

  it('a failed revocation stops finishSecret before AWSCURRENT moves; the retry revokes and finishes', async () => {
    const { arn, seed } = await createApiKeySecret();
    await rotate(arn);
    const v1 = await current(arn);
    provider.fail('revoke', 'status500');
    const attempt = await rotate(arn);
    expect(attempt.failure?.step).toBe('finishSecret');
    expect((await current(arn)).apiKey).toBe(v1.apiKey);
    expect(provider.works(v1.apiKey)).toBe(true);
    expect(provider.isRevoked(seed.id)).toBe(false);
    provider.fail('revoke', undefined);
    const retry = await rotate(arn, attempt.token);
    expect(retry.failure).toBeUndefined();
    expect(provider.isRevoked(seed.id)).toBe(true);
    expect(provider.works(v1.apiKey)).toBe(true);
  });

  it.each([
    [{ baseUrl: 'http://api.example.com' }, 'baseUrl'],
    [{ provider: 'no-such-provider' }, '"provider"'],
    [
      { provider: { ...inlineDatadog, revoke: { ...inlineDatadog.revoke, path: '/keys/{{key}}' } } },
      'provider.revoke.path',
    ],
    [{ keyId: '' }, '"keyId"'],
  ])('bad input %j fails createSecret naming %s, before any request', async (fields, names) => {
    const { arn, seed } = await createApiKeySecret(fields as Partial<ApiKeyValue>);
    const before = provider.requests.length;
    const attempt = await rotate(arn);
    expect(attempt.failure?.step).toBe('createSecret');
    expect(attempt.failure?.errorType).toBe('SecretFormatError');
    expect(attempt.failure?.message).toContain(names);
    expect(provider.requests.length).toBe(before);
    expect(provider.works(seed.secret)).toBe(true);
  });
});
