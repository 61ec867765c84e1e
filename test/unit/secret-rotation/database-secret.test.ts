import { describe, expect, it } from 'vitest';
import { SecretFormatError } from '../../../functions/secret-rotation/errors.js';
import {
  FUNCTION_DEFAULT_POLICY,
  passwordPolicyFromTags,
} from '../../../functions/secret-rotation/password.js';
import {
  alternateUsername,
  databasePasswordDefaults,
  parseDatabaseSecret,
  pendingSecretString,
} from '../../../functions/secret-rotation/rotators/database-secret.js';
import { mysqlTlsOptions, nodeTlsOptions } from '../../../functions/secret-rotation/rotators/tls.js';

const SECRET_PASSWORD = 'sup3r-s3cret-Value';
const base = { engine: 'postgres', host: 'db.example.com', username: 'app', password: SECRET_PASSWORD };
const parse = (value: unknown) => parseDatabaseSecret(JSON.stringify(value), 'the AWSCURRENT version');
const formatError = (value: unknown): SecretFormatError => {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
};

describe('parseDatabaseSecret', () => {
  it('reads an AWS template secret, with default port and TLS required when ssl is absent', () => {
    const secret = parse({ ...base, dbname: 'orders', dbInstanceIdentifier: 'db-1' });
    expect(secret).toMatchObject({ engine: 'postgres', family: 'postgres', port: 5432, dbname: 'orders' });
    expect(secret.tls).toEqual({ mode: 'require' });
    expect(parse({ ...base, engine: 'mariadb' }).port).toBe(3306);
    expect(parse({ ...base, engine: 'redis' }).port).toBe(6379);
  });

  it('accepts the port as a string of digits, as the AWS templates do', () => {
    expect(parse({ ...base, port: '6543' }).port).toBe(6543);
  });

  it.each([
    [true, { mode: 'verify-full' }],
    ['true', { mode: 'verify-full' }],
    [false, { mode: 'disable' }],
    ['false', { mode: 'disable' }],
    [
      { mode: 'verify-ca', ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' },
      { mode: 'verify-ca' },
    ],
  ])('maps ssl %j to TLS mode %j', (ssl, expected) => {
    expect(parse({ ...base, ssl }).tls).toMatchObject(expected);
  });

  it.each([
    ['engine', { ...base, engine: 'oracle' }],
    ['engine', { ...base, engine: 'constructor' }],
    ['host', { ...base, host: '' }],
    ['username', { ...base, username: 42 }],
    ['password', { engine: 'postgres', host: 'h', username: 'u' }],
    ['port', { ...base, port: 70000 }],
    ['port', { ...base, port: 'abc' }],
    ['ssl', { ...base, ssl: 'yes' }],
    ['ssl.mode', { ...base, ssl: { mode: 'prefer' } }],
    ['ssl.ca', { ...base, ssl: { mode: 'verify-full', ca: 'not a pem' } }],
    ['ssl.ca', { ...base, ssl: { mode: 'require', ca: '-----BEGIN CERTIFICATE-----' } }],
    ['ssl.rejectUnauthorized', { ...base, ssl: { mode: 'verify-full', rejectUnauthorized: false } }],
  ])('rejects a bad %s, naming the field and never quoting the password', (fieldName, value) => {
    const error = formatError(value);
    expect(error.field).toBe(fieldName);
    expect(error.message).toContain(fieldName);
    expect(error.message).not.toContain(SECRET_PASSWORD);
  });

  it('never quotes the secret text when it is not JSON', () => {
    const text = `{"password": "${SECRET_PASSWORD}"`;
    let message = '';
    try {
      parseDatabaseSecret(text, 'the AWSCURRENT version');
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    expect(message).toContain('not JSON');
    expect(message).not.toContain(SECRET_PASSWORD);
  });

  it('requires the superuser secret to be of the same family', () => {
    expect(() =>
      parseDatabaseSecret(JSON.stringify({ ...base, engine: 'mysql' }), 'the superuser secret', 'postgres'),
    ).toThrow(/must be a postgres engine/);
  });
});

describe('pendingSecretString', () => {
  it('keeps every other key and changes only username and password', () => {
    const secret = parse({ ...base, port: 5433, proxyname: 'p', ssl: false });
    const pending = JSON.parse(pendingSecretString(secret, { username: 'app_clone', password: 'new' }));
    expect(pending).toEqual({
      ...base,
      port: 5433,
      proxyname: 'p',
      ssl: false,
      username: 'app_clone',
      password: 'new',
    });
  });
});

describe('alternateUsername', () => {
  it('toggles between user and user_clone', () => {
    expect(alternateUsername('app', 'postgres')).toBe('app_clone');
    expect(alternateUsername('app_clone', 'postgres')).toBe('app');
  });

  it('refuses a name whose clone exceeds the engine limit, naming the limit (MySQL 32 characters, PostgreSQL 63 bytes)', () => {
    expect(alternateUsername('a'.repeat(26), 'mysql')).toHaveLength(32);
    expect(() => alternateUsername('a'.repeat(27), 'mysql')).toThrow(/at most 32 characters/);
    expect(alternateUsername('a'.repeat(74), 'mariadb')).toHaveLength(80);
    // 'é' is two bytes in UTF-8: 29 of them are 58 bytes, +6 = 64 > 63.
    expect(() => alternateUsername('é'.repeat(29), 'postgres')).toThrow(/63 bytes/);
    expect(alternateUsername('x'.repeat(500), 'redis')).toHaveLength(506);
  });
});

describe('password defaults', () => {
  it('excludes the characters connection strings break on, and lets the exclude-characters tag replace them', () => {
    const redis = databasePasswordDefaults('redis', FUNCTION_DEFAULT_POLICY);
    for (const c of ['/', '@', '"', "'", '\\', ':', ',', ' ']) expect(redis.excludeCharacters).toContain(c);
    const tagged = passwordPolicyFromTags({ 'rekey:exclude-characters': 'xyz' }, redis);
    expect(tagged.excludeCharacters).toBe('xyz');
  });
});

describe('TLS options', () => {
  it('maps each mode to driver options that never disable TLS when asked for', () => {
    expect(nodeTlsOptions({ mode: 'disable' }, 'h')).toBeUndefined();
    expect(nodeTlsOptions({ mode: 'require' }, 'h')).toEqual({ rejectUnauthorized: false });
    const verifyCa = nodeTlsOptions({ mode: 'verify-ca', ca: 'PEM' }, 'db.example.com');
    expect(verifyCa?.rejectUnauthorized).toBe(true);
    expect(verifyCa?.checkServerIdentity?.('other.example.com', {} as never)).toBeUndefined();
    expect(nodeTlsOptions({ mode: 'verify-full' }, 'db.example.com')).toEqual({
      rejectUnauthorized: true,
      servername: 'db.example.com',
    });
    // An IP address is checked against the certificate's IP entries, not sent as SNI.
    expect(nodeTlsOptions({ mode: 'verify-full' }, '10.0.0.1')).toEqual({ rejectUnauthorized: true });
    expect(mysqlTlsOptions({ mode: 'verify-full', ca: 'PEM' })).toEqual({
      rejectUnauthorized: true,
      verifyIdentity: true,
      ca: 'PEM',
    });
  });
});
