import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../aws-error.js';
import type { LocalService, RequestContext } from '../../types.js';

/**
 * AWS's Query protocol (form-encoded POST, XML answers), which IAM and STS speak instead of
 * the JSON protocols of the other services. A service that speaks it has a `query` member;
 * the endpoint hands it every form-encoded request that carries no `X-Amz-Target`.
 */
export interface QueryRequest {
  /** `iam` or `sts`: the service of the request's SigV4 credential scope. */
  readonly signingService: string;
  readonly action: string;
  readonly params: URLSearchParams;
  readonly ctx: RequestContext;
  /** Checks the request's SigV4 signature with `secretAccessKey` (true when it matches). */
  readonly signatureMatches: (secretAccessKey: string) => boolean;
}

/** What a Query action returns: the inner XML of `<ActionResult>` (empty for no result). */
export interface QueryAnswer {
  readonly namespace: string;
  readonly resultXml?: string;
}

export interface QueryService extends LocalService {
  /** Whether this service answers requests signed for `signingService` (`iam`, `sts`, `elasticache`). */
  readonly querySigningServices: readonly string[];
  /** The XML namespace of its error answers, when not IAM's or STS's. */
  readonly queryNamespace?: string;
  query(request: QueryRequest): Promise<QueryAnswer>;
}

export const isQueryService = (service: LocalService): service is QueryService =>
  'query' in service && typeof (service as QueryService).query === 'function';

/** True for a form-encoded request without X-Amz-Target: the Query protocol. */
export const isQueryRequest = (req: IncomingMessage): boolean =>
  req.headers['x-amz-target'] === undefined &&
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
export const xml = (value: string): string => value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
/** `<Name>escaped value</Name>`, or nothing when the value is undefined. */
export const el = (name: string, value: string | undefined): string =>
  value === undefined ? '' : `<${name}>${xml(value)}</${name}>`;

const SCOPE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_-]+),\s*Signature=([0-9a-f]{64})$/;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer =>
  createHmac('sha256', key).update(text, 'utf8').digest();

/**
 * SigV4 as AWS checks it (Signature Version 4 "Create a signed request"): rebuilds the canonical
 * request from what arrived and compares signatures in constant time.
 */
const verifySignature = (req: IncomingMessage, body: string, secretAccessKey: string): boolean => {
  const match = SCOPE.exec(req.headers.authorization ?? '');
  const amzDate = req.headers['x-amz-date'];
  if (!match || typeof amzDate !== 'string') return false;
  const [, , date, region, service, signedHeaders, signature] = match as unknown as string[];
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
    .sort(([a = '', x = ''], [b = '', y = '']) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = (signedHeaders ?? '').split(';');
  const headers = names
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonical = ['POST', url.pathname || '/', query, headers, signedHeaders, sha256(body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, date ?? '');
  for (const part of [region ?? '', service ?? '', 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(toSign, 'utf8').digest();
  const given = Buffer.from(signature ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
};

const encodeRfc3986 = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Query errors: HTTP status and `Sender`/`Receiver`, as IAM's and STS's error responses carry. */
const sendXml = (res: ServerResponse, status: number, text: string, requestId: string): void => {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
};

/**
 * Serves one Query request. `contextOf` reads the caller from the SigV4 header the same way the
 * JSON services do. Returns true when the action may have changed state.
 */
export const serveQuery = async (
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  services: readonly LocalService[],
  contextOf: (authorization: string | undefined) => RequestContext,
  /** Runs after the action succeeded and before the answer is sent (the state journal's write). */
  beforeSend?: (service: LocalService, action: string) => Promise<void> | undefined,
  /** IAM evaluation of the call (throws AccessDenied); the form parameters are its input. */
  authorize?: (
    service: LocalService,
    action: string,
    input: Record<string, unknown>,
    ctx: RequestContext,
  ) => void,
): Promise<boolean> => {
  const requestId = randomUUID();
  const params = new URLSearchParams(body);
  const action = params.get('Action') ?? '';
  const signingService = SCOPE.exec(req.headers.authorization ?? '')?.[4] ?? '';
  const service = services
    .filter(isQueryService)
    .find((s) => s.querySigningServices.includes(signingService));
  const namespace = service?.queryNamespace ?? namespaceOf(signingService);
  try {
    const ctx = contextOf(req.headers.authorization);
    if (!service) {
      throw new AwsError(
        'InvalidAction',
        `No Query-protocol service answers requests signed for '${signingService}' here; IAM (iam), STS (sts) and ElastiCache (elasticache) do.`,
      );
    }
    if (!/^[A-Z][A-Za-z0-9]*$/.test(action)) {
      throw new AwsError(
        'InvalidAction',
        'The form parameter Action must name an operation, e.g. Action=GetUser.',
      );
    }
    authorize?.(service, action, Object.fromEntries(params), ctx);
    const answer = await service.query({
      signingService,
      action,
      params,
      ctx: { ...ctx, requestId },
      signatureMatches: (secret) => verifySignature(req, body, secret),
    });
    await beforeSend?.(service, action);
    sendXml(
      res,
      200,
      `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${answer.namespace}">${
        answer.resultXml === undefined ? '' : `<${action}Result>${answer.resultXml}</${action}Result>`
      }<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      requestId,
    );
    return !/^(Get|List)/.test(action);
  } catch (error) {
    const aws =
      error instanceof AwsError
        ? error
        : new AwsError(
            'InternalFailure',
            `Local endpoint error: ${error instanceof Error ? error.message : String(error)}`,
            500,
          );
    sendXml(
      res,
      aws.status,
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${
        aws.status >= 500 ? 'Receiver' : 'Sender'
      }</Type>${el('Code', aws.type)}${el('Message', aws.message)}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      requestId,
    );
    return false;
  }
};

const namespaceOf = (signingService: string): string =>
  signingService === 'sts'
    ? 'https://sts.amazonaws.com/doc/2011-06-15/'
    : 'https://iam.amazonaws.com/doc/2010-05-08/';

/**
 * A Query request's parameters as the JSON-shaped input the services' readers take: `A.B=x` is
 * `{A: {B: 'x'}}`, and a list member `Name.member.N` (or `Name.<Wrapper>.N`, e.g. ElastiCache's
 * `Tags.Tag.N`) is item N-1 of `Name`. Values stay strings; the reader checks their types.
 */
export const queryInput = (
  params: URLSearchParams,
  listWrappers: readonly string[] = ['member'],
): Record<string, unknown> => {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i] as string;
      const last = i === parts.length - 1;
      const isList =
        !last && listWrappers.includes(parts[i + 1] as string) && /^\d+$/.test(parts[i + 2] ?? '');
      const slot: string | number = Array.isArray(node) ? Number(part) - 1 : part;
      if (Array.isArray(node) && (!Number.isInteger(slot) || (slot as number) < 0 || (slot as number) > 1000))
        break;
      const holder = node as Record<string | number, unknown>;
      if (last) {
        holder[slot] = value;
        break;
      }
      if (isList) {
        if (!Array.isArray(holder[slot])) holder[slot] = [];
        node = holder[slot] as unknown[];
        i += 1; // skip the wrapper; the index is the next part
        continue;
      }
      if (typeof holder[slot] !== 'object' || holder[slot] === null) holder[slot] = {};
      node = holder[slot] as Record<string, unknown>;
    }
  }
  return root;
};
