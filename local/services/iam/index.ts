import { randomBytes } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { Clock } from '../../server.js';
import type { RequestContext } from '../../types.js';
import { iamAuthorization } from './authorization.js';
import { el, type QueryAnswer, type QueryRequest, type QueryService } from './query.js';

/**
 * The local IAM (users, access keys, user tags) and STS GetCallerIdentity, over the Query
 * protocol. Both are global services: one set of users per account, whatever the Region.
 * Access key ids are unique across accounts, as in AWS, so STS can find a key's user.
 */

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** IAM quota "Access keys per user": 2. */
export const MAX_ACCESS_KEYS_PER_USER = 2;
const MAX_TAGS_PER_USER = 50;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const PATH = /^\/([\x21-\x7E]{0,510}\/)?$/;
const ACCESS_KEY_ID = /^[\w]{16,128}$/;

interface Tag {
  Key: string;
  Value: string;
}

interface User {
  UserName: string;
  UserId: string;
  Path: string;
  Arn: string;
  CreateDate: string;
  Tags: Tag[];
}

interface AccessKey {
  AccessKeyId: string;
  SecretAccessKey: string;
  UserName: string;
  Account: string;
  Status: 'Active' | 'Inactive';
  CreateDate: string;
  LastUsed?: { date: string; service: string; region: string };
}

interface IamSnapshot {
  /** account → users */
  users: Record<string, User[]>;
  keys: AccessKey[];
  /** Ids of keys issued here and deleted since. */
  deleted: string[];
}

const noSuchEntity = (message: string) => new AwsError('NoSuchEntity', message, 404);
const validationError = (message: string) => new AwsError('ValidationError', message);
const invalidToken = () =>
  new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);

const idOf = (prefix: string): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = prefix;
  for (const byte of randomBytes(16)) id += alphabet[byte % 32];
  return id;
};

const isoSeconds = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

const userXml = (user: User): string =>
  `${el('Path', user.Path)}${el('UserName', user.UserName)}${el('UserId', user.UserId)}${el('Arn', user.Arn)}${el(
    'CreateDate',
    user.CreateDate,
  )}${user.Tags.length > 0 ? `<Tags>${user.Tags.map(tagXml).join('')}</Tags>` : ''}`;
const tagXml = (tag: Tag): string => `<member>${el('Key', tag.Key)}${el('Value', tag.Value)}</member>`;
const keyMetadataXml = (key: AccessKey): string =>
  `${el('UserName', key.UserName)}${el('AccessKeyId', key.AccessKeyId)}${el('Status', key.Status)}${el(
    'CreateDate',
    key.CreateDate,
  )}`;

/** Reads `Prefix.member.N.Key/Value` lists, as the Query protocol flattens them. */
const tagsOf = (params: URLSearchParams): Tag[] => {
  const tags: Tag[] = [];
  for (let n = 1; params.has(`Tags.member.${n}.Key`); n += 1) {
    const Key = params.get(`Tags.member.${n}.Key`) ?? '';
    const Value = params.get(`Tags.member.${n}.Value`) ?? '';
    if (Key.length < 1 || Key.length > 128)
      throw validationError(`Tags.member.${n}.Key must be 1 to 128 characters.`);
    if (Value.length > 256) throw validationError(`Tags.member.${n}.Value must be at most 256 characters.`);
    tags.push({ Key, Value });
  }
  return tags;
};

const listOf = (params: URLSearchParams, prefix: string): string[] => {
  const values: string[] = [];
  for (let n = 1; params.has(`${prefix}.member.${n}`); n += 1)
    values.push(params.get(`${prefix}.member.${n}`) ?? '');
  return values;
};

const required = (params: URLSearchParams, name: string, pattern?: RegExp): string => {
  const value = params.get(name);
  if (value === null || value === '') {
    throw validationError(
      `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (pattern && !pattern.test(value)) {
    throw validationError(
      `The specified value for '${lowerFirst(name)}' is invalid: it must match ${pattern.source}.`,
    );
  }
  return value;
};
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

export interface IamOptions {
  clock: Clock;
}

export const createIam = (options: IamOptions): QueryService => {
  let users = new Map<string, Map<string, User>>();
  let keys = new Map<string, AccessKey>();
  /** Keys issued here and deleted since: refused (rather than taken as "any key works locally"). */
  let deletedKeyIds = new Set<string>();

  const usersOf = (account: string): Map<string, User> => {
    let map = users.get(account);
    if (!map) {
      map = new Map();
      users.set(account, map);
    }
    return map;
  };
  /** User names are unique regardless of case in IAM. */
  const findUser = (account: string, name: string): User | undefined =>
    usersOf(account).get(name.toLowerCase());
  const getUser = (account: string, name: string): User => {
    const user = findUser(account, name);
    if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return user;
  };
  /** The user a request names, or (when UserName is absent) the caller's own user, as IAM does. */
  const targetUser = (params: URLSearchParams, ctx: RequestContext): User => {
    const name = params.get('UserName');
    if (name) return getUser(ctx.accountId, name);
    const key = keys.get(ctx.accessKeyId);
    if (key && key.Account === ctx.accountId) return getUser(ctx.accountId, key.UserName);
    throw validationError('UserName is required: the caller is not an IAM user of this local endpoint.');
  };
  const keysOf = (account: string, userName: string): AccessKey[] =>
    [...keys.values()].filter(
      (k) => k.Account === account && k.UserName.toLowerCase() === userName.toLowerCase(),
    );
  const userKey = (params: URLSearchParams, ctx: RequestContext): AccessKey => {
    const id = required(params, 'AccessKeyId', ACCESS_KEY_ID);
    const user = targetUser(params, ctx);
    const key = keys.get(id);
    if (!key || key.Account !== ctx.accountId || key.UserName !== user.UserName) {
      throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    }
    return key;
  };

  const iam: Record<string, (params: URLSearchParams, ctx: RequestContext) => string | undefined> = {
    CreateUser(params, ctx) {
      const name = required(params, 'UserName', USER_NAME);
      const path = params.get('Path') ?? '/';
      if (!PATH.test(path))
        throw validationError(`Path '${path}' must begin and end with '/', e.g. /rotated/.`);
      if (findUser(ctx.accountId, name)) {
        throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
      }
      const tags = tagsOf(params);
      if (tags.length > MAX_TAGS_PER_USER)
        throw new AwsError('LimitExceeded', 'A user can have at most 50 tags.', 409);
      const user: User = {
        UserName: name,
        UserId: idOf('AIDA'),
        Path: path,
        Arn: `arn:aws:iam::${ctx.accountId}:user${path}${name}`,
        CreateDate: isoSeconds(ctx.now),
        Tags: tags,
      };
      usersOf(ctx.accountId).set(name.toLowerCase(), user);
      return `<User>${userXml(user)}</User>`;
    },
    GetUser(params, ctx) {
      return `<User>${userXml(targetUser(params, ctx))}</User>`;
    },
    ListUsers(params, ctx) {
      const prefix = params.get('PathPrefix') ?? '/';
      const list = [...usersOf(ctx.accountId).values()]
        .filter((u) => u.Path.startsWith(prefix))
        .sort((a, b) => a.UserName.localeCompare(b.UserName));
      // ListUsers does not return tags (GetUser and ListUserTags do), as AWS documents.
      const members = list.map((u) => `<member>${userXml({ ...u, Tags: [] })}</member>`).join('');
      return `<Users>${members}</Users><IsTruncated>false</IsTruncated>`;
    },
    TagUser(params, ctx) {
      const user = getUser(ctx.accountId, required(params, 'UserName', USER_NAME));
      const merged = new Map(user.Tags.map((t) => [t.Key, t]));
      for (const tag of tagsOf(params)) merged.set(tag.Key, tag);
      if (merged.size > MAX_TAGS_PER_USER) {
        throw new AwsError('LimitExceeded', `User ${user.UserName} would have more than 50 tags.`, 409);
      }
      user.Tags = [...merged.values()];
      return undefined;
    },
    UntagUser(params, ctx) {
      const user = getUser(ctx.accountId, required(params, 'UserName', USER_NAME));
      const remove = new Set(listOf(params, 'TagKeys'));
      user.Tags = user.Tags.filter((t) => !remove.has(t.Key));
      return undefined;
    },
    ListUserTags(params, ctx) {
      const user = getUser(ctx.accountId, required(params, 'UserName', USER_NAME));
      return `<Tags>${user.Tags.map(tagXml).join('')}</Tags><IsTruncated>false</IsTruncated>`;
    },
    CreateAccessKey(params, ctx) {
      const user = targetUser(params, ctx);
      if (keysOf(ctx.accountId, user.UserName).length >= MAX_ACCESS_KEYS_PER_USER) {
        throw new AwsError(
          'LimitExceeded',
          `Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS_PER_USER}`,
          409,
        );
      }
      const key: AccessKey = {
        AccessKeyId: idOf('AKIA'),
        SecretAccessKey: randomBytes(30).toString('base64').slice(0, 40),
        UserName: user.UserName,
        Account: ctx.accountId,
        Status: 'Active',
        CreateDate: isoSeconds(ctx.now),
      };
      keys.set(key.AccessKeyId, key);
      return `<AccessKey>${keyMetadataXml(key)}${el('SecretAccessKey', key.SecretAccessKey)}</AccessKey>`;
    },
    ListAccessKeys(params, ctx) {
      const user = targetUser(params, ctx);
      const members = keysOf(ctx.accountId, user.UserName)
        .map((k) => `<member>${keyMetadataXml(k)}</member>`)
        .join('');
      return `${el('UserName', user.UserName)}<AccessKeyMetadata>${members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`;
    },
    UpdateAccessKey(params, ctx) {
      const status = required(params, 'Status');
      if (status !== 'Active' && status !== 'Inactive') {
        throw validationError(`Status must be Active or Inactive, not '${status}'.`);
      }
      userKey(params, ctx).Status = status;
      return undefined;
    },
    DeleteAccessKey(params, ctx) {
      const id = userKey(params, ctx).AccessKeyId;
      keys.delete(id);
      deletedKeyIds.add(id);
      return undefined;
    },
    GetAccessKeyLastUsed(params, ctx) {
      const id = required(params, 'AccessKeyId', ACCESS_KEY_ID);
      const key = keys.get(id);
      if (!key || key.Account !== ctx.accountId)
        throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
      const used = key.LastUsed
        ? `${el('LastUsedDate', key.LastUsed.date)}${el('ServiceName', key.LastUsed.service)}${el('Region', key.LastUsed.region)}`
        : '<ServiceName>N/A</ServiceName><Region>N/A</Region>';
      return `${el('UserName', key.UserName)}<AccessKeyLastUsed>${used}</AccessKeyLastUsed>`;
    },
  };

  /**
   * GetCallerIdentity: a request signed with an access key this endpoint issued must carry a
   * valid signature made with its secret, and the key must be active; it then answers as the
   * key's user. Other keys (`test`, a 12-digit account id) keep the endpoint's usual identity.
   */
  const getCallerIdentity = (request: QueryRequest): string => {
    const { ctx } = request;
    const key = keys.get(ctx.accessKeyId);
    if (!key) {
      if (deletedKeyIds.has(ctx.accessKeyId)) throw invalidToken();
      return `${el('Arn', ctx.identityArn)}${el('UserId', ctx.accessKeyId)}${el('Account', ctx.accountId)}`;
    }
    if (key.Status !== 'Active') throw invalidToken();
    if (!request.signatureMatches(key.SecretAccessKey)) {
      throw new AwsError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
        403,
      );
    }
    key.LastUsed = { date: isoSeconds(ctx.now), service: 'sts', region: ctx.region };
    const user = getUser(key.Account, key.UserName);
    return `${el('Arn', user.Arn)}${el('UserId', user.UserId)}${el('Account', key.Account)}`;
  };

  return {
    targetPrefix: 'iam',
    jsonVersion: '1.1',
    querySigningServices: ['iam', 'sts'],
    // IAM checks per action (iam/authorization.ts).
    authorization: iamAuthorization({
      user: (ctx, name) => {
        if (name) return findUser(ctx.accountId, name);
        const key = keys.get(ctx.accessKeyId);
        return key && key.Account === ctx.accountId ? findUser(ctx.accountId, key.UserName) : undefined;
      },
    }),
    async handle(operation) {
      throw new AwsError(
        'UnknownOperationException',
        `IAM and STS speak the Query protocol here (form-encoded POST with Action=${operation}), not JSON.`,
      );
    },
    async query(request: QueryRequest): Promise<QueryAnswer> {
      if (request.signingService === 'sts') {
        if (request.action !== 'GetCallerIdentity') {
          throw new AwsError(
            'InvalidAction',
            `STS action ${request.action} is not served locally; GetCallerIdentity is.`,
          );
        }
        return { namespace: STS_NS, resultXml: getCallerIdentity(request) };
      }
      const run = Object.hasOwn(iam, request.action) ? iam[request.action] : undefined;
      if (!run) {
        throw new AwsError(
          'InvalidAction',
          `IAM action ${request.action} is not served locally; served: ${Object.keys(iam).sort().join(', ')}.`,
        );
      }
      // Read the clock once per request, as the JSON services do through the context.
      return {
        namespace: IAM_NS,
        resultXml: run(request.params, { ...request.ctx, now: options.clock.now() }),
      };
    },
    snapshot(): IamSnapshot {
      return {
        users: Object.fromEntries([...users].map(([account, map]) => [account, [...map.values()]])),
        keys: [...keys.values()],
        deleted: [...deletedKeyIds],
      };
    },
    restore(state) {
      const s = state as Partial<IamSnapshot>;
      users = new Map(
        Object.entries(s.users ?? {}).map(([account, list]) => [
          account,
          new Map(list.map((u) => [u.UserName.toLowerCase(), u])),
        ]),
      );
      keys = new Map((s.keys ?? []).map((k) => [k.AccessKeyId, k]));
      deletedKeyIds = new Set(s.deleted ?? []);
    },
  };
};
