import { describe, expect, it } from 'vitest';
import { FUNCTION_DEFAULT_POLICY, generatePassword } from '../../../functions/secret-rotation/password.js';
import { probeCommand } from '../../../functions/secret-rotation/rotators/cache-user-probe.js';
import {
  cachePasswordPolicy,
  parseCacheUserArn,
  parseCacheUserSecret,
} from '../../../functions/secret-rotation/rotators/cache-user-secret.js';
import { selectRotator } from '../../../functions/secret-rotation/rotators/index.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit/cache-user-AbCdEf';
const PASSWORD = 'Secret-password-0123456789';
const EC_USER = 'arn:aws:elasticache:eu-west-1:123456789012:user:app-user';
const MDB_USER = 'arn:aws:memorydb:eu-west-1:123456789012:user/app-user';
const input = (secretString: string, tags: Record<string, string> = {}) => ({
  secretArn: ARN,
  tags,
  current: { versionId: 'v1', secretString },
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
});
const secret = (fields: Record<string, unknown>) =>
  JSON.stringify({
    user_arn: EC_USER,
    username: 'app',
    password: PASSWORD,
    host: 'cache.example',
    ...fields,
  });

describe('cache user rotator selection', () => {
  it.each([
    ['an ElastiCache user_arn', secret({}), {}],
    ['a MemoryDB user_arn', secret({ user_arn: MDB_USER }), {}],
    ['the rekey:rotator=elasticache tag', secret({}), { 'rekey:rotator': 'elasticache' }],
    ['the rekey:rotator=memorydb tag', secret({ user_arn: MDB_USER }), { 'rekey:rotator': 'memorydb' }],
  ])('%s selects the cache user rotator', async (_what, value, tags) => {
    expect((await selectRotator(input(value, tags))).name).toBe('cache-user');
  });

  it('keeps a secret with an engine on the database rotators', async () => {
    expect((await selectRotator(input(secret({ engine: 'redis' })))).name).toMatch(/^redis/);
  });

  it('refuses a user_arn that names neither service, naming the field', async () => {
    await expect(
      selectRotator(input(secret({ user_arn: 'arn:aws:iam::123456789012:user/app' }))),
    ).rejects.toThrow(/Field "user_arn" .* is not an ElastiCache user ARN/);
  });
});

describe('cache user secret format', () => {
  it('parses both services’ ARNs, refusing the other separator', () => {
    expect(parseCacheUserArn(EC_USER)).toMatchObject({
      service: 'elasticache',
      region: 'eu-west-1',
      userRef: 'app-user',
    });
    expect(parseCacheUserArn(MDB_USER)).toMatchObject({ service: 'memorydb', userRef: 'app-user' });
    expect(parseCacheUserArn('arn:aws:elasticache:eu-west-1:123456789012:user/app-user')).toBeUndefined();
    expect(parseCacheUserArn('arn:aws:memorydb:eu-west-1:123456789012:user:app-user')).toBeUndefined();
  });

  it.each([
    [secret({ user_arn: 'nope' }), 'user_arn'],
    [secret({ username: 7 }), 'username'],
    [secret({ host: '' }), 'host'],
    [secret({ host: undefined }), 'host'],
    [secret({ port: 70000 }), 'port'],
    [secret({ ssl: 'maybe' }), 'ssl'],
  ])('refuses %s naming %s, without quoting the password', (value, field) => {
    let caught: unknown;
    try {
      parseCacheUserSecret(value, 'the AWSCURRENT version');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'SecretFormatError', field });
    expect((caught as Error).message).not.toContain(PASSWORD);
  });

  it('accepts a first version without a password, as AWS’s template does', () => {
    expect(parseCacheUserSecret(secret({ password: undefined }), 'v').password).toBeUndefined();
  });

  it('generates passwords the services accept, and refuses a length they do not', async () => {
    const policy = cachePasswordPolicy({}, FUNCTION_DEFAULT_POLICY);
    for (let i = 0; i < 50; i += 1) {
      const password = generatePassword(policy);
      expect(password).toMatch(/^[\x21-\x7E]{16,128}$/);
      expect(password).not.toMatch(/[,"/@ ]/);
    }
    expect(() => cachePasswordPolicy({ 'rekey:password-length': '12' }, FUNCTION_DEFAULT_POLICY)).toThrow(
      /16 to 128/,
    );
    expect(() => cachePasswordPolicy({ 'rekey:password-length': '129' }, FUNCTION_DEFAULT_POLICY)).toThrow(
      /16 to 128/,
    );
  });
});

describe('testSecret probe command', () => {
  it.each([
    ['on ~* +@all', ['PING'], true],
    ['on ~app:* -@all +@connection', ['PING'], true],
    ['on ~app:* -@all +get', ['GET', 'app:rekey-probe'], true],
    ['on ~app:[ab]* -@all +@read', ['EXISTS', 'app:xrekey-probe'], true],
    ['on allkeys +@all -ping', ['EXISTS', 'rekey-probe'], true],
    ['on ~* -@all +set', ['PING'], false],
    ['on ~* +@all -@all', ['PING'], false],
  ])('%s runs %j', (accessString, args, allowed) => {
    expect(probeCommand(accessString)).toEqual({ args, allowed });
  });
});
