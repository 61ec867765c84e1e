import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A key-issuing provider on loopback HTTP for the API-key rotator's tests. It speaks two real
 * APIs in their documented request/response shapes, and can fail in every way a provider can:
 *
 * - Datadog key management (https://docs.datadoghq.com/api/latest/key-management/):
 *   POST /api/v2/api_keys {data:{type:"api_keys",attributes:{name}}} with DD-API-KEY and
 *   DD-APPLICATION-KEY → 201 {data:{type,id,attributes:{key,name,...}}};
 *   GET /api/v1/validate with DD-API-KEY → 200 {valid:true} or 403 {errors:[...]};
 *   DELETE /api/v2/api_keys/{id} → 204, 404 when unknown.
 * - Confluent Cloud API keys iam/v2 (https://docs.confluent.io/cloud/current/ccloud/api-keys-iam-v-2/):
 *   HTTP Basic key:secret; POST /iam/v2/api-keys {spec:{display_name,description,owner:{id},
 *   resource:{id}}} → 202 {api_version:"iam/v2",kind:"ApiKey",id,spec:{secret,...}};
 *   GET /iam/v2/api-keys/{id} → 200 (no secret); DELETE /iam/v2/api-keys/{id} → 204 / 404.
 */

export type Fault =
  | 'status400'
  | 'status500'
  | 'slow'
  | 'malformed-json'
  | 'missing-field'
  | 'dead-key'
  | 'redirect'
  | 'huge';
export type Operation = 'create' | 'test' | 'revoke';

interface IssuedKey {
  readonly id: string;
  readonly secret: string;
  /** A key issued under the dead-key fault: listed, but it never authenticates. */
  readonly dead: boolean;
  revoked: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly operation: Operation | 'unknown';
}

export interface FakeProvider {
  readonly url: string;
  readonly applicationKey: string;
  /** Seeds a working key (the secret's initial one). */
  seedKey(): { id: string; secret: string };
  /** Whether `secret` currently authenticates (issued, not revoked, not dead). */
  works(secret: string): boolean;
  isRevoked(id: string): boolean;
  /** Keys issued through the create endpoint (not seeded). */
  issuedCount(): number;
  /** Makes every following `operation` fail with `fault` until cleared. */
  fail(operation: Operation, fault: Fault | undefined): void;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export const startFakeProvider = async (): Promise<FakeProvider> => {
  const keys = new Map<string, IssuedKey>();
  const faults = new Map<Operation, Fault>();
  const requests: RecordedRequest[] = [];
  const applicationKey = `app-${randomBytes(12).toString('hex')}`;
  let issued = 0;

  const bySecret = (secret: string | undefined) =>
    [...keys.values()].find((k) => k.secret === secret && !k.revoked && !k.dead);
  const basic = (req: IncomingMessage) => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return undefined;
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    const key = bySecret(secret);
    return key && key.id === id ? key : undefined;
  };
  const issue = (dead: boolean): IssuedKey => {
    const key: IssuedKey = {
      id: randomUUID(),
      secret: randomBytes(16).toString('hex'),
      dead,
      revoked: false,
    };
    keys.set(key.id, key);
    return key;
  };

  /** Applies a fault; returns true when the response was sent. */
  const applyFault = async (operation: Operation, res: ServerResponse): Promise<boolean> => {
    const fault = faults.get(operation);
    switch (fault) {
      case 'status400':
        json(res, 400, { errors: ['Bad Request'] });
        return true;
      case 'status500':
        json(res, 500, { errors: ['Internal Server Error'] });
        return true;
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        if (!res.destroyed) json(res, 500, { errors: ['too late'] });
        return true;
      case 'redirect':
        res.writeHead(307, { location: 'http://127.0.0.1:9/elsewhere' });
        res.end();
        return true;
      case 'huge':
        json(res, 200, { padding: 'x'.repeat(200_000) });
        return true;
      case 'malformed-json':
        res.writeHead(operation === 'create' ? 201 : 200, { 'content-type': 'application/json' });
        res.end('{"data": {"id": "broken"');
        return true;
      default:
        return false;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const ddKey = /^\/api\/v2\/api_keys\/([^/]+)$/.exec(path);
    const cfKey = /^\/iam\/v2\/api-keys\/([^/]+)$/.exec(path);
    const operation: Operation | 'unknown' =
      method === 'POST' && (path === '/api/v2/api_keys' || path === '/iam/v2/api-keys')
        ? 'create'
        : method === 'DELETE' && (ddKey || cfKey)
          ? 'revoke'
          : method === 'GET' && (path === '/api/v1/validate' || cfKey)
            ? 'test'
            : 'unknown';
    requests.push({ method, url: req.url ?? '', operation });
    const body = await readBody(req);
    if (operation !== 'unknown' && (await applyFault(operation, res))) return;
    const fault = operation === 'unknown' ? undefined : faults.get(operation);

    // Datadog
    if (operation === 'create' && path === '/api/v2/api_keys') {
      const ddApiKey = req.headers['dd-api-key'];
      if (
        !bySecret(typeof ddApiKey === 'string' ? ddApiKey : undefined) ||
        req.headers['dd-application-key'] !== applicationKey
      ) {
        return json(res, 403, { errors: ['Forbidden'] });
      }
      const data = (body as { data?: { type?: unknown; attributes?: { name?: unknown } } } | undefined)?.data;
      if (data?.type !== 'api_keys' || typeof data.attributes?.name !== 'string') {
        return json(res, 400, { errors: ['Bad Request'] });
      }
      const key = issue(fault === 'dead-key');
      issued++;
      const attributes: Record<string, unknown> = {
        created_at: new Date().toISOString(),
        key: key.secret,
        last4: key.secret.slice(-4),
        name: data.attributes.name,
      };
      if (fault === 'missing-field') delete attributes.key;
      return json(res, 201, { data: { type: 'api_keys', id: key.id, attributes } });
    }
    if (operation === 'test' && path === '/api/v1/validate') {
      const ddApiKey = req.headers['dd-api-key'];
      return bySecret(typeof ddApiKey === 'string' ? ddApiKey : undefined)
        ? json(res, 200, { valid: true })
        : json(res, 403, { errors: ['Forbidden'] });
    }
    if (operation === 'revoke' && ddKey) {
      const ddApiKey = req.headers['dd-api-key'];
      if (
        !bySecret(typeof ddApiKey === 'string' ? ddApiKey : undefined) ||
        req.headers['dd-application-key'] !== applicationKey
      ) {
        return json(res, 403, { errors: ['Forbidden'] });
      }
      const key = keys.get(decodeURIComponent(ddKey[1] ?? ''));
      if (!key || key.revoked) return json(res, 404, { errors: ['API key not found'] });
      key.revoked = true;
      res.writeHead(204).end();
      return;
    }

    // Confluent Cloud
    if (operation === 'create' && path === '/iam/v2/api-keys') {
      if (!basic(req)) return json(res, 401, { errors: [{ status: '401', detail: 'Unauthorized' }] });
      const spec = (
        body as
          | { spec?: { display_name?: unknown; owner?: { id?: unknown }; resource?: { id?: unknown } } }
          | undefined
      )?.spec;
      if (typeof spec?.owner?.id !== 'string' || typeof spec.resource?.id !== 'string') {
        return json(res, 400, {
          errors: [{ status: '400', detail: 'spec.owner and spec.resource are required' }],
        });
      }
      const key = issue(fault === 'dead-key');
      issued++;
      const answer: Record<string, unknown> = {
        display_name: spec.display_name,
        owner: { id: spec.owner.id, kind: 'User' },
        resource: { id: spec.resource.id, kind: 'Cloud' },
        secret: key.secret,
      };
      if (fault === 'missing-field') delete answer.secret;
      return json(res, 202, { api_version: 'iam/v2', kind: 'ApiKey', id: key.id, spec: answer });
    }
    if (cfKey && (operation === 'test' || operation === 'revoke')) {
      if (!basic(req)) return json(res, 401, { errors: [{ status: '401', detail: 'Unauthorized' }] });
      const key = keys.get(decodeURIComponent(cfKey[1] ?? ''));
      if (!key || key.revoked) return json(res, 404, { errors: [{ status: '404', detail: 'Not Found' }] });
      if (operation === 'test')
        return json(res, 200, { api_version: 'iam/v2', kind: 'ApiKey', id: key.id, spec: {} });
      key.revoked = true;
      res.writeHead(204).end();
      return;
    }
    json(res, 404, { errors: ['Not Found'] });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { errors: ['fake provider failure'] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    applicationKey,
    seedKey: () => {
      const key = issue(false);
      return { id: key.id, secret: key.secret };
    },
    works: (secret) => bySecret(secret) !== undefined,
    isRevoked: (id) => keys.get(id)?.revoked === true,
    issuedCount: () => issued,
    fail: (operation, fault) => {
      if (fault) faults.set(operation, fault);
      else faults.delete(operation);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
