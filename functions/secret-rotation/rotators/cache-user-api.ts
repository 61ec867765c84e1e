import {
  DescribeUsersCommand as DescribeElastiCacheUsers,
  ElastiCacheClient,
  ModifyUserCommand,
} from '@aws-sdk/client-elasticache';
import {
  DescribeUsersCommand as DescribeMemoryDbUsers,
  MemoryDBClient,
  UpdateUserCommand,
} from '@aws-sdk/client-memorydb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientBeside } from '../../lib/aws.js';
import type { CacheService, CacheUserArn } from './cache-user-secret.js';

/**
 * The two services' user APIs behind one interface: ElastiCache names a user by its id
 * (DescribeUsers/ModifyUser), MemoryDB by its name (DescribeUsers/UpdateUser). Both take up to
 * two passwords in `AuthenticationMode`, and both answer `UserNotFoundFault` for an unknown
 * user and `InvalidUserStateFault` while the user is not `active`.
 */

/** What the rotator reads of a user. */
export interface CacheUser {
  /** The name clients AUTH with. */
  readonly userName: string;
  /** `active`, `modifying`, `deleting` (both services' documented states). */
  readonly status: string;
  /** `password`, `no-password` (ElastiCache), `iam`. */
  readonly authenticationType: string;
  readonly passwordCount: number;
  readonly accessString: string;
}

export interface CacheUserApi {
  readonly service: CacheService;
  /** The user, or undefined when the service answers UserNotFoundFault. */
  describe(): Promise<CacheUser | undefined>;
  /** Replaces the user's passwords (one or two) with a password authentication mode. */
  setPasswords(passwords: readonly string[]): Promise<void>;
}

/** Builds the API of the user a secret names. */
export type CacheUserApiFactory = (
  user: CacheUserArn,
  secretsManager: SecretsManagerClient,
) => CacheUserApi | Promise<CacheUserApi>;

const isNotFound = (error: unknown): boolean => error instanceof Error && error.name === 'UserNotFoundFault';

/** What both services' DescribeUsers answer of a user (the name field differs). */
interface DescribedUser {
  readonly Status?: string | undefined;
  readonly AccessString?: string | undefined;
  readonly Authentication?: { Type?: string | undefined; PasswordCount?: number | undefined } | undefined;
}

/** The user a DescribeUsers call finds, or undefined for UserNotFoundFault. */
const described = async (
  find: () => Promise<{ user: DescribedUser; userName: string | undefined } | undefined>,
): Promise<CacheUser | undefined> => {
  try {
    const found = await find();
    if (!found) return undefined;
    return {
      userName: found.userName ?? '',
      status: found.user.Status ?? '',
      authenticationType: found.user.Authentication?.Type ?? '',
      passwordCount: found.user.Authentication?.PasswordCount ?? 0,
      accessString: found.user.AccessString ?? '',
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
};

export const elastiCacheUserApi = (client: ElastiCacheClient, user: CacheUserArn): CacheUserApi => ({
  service: 'elasticache',
  describe: () =>
    described(async () => {
      const found = (await client.send(new DescribeElastiCacheUsers({ UserId: user.userRef }))).Users?.[0];
      return found && { user: found, userName: found.UserName };
    }),
  async setPasswords(passwords) {
    await client.send(
      new ModifyUserCommand({
        UserId: user.userRef,
        AuthenticationMode: { Type: 'password', Passwords: [...passwords] },
      }),
    );
  },
});

export const memoryDbUserApi = (client: MemoryDBClient, user: CacheUserArn): CacheUserApi => ({
  service: 'memorydb',
  describe: () =>
    described(async () => {
      const found = (await client.send(new DescribeMemoryDbUsers({ UserName: user.userRef }))).Users?.[0];
      return found && { user: found, userName: found.Name };
    }),
  async setPasswords(passwords) {
    await client.send(
      new UpdateUserCommand({
        UserName: user.userRef,
        AuthenticationMode: { Type: 'password', Passwords: [...passwords] },
      }),
    );
  },
});

/**
 * The default factory: the shared client (functions/lib/aws.ts) in the user's Region, going where
 * the function's Secrets Manager client goes (the local endpoint in tests), with its credentials.
 */
export const defaultCacheUserApi: CacheUserApiFactory = async (user, secretsManager) =>
  user.service === 'elasticache'
    ? elastiCacheUserApi(
        await awsClientBeside(ElastiCacheClient, secretsManager, { region: user.region }),
        user,
      )
    : memoryDbUserApi(await awsClientBeside(MemoryDBClient, secretsManager, { region: user.region }), user);
