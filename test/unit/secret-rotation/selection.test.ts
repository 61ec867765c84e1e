import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { FUNCTION_DEFAULT_POLICY } from '../../../functions/secret-rotation/password.js';
import {
  createRotatorSelector,
  type DatabaseRotatorFactory,
  type DatabaseRotatorOptions,
} from '../../../functions/secret-rotation/rotators/index.js';
import { replaceTopLevelField } from '../../../functions/secret-rotation/rotators/secret-format.js';
import type { Rotator } from '../../../functions/secret-rotation/rotators/types.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit/select-AbCdEf';

const input = (secretString: string, tags: Record<string, string> = {}) => ({
  secretArn: ARN,
  tags,
  current: { versionId: 'v1', secretString },
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
});

/** A registry whose factories record what they were given. */
const recordingRegistry = () => {
  const seen: DatabaseRotatorOptions[] = [];
  const factory: DatabaseRotatorFactory = (options) => {
    seen.push(options);
    return { name: `fake-${options.engine}-${options.strategy}` } as Rotator;
  };
  return { seen, registry: { postgres: async () => factory, mariadb: async () => factory } };
};

describe('rotator selection', () => {
  it.each([
    ['a plain string', 'opaque-api-key', {}],
    ['JSON without engine', '{"password":"x"}', {}],
    [
      'JSON with engine but tagged generated',
      '{"engine":"postgres","password":"x"}',
      { 'rekey:rotator': 'generated' },
    ],
  ])('picks the generated rotator for %s', async (_, value, tags) => {
    const { registry, seen } = recordingRegistry();

    const rotator = await createRotatorSelector(registry)(input(value, tags));

    expect(rotator.name).toBe('generated');
    expect(seen).toHaveLength(0);
  });

  it.each([
    ['host', '{"host":"db.example","username":"app","password":"x"}', 'host'],
    ['dbname', '{"dbname":"orders","password":"x"}', 'dbname'],
    ['masterarn', '{"username":"app","password":"x","masterarn":"arn:admin"}', 'masterarn'],
  ])(
    'refuses JSON that looks like database credentials (%s) but has no engine, naming the field and the fix',
    async (_, value, fieldName) => {
      const { registry, seen } = recordingRegistry();

      const error = await createRotatorSelector(registry)(input(value)).catch((e: unknown) => e);

      expect(error).toMatchObject({ name: 'RotatorNotFoundError' });
      const message = (error as Error).message;
      expect(message).toContain(fieldName);
      expect(message).toContain('"engine"');
      expect(message).toContain('rekey:rotator=generated');
      expect(message).not.toContain('db.example');
      expect(seen).toHaveLength(0);
    },
  );

  it('rotates database-looking JSON as a generated password when tagged rekey:rotator=generated', async () => {
    const rotator = await createRotatorSelector({})(
      input('{"host":"db.example","username":"app","password":"x"}', { 'rekey:rotator': 'generated' }),
    );
    expect(rotator.name).toBe('generated');
  });

  it('picks the database rotator of the engine, single user by default', async () => {
    const { registry, seen } = recordingRegistry();

    const rotator = await createRotatorSelector(registry)(
      input('{"engine":"PostgreS","username":"app","password":"x"}'),
    );

    expect(rotator.name).toBe('fake-postgres-single-user');
    expect(seen[0]).toMatchObject({ engine: 'postgres', strategy: 'single-user' });
  });

  it('picks alternating users when the secret names a superuser secret in masterarn', async () => {
    const { registry } = recordingRegistry();

    const rotator = await createRotatorSelector(registry)(
      input(
        '{"engine":"mariadb","username":"app","password":"x","masterarn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:root"}',
      ),
    );

    expect(rotator.name).toBe('fake-mariadb-alternating-users');
  });

  it('lets tag rekey:strategy override the masterarn rule', async () => {
    const { registry } = recordingRegistry();

    const rotator = await createRotatorSelector(registry)(
      input('{"engine":"postgres","masterarn":"root-secret","password":"x"}', {
        'rekey:strategy': 'single-user',
      }),
    );

    expect(rotator.name).toBe('fake-postgres-single-user');
  });

  it.each([
    [
      'an unknown engine',
      '{"engine":"oracle","password":"x"}',
      {},
      /No rotator for engine 'oracle'.*supported engines: mariadb, postgres/,
    ],
    [
      'an engine named like an inherited property',
      '{"engine":"constructor","password":"x"}',
      {},
      /No rotator for engine 'constructor'.*supported engines: mariadb, postgres/,
    ],
    [
      'an engine named __proto__',
      '{"engine":"__proto__","password":"x"}',
      {},
      /No rotator for engine '__proto__'/,
    ],
    [
      'a rekey:rotator named like an inherited property',
      'x',
      { 'rekey:rotator': 'constructor' },
      /names rotator 'constructor'.*supported: generated, database/,
    ],
    [
      'an engine that is not a string',
      '{"engine":5,"password":"x"}',
      {},
      /Field "engine" .* must be a non-empty string/,
    ],
    [
      'an unknown rekey:rotator',
      'x',
      { 'rekey:rotator': 'ldap' },
      /names rotator 'ldap'.*supported: generated, database/,
    ],
    [
      'rekey:rotator=database without engine',
      'x',
      { 'rekey:rotator': 'database' },
      /needs a JSON secret with an "engine" field/,
    ],
  ])('fails with RotatorNotFoundError for %s, listing what is supported', async (_, value, tags, message) => {
    const { registry } = recordingRegistry();

    const error = await createRotatorSelector(registry)(input(value, tags)).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'RotatorNotFoundError', message: expect.stringMatching(message) });
  });

  it('refuses an invalid rekey:strategy tag, listing the strategies', async () => {
    const { registry } = recordingRegistry();

    const error = await createRotatorSelector(registry)(
      input('{"engine":"postgres","password":"x"}', { 'rekey:strategy': 'rolling' }),
    ).catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'RotationConfigurationError',
      message: expect.stringContaining('must be one of single-user, alternating-users'),
    });
  });

  it('says when no database rotator is registered at all', async () => {
    const error = await createRotatorSelector({})(input('{"engine":"postgres","password":"x"}')).catch(
      (e: unknown) => e,
    );

    expect((error as Error).message).toContain('none (no database rotator is registered in this build)');
  });
});

describe('replaceTopLevelField', () => {
  it('replaces the last top-level occurrence, the one JSON.parse reads, not nested ones', () => {
    const text = '{"a":{"password":"nested"},"password":"first","b":[1,{"password":"x"}],"password":"last"}';

    const replaced = replaceTopLevelField(text, 'password', 'new "quoted" \\ value');

    expect(replaced).toBe(
      '{"a":{"password":"nested"},"password":"first","b":[1,{"password":"x"}],"password":"new \\"quoted\\" \\\\ value"}',
    );
    expect((JSON.parse(replaced ?? '') as Record<string, string>).password).toBe('new "quoted" \\ value');
  });

  it('handles escaped quotes and braces inside strings, and non-string values', () => {
    const text = '{ "k\\"ey" : "v}a\\"l" , "password" : null }';

    expect(replaceTopLevelField(text, 'password', 'p')).toBe('{ "k\\"ey" : "v}a\\"l" , "password" : "p" }');
    expect(replaceTopLevelField(text, 'k"ey', 'p')).toBe('{ "k\\"ey" : "p" , "password" : null }');
  });

  it('returns undefined when the field is absent', () => {
    expect(replaceTopLevelField('{"a":{"password":"x"}}', 'password', 'p')).toBeUndefined();
  });
});

describe('SecretValueCache', () => {
  it('expires entries, bounds its size and never shows its values', () => {
    let now = 0;
    const cache = new SecretValueCache({ ttlMs: 1000, maxEntries: 2, now: () => now });
    cache.set(ARN, 'v1', 'value-one');
    cache.set(ARN, 'v2', 'value-two');
    cache.set(ARN, 'v3', 'value-three');

    expect(cache.get(ARN, 'v1')).toBeUndefined(); // evicted: oldest of three with room for two
    expect(cache.get(ARN, 'v3')).toBe('value-three');
    expect(cache.get(`${ARN}-other`, 'v3')).toBeUndefined();
    expect(inspect(cache)).not.toContain('value');
    expect(JSON.stringify({ cache })).not.toContain('value-');

    now = 1000;
    expect(cache.get(ARN, 'v3')).toBeUndefined();
  });
});
