/**
 * Soak: do applications notice database rotations? 20 clients, each in a loop, fetch AWSCURRENT
 * from Secrets Manager, open a new connection with it and run a query, while 100 rotations of
 * the same secret run back to back through the local endpoint and the real rotation function.
 * Real servers: a private PostgreSQL cluster with password authentication (the stock server
 * trusts every login, so nothing could fail there) and the MariaDB server.
 *
 * A client whose first try fails re-fetches AWSCURRENT once and tries again, as the AWS
 * guidance for rotated credentials says an application should; both counts are reported.
 *
 * Alternating users: the goal is 0 failed first tries (AWSCURRENT always names a user whose
 * password the server has). Single user: the password changes in setSecret while AWSCURRENT
 * still holds the old one until finishSecret, so some first tries can fail; the question is
 * whether one re-fetch recovers.
 *
 * Not a timed test: run with `npm run bench:soak` (or `npx tsx bench/soak.ts`); writes
 * bench/results/soak.json and the soak section of bench/RESULTS.md.
 */

import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createRotationInspector, type RotationInspector } from '../cli/report/rotation-failure.js';
import type { LocalEndpoint } from '../local/endpoint.js';
import type { RotationCase } from './secret-rotation.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROTATION_FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`;

export interface SoakOptions {
  clients: number;
  rotations: number;
  /** Pause between a client's iterations (keeps 2 cores responsive). */
  clientPauseMs: number;
}

export const SOAK_DEFAULTS: SoakOptions = { clients: 20, rotations: 100, clientPauseMs: 10 };

export interface SoakResult {
  case: string;
  clients: number;
  rotations: { started: number; finished: number; failed: number; msMedian: number };
  queries: {
    /** Iterations: fetch AWSCURRENT, connect, query. */
    total: number;
    /** Iterations that worked at the first try. */
    ok: number;
    /** First tries that failed (connect or query). */
    failedFirstTries: number;
    /** Of those, how many worked after re-fetching AWSCURRENT once. */
    recoveredAfterRefetch: number;
    /** Failed even after the re-fetch: an application would have seen an error. */
    failedAfterRefetch: number;
  };
  /** Distinct error codes of failed first tries, with counts (never a value). */
  errors: Record<string, number>;
  seconds: number;
}

interface Credentials {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname?: string;
}

/** One application query: a new connection with these credentials, `SELECT 1`, close. */
const query = async (engine: 'postgres' | 'mariadb', c: Credentials): Promise<void> => {
  if (engine === 'postgres') {
    const client = new pg.Client({
      host: c.host,
      port: c.port,
      user: c.username,
      password: c.password,
      database: c.dbname ?? 'postgres',
      ssl: false,
      connectionTimeoutMillis: 5000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
    return;
  }
  const connection = await mysql.createConnection({
    host: c.host,
    port: c.port,
    user: c.username,
    password: c.password,
    connectTimeout: 5000,
  });
  try {
    await connection.query('SELECT 1');
  } finally {
    await connection.end().catch(() => undefined);
  }
};

const codeOf = (error: unknown): string => {
  const e = error as { code?: unknown; errno?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.errno === 'number') return String(e.errno);
  return error instanceof Error ? error.name : 'Error';
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  const value = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.round(value * 10) / 10;
};

/**
 * Waits for a rotation as one would against AWS (RotateSecret answers before the steps may have
 * run): until the token is AWSCURRENT, or the rotation function reported a failed step (the
 * CLI's own inspector, which reads the endpoint's rotation log); at most 60 s.
 */
const waitForRotation = async (
  sm: SecretsManagerClient,
  inspector: RotationInspector,
  arn: string,
  token: string,
  startedAt: Date,
): Promise<boolean> => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const stages = (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
    if (stages[token]?.includes('AWSCURRENT')) return true;
    if (await inspector.failureOf({ secretArn: arn, token, lambdaArn: ROTATION_FUNCTION, startedAt }))
      return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
};

/** Runs one soak: `options.clients` clients against `options.rotations` back-to-back rotations. */
export const soak = async (
  endpoint: LocalEndpoint,
  testCase: RotationCase,
  options: SoakOptions = SOAK_DEFAULTS,
): Promise<SoakResult> => {
  const config = {
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
  };
  const sm = new SecretsManagerClient(config);
  const engine = testCase.name.startsWith('postgres') ? 'postgres' : 'mariadb';
  const { ARN } = await sm.send(
    new CreateSecretCommand({
      Name: `bench/soak-${testCase.name.replaceAll(' ', '-')}-${Date.now()}`,
      SecretString: await testCase.secretString(sm),
    }),
  );
  const arn = ARN ?? '';
  // Turn rotation on without rotating yet (the first rotation is the loop's).
  await sm.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: ROTATION_FUNCTION,
      RotationRules: { AutomaticallyAfterDays: 30 },
      RotateImmediately: false,
    }),
  );
  const inspector = createRotationInspector({
    region: REGION,
    endpoint: endpoint.url,
    accountId: ACCOUNT,
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
  });
  const fetchCurrent = async (): Promise<Credentials> => {
    const { SecretString } = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    return JSON.parse(SecretString ?? '{}') as Credentials;
  };

  const queries = { total: 0, ok: 0, failedFirstTries: 0, recoveredAfterRefetch: 0, failedAfterRefetch: 0 };
  const errors: Record<string, number> = {};
  let running = true;
  const client = async () => {
    while (running) {
      queries.total++;
      try {
        await query(engine, await fetchCurrent());
        queries.ok++;
      } catch (error) {
        queries.failedFirstTries++;
        const code = codeOf(error);
        errors[code] = (errors[code] ?? 0) + 1;
        try {
          await query(engine, await fetchCurrent());
          queries.recoveredAfterRefetch++;
        } catch {
          queries.failedAfterRefetch++;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, options.clientPauseMs));
    }
  };

  const started = performance.now();
  const clients = Array.from({ length: options.clients }, client);
  const durations: number[] = [];
  let finished = 0;
  let failed = 0;
  for (let i = 0; i < options.rotations; i++) {
    const token = crypto.randomUUID();
    const t0 = performance.now();
    const startedAt = new Date();
    await sm.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
    if (await waitForRotation(sm, inspector, arn, token, startedAt)) finished++;
    else {
      failed++;
      // A failed rotation leaves AWSPENDING: the next RotateSecret would be refused. Stop here
      // and report it rather than measure a secret that no longer rotates.
      break;
    }
    durations.push(performance.now() - t0);
  }
  running = false;
  await Promise.all(clients);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  await sm.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }));
  sm.destroy();
  return {
    case: testCase.name,
    clients: options.clients,
    rotations: { started: finished + failed, finished, failed, msMedian: median(durations) },
    queries,
    errors,
    seconds,
  };
};

/** The soak section of bench/RESULTS.md, from the results `soak.ts` wrote. */
export const soakSection = (results: { date: string; soak: SoakResult[] }): string => {
  const rows = results.soak
    .map(
      (r) =>
        `| ${r.case} | ${r.rotations.finished}/${r.rotations.started} | ${r.rotations.msMedian} | ${r.queries.total} | ${r.queries.failedFirstTries} | ${r.queries.recoveredAfterRefetch} | ${r.queries.failedAfterRefetch} | ${
          Object.entries(r.errors)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || '-'
        } | ${r.seconds} |`,
    )
    .join('\n');
  return `## Soak: ${results.soak[0]?.clients ?? 20} clients querying while 100 rotations run back to back

Written by \`npm run bench:soak\` on ${results.date}. Raw numbers: \`results/soak.json\`.
Each client loops: GetSecretValue (AWSCURRENT), a new connection with it, \`SELECT 1\`; a failed
first try re-fetches AWSCURRENT once and tries again. Goal: 0 failed first tries for alternating
users; for single user, every failed first try recovered by one re-fetch.

| secret | rotations finished | ms per rotation (median) | queries | failed first tries | recovered after one re-fetch | failed after re-fetch | first-try errors | seconds |
|---|---|---|---|---|---|---|---|---|
${rows}

Why single user fails: from setSecret on, the server accepts only the new password, while
AWSCURRENT names the old one until finishSecret moves the label, so a client that fetches in
that window is refused, and a re-fetch helps only once finishSecret has run. Here rotations run
back to back, so the window is open most of the time; on a schedule it is open once per rotation,
for about the time between setSecret and finishSecret. Alternating users never open that window:
AWSCURRENT always names a user whose password the server has. Use alternating users (or a client
that retries with a short back-off) where a refused login matters.
`;
};
