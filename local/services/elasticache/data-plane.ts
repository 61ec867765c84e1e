import { createClient } from 'redis';
import { AwsError } from '../../aws-error.js';

/**
 * The real data plane behind the local ElastiCache and MemoryDB: `rekey local --redis-for
 * GROUP=redis://127.0.0.1:6379` attaches an ElastiCache user group or a MemoryDB ACL named GROUP
 * to a real Redis (or Valkey) server, and each change to a user of that group is applied there
 * with `ACL SETUSER` / `ACL DELUSER`, as the services do on their clusters. So a rotation is
 * proved against a real server: the new password logs in, the old one stops at finishSecret.
 *
 * The URL's own user (default: `default`) must be allowed `ACL`, and should not be a user the
 * group manages, or a change to that user can lock the endpoint out.
 */

export interface RedisDataPlane {
  /** The group or ACL names that have a server attached. */
  readonly attached: readonly string[];
  /** Runs `commands` (RESP arguments) on the servers of those of `groups` that have one. */
  apply(groups: readonly string[], commands: readonly string[][]): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5_000;

/** host:port of a URL, for messages: never its user or password. */
const where = (url: string): string => {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(an invalid URL)';
  }
};

/** Checks a `--redis-for` map: names as the services allow them, URLs redis:// or rediss://. */
export const checkRedisFor = (redisFor: Readonly<Record<string, string>>): void => {
  for (const [group, url] of Object.entries(redisFor)) {
    if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(group)) {
      throw new Error(
        `--redis-for ${group}=...: GROUP must be a user group id or ACL name (a letter, then letters, digits and hyphens).`,
      );
    }
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw new Error(
        `--redis-for ${group}=...: the server must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379.`,
      );
    }
  }
};

export const createRedisDataPlane = (redisFor: Readonly<Record<string, string>> = {}): RedisDataPlane => {
  checkRedisFor(redisFor);
  const byGroup = new Map(Object.entries(redisFor));
  // One change at a time per server, in request order, as a cluster applies them.
  const queues = new Map<string, Promise<void>>();

  const run = async (url: string, commands: readonly string[][]): Promise<void> => {
    const client = createClient({
      url,
      socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
      disableClientInfo: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (const command of commands) await client.sendCommand([...command]);
    } catch (error) {
      // The driver's message may quote a command, and commands carry passwords: name the step only.
      const code = error instanceof Error ? (/^([A-Z]+)\s/.exec(error.message)?.[1] ?? error.name) : 'Error';
      throw new AwsError(
        'InternalFailure',
        `The local endpoint could not apply a user change to the Redis server attached with --redis-for at ${where(url)} (${code}). Check that it runs and that the URL's user may run ACL commands.`,
        500,
      );
    } finally {
      if (client.isOpen) await client.close();
      else client.destroy();
    }
  };

  return {
    attached: [...byGroup.keys()],
    async apply(groups, commands) {
      const urls = new Set(groups.map((g) => byGroup.get(g)).filter((u): u is string => u !== undefined));
      for (const url of urls) {
        const previous = queues.get(url) ?? Promise.resolve();
        const next = previous.catch(() => undefined).then(() => run(url, commands));
        queues.set(url, next);
        await next;
      }
    },
  };
};
