import { UsageError } from './errors.js';

/** `--redis-for GROUP=URL`, repeated: group or ACL name → Redis URL (checked again by the endpoint). */
export const parseRedisFor = (entries: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const group = entry.slice(0, eq);
    const url = entry.slice(eq + 1);
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // reported below
    }
    if (
      eq < 1 ||
      !/^[a-zA-Z][a-zA-Z0-9-]*$/.test(group) ||
      (protocol !== 'redis:' && protocol !== 'rediss:')
    ) {
      throw new UsageError(
        `--redis-for takes GROUP=URL, a user group id or ACL name and a redis:// or rediss:// URL, e.g. --redis-for app-users=redis://127.0.0.1:6379; got ${eq < 1 ? 'no GROUP= part' : `'${group}' with that URL`} (the URL is not repeated: it may hold a password).`,
      );
    }
    if (Object.hasOwn(out, group)) throw new UsageError(`--redis-for names ${group} twice.`);
    out[group] = url;
  }
  return out;
};
