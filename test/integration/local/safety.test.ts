/**
 * `rekey local` on a workstation: a web page in the user's browser must not reach it (DNS
 * rebinding, cross-site forms), a huge body must not exhaust memory, and binding beyond loopback
 * is announced. These tests need this endpoint itself (its admin routes and start options).
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_HEADER } from '../../../local/core/admin-client.js';
import { bindWarning, MAX_BODY_BYTES } from '../../../local/server.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

const AUTH =
  'AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/secretsmanager/aws4_request, Signature=0';

let endpoint: TestEndpoint;
let sm: SecretsManagerClient;
beforeAll(async () => {
  endpoint = await startTestEndpoint();
  sm = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' },
  });
});
afterAll(async () => {
  sm?.destroy();
  await endpoint?.close();
});

interface Answer {
  status: number | undefined;
  text: string;
}

/** A raw HTTP request, so the Host header and the declared length can be anything. */
const raw = (options: {
  path?: string;
  headers: Record<string, string>;
  body?: string;
  /** Declared Content-Length, when the body sent is only its start. */
  declaredLength?: number;
}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const req = request(
      endpoint.url + (options.path ?? '/'),
      {
        method: 'POST',
        headers: {
          ...options.headers,
          'content-length': String(options.declaredLength ?? Buffer.byteLength(body)),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.write(body);
    if (options.declaredLength === undefined) req.end();
  });

const getSecretValue = (host: string, secretId: string) =>
  raw({
    headers: {
      host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
      authorization: AUTH,
    },
    body: JSON.stringify({ SecretId: secretId }),
  });

describe('DNS rebinding', () => {
  it('refuses a request whose Host names another site, without the secret, and serves loopback names', async () => {
    const name = `rebinding/${randomUUID()}`;
    const value = `value-${randomUUID()}`;
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    const port = endpoint.port;

    const attacked = await getSecretValue(`rebind.attacker.example:${port}`, name);
    expect(attacked.status).toBe(403);
    expect(attacked.text).not.toContain(value);
    expect(JSON.parse(attacked.text)).toMatchObject({ __type: 'AccessDeniedException' });
    expect(JSON.parse(attacked.text).message).toMatch(/Host header/);

    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost']) {
      const answer = await getSecretValue(host, name);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).SecretString).toBe(value);
    }
  });
});

describe('allowed host names', () => {
  it('answers a Host name given with allowHosts (--allow-host), and still no other', async () => {
    const docker = await startTestEndpoint({ allowHosts: ['host.docker.internal'] });
    try {
      const ask = (host: string) =>
        new Promise<number | undefined>((resolve, reject) => {
          const req = request(
            `${docker.url}/`,
            {
              method: 'POST',
              headers: {
                host,
                'content-type': 'application/x-amz-json-1.1',
                'x-amz-target': 'secretsmanager.ListSecrets',
                authorization: AUTH,
                'content-length': '2',
              },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            },
          );
          req.on('error', reject);
          req.end('{}');
        });
      expect(await ask(`host.docker.internal:${docker.port}`)).toBe(200);
      expect(await ask(`rebind.attacker.example:${docker.port}`)).toBe(403);
    } finally {
      await docker.close();
    }
  });
});

describe('admin routes', () => {
  it('need the non-simple admin header, so a cross-site form cannot call them', async () => {
    const path = '/_rekey/calls';
    const host = `127.0.0.1:${endpoint.port}`;
    // What an HTML form can send: a simple content type and no custom header.
    const form = await raw({
      path,
      headers: { host, 'content-type': 'text/plain' },
      body: '{"reset":true}',
    });
    expect(form.status).toBe(403);
    expect(JSON.parse(form.text).message).toContain(ADMIN_HEADER);
    const allowed = await raw({
      path,
      headers: { host, 'content-type': 'application/json', [ADMIN_HEADER]: '1' },
      body: '{}',
    });
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.text)).toHaveProperty('calls');
  });
});

describe('request bodies', () => {
  it('refuses a body over the limit before reading it whole', async () => {
    const before = process.memoryUsage().rss;
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        raw({
          headers: {
            host: `127.0.0.1:${endpoint.port}`,
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'secretsmanager.CreateSecret',
            authorization: AUTH,
          },
          body: '{"Name":"big","SecretString":"',
          declaredLength: 256 * 1024 * 1024,
        }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text).__type).toBe('RequestEntityTooLargeException');
    }
    // Three 256 MB bodies were announced; none was buffered.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('accepts the largest body an AWS operation it serves takes', async () => {
    // A 64 KB SecretString of control characters, escaped by JSON as \\u00XX: 6 bytes per byte.
    const value = '\u0001'.repeat(65_536);
    const body = JSON.stringify({ Name: `large/${randomUUID()}`, SecretString: value });
    expect(body.length).toBeGreaterThan(390_000);
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    const answer = await raw({
      headers: {
        host: `127.0.0.1:${endpoint.port}`,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.CreateSecret',
        authorization: AUTH,
      },
      body,
    });
    expect(answer.status).toBe(200);
  });
});

describe('binding', () => {
  it('warns, naming the risk, when bound beyond loopback, and stays quiet on loopback', async () => {
    expect(bindWarning('127.0.0.1')).toBeUndefined();
    expect(bindWarning('::1')).toBeUndefined();
    expect(bindWarning('localhost')).toBeUndefined();
    expect(endpoint.warnings).toEqual([]);
    const open = await startTestEndpoint({ host: '0.0.0.0' });
    try {
      expect(open.warnings).toHaveLength(1);
      expect(open.warnings[0]).toMatch(/beyond loopback.*no authentication.*read and change every secret/);
    } finally {
      await open.close();
    }
  });
});
