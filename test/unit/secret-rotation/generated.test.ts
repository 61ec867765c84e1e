import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FUNCTION_DEFAULT_POLICY, generatePassword } from '../../../functions/secret-rotation/password.js';
import { createGeneratedRotator } from '../../../functions/secret-rotation/rotators/generated.js';
import type { RotatorContext, SecretVersion } from '../../../functions/secret-rotation/rotators/types.js';
import { testLogger } from './helpers.js';

// The generated rotator makes no Secrets Manager call itself; the mock proves it.
const smMock = mockClient(SecretsManagerClient);
const rotator = createGeneratedRotator({ passwordDefaults: FUNCTION_DEFAULT_POLICY });

const context = (tags: Record<string, string> = {}): RotatorContext => ({
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit/generated-AbCdEf',
  token: '22222222-2222-4222-8222-222222222222',
  tags,
  secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
  logger: testLogger(),
  getSecretValue: async () => {
    throw new Error('not used');
  },
  generatePassword: async (policy) => generatePassword(policy),
});

const version = (
  secretString: string,
  versionId = '11111111-1111-4111-8111-111111111111',
): SecretVersion => ({
  versionId,
  secretString,
});

const errorOf = async (promise: Promise<unknown>): Promise<Error> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a rejection');
  return error;
};

beforeEach(() => {
  smMock.reset();
});

describe('generated rotator: createSecret', () => {
  it('replaces a plain-string secret whole, under the default policy', async () => {
    const next = await rotator.createPending(version('plain-old-api-key'), context());

    expect(next).not.toBe('plain-old-api-key');
    expect(next).toHaveLength(32);
    expect(next).not.toMatch(/[/@"'\\]/);
    expect(smMock.calls()).toHaveLength(0);
  });

  it('never gives a plain-string secret a credential starting with "{" (it would later read as broken JSON)', async () => {
    // Prepare: a generator whose first draws start with "{", as random punctuation sometimes does.
    const draws = [
      '{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      '{bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      'ccccccccccccccccccccccccccccccc}',
    ];
    const ctx = { ...context(), generatePassword: async () => draws.shift() ?? 'unexpected' };

    // Act
    const next = await rotator.createPending(version('plain-old-api-key'), ctx);

    // Assess: the third draw is used, and the next rotation still treats the secret as plain.
    expect(next).toBe('ccccccccccccccccccccccccccccccc}');
    await expect(
      rotator.testSecret(
        {
          pending: version(next, '33333333-3333-4333-8333-333333333333'),
          current: version('plain-old-api-key'),
        },
        context(),
      ),
    ).resolves.toBeUndefined();
  });

  it('tests a plain-string pending value by the current value\'s shape, even when it starts with "{"', async () => {
    const pending = version('{looks-like-json-but-is-a-key', '33333333-3333-4333-8333-333333333333');

    await expect(
      rotator.testSecret({ pending, current: version('plain-old-api-key') }, context()),
    ).resolves.toBeUndefined();
  });

  it('replaces only "password" of a JSON secret and keeps every other byte', async () => {
    const current =
      '{\n  "username": "app",\n  "password": "old-pass-value",\n  "port": 12345678901234567890,\n  "nested": {"password": "inner"},\n  "note": "say \\"hi\\""\n}';

    const next = await rotator.createPending(version(current), context());

    const parsed = JSON.parse(next) as Record<string, unknown>;
    expect(parsed.password).not.toBe('old-pass-value');
    expect(typeof parsed.password).toBe('string');
    // Everything but the password value is byte-for-byte what it was: the 20-digit number
    // survives, which JSON.parse + JSON.stringify would have rounded.
    const newPassword = JSON.stringify(parsed.password);
    expect(next.replace(newPassword, '"old-pass-value"')).toBe(current);
    expect(next).toContain('12345678901234567890');
  });

  it('replaces the field named by rekey:field, with the length from rekey:password-length', async () => {
    const current = '{"apiKey":"old-key","client":"billing"}';

    const next = await rotator.createPending(
      version(current),
      context({
        'rekey:field': 'apiKey',
        'rekey:password-length': '48',
        'rekey:exclude-punctuation': 'true',
      }),
    );

    const parsed = JSON.parse(next) as Record<string, string>;
    expect(parsed.client).toBe('billing');
    expect(parsed.apiKey).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it.each([
    [
      'malformed JSON with rekey:field set',
      '{"apiKey": "old-key",',
      { 'rekey:field': 'apiKey' },
      /not valid JSON.*rekey:field/,
    ],
    [
      'a JSON array with rekey:field set',
      '["old-key"]',
      { 'rekey:field': 'apiKey' },
      /is JSON an array, not an object/,
    ],
    [
      'a value that starts with { but does not parse',
      '{"password": "old-key"',
      {},
      /starts with "\{" but is not valid JSON/,
    ],
    [
      'a JSON secret without the field',
      '{"user":"app","secretValue":"old-key"}',
      {},
      /has no field "password"/,
    ],
    ['a non-string field', '{"password": 12345}', {}, /Field "password" .* must be a string; it is a number/],
    ['a JSON array', '["old-key", "other-key"]', {}, /is JSON an array, which rotation never replaces whole/],
    ['a quoted JSON string', '"old-key"', {}, /is JSON a quoted string/],
    ['JSON null', 'null', {}, /is JSON null/],
    [
      'an empty rekey:field tag',
      '{"password":"old-key"}',
      { 'rekey:field': ' ' },
      /Tag rekey:field is empty/,
    ],
  ])(
    'refuses %s with a SecretFormatError that does not quote the value',
    async (_, current, tags, message) => {
      const error = await errorOf(rotator.createPending(version(current), context(tags)));

      expect(error.name).toBe('SecretFormatError');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('old-key');
      expect(error.cause).toBeUndefined();
    },
  );

  it('refuses an invalid policy tag before generating anything', async () => {
    const error = await errorOf(
      rotator.createPending(version('old'), context({ 'rekey:password-length': '0' })),
    );

    expect(error.name).toBe('RotationConfigurationError');
    expect(error.message).toContain('rekey:password-length');
  });
});

describe('generated rotator: setSecret and testSecret', () => {
  it('setSecret applies nothing and does not need AWSPREVIOUS', async () => {
    await rotator.setSecret({ current: version('a'), pending: version('b') }, context());

    expect(rotator.usesPreviousVersion).toBe(false);
    expect(smMock.calls()).toHaveLength(0);
  });

  it('testSecret accepts a pending value made by createSecret', async () => {
    const current = version('{"username":"app","password":"old"}');
    const pending = version(await rotator.createPending(current, context()), 'pending');

    await expect(rotator.testSecret({ pending, current }, context())).resolves.toBeUndefined();
  });

  it('testSecret accepts an exact copy of AWSCURRENT: the RotateImmediately=false configuration test', async () => {
    const value = '{"user":"app","password":"current"}';

    await expect(
      rotator.testSecret({ pending: version(value, 'test'), current: version(value) }, context()),
    ).resolves.toBeUndefined();
    await expect(
      rotator.testSecret(
        { pending: version('{"user":"app"', 'test'), current: version('{"user":"app"') },
        context(),
      ),
    ).rejects.toMatchObject({ name: 'SecretFormatError' });
  });

  it.each([
    [
      'the same credential as current',
      '{"user":"app","password":"same-key"}',
      '{"user": "app", "password": "same-key"}',
      {},
      /is the same as in AWSCURRENT/,
    ],
    ['an empty credential', '', 'old-key', {}, /is empty/],
    [
      'other JSON fields changed',
      '{"user":"b","password":"new"}',
      '{"user":"a","password":"old"}',
      {},
      /fields other than "password" differ/,
    ],
    [
      'a pending value that is not JSON while a field is configured',
      'new-key',
      '{"apiKey":"old"}',
      { 'rekey:field': 'apiKey' },
      /not valid JSON/,
    ],
  ])('testSecret fails on %s', async (_, pending, current, tags, message) => {
    const error = await errorOf(
      rotator.testSecret({ pending: version(pending, 'pending'), current: version(current) }, context(tags)),
    );

    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('same-key');
    expect(error.message).not.toContain('new-key');
  });
});
