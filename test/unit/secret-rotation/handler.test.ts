import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { createHandler, serialiser } from '../../../functions/secret-rotation/handler.js';
import { captureLogs, FakeSecret, loadEvent, testLogger } from './helpers.js';

const smMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });

const CURRENT = '11111111-1111-4111-8111-111111111111';
const STEPS = ['create', 'set', 'test', 'finish'] as const;

let secret: FakeSecret;
let logs: ReturnType<typeof captureLogs>;
let handler: (event: unknown) => Promise<void>;

/** A sample event pointed at this test's secret. */
const eventFor = (step: (typeof STEPS)[number]) => {
  const event = loadEvent(step);
  event.SecretId = secret.arn;
  return event;
};

beforeEach(() => {
  smMock.reset();
  const token = loadEvent('create').ClientRequestToken as string;
  secret = new FakeSecret(`unit/handler-${Math.random().toString(36).slice(2)}`)
    .addVersion(CURRENT, '{"username":"app","password":"current-secret-value"}', ['AWSCURRENT'])
    .addVersion(token, undefined, ['AWSPENDING'])
    .attach(smMock);
  logs = captureLogs();
  handler = createHandler({
    secretsManager: client,
    logger: testLogger(),
    env: {},
    cache: new SecretValueCache(),
  });
});

afterEach(() => {
  logs.restore();
});

describe('rotation handler', () => {
  it('rotates a secret through the four sample events, passing the RotationToken on', async () => {
    const token = loadEvent('create').ClientRequestToken as string;

    for (const step of STEPS) await handler(eventFor(step));

    expect(secret.stagesOf(token)).toContain('AWSCURRENT');
    expect(secret.stagesOf(CURRENT)).toEqual(['AWSPREVIOUS']);
    const next = JSON.parse(secret.valueOf(token) ?? '{}') as Record<string, string>;
    expect(next.username).toBe('app');
    expect(next.password).not.toBe('current-secret-value');
    expect(smMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
      RotationToken: loadEvent('create').RotationToken as string,
    });
  });

  it('logs every line with step, secret and token, and no secret value or RotationToken', async () => {
    const token = loadEvent('create').ClientRequestToken as string;
    const rotationToken = loadEvent('create').RotationToken as string;

    for (const step of STEPS) await handler(eventFor(step));

    const entries = logs.entries();
    expect(entries.length).toBeGreaterThanOrEqual(8);
    for (const entry of entries) {
      expect(entry).toMatchObject({ secretId: secret.arn, token, step: expect.any(String) });
    }
    expect(entries.map((e) => e.step)).toEqual(expect.arrayContaining(['createSecret', 'finishSecret']));
    const text = logs.text();
    expect(text).not.toContain(rotationToken);
    expect(text).not.toContain('current-secret-value');
    const newPassword = (JSON.parse(secret.valueOf(token) ?? '{}') as Record<string, string>).password;
    // A real new credential (default policy: 32 characters), so the search below means something.
    expect(newPassword).toHaveLength(32);
    expect(newPassword).not.toBe('current-secret-value');
    expect(text).not.toContain(JSON.stringify(newPassword).slice(1, -1));
  });

  it('rejects an unknown step naming the field and the four valid values, without calling AWS', async () => {
    const event = { ...eventFor('create'), Step: 'rotateSecret' };

    const error = await handler(event).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'InvalidInputError' });
    expect((error as Error).message).toMatch(
      /Step must be one of createSecret, setSecret, testSecret, finishSecret/,
    );
    expect(smMock.calls()).toHaveLength(0);
    expect(logs.text()).toContain('Rotation step failed');
  });

  it('fails with the error name as the contract and logs it once with the keys', async () => {
    secret.rotationEnabled = false;

    await expect(handler(eventFor('create'))).rejects.toMatchObject({ name: 'RotationNotEnabledError' });

    const failures = logs.entries().filter((e) => e.message === 'Rotation step failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ step: 'createSecret', secretId: secret.arn });
    expect(JSON.stringify(failures[0])).toContain('RotationNotEnabledError');
  });

  it('reads its configuration once, naming a malformed variable', () => {
    expect(() => createHandler({ secretsManager: client, env: { PASSWORD_LENGTH: 'long' } })).toThrow(
      /PASSWORD_LENGTH must be an integer from 1 to 4096; got 'long'/,
    );
  });

  it('applies the password length from its environment', async () => {
    const token = loadEvent('create').ClientRequestToken as string;
    const configured = createHandler({
      secretsManager: client,
      logger: testLogger(),
      env: { PASSWORD_LENGTH: '12' },
      cache: new SecretValueCache(),
    });

    await configured(eventFor('create'));

    const next = JSON.parse(secret.valueOf(token) ?? '{}') as Record<string, string>;
    expect(next.password).toHaveLength(12);
  });
});

describe('concurrent invocations', () => {
  it('runs two invocations of one step with the same token one after the other, not at once', async () => {
    const token = loadEvent('create').ClientRequestToken as string;
    secret.addVersion(token, '{"username":"app","password":"pending-secret-value"}', ['AWSPENDING']);
    let running = 0;
    let overlapped = false;
    let calls = 0;
    const slow = createHandler({
      secretsManager: client,
      logger: testLogger(),
      env: {},
      cache: new SecretValueCache(),
      selectRotator: async () => ({
        name: 'slow',
        createPending: async () => 'unused',
        setSecret: async () => {
          calls += 1;
          running += 1;
          overlapped ||= running > 1;
          await new Promise((resolve) => setTimeout(resolve, 30));
          running -= 1;
        },
        testSecret: async () => {},
      }),
    });

    await Promise.all([slow(eventFor('set')), slow(eventFor('set'))]);

    expect(calls).toBe(2);
    expect(overlapped).toBe(false);
  });
});

describe('serialiser', () => {
  it('runs work for one secret and token one at a time, in arrival order, and other keys alongside', async () => {
    const run = serialiser();
    const order: string[] = [];
    const step = (key: string, name: string, ms: number) =>
      run(key, async () => {
        order.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`end ${name}`);
        if (name === 'a1') throw new Error('first attempt failed');
        return name;
      });

    const results = await Promise.allSettled([
      step('secret\ntoken', 'a1', 30),
      step('secret\ntoken', 'a2', 5),
      step('secret\nother', 'b', 5),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    // a2 starts only after a1 ended (even though a1 failed); b does not wait for either.
    expect(order.indexOf('start a2')).toBeGreaterThan(order.indexOf('end a1'));
    expect(order.indexOf('start b')).toBeLessThan(order.indexOf('end a1'));
  });
});
