/**
 * The typed admin client (local/core/admin-client.ts) bound to one endpoint, account and
 * Region, so a test calls `endpoint.admin.readEvents()` and never builds a `/_rekey/` URL.
 */
import * as routes from '../../local/core/admin-client.js';

/** Every route function of the admin client, keyed by name. */
const ROUTES = {
  health: routes.health,
  readCalls: routes.readCalls,
  readRotationLog: routes.readRotationLog,
  readEvents: routes.readEvents,
  seedCertificate: routes.seedCertificate,
  bulkSeedCertificates: routes.bulkSeedCertificates,
  setCertificateState: routes.setCertificateState,
  throttleCertificates: routes.throttleCertificates,
  readCertificateCalls: routes.readCertificateCalls,
} as const;

type Routes = typeof ROUTES;
type Rest<T> = T extends [routes.AdminTarget, ...infer R] ? R : never;

/** The routes with the target bound; `as` rebinds to another account or Region. */
export type TestAdminClient = {
  readonly [K in keyof Routes]: (...args: Rest<Parameters<Routes[K]>>) => ReturnType<Routes[K]>;
} & {
  readonly target: routes.AdminTarget;
  /** The same routes as another account or in another Region of the same endpoint. */
  as(target: { account?: string; region?: string }): TestAdminClient;
  /** The URL of a route (`path` below `/_rekey/`), for tests of the admin routes themselves. */
  url(path: string): string;
};

export const testAdminClient = (target: routes.AdminTarget): TestAdminClient => {
  const bound = Object.fromEntries(
    Object.entries(ROUTES).map(([name, route]) => [
      name,
      (...args: unknown[]) => (route as (t: routes.AdminTarget, ...a: unknown[]) => unknown)(target, ...args),
    ]),
  ) as { [K in keyof Routes]: TestAdminClient[K] };
  return {
    ...bound,
    target,
    as: (other) => testAdminClient({ ...target, ...other }),
    url: (path) => routes.adminUrl(target, path),
  };
};
