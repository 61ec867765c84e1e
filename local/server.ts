import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { AwsError } from './aws-error.js';
import { ADMIN_HEADER } from './core/admin-client.js';
import type { Authorizer } from './core/iam/authorizer.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from './defaults.js';
import type { Quotas } from './quotas.js';
import { isQueryRequest, serveQuery } from './services/iam/query.js';
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
export const contextFromRequest = (
  authorization: string | undefined,
  clock: Clock,
  iam?: Authorizer,
): RequestContext => {
  const match = authorization ? CREDENTIAL.exec(authorization) : null;
  if (!match?.[1] || !match[3]) {
    throw new AwsError(
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token: sign requests with SigV4 (any access key works locally; a 12-digit access key id selects the account).',
    );
  }
  const accessKeyId = match[1];
  // Credentials the endpoint issued (a function's role session) carry their account and ARN.
  const issued = iam?.identity(accessKeyId, match[3]);
  const accountId = issued?.accountId ?? (/^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT_ID);
  return {
    accountId,
    region: match[3],
    accessKeyId,
    identityArn: issued?.principalArn ?? `arn:aws:iam::${accountId}:user/${accessKeyId}`,
    requestId: randomUUID(),
    now: clock.now(),
  };
};

export interface EndpointServerOptions {
  services: LocalService[];
  clock: Clock;
  /** The address the server is bound to: with loopback names, the only `Host` names accepted. */
  host?: string;
  /** More `Host` names to accept, e.g. `host.docker.internal` for functions in containers. */
  allowHosts?: string[];
  /**
   * Called after every request, before its response is sent: the response waits for the returned
   * promise (used to make `--state` durable before a write is acknowledged).
   */
  beforeResponse?: (service: LocalService | undefined, operation: string) => Promise<void> | undefined;
  /** AWS's documented request quotas; absent, every request is served. */
  quotas?: Quotas;
  /** IAM evaluation of every request (local/core/iam/authorizer.ts); absent, every call is allowed. */
  iam?: Authorizer;
}

/**
 * The largest request body accepted, in bytes. The largest request of a served operation is ACM
 * ImportCertificate: a 2 MB certificate chain, base64 in JSON (2.8 MB). A 64 KB SecretString
 * escaped as `\u00XX` is 384 KB. 4 MiB leaves margin above both.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const tooLarge = () =>
  new AwsError(
    'RequestEntityTooLargeException',
    `The request body is larger than ${MAX_BODY_BYTES} bytes, more than any request of the served AWS operations; it was not read.`,
    413,
  );

/** Reads the body, refusing (before reading it whole) one over `MAX_BODY_BYTES`. */
const readBody = async (req: IncomingMessage): Promise<string> => {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = ['0.0.0.0', '::', ''];

/** Whether `host` (a bind address) is a loopback address, reachable only from this machine. */
export const isLoopback = (host: string): boolean =>
  LOOPBACK_NAMES.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith('.localhost');

/**
 * The host names a request may name in its `Host` header: loopback names, the bound address and,
 * when bound to every interface, this machine's addresses and name. Anything else is refused, so
 * a web page whose DNS name an attacker re-points at 127.0.0.1 (DNS rebinding) cannot read secrets.
 */
const allowedHostNames = (host: string): Set<string> => {
  const names = new Set([...LOOPBACK_NAMES, host.toLowerCase()]);
  if (WILDCARD.includes(host)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? []) names.add(address.address.toLowerCase());
    }
  }
  return names;
};

/** The host name of a `Host` header, without port or IPv6 brackets; undefined when malformed. */
const hostNameOf = (header: string | undefined): string | undefined => {
  if (!header) return undefined;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::\d+)?$/.exec(header);
  if (bracketed?.[1]) return bracketed[1].toLowerCase();
  const plain = /^([^:]+)(?::\d+)?$/.exec(header);
  return plain?.[1]?.toLowerCase();
};

/** The warning `rekey local` prints when bound beyond loopback; undefined on loopback. */
export const bindWarning = (host: string): string | undefined =>
  isLoopback(host)
    ? undefined
    : `WARNING: listening on ${host}, beyond loopback. This endpoint has no authentication: anyone who can reach ${WILDCARD.includes(host) ? 'any address of this machine' : host} can read and change every secret and key it holds. Bind to 127.0.0.1 unless you mean that.`;

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

/** The HTTP server behind `rekey local`: AWS JSON protocols plus `/_rekey/...` admin routes. */
export const createEndpointServer = (options: EndpointServerOptions): Server => {
  const byPrefix = new Map(options.services.map((s) => [s.targetPrefix, s]));
  // Calls per `TargetPrefix.Operation`, for benchmarks and tests that count AWS calls
  // (`POST /_rekey/calls`, body `{ "reset": true }` to start counting afresh).
  const calls = new Map<string, number>();
  const hostNames = allowedHostNames(options.host ?? '127.0.0.1');
  for (const name of options.allowHosts ?? []) hostNames.add(name.toLowerCase());
  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    let contentType = 'application/x-amz-json-1.1';
    try {
      const name = hostNameOf(req.headers.host);
      if (!name || !(hostNames.has(name) || (isIP(name) === 0 && name.endsWith('.localhost')))) {
        throw new AwsError(
          'AccessDeniedException',
          `This endpoint answers only requests addressed to ${[...hostNames].slice(0, 4).join(', ')} (Host header); the request named another host. This protects it from DNS rebinding: use AWS_ENDPOINT_URL=http://127.0.0.1:PORT, or start it with --allow-host NAME for a name you trust.`,
          403,
        );
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (
        url.pathname.startsWith('/_rekey/') &&
        url.pathname !== '/_rekey/health' &&
        !req.headers[ADMIN_HEADER]
      ) {
        throw new AwsError(
          'AccessDeniedException',
          `Admin routes under /_rekey/ need the header ${ADMIN_HEADER}: 1 (a cross-site form or page cannot send it), e.g. curl -H '${ADMIN_HEADER}: 1'.`,
          403,
        );
      }
      const raw = await readBody(req);
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
        if (url.pathname === '/_rekey/iam/audit') {
          // The denials IAM evaluation recorded (enforce and audit modes); `{ "reset": true }` clears.
          const entries = options.iam?.auditLog() ?? [];
          if (parseJsonObject(raw).reset === true) options.iam?.clearAudit();
          send(res, 200, { mode: options.iam?.mode ?? 'off', entries }, 'application/json', requestId);
          return;
        }
        if (url.pathname === '/_rekey/calls') {
          const counted = Object.fromEntries(calls);
          if (parseJsonObject(raw).reset === true) calls.clear();
          send(res, 200, { calls: counted }, 'application/json', requestId);
          return;
        }
        if (!admin) throw new AwsError('UnknownOperationException', `No admin route ${url.pathname}.`, 404);
        const ctx = contextFromRequest(
          req.headers.authorization ?? fakeAuth(url),
          options.clock,
          options.iam,
        );
        const body = parseJsonObject(raw);
        const answer = await admin(body, ctx);
        await options.beforeResponse?.(service, `admin:${route}`);
        send(res, 200, answer, 'application/json', requestId);
        return;
      }
      if (isQueryRequest(req)) {
        // IAM and STS speak the Query protocol (form-encoded POST, XML answers).
        // The journal is written before the answer, as for the JSON services.
        await serveQuery(
          req,
          res,
          raw,
          options.services,
          (auth) => contextFromRequest(auth, options.clock, options.iam),
          (service, action) => options.beforeResponse?.(service, action),
          (service, action, input, ctx) =>
            options.iam?.authorize(service, action, input, ctx, 'AccessDenied', 403),
        );
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
      const ctx = contextFromRequest(req.headers.authorization, options.clock, options.iam);
      calls.set(target, (calls.get(target) ?? 0) + 1);
      options.quotas?.take(prefix, operation, ctx.accountId, ctx.region);
      const input = parseJsonObject(raw);
      options.iam?.authorize(service, operation, input, ctx);
      const output = await service.handle(operation, input, ctx);
      await options.beforeResponse?.(service, operation);
      send(res, 200, output ?? {}, contentType, requestId);
    } catch (error) {
      // A write the failed request made (a rotation log entry, ...) is made durable too.
      await options.beforeResponse?.(undefined, '')?.catch(() => undefined);
      if (error instanceof AwsError && error.status === 413) {
        // The rest of the body is not read: answer and close the connection.
        res.setHeader('connection', 'close');
        sendError(res, error, contentType, requestId);
        req.destroy();
      } else if (error instanceof AwsError) {
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
  return server;
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
