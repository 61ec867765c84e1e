/**
 * `rekey doctor --probe`: logs in to each database a secret names, with the credentials the
 * secret holds, the way an application would. Only a probe can say that AWSCURRENT works: a
 * rotation that failed in setSecret may already have changed the password, and a password
 * changed outside Secrets Manager leaves every label looking healthy.
 *
 * The connection code is the rotation function's own (the engine adapters and the secret
 * parser in functions/secret-rotation/rotators), so a probe connects exactly as a rotation
 * would: same TLS settings, same timeouts. Driver messages are redacted with the rotators'
 * `describeDriverError`; no secret value is kept or printed.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { messageOf } from '../../functions/lib/errors.js';
import { mapBounded } from '../../functions/lib/retry.js';
import { AWSCURRENT, AWSPENDING } from '../../functions/secret-fleet/assess.js';
import type { SecretSnapshot } from '../../functions/secret-fleet/types.js';
import { describeDriverError } from '../../functions/secret-rotation/rotators/database-errors.js';
import type { EngineAdapter } from '../../functions/secret-rotation/rotators/database-rotator.js';
import {
  DATABASE_ENGINES,
  type DatabaseSecret,
  type EngineFamily,
  parseDatabaseSecret,
} from '../../functions/secret-rotation/rotators/database-secret.js';
import { type RotationStrategy, strategyOf } from '../../functions/secret-rotation/rotators/index.js';
import { tryParseJsonObject } from '../../functions/secret-rotation/rotators/secret-format.js';

export const AWSPREVIOUS = 'AWSPREVIOUS';

/** How one login went. */
export type ProbeOutcome =
  /** Logged in and ran the engine's trivial query. */
  | 'ok'
  /** The server answered and refused (wrong password, TLS mismatch, missing user, ...). */
  | 'failed'
  /** The server could not be reached from here (refused, timed out, name unknown): nothing is known. */
  | 'unreachable';

/** One login with one version of a secret. Never holds the password. */
export interface Probe {
  readonly stage: string;
  readonly versionId: string;
  readonly username: string;
  /** `engine://host:port[/dbname]`. */
  readonly endpoint: string;
  readonly outcome: ProbeOutcome;
  /** The driver's code and redacted message, when not `ok`. */
  readonly error?: string;
}

/** The probes of one database secret. */
export interface SecretProbe {
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly strategy: RotationStrategy;
  readonly probes: readonly Probe[];
}

/** Errors that mean "no answer from the server": the credential was not tested. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNRESET',
]);

const unreachable = (code: string, message: string): boolean =>
  UNREACHABLE.has(code) ||
  [...UNREACHABLE].some((c) => message.includes(c)) ||
  /timeout|timed out/i.test(message);

const adapterFor = async (family: EngineFamily): Promise<EngineAdapter<unknown>> => {
  // Loaded on first use, like the rotators: a doctor run without database secrets loads no driver.
  if (family === 'postgres')
    return (await import('../../functions/secret-rotation/rotators/postgres.js'))
      .postgresAdapter as EngineAdapter<unknown>;
  if (family === 'mysql')
    return (await import('../../functions/secret-rotation/rotators/mysql.js'))
      .mysqlAdapter as EngineAdapter<unknown>;
  return (await import('../../functions/secret-rotation/rotators/redis.js'))
    .redisAdapter as EngineAdapter<unknown>;
};

const endpointOf = (s: DatabaseSecret): string =>
  `${s.engine}://${s.host}:${s.port}${s.dbname === undefined ? '' : `/${s.dbname}`}`;

/** Logs in with one parsed version, runs the trivial query, closes. */
export const login = async (secret: DatabaseSecret): Promise<{ outcome: ProbeOutcome; error?: string }> => {
  const adapter = await adapterFor(secret.family);
  let session: unknown;
  try {
    session = await adapter.open(secret);
    await adapter.ping(session);
    return { outcome: 'ok' };
  } catch (error) {
    const { code, message } = describeDriverError(error, [secret.password]);
    return { outcome: unreachable(code, message) ? 'unreachable' : 'failed', error: `${code}: ${message}` };
  } finally {
    if (session !== undefined) await adapter.close(session).catch(() => undefined);
  }
};

const versionWith = (stages: Record<string, string[]>, stage: string): string | undefined =>
  Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];

/** The SecretString of one version, or undefined when it has none (or is gone). */
const secretStringOf = async (sm: SecretsManagerClient, arn: string, versionId: string) => {
  try {
    const { SecretString } = await sm.send(
      new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }),
    );
    return SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
};

/**
 * Probes one secret when it is a database secret (a JSON object whose `engine` a rotator
 * serves); undefined otherwise. Logs in with AWSCURRENT; with AWSPREVIOUS too for alternating
 * users (applications may still hold it until the next rotation); and, when AWSCURRENT fails,
 * with AWSPENDING and AWSPREVIOUS to find a version the database does accept.
 */
export const probeSecret = async (
  sm: SecretsManagerClient,
  region: string,
  snapshot: SecretSnapshot,
  notes: string[],
): Promise<SecretProbe | undefined> => {
  const currentId = versionWith(snapshot.versionStages, AWSCURRENT);
  if (!currentId) return undefined;
  const currentText = await secretStringOf(sm, snapshot.arn, currentId);
  const raw = currentText === undefined ? undefined : tryParseJsonObject(currentText);
  const engine = typeof raw?.engine === 'string' ? raw.engine.trim().toLowerCase() : undefined;
  if (!raw || !engine || !Object.hasOwn(DATABASE_ENGINES, engine)) return undefined;
  let current: DatabaseSecret;
  try {
    current = parseDatabaseSecret(currentText ?? '', `the AWSCURRENT version of ${snapshot.name}`);
  } catch (error) {
    notes.push(`Not probed: ${messageOf(error)}`);
    return undefined;
  }
  const described = await sm.send(new DescribeSecretCommand({ SecretId: snapshot.arn }));
  const tags = Object.fromEntries((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  let strategy: RotationStrategy;
  try {
    strategy = strategyOf(tags, raw);
  } catch {
    strategy = 'single-user';
  }

  const probes: Probe[] = [];
  const probe = async (stage: string, versionId: string, secret: DatabaseSecret) => {
    const result = await login(secret);
    const entry: Probe = {
      stage,
      versionId,
      username: secret.username,
      endpoint: endpointOf(secret),
      outcome: result.outcome,
      ...(result.error ? { error: result.error } : {}),
    };
    probes.push(entry);
    return entry;
  };
  const other = async (stage: string) => {
    const id = versionWith(snapshot.versionStages, stage);
    if (!id || id === currentId) return undefined;
    const text = await secretStringOf(sm, snapshot.arn, id);
    if (text === undefined) return undefined;
    try {
      const parsed = parseDatabaseSecret(text, `the ${stage} version of ${snapshot.name}`, current.family);
      // Only versions for the same server: a probe never logs in anywhere AWSCURRENT does not point.
      if (endpointOf(parsed) !== endpointOf(current)) return undefined;
      return { id, parsed };
    } catch {
      return undefined;
    }
  };

  const first = await probe(AWSCURRENT, currentId, current);
  if (first.outcome === 'unreachable') {
    notes.push(
      `Could not reach ${first.endpoint} from here to probe ${snapshot.name} (${first.error}); its credentials were not checked.`,
    );
  } else if (first.outcome === 'failed') {
    for (const stage of [AWSPENDING, AWSPREVIOUS]) {
      const version = await other(stage);
      if (version) await probe(stage, version.id, version.parsed);
    }
  } else if (strategy === 'alternating-users') {
    const previous = await other(AWSPREVIOUS);
    if (previous) await probe(AWSPREVIOUS, previous.id, previous.parsed);
  }
  return { region, name: snapshot.name, arn: snapshot.arn, strategy, probes };
};

/** Probes every database secret of a list, five at a time. */
export const probeSecrets = async (
  sm: SecretsManagerClient,
  region: string,
  secrets: readonly SecretSnapshot[],
  notes: string[],
): Promise<SecretProbe[]> => {
  const results = await mapBounded([...secrets], 5, (s) =>
    probeSecret(sm, region, s, notes).catch((error: unknown) => {
      notes.push(`Could not probe ${s.name}: ${messageOf(error)}`);
      return undefined;
    }),
  );
  return results.filter((r): r is SecretProbe => r !== undefined);
};
