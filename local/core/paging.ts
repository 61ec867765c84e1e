/**
 * One codec for pagination tokens (`NextToken`, KMS's `Marker`): an opaque string, as AWS's are,
 * holding the offset of the next item and, optionally, a fingerprint of the request's other
 * parameters, so a token replayed with other filters is refused instead of silently paging a
 * different list. Each service names the exception an invalid token raises (Secrets Manager:
 * `InvalidNextTokenException`, KMS: `InvalidMarkerException`, ACM: `InvalidArgsException`,
 * EventBridge: `ValidationException`).
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../aws-error.js';

export interface PageOptions {
  /** The token the caller passed (absent or null: the first page). */
  token: unknown;
  /** Most items per page. */
  limit: number;
  /** The exception type and message for a token this endpoint did not issue for this request. */
  invalid: { type: string; message: string };
  /** Request parameters the token is valid for (filters, sort order): see `fingerprint`. */
  binding?: string;
}

export interface Page<T> {
  items: T[];
  /** The token of the next page; undefined on the last one. */
  next?: string;
}

const PREFIX = 'p1';
const TOKEN = /^p1:(.*):(\d+)$/s;

/** A short digest of the parameters a token is bound to (any JSON-serialisable value). */
export const fingerprint = (params: unknown): string =>
  createHash('sha256').update(JSON.stringify(params)).digest('base64url').slice(0, 12);

/** The token for the page starting at `offset`. */
export const encodePageToken = (offset: number, binding = ''): string =>
  Buffer.from(`${PREFIX}:${binding}:${offset}`, 'utf8').toString('base64url');

/** The offset a token stands for (0 when no token was passed); throws the service's error otherwise. */
export const decodePageToken = (token: unknown, invalid: PageOptions['invalid'], binding = ''): number => {
  if (token === undefined || token === null) return 0;
  if (typeof token === 'string' && token.length <= 4096) {
    const match = TOKEN.exec(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = Number(match?.[2]);
    if (match && match[1] === binding && Number.isSafeInteger(offset)) return offset;
  }
  throw new AwsError(invalid.type, invalid.message);
};

/** One page of `items` from the offset `token` stands for, with the token of the next page. */
export const pageOf = <T>(items: readonly T[], options: PageOptions): Page<T> => {
  const start = decodePageToken(options.token, options.invalid, options.binding);
  const end = start + options.limit;
  return {
    items: items.slice(start, end),
    next: end < items.length ? encodePageToken(end, options.binding) : undefined,
  };
};
