import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './aws-error.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from './defaults.js';
import type { LocalService, RequestContext } from './types.js';

export { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from './defaults.js';

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

/** A clock the tests can move forward; the endpoint reads time only through it. */
export class Clock {
  #offsetMs = 0;
  public now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }
  public advance(ms: number): void {
    this.#offsetMs += ms;
  }
}

/**
 * Reads the caller's account, Region and identity from the SigV4 `Authorization` header,
 * as AWS does. A 12-digit access key id is taken as the account number, so tests can act
 * as several accounts.
 */
export const contextFromRequest = (authorization: string | undefined, clock: Clock): RequestContext => {
  const match = authorization ? CREDENTIAL.exec(authorization) : null;
  if (!match?.[1] || !match[3]) {
    throw new AwsError(
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token: sign requests with SigV4 (any access key works locally; a 12-digit access key id selects the account).',
    );
  }
  const accessKeyId = match[1];
  const accountId = /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT_ID;
  return {
    accountId,
    region: match[3],
    accessKeyId,
    identityArn: `arn:aws:iam::${accountId}:user/${accessKeyId}`,
    requestId: randomUUID(),
    now: clock.now(),
  };
};

export interface EndpointServerOptions {
  services: LocalService[];
  clock: Clock;
  /** Called after every request that may have changed state (used to persist `--state`). */
  onMutation?: () => void;
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const send = (res: ServerResponse, status: number, body: unknown, contentType: string, requestId: string) => {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
};

const sendError = (res: ServerResponse, error: AwsError, contentType: string, requestId: string) => {
  res.setHeader('x-amzn-errortype', error.type);
  send(res, error.status, { __type: error.type, message: error.message }, contentType, requestId);
};

/**
 * The request body as a JSON object (`{}` when empty). Failures are `SerializationException`
 * without the parser's message: V8's SyntaxError quotes the body, which may hold a SecretString.
 */
const parseJsonObject = (raw: string): Record<string, unknown> => {
  let input: unknown;
  try {
    input = raw ? JSON.parse(raw) : {};
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return input as Record<string, unknown>;
};

const READ_ONLY = /^(Describe|Get|List|Verify|Decrypt|Encrypt|Sign|Generate)/;

/** The HTTP server behind `rekey local`: AWS JSON protocols plus `/_rekey/...` admin routes. */
export const createEndpointServer = (options: EndpointServerOptions): Server => {
  const byPrefix = new Map(options.services.map((s) => [s.targetPrefix, s]));
  // Calls per `TargetPrefix.Operation`, for benchmarks and tests that count AWS calls
  // (`POST /_rekey/calls`, body `{ "reset": true }` to start counting afresh).
  const calls = new Map<string, number>();
  return createServer(async (req, res) => {
    const requestId = randomUUID();
    let contentType = 'application/x-amz-json-1.1';
    try {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.startsWith('/_rekey/')) {
        const [, , serviceName, route] = url.pathname.split('/');
        const service = options.services.find((s) => s.targetPrefix === serviceName);
        // hasOwn: inherited names (constructor, toString) are not admin routes.
        const admin =
          route && service?.admin && Object.hasOwn(service.admin, route) ? service.admin[route] : undefined;
        if (url.pathname === '/_rekey/health') {
          send(res, 200, { ok: true }, 'application/json', requestId);
          return;
        }
        if (url.pathname === '/_rekey/calls') {
          const counted = Object.fromEntries(calls);
          if (parseJsonObject(raw).reset === true) calls.clear();
          send(res, 200, { calls: counted }, 'application/json', requestId);
          return;
        }
        if (!admin) throw new AwsError('UnknownOperationException', `No admin route ${url.pathname}.`, 404);
        const ctx = contextFromRequest(req.headers.authorization ?? fakeAuth(url), options.clock);
        const body = parseJsonObject(raw);
        send(res, 200, await admin(body, ctx), 'application/json', requestId);
        options.onMutation?.();
        return;
      }
      const target = req.headers['x-amz-target'];
      if (typeof target !== 'string' || !target.includes('.')) {
        throw new AwsError(
          'UnknownOperationException',
          'This endpoint speaks the AWS JSON protocol: send POST / with an X-Amz-Target header.',
        );
      }
      const dot = target.lastIndexOf('.');
      const prefix = target.slice(0, dot);
      const operation = target.slice(dot + 1);
      const service = byPrefix.get(prefix);
      if (!service) throw new AwsError('UnknownOperationException', `Unknown service ${prefix}.`);
      // AWS operation names are PascalCase. Checked here because the services look operations up
      // in plain objects, where inherited names (constructor, toString) would otherwise be found.
      if (!/^[A-Z][A-Za-z0-9]*$/.test(operation)) {
        throw new AwsError(
          'UnknownOperationException',
          `Unknown operation ${JSON.stringify(operation)}: X-Amz-Target is <service>.<Operation>, e.g. secretsmanager.GetSecretValue.`,
        );
      }
      contentType = `application/x-amz-json-${service.jsonVersion}`;
      const ctx = contextFromRequest(req.headers.authorization, options.clock);
      calls.set(target, (calls.get(target) ?? 0) + 1);
      const input = parseJsonObject(raw);
      const output = await service.handle(operation, input, ctx);
      send(res, 200, output ?? {}, contentType, requestId);
      if (!READ_ONLY.test(operation)) options.onMutation?.();
    } catch (error) {
      if (error instanceof AwsError) {
        sendError(res, error, contentType, requestId);
      } else {
        // An emulator bug must not look like an AWS answer the caller could act on.
        const message = error instanceof Error ? error.message : String(error);
        sendError(
          res,
          new AwsError('InternalFailure', `Local endpoint error: ${message}`, 500),
          contentType,
          requestId,
        );
      }
    }
  });
};

/** Admin routes accept `?region=...&account=...` instead of a signature, for curl. */
const fakeAuth = (url: URL): string => {
  const region = url.searchParams.get('region') ?? DEFAULT_REGION;
  const account = url.searchParams.get('account') ?? DEFAULT_ACCOUNT_ID;
  return `AWS4-HMAC-SHA256 Credential=${account}/20000101/${region}/rekey/aws4_request`;
};

export const listen = async (server: Server, port: number, host = '127.0.0.1'): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
};
