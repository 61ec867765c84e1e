import type { AwsError } from '../../aws-error.js';
import { fingerprint, pageOf } from '../../core/paging.js';
import { RegionalStore, type ScopeId } from '../../core/store.js';
import type { Clock } from '../../server.js';
import { createRedisDataPlane, type RedisDataPlane } from './data-plane.js';

/**
 * Users of ElastiCache (Redis OSS / Valkey) and MemoryDB, as records and the rules both services
 * share (their API references: CreateUser, ModifyUser/UpdateUser, the AuthenticationMode type,
 * and the user guides' "Authenticating users with RBAC / ACLs"). No HTTP here: the providers in
 * index.ts (ElastiCache, Query protocol) and ../memorydb (JSON protocol) read requests into
 * these records and write them back out.
 *
 * - A user has an access string (Redis ACL rules), and either up to two passwords, no password
 *   (`no-password`, ElastiCache only) or IAM authentication.
 * - Passwords: 16 to 128 printable ASCII characters, none of `, " / @` and no space.
 * - A change puts the user in `modifying` for a while (the service propagating it to the
 *   clusters), then back to `active`; another change meanwhile is refused with
 *   `InvalidUserState(Fault)`.
 */

export type AuthenticationType = 'password' | 'no-password' | 'iam';
export type Status = 'active' | 'modifying';

export interface CacheUserRecord {
  /** ElastiCache: the user id (API key); MemoryDB: the user name. */
  readonly id: string;
  readonly userName: string;
  readonly engine: string;
  accessString: string;
  authenticationType: AuthenticationType;
  /** Never in an answer, snapshot of the answer or log: only the data plane reads them. */
  passwords: string[];
  readonly arn: string;
  /** Until when (endpoint clock, epoch ms) the last change is still being applied. */
  modifyingUntil: number;
  groups: string[];
  tags: Array<{ Key: string; Value: string }>;
}

export interface GroupRecord {
  readonly id: string;
  readonly engine: string;
  readonly arn: string;
  userIds: string[];
  modifyingUntil: number;
}

export const PASSWORD_MIN = 16;
export const PASSWORD_MAX = 128;
/** What the services refuse in a password besides non-printable characters. */
const EXCLUDED = /[,"/@ ]/;
const PRINTABLE = /^[\x21-\x7E]*$/;
/** UserId / UserGroupId / UserName / ACLName: a letter, then letters, digits and hyphens. */
export const NAME = /^[a-zA-Z][a-zA-Z0-9-]*$/;
/** How long a change stays `modifying` unless the endpoint is told otherwise. */
export const DEFAULT_MODIFYING_MS = 300;

export const statusOf = (record: { modifyingUntil: number }, now: Date): Status =>
  now.getTime() < record.modifyingUntil ? 'modifying' : 'active';

/**
 * Checks passwords as the services do; the message names the rule, never the password. `error`
 * builds the service's error (ElastiCache: InvalidParameterValue, MemoryDB: InvalidParameterValueException).
 */
export const checkPasswords = (passwords: readonly string[], error: (message: string) => AwsError): void => {
  if (passwords.length < 1 || passwords.length > 2) {
    throw error('A user has one or two passwords (Passwords: 1 to 2 items).');
  }
  for (const [i, password] of passwords.entries()) {
    if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
      throw error(
        `Passwords length must be between ${PASSWORD_MIN}-${PASSWORD_MAX} characters (password ${i + 1}).`,
      );
    }
    if (!PRINTABLE.test(password) || EXCLUDED.test(password)) {
      throw error(
        `Password ${i + 1} contains a character that is not allowed: use printable ASCII characters other than , " / @ and space.`,
      );
    }
  }
};

/** Rules a client could use to set or clear passwords: only the API may do that. */
const PASSWORD_RULE = /^(?:>|<|#|!|nopass$|resetpass$|reset$)/i;

/**
 * The access string as `ACL SETUSER` rules. The service runs the same rules on the engine, so
 * they pass through one by one; rules that would touch passwords (`>`, `<`, `#`, `!`, `nopass`,
 * `resetpass`, `reset`) are refused, since authentication is set through the API only.
 */
export const accessRules = (accessString: string, error: (message: string) => AwsError): string[] => {
  const rules = accessString.split(/\s+/).filter((rule) => rule !== '');
  if (rules.length === 0) throw error('AccessString must contain at least one rule, e.g. "on ~* +@all".');
  const bad = rules.find((rule) => PASSWORD_RULE.test(rule));
  if (bad !== undefined) {
    throw error(
      `AccessString may not set or clear passwords (rule ${JSON.stringify(bad.slice(0, 1))}...): set them with AuthenticationMode.`,
    );
  }
  return rules;
};

/**
 * The `ACL SETUSER` arguments that make the engine's user what `user` says: rules reset first, so
 * a removed rule is removed on the engine too, then the access string, then the passwords (each
 * `>`), `nopass`, or for IAM none (IAM tokens are checked by the service, not by Redis).
 */
export const setUserArgs = (user: CacheUserRecord): string[] => [
  'ACL',
  'SETUSER',
  user.userName,
  'reset',
  ...user.accessString.split(/\s+/).filter((rule) => rule !== ''),
  ...(user.authenticationType === 'no-password'
    ? ['nopass']
    : user.authenticationType === 'password'
      ? user.passwords.map((password) => `>${password}`)
      : []),
];

/** A user as the answers show it: password count, never the passwords. */
export const userView = (user: CacheUserRecord, now: Date) => ({
  status: statusOf(user, now),
  authentication: {
    Type: user.authenticationType,
    ...(user.authenticationType === 'password' ? { PasswordCount: user.passwords.length } : {}),
  },
});

/** One account and Region of either service: its users and its user groups (MemoryDB: ACLs). */
export interface CacheScope {
  users: Map<string, CacheUserRecord>;
  groups: Map<string, GroupRecord>;
}

/** What both providers take. */
export interface CacheServiceOptions {
  clock: Clock;
  /** Group or ACL name → Redis URL (`--redis-for`). */
  dataPlane?: RedisDataPlane;
  /** How long a change keeps a user or group `modifying` (default 300 ms). */
  modifyingMs?: number;
}

/**
 * The per-account/Region store of a cache service (local/core's), seeded by `seed` on first use,
 * with the snapshot/restore of `--state FILE`, and `propagate`: a change is `modifying` while the
 * data plane applies it and for `modifyingMs` after, so a caller sees the state the services
 * document, then `active`.
 */
export const cacheServiceState = (
  options: CacheServiceOptions,
  seed: (scope: ScopeId) => CacheScope,
  what: string,
) => {
  const store = new RegionalStore<CacheScope>(seed);
  const modifyingMs = options.modifyingMs ?? DEFAULT_MODIFYING_MS;
  return {
    store,
    dataPlane: options.dataPlane ?? createRedisDataPlane(),
    async propagate(record: { modifyingUntil: number }, apply: () => Promise<void>): Promise<void> {
      record.modifyingUntil = Number.MAX_SAFE_INTEGER;
      try {
        await apply();
      } finally {
        record.modifyingUntil = options.clock.now().getTime() + modifyingMs;
      }
    },
    snapshot: () =>
      store.snapshot((scope) =>
        structuredClone({ users: [...scope.users.values()], groups: [...scope.groups.values()] }),
      ),
    restore(state: unknown): void {
      store.restore<{ users: CacheUserRecord[]; groups: GroupRecord[] }>(
        state,
        (json) => ({
          users: new Map(json.users.map((u) => [u.id, u])),
          groups: new Map(json.groups.map((g) => [g.id, g])),
        }),
        what,
      );
    },
  };
};

/** One page of a Describe answer, with the service's invalid-token error; the token is bound to `binding`. */
export const describePage = <T>(
  items: readonly T[],
  page: {
    token: string | undefined;
    limit: number;
    invalidType: string;
    tokenName: string;
    binding: unknown;
  },
) =>
  pageOf(items, {
    token: page.token,
    limit: page.limit,
    invalid: { type: page.invalidType, message: `${page.tokenName} is not valid for this request.` },
    binding: fingerprint(page.binding),
  });
