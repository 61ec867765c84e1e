/**
 * The `/_rekey/*` admin routes as a test calls them: as one account in one Region unless told
 * otherwise, with the admin header, never with a hand-built URL in the test.
 */
import { adminFetch } from '../../local/admin-client.js';

export interface AdminTarget {
  account?: string;
  region?: string;
}

export interface TestAdminClient {
  /** The raw response of `POST /_rekey/<service>/<route>` (for tests of the route itself). */
  raw(service: string, route: string, body?: unknown, target?: AdminTarget): Promise<Response>;
  /** The JSON answer of a route; a non-2xx answer throws with its error type and message. */
  call<T = Record<string, unknown>>(
    service: string,
    route: string,
    body?: unknown,
    target?: AdminTarget,
  ): Promise<T>;
}

export const testAdminClient = (base: {
  endpointUrl: string;
  account: string;
  region: string;
}): TestAdminClient => {
  const raw = (service: string, route: string, body: unknown = {}, target: AdminTarget = {}) => {
    const url = new URL(`/_rekey/${service}/${route}`, base.endpointUrl);
    url.searchParams.set('region', target.region ?? base.region);
    url.searchParams.set('account', target.account ?? base.account);
    return adminFetch(url.toString(), body);
  };
  return {
    raw,
    async call<T>(service: string, route: string, body?: unknown, target?: AdminTarget): Promise<T> {
      const response = await raw(service, route, body, target);
      const json = (await response.json()) as T & { __type?: string; message?: string };
      if (!response.ok)
        throw new Error(`${service}/${route}: ${String(json.__type)}: ${String(json.message)}`);
      return json;
    },
  };
};
