import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { DatabaseStateError } from './database-errors.js';
import {
  CONNECT_TIMEOUT_MS,
  type ConnectTarget,
  createDatabaseRotator,
  type EngineAdapter,
  STATEMENT_TIMEOUT_MS,
} from './database-rotator.js';
import type { DatabaseRotatorFactory } from './index.js';
import { nodeTlsOptions } from './tls.js';

/**
 * Redis and Valkey ACL users (`redis`). Single user: `ACL SETUSER user >new` adds the new
 * password and keeps the old one, so clients holding it keep working until finishSecret
 * removes it (by its SHA-256, so the old password is not sent again). Alternating users: the
 * superuser makes `user_clone` with the user's rules (commands, keys, channels, selectors).
 *
 * Every value travels as its own RESP argument, so no quoting is involved and no password or
 * user name can be read as another rule.
 */

/** A client for one login, with a single connection attempt and the shared timeouts. */
const makeClient = (target: ConnectTarget) => {
  const tls = nodeTlsOptions(target.tls, target.host);
  return createClient({
    socket: {
      host: target.host,
      port: target.port,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // One attempt: a rotation step reports a refused connection instead of retrying forever.
      reconnectStrategy: false,
      ...(tls === undefined ? {} : { tls: true as const, ...tls }),
    },
    username: target.username,
    password: target.password,
    // CLIENT SETINFO needs a permission ordinary ACL users often lack.
    disableClientInfo: true,
  });
};

type Client = ReturnType<typeof makeClient>;

const command = async (client: Client, args: string[]): Promise<unknown> =>
  client.sendCommand(args, { timeout: STATEMENT_TIMEOUT_MS });

const asMap = (value: unknown): Map<string, unknown> => {
  if (value instanceof Map) return new Map([...value.entries()].map(([k, v]) => [String(k), v]));
  const map = new Map<string, unknown>();
  if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) map.set(String(value[i]), value[i + 1]);
  } else if (typeof value === 'object' && value !== null) {
    // node-redis turns RESP2 maps into plain objects.
    for (const [key, item] of Object.entries(value)) map.set(key, item);
  }
  return map;
};

/** ACL GETUSER as a map, or `undefined` when the user does not exist. Works for RESP2 (flat array) and RESP3 (map). */
const getUser = async (client: Client, username: string): Promise<Map<string, unknown> | undefined> => {
  const reply = await command(client, ['ACL', 'GETUSER', username]);
  if (reply === null || reply === undefined) return undefined;
  return asMap(reply);
};

const words = (value: unknown, prefix: string): string[] => {
  // Redis 7 returns rules as one string ("~app:* %R~x"); Redis 6 returned bare patterns in an array.
  if (Array.isArray(value)) return value.map((item) => `${prefix}${String(item)}`);
  if (value === undefined || value === null) return [];
  return String(value)
    .split(' ')
    .filter((word) => word !== '');
};

/** Flags ACL GETUSER reports that are also ACL SETUSER rules; `nopass` is left out on purpose. */
const FLAG_RULES: Readonly<Record<string, string>> = {
  on: 'on',
  off: 'off',
  'skip-sanitize-payload': 'skip-sanitize-payload',
  'sanitize-payload': 'sanitize-payload',
  // Redis 6 reported these as flags.
  allkeys: '~*',
  allchannels: '&*',
  allcommands: '+@all',
};

/** The ACL SETUSER rules that give another user the same rights as the one `user` describes. */
export const rulesOf = (user: Map<string, unknown>): string[] => {
  const rules: string[] = [];
  for (const flag of words(user.get('flags'), '')) {
    const rule = FLAG_RULES[flag];
    if (rule !== undefined) rules.push(rule);
  }
  rules.push(
    ...words(user.get('commands'), ''),
    ...words(user.get('keys'), '~'),
    ...words(user.get('channels'), '&'),
  );
  const selectors = user.get('selectors');
  if (Array.isArray(selectors)) {
    for (const selector of selectors) {
      const map = asMap(selector);
      const inner = [
        ...words(map.get('commands'), ''),
        ...words(map.get('keys'), '~'),
        ...words(map.get('channels'), '&'),
      ];
      if (inner.length > 0) rules.push(`(${inner.join(' ')})`);
    }
  }
  return rules;
};

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The Redis/Valkey half of the database rotators, over node-redis. */
export const redisAdapter: EngineAdapter<Client> = {
  family: 'redis',

  async open(target: ConnectTarget) {
    const client = makeClient(target);
    // Unhandled, an 'error' event would crash the function; the pending call reports it.
    client.on('error', () => undefined);
    // node-redis bounds the TCP connect only; a server that accepts and never answers the
    // handshake (HELLO/AUTH) would hold the step until the function times out.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            Object.assign(
              new Error(
                `connection timeout: the server did not answer the handshake within ${CONNECT_TIMEOUT_MS} ms`,
              ),
              { code: 'ETIMEDOUT' },
            ),
          ),
        CONNECT_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([client.connect(), timeout]);
    } catch (error) {
      client.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return client;
  },

  async close(client) {
    if (client.isOpen) await client.close();
  },

  async ping(client) {
    await command(client, ['PING']);
  },

  async sessionUser(client) {
    try {
      return String(await command(client, ['ACL', 'WHOAMI']));
    } catch (error) {
      // Users without ACL WHOAMI: Redis authenticates exactly the name sent (AUTH never falls
      // back to another user), so the session is the user the client logged in as.
      if (!/NOPERM/.test(String((error as Error).message))) throw error;
      return String(client.options?.username ?? '');
    }
  },

  async restorePassword(client, { username, failed }) {
    // The change added the new password beside the old one: removing it restores the old state.
    await command(client, ['ACL', 'SETUSER', username, `<${failed}`]);
  },

  async changeOwnPassword(client, { username, newPassword }) {
    // Adds the new password; the old one keeps working until finishSecret removes it.
    await command(client, ['ACL', 'SETUSER', username, `>${newPassword}`]);
  },

  async setPasswordAsAdmin(client, { username, newPassword }) {
    if ((await getUser(client, username)) === undefined) {
      throw new DatabaseStateError(`Redis ACL user ${JSON.stringify(username)} does not exist.`);
    }
    await command(client, ['ACL', 'SETUSER', username, `>${newPassword}`]);
  },

  async describeAccount() {
    return {};
  },

  async ensureAlternateUser(client, { template, target, password }) {
    const user = await getUser(client, template);
    if (user === undefined) {
      throw new DatabaseStateError(
        `Redis ACL user ${JSON.stringify(template)}, whose rules the alternate user copies, does not exist.`,
      );
    }
    if (target === template) {
      // The user's password from two rotations ago stops working; its rules stay as they are.
      await command(client, ['ACL', 'SETUSER', target, 'resetpass', `>${password}`]);
      return;
    }
    // One ACL SETUSER is all-or-nothing, so the clone never exists with half its rules; `reset`
    // first also brings an existing clone back in line with the user's current rules.
    await command(client, ['ACL', 'SETUSER', target, 'reset', ...rulesOf(user), 'resetpass', `>${password}`]);
  },

  async retireOldPassword(client, { username, oldPassword }) {
    const user = await getUser(client, username);
    const hash = sha256(oldPassword);
    const passwords = words(user?.get('passwords'), '');
    // Already removed (a finishSecret that ran before): nothing to do.
    if (!passwords.includes(hash)) return;
    await command(client, ['ACL', 'SETUSER', username, `!${hash}`]);
  },
};

/** The registry's factory: Redis ACL user rotation with the strategy it chose. */
export const createRedisRotator: DatabaseRotatorFactory = (options) =>
  createDatabaseRotator(redisAdapter, options);
