/**
 * `rekey doctor --probe` against real servers (a private PostgreSQL cluster with password
 * authentication, the MariaDB and Redis servers) through the local endpoint: it logs in with
 * each database secret the way an application does, reports the ones that do not work, and
 * every fix it prints converges: each test applies the printed fix (AWS commands with the AWS
 * CLI itself, pointed at the endpoint) and shows that the doctor then reports the secret healthy.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run as doctorRun } from '../../../cli/doctor.js';
import { main } from '../../../cli/main.js';
import type { DoctorReport } from '../../../cli/report/diagnose.js';
import { logger } from '../../../functions/lib/logger.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import { captureIo } from '../../helpers/cli-io.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import {
  freePort,
  MYSQL,
  mysqlAdmin,
  mysqlDropUsers,
  type PrivatePostgres,
  pgDropRoles,
  REDIS,
  randomSuffix,
  redisAdmin,
  startPrivatePostgres,
} from '../helpers/databases.js';

const exec = promisify(execFile);
const REGION = 'us-east-1';

let endpoint: TestEndpoint;
let server: PrivatePostgres;
let pgAdmin: pg.Client;
let myAdmin: mysql.Connection;
let account: string;
let sm: SecretsManagerClient;
let env: NodeJS.ProcessEnv;
const roles: string[] = [];
const mysqlUsers: string[] = [];
const redisUsers: string[] = [];
/** Every password the tests made: none may appear in any output. */
const passwords: string[] = [];

const password = () => {
  const value = `pw-${randomBytes(12).toString('hex')}`;
  passwords.push(value);
  return value;
};

beforeAll(async () => {
  logger.setLogLevel('WARN');
  [endpoint, server, myAdmin] = await Promise.all([
    startTestEndpoint({ defaultFunctions: true }),
    startPrivatePostgres(),
    mysqlAdmin(),
  ]);
  pgAdmin = await server.admin();
});

// A fresh account per test: the doctor reports on every secret of the account it is given.
beforeEach(() => {
  account = String(randomInt(100_000_000_000, 999_999_999_999));
  env = {
    AWS_ACCESS_KEY_ID: account,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: REGION,
  };
  sm = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: account, secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  await pgDropRoles(pgAdmin, roles).catch(() => undefined);
  await pgAdmin?.end();
  await mysqlDropUsers(myAdmin, mysqlUsers).catch(() => undefined);
  await myAdmin?.end();
  if (redisUsers.length > 0) {
    const redis = await redisAdmin();
    for (const user of redisUsers) await redis.sendCommand(['ACL', 'DELUSER', user]);
    await redis.close();
  }
  await server?.stop();
  await endpoint?.close();
});

const doctor = async (extra: string[] = []) => {
  const io = captureIo();
  const code = await doctorRun(['--probe', '--output', 'json', ...extra], io.io, env);
  const text = io.stdout + io.stderr;
  const leaked = passwords.filter((p) => text.includes(p));
  expect(leaked.length, `${leaked.length} password(s) printed by rekey doctor`).toBe(0);
  return { code, report: JSON.parse(io.stdout) as DoctorReport };
};

/** Runs a printed `aws ...` command with the AWS CLI, pointed at the local endpoint. */
const awsCli = async (command: string): Promise<string> => {
  expect(command.startsWith('aws ')).toBe(true);
  // The printed commands quote only what needs it; these hold ARNs and ids, never spaces.
  const args = command.split(' ').slice(1);
  const { stdout } = await exec('aws', [...args, '--endpoint-url', endpoint.url], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: account,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: REGION,
    },
  });
  return stdout;
};

const createSecret = async (
  name: string,
  value: Record<string, unknown>,
  tags: Record<string, string> = {},
) =>
  (
    await sm.send(
      new CreateSecretCommand({
        Name: `${name}-${randomSuffix()}`,
        SecretString: JSON.stringify(value),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    )
  ).ARN ?? '';

const pgUser = async (pw: string) => {
  const user = `probe_${randomSuffix()}`;
  roles.push(user, `${user}_clone`);
  await pgAdmin.query(`CREATE ROLE ${pg.escapeIdentifier(user)} LOGIN PASSWORD ${pg.escapeLiteral(pw)}`);
  return user;
};

const pgSecret = (username: string, pw: string, extra: Record<string, unknown> = {}) => ({
  engine: 'postgres',
  host: server.host,
  port: server.port,
  username,
  password: pw,
  dbname: 'postgres',
  ssl: false,
  ...extra,
});

const problemsOf = (report: DoctorReport, arn: string) =>
  report.problems.filter((p) => p.resourceArn === arn);

describe('rekey doctor --probe: PostgreSQL', () => {
  it('reports a working secret as logging in, and nothing as a problem', async () => {
    const pw = password();
    const user = await pgUser(pw);
    const arn = await createSecret('probe-ok', pgSecret(user, pw));

    const { code, report } = await doctor();

    expect(code).toBe(0);
    expect(report.problems).toEqual([]);
    expect(report.probes).toEqual([
      expect.objectContaining({
        arn,
        strategy: 'single-user',
        probes: [expect.objectContaining({ stage: 'AWSCURRENT', username: user, outcome: 'ok' })],
      }),
    ]);
    // The table says so in words, and only because the probe showed it.
    const io = captureIo();
    await doctorRun(['--probe'], io.io, env);
    expect(io.stdout).toContain('AWSCURRENT logs in as');
  });

  it('AWSCURRENT that does not log in while another version does: moving AWSCURRENT back converges', async () => {
    // Prepare: someone put a value the server never heard of as AWSCURRENT.
    const pw = password();
    const user = await pgUser(pw);
    const arn = await createSecret('probe-moved', pgSecret(user, pw));
    await sm.send(
      new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(pgSecret(user, password())) }),
    );

    // Act
    const { code, report } = await doctor();

    // Assess
    expect(code).toBe(3);
    const [problem] = problemsOf(report, arn);
    expect(problem?.kind).toBe('current-login-failed');
    expect(problem?.description).toContain('28P01');
    expect(problem?.fix).toHaveLength(1);

    // Apply the printed fix as printed; the doctor then finds the secret healthy.
    await awsCli(problem?.fix[0] ?? '');
    const after = await doctor();
    expect(problemsOf(after.report, arn)).toEqual([]);
    expect(after.report.probes?.find((p) => p.arn === arn)?.probes[0]?.outcome).toBe('ok');
    expect(after.code).toBe(0);
  });

  it("no version logs in (password changed on the server): setting AWSCURRENT's password converges", async () => {
    const pw = password();
    const user = await pgUser(pw);
    const arn = await createSecret('probe-reset', pgSecret(user, pw));
    await pgAdmin.query(`ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(password())}`);

    const { code, report } = await doctor();

    expect(code).toBe(3);
    const [problem] = problemsOf(report, arn);
    expect(problem?.kind).toBe('current-login-failed');
    expect(problem?.description).toContain('No version of the secret logs in');

    // The fix: the administrator reads AWSCURRENT (first command) and sets that password.
    const value = JSON.parse(await awsCli(problem?.fix[0] ?? '')) as { password: string };
    await pgAdmin.query(
      `ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(value.password)}`,
    );
    expect(problem?.fix[1]).toBe(`rekey doctor --probe --region ${REGION}`);
    const after = await doctor();
    expect(problemsOf(after.report, arn)).toEqual([]);
    expect(after.code).toBe(0);
  });

  it('alternating users whose AWSPREVIOUS no longer logs in: rotating again converges', async () => {
    const superuser = await createSecret(
      'probe-master',
      {
        engine: 'postgres',
        host: server.host,
        port: server.port,
        username: 'postgres',
        password: server.superuserPassword,
        dbname: 'postgres',
        ssl: false,
      },
      // The deployed rotation role reads a superuser secret only when it carries this tag.
      { 'rekey:superuser': 'true' },
    );
    const pw = password();
    const user = await pgUser(pw);
    const arn = await createSecret('probe-alt', pgSecret(user, pw, { masterarn: superuser }));
    await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${account}:function:rekey-secret-rotation`,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    // Wait as against AWS: RotateSecret may answer before the steps ran.
    await expect
      .poll(async () => (await doctor()).report.probes?.find((p) => p.arn === arn)?.probes.length, {
        timeout: 30_000,
      })
      .toBe(2);
    // AWSPREVIOUS is the original user now; its password changes behind the secret's back.
    await pgAdmin.query(`ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(password())}`);

    const { code, report } = await doctor();

    expect(code).toBe(3);
    const [problem] = problemsOf(report, arn);
    expect(problem?.kind).toBe('previous-login-failed');
    expect(problem?.fix).toEqual([
      expect.stringMatching(/^rekey rotate-secret \S+ --region us-east-1 --wait$/),
    ]);

    // Apply the printed fix through the rekey command itself.
    const argv = (problem?.fix[0] ?? '').split(' ').slice(1);
    const previousEnv = { ...process.env };
    Object.assign(process.env, env);
    const write = process.stdout.write;
    try {
      process.stdout.write = () => true;
      expect(await main([...argv, '--endpoint-url', endpoint.url])).toBe(0);
    } finally {
      process.stdout.write = write;
      for (const key of Object.keys(env)) {
        if (previousEnv[key] === undefined) delete process.env[key];
        else process.env[key] = previousEnv[key];
      }
    }
    const after = await doctor();
    expect(problemsOf(after.report, arn)).toEqual([]);
    expect(after.report.probes?.find((p) => p.arn === arn)?.probes.map((p) => [p.stage, p.outcome])).toEqual([
      ['AWSCURRENT', 'ok'],
      ['AWSPREVIOUS', 'ok'],
    ]);
    expect(after.code).toBe(0);
  });

  it('says AWSCURRENT still works after a failed rotation only because the probe logged in with it', async () => {
    // Prepare: the real rotation function, made to fail in setSecret before it changes anything.
    const handler = createHandler({
      secretsManager: new SecretsManagerClient({
        endpoint: endpoint.url,
        region: REGION,
        credentials: { accessKeyId: account, secretAccessKey: 'local' },
      }),
    });
    const functionName = `probe-fails-in-set-${account}`;
    endpoint.lambdas.register(functionName, async (payload) => {
      if ((payload as { Step?: string }).Step === 'setSecret')
        throw new Error('setSecret failed before any change');
      await handler(payload);
      return null;
    });
    const pw = password();
    const user = await pgUser(pw);
    const arn = await createSecret('probe-failed-rotation', pgSecret(user, pw));
    await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${account}:function:${functionName}`,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    // Wait as against AWS, until the failure is known.
    await expect
      .poll(async () => problemsOf((await doctor()).report, arn).map((p) => p.kind), { timeout: 30_000 })
      .toEqual(['failed-rotation']);

    const withProbe = problemsOf((await doctor()).report, arn)[0];
    const io = captureIo();
    await doctorRun(['--output', 'json'], io.io, env);
    const withoutProbe = problemsOf(JSON.parse(io.stdout) as DoctorReport, arn)[0];

    expect(withProbe?.description).toContain('failed in setSecret');
    expect(withProbe?.description).toContain(
      'The probe logged in with AWSCURRENT: applications that fetch it work meanwhile.',
    );
    expect(withoutProbe?.kind).toBe('failed-rotation');
    expect(withoutProbe?.description).not.toMatch(/work meanwhile|keep working/);
  });

  it('does not claim anything about a server it cannot reach: a note, not a verdict', async () => {
    const port = await freePort();
    const arn = await createSecret('probe-unreachable', { ...pgSecret('nobody', password()), port });

    const { code, report } = await doctor();

    expect(problemsOf(report, arn)).toEqual([]);
    expect(report.probes?.find((p) => p.arn === arn)?.probes[0]?.outcome).toBe('unreachable');
    expect(report.notes.join('\n')).toMatch(
      /Could not reach postgres:\/\/127\.0\.0\.1:\d+\/postgres from here/,
    );
    expect(code).toBe(0);
  });
});

describe('rekey doctor --probe: MariaDB and Redis', () => {
  it("MariaDB: a password changed on the server is found, and setting AWSCURRENT's password converges", async () => {
    const user = `probe_${randomSuffix()}`;
    mysqlUsers.push(user, `${user}_clone`);
    const pw = password();
    await myAdmin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', pw]);
    const arn = await createSecret('probe-mariadb', {
      engine: 'mariadb',
      host: MYSQL.host,
      port: MYSQL.port,
      username: user,
      password: pw,
      ssl: false,
    });
    expect((await doctor()).report.probes?.find((p) => p.arn === arn)?.probes[0]?.outcome).toBe('ok');
    await myAdmin.query('ALTER USER ?@? IDENTIFIED BY ?', [user, '%', password()]);

    const { code, report } = await doctor();

    expect(code).toBe(3);
    const [problem] = problemsOf(report, arn);
    expect(problem?.kind).toBe('current-login-failed');
    expect(problem?.description).toContain('1045');
    const value = JSON.parse(await awsCli(problem?.fix[0] ?? '')) as { password: string };
    await myAdmin.query('ALTER USER ?@? IDENTIFIED BY ?', [user, '%', value.password]);
    const after = await doctor();
    expect(problemsOf(after.report, arn)).toEqual([]);
    expect(after.code).toBe(0);
  });

  it("Redis: an ACL user whose password was changed is found, and setting AWSCURRENT's password converges", async () => {
    const user = `probe_${randomSuffix()}`;
    redisUsers.push(user);
    const pw = password();
    const redis = await redisAdmin();
    try {
      await redis.sendCommand(['ACL', 'SETUSER', user, 'on', `>${pw}`, '+ping']);
      const arn = await createSecret('probe-redis', {
        engine: 'redis',
        host: REDIS.host,
        port: REDIS.port,
        username: user,
        password: pw,
        ssl: false,
      });
      expect((await doctor()).report.probes?.find((p) => p.arn === arn)?.probes[0]?.outcome).toBe('ok');
      await redis.sendCommand(['ACL', 'SETUSER', user, 'resetpass', `>${password()}`]);

      const { code, report } = await doctor();

      expect(code).toBe(3);
      const [problem] = problemsOf(report, arn);
      expect(problem?.kind).toBe('current-login-failed');
      expect(problem?.description).toContain('WRONGPASS');
      const value = JSON.parse(await awsCli(problem?.fix[0] ?? '')) as { password: string };
      await redis.sendCommand(['ACL', 'SETUSER', user, 'resetpass', `>${value.password}`]);
      const after = await doctor();
      expect(problemsOf(after.report, arn)).toEqual([]);
      expect(after.code).toBe(0);
    } finally {
      await redis.close();
    }
  });
});
