import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type AwsClientClass, awsClient, resolveRegion } from '../functions/lib/aws.js';
import { closest, parseEndpoint } from './args.js';
import { UsageError } from './errors.js';
import { regionName } from './options.js';

/**
 * How every command picks what it talks to, the AWS CLI's way: `--endpoint-url`, else
 * AWS_ENDPOINT_URL, else AWS itself; `--region`, else AWS_REGION, else AWS_DEFAULT_REGION, else
 * the profile's `region` (`main` copies it into AWS_REGION), else us-east-1; credentials from the
 * SDK's default chain (`--profile` sets AWS_PROFILE, read from the shared config and credentials
 * files), or local ones against an endpoint when the environment has none.
 */
export interface Target {
  readonly region: string;
  /** The endpoint every call goes to; undefined for AWS itself. */
  readonly endpoint?: string;
  /**
   * Explicit credentials: the environment's keys (so a caller's `env`, not only `process.env`,
   * decides), or local ones against an endpoint without credentials or a profile in the
   * environment. Undefined: the SDK's default chain (a profile, SSO, an instance role, ...).
   */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The account a local endpoint will see (from a 12-digit access key id). */
  readonly accountId: string;
}

/** The account `rekey local` serves when the access key id is not 12 digits. */
export const LOCAL_ACCOUNT = '123456789012';

/** The access key id of the profile `applyProfile` chose, when its files hold one. */
let profileAccessKeyId: string | undefined;

/** `--endpoint-url`, else AWS_ENDPOINT_URL (both checked), else undefined: AWS itself. */
export const endpointFrom = (
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined => {
  if (flag !== undefined) return parseEndpoint(flag);
  const fromEnv = env.AWS_ENDPOINT_URL || undefined;
  return fromEnv === undefined ? undefined : parseEndpoint(fromEnv, 'AWS_ENDPOINT_URL');
};

/** `--region` (checked), else the standard configuration's Region (AWS_REGION, AWS_DEFAULT_REGION, us-east-1). */
export const regionFrom = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string =>
  flag === undefined ? resolveRegion(env) : regionName(flag);

/** The credentials a target passes explicitly; see {@link Target.credentials}. */
const credentialsFrom = (endpoint: string | undefined, env: NodeJS.ProcessEnv): Target['credentials'] => {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  // The local endpoint accepts any signature; without credentials in the environment the SDK
  // would look for a profile the user may not have. With a profile (--profile or AWS_PROFILE)
  // its credentials decide the account, as with AWS.
  if (endpoint !== undefined && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
    return { accessKeyId: LOCAL_ACCOUNT, secretAccessKey: 'local' };
  }
  return undefined;
};

/** The target of a command from its `--endpoint-url` and `--region` flags and the environment. */
export const resolveTarget = (
  flags: { endpointUrl?: string | undefined; region?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Target => {
  const endpoint = endpointFrom(flags.endpointUrl, env);
  // The key the SDK will sign with: the environment's, else the profile's (the account locally).
  const envKey = env.AWS_ACCESS_KEY_ID || (env.AWS_PROFILE ? profileAccessKeyId : undefined);
  const credentials = credentialsFrom(endpoint, env);
  return {
    region: regionFrom(flags.region, env),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials ? { credentials } : {}),
    accountId: envKey && /^\d{12}$/.test(envKey) ? envKey : LOCAL_ACCOUNT,
  };
};

/**
 * The SDK client of `Client` for this target, in `region` (default the target's), from the one
 * client factory (functions/lib/aws.ts: its retry policy, one client per Region and target).
 * Factory clients are shared: never `destroy()` one.
 */
export const clientFor = <C>(target: Target, Client: AwsClientClass<C>, region: string = target.region): C =>
  awsClient(Client, {
    region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  });

/** Profiles of an INI file: `[name]` (credentials) or `[profile name]` / `[default]` (config). */
const profilesIn = (path: string, config: boolean): Map<string, Record<string, string>> => {
  const out = new Map<string, Record<string, string>>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, '');
    const section = /^\[([^\]]+)\]$/.exec(line)?.[1]?.trim();
    if (section !== undefined) {
      const name = config && section !== 'default' ? /^profile\s+(.+)$/.exec(section)?.[1]?.trim() : section;
      current = undefined;
      if (name) {
        current = out.get(name) ?? {};
        out.set(name, current);
      }
      continue;
    }
    const kv = /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (current && kv?.[1] && kv[2] !== undefined) current[kv[1]] = kv[2];
  }
  return out;
};

/**
 * Applies `--profile` the way the AWS CLI does: AWS_PROFILE for the SDK's credential chain, and
 * the profile's Region when no Region is set in the environment. An unknown profile is a usage
 * error naming the files read and the closest profile name.
 */
export const applyProfile = (profile: string | undefined, env: NodeJS.ProcessEnv = process.env): void => {
  const name = profile ?? env.AWS_PROFILE;
  if (!name) return;
  const configPath = env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config');
  const credentialsPath = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
  const config = profilesIn(configPath, true);
  const credentials = profilesIn(credentialsPath, false);
  if (profile !== undefined && !config.has(name) && !credentials.has(name)) {
    const guess = closest(name, [...new Set([...config.keys(), ...credentials.keys()])]);
    throw new UsageError(
      `--profile ${name} is not in ${configPath} or ${credentialsPath}.${guess ? ` Did you mean --profile ${guess}?` : ''} ` +
        `Create it with: aws configure --profile ${name}`,
    );
  }
  env.AWS_PROFILE = name;
  profileAccessKeyId = credentials.get(name)?.aws_access_key_id ?? config.get(name)?.aws_access_key_id;
  const region = config.get(name)?.region;
  if (region && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) env.AWS_REGION = region;
};

/**
 * Why an endpoint cannot be reached (connection refused, unknown host, no answer in time), or
 * undefined when a TCP connection opens. Only a connection: nothing is sent.
 */
export const unreachable = async (endpoint: string, timeoutMs = 3000): Promise<string | undefined> => {
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code === 'ECONNREFUSED'
          ? 'connection refused'
          : error.code === 'ENOTFOUND'
            ? `unknown host ${host}`
            : (error.code ?? error.message),
      ),
    );
  });
};

/** The message for an endpoint that does not answer: its address, and how to start one. */
export const unreachableMessage = (endpoint: string, why: string, fromEnv: boolean): string => {
  const url = new URL(endpoint);
  const local = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return (
    `Cannot reach the endpoint ${endpoint} (${why})${fromEnv ? ', taken from AWS_ENDPOINT_URL' : ''}.\n` +
    (local ? `Start the local endpoint in another shell: npx rekey local --port ${port}\n` : '') +
    (fromEnv
      ? 'Or unset AWS_ENDPOINT_URL to use AWS itself.\n'
      : 'Or drop --endpoint-url to use AWS itself.\n')
  );
};
