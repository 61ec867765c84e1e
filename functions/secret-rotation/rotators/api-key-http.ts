import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The one HTTP call the API-key rotator makes to a provider: HTTPS only (plain HTTP only to a
 * loopback address, for tests and local emulators), redirects never followed (a 3xx is an
 * error: following it would send the key to another address), the response cut off past
 * `maxBytes` and the whole exchange past `timeoutMs`. Errors name the provider, the step and
 * the status, never a header, body or URL query (there is none: secrets never go in URLs).
 */

export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpCall {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly maxBytes?: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** Why a call produced no usable answer; carries no secret. */
export class ProviderHttpError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ProviderHttpError';
  }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Refuses anything but https:// (or http:// to loopback); names the fix. */
export const checkProviderUrl = (url: URL, where: string): void => {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return;
  throw new ProviderHttpError(
    `${where} must be an https:// address (plain http:// is allowed only to localhost/127.0.0.1/[::1]); got protocol ${url.protocol} to host ${url.hostname}.`,
  );
};

/** Makes one bounded request; resolves with any status (the caller judges it). */
export const callProvider = (call: HttpCall): Promise<HttpAnswer> =>
  new Promise((resolve, reject) => {
    const limit = call.maxBytes ?? MAX_RESPONSE_BYTES;
    const target = `${call.method} ${call.url.origin}${call.url.pathname}`;
    const send = call.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(call.body));
    }
    let settled = false;
    const finish = (error: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else if (answer) resolve(answer);
    };
    const req = send(call.url, { method: call.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          finish(new ProviderHttpError(`${target} answered more than ${limit} bytes; refused.`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', () => finish(new ProviderHttpError(`${target}: the response broke off.`)));
    });
    const timer = setTimeout(() => {
      finish(new ProviderHttpError(`${target} did not answer within ${call.timeoutMs} ms.`));
      req.destroy();
    }, call.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish(new ProviderHttpError(`${target} failed: ${error.code ?? 'connection error'}.`)),
    );
    req.end(call.body);
  });
