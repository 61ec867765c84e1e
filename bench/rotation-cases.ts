/**
 * The secrets the rotation benchmark rotates: one per rotator and strategy, on real servers
 * (a private password-checking PostgreSQL cluster, the MariaDB and Redis servers on loopback).
 */
import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  mysqlAdmin,
  mysqlDropUsers,
  pgDropRoles,
  REDIS,
  redisAdmin,
  startPrivatePostgres,
} from '../test/integration/helpers/databases.js';
import type { RotationCase } from './secret-rotation.js';

const suffix = () => randomBytes(4).toString('hex');
const password = () => randomBytes(18).toString('base64url');

/** A superuser secret for alternating users, tagged as the template's policy requires. */
const superuserSecret = async (
  client: SecretsManagerClient,
  value: Record<string, unknown>,
): Promise<string> => {
  const created = await client.send(
    new CreateSecretCommand({
      Name: `bench/superuser-${suffix()}`,
      SecretString: JSON.stringify(value),
      Tags: [{ Key: 'rekey:superuser', Value: 'true' }],
    }),
  );
  return created.ARN ?? '';
};

export const rotationCases = async (): Promise<{ cases: RotationCase[]; close(): Promise<void> }> => {
  const pg = await startPrivatePostgres();
  const pgAdmin = await pg.admin();
  const my = await mysqlAdmin();
  const redis = await redisAdmin();
  const cleanups: (() => Promise<void>)[] = [];

  const postgresCase = (strategy: 'single-user' | 'alternating-users'): RotationCase => ({
    name: `postgres ${strategy}`,
    secretString: async (client) => {
      const user = `bench_${suffix()}`;
      const pass = password();
      await pgAdmin.query(
        `CREATE ROLE ${pgAdmin.escapeIdentifier(user)} LOGIN PASSWORD ${pgAdmin.escapeLiteral(pass)}`,
      );
      cleanups.push(() => pgDropRoles(pgAdmin, [user, `${user}_clone`]));
      const base = {
        engine: 'postgres',
        host: pg.host,
        port: pg.port,
        username: user,
        password: pass,
        dbname: 'postgres',
        ssl: false,
      };
      if (strategy === 'single-user') return JSON.stringify(base);
      const masterarn = await superuserSecret(client, {
        ...base,
        username: pg.superuser,
        password: pg.superuserPassword,
      });
      cleanups.push(async () => {
        await client.send(new DeleteSecretCommand({ SecretId: masterarn, ForceDeleteWithoutRecovery: true }));
      });
      return JSON.stringify({ ...base, masterarn });
    },
  });

  const mysqlCase = (strategy: 'single-user' | 'alternating-users'): RotationCase => ({
    name: `mariadb ${strategy}`,
    secretString: async (client) => {
      const user = `b_${suffix()}`;
      const pass = password();
      await my.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', pass]);
      await my.query('GRANT SELECT ON mysql.* TO ?@?', [user, '%']);
      cleanups.push(() => mysqlDropUsers(my, [user, `${user}_clone`]));
      const base = {
        engine: 'mariadb',
        host: '127.0.0.1',
        port: 3306,
        username: user,
        password: pass,
        ssl: false,
      };
      if (strategy === 'single-user') return JSON.stringify(base);
      const root = `bench_root_${suffix()}`;
      const rootPass = password();
      await my.query('CREATE USER ?@? IDENTIFIED BY ?', [root, '%', rootPass]);
      await my.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [root, '%']);
      cleanups.push(() => mysqlDropUsers(my, [root]));
      const masterarn = await superuserSecret(client, { ...base, username: root, password: rootPass });
      return JSON.stringify({ ...base, masterarn });
    },
  });

  const redisCase: RotationCase = {
    name: 'redis single-user',
    secretString: async () => {
      const user = `bench_${suffix()}`;
      const pass = password();
      await redis.sendCommand([
        'ACL',
        'SETUSER',
        user,
        'on',
        `>${pass}`,
        '~bench:*',
        '+@read',
        '+ping',
        '+acl|setuser',
        '+acl|getuser',
      ]);
      cleanups.push(async () => {
        await redis.sendCommand(['ACL', 'DELUSER', user]);
      });
      return JSON.stringify({
        engine: 'redis',
        host: REDIS.host,
        port: REDIS.port,
        username: user,
        password: pass,
        ssl: false,
      });
    },
  };

  return {
    cases: [
      {
        name: 'generated JSON field',
        secretString: async () => JSON.stringify({ username: 'app', password: 'initial-password-value' }),
        tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      },
      {
        name: 'generated plain string',
        secretString: async () => 'initial-api-key-value',
        tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      },
      postgresCase('single-user'),
      postgresCase('alternating-users'),
      mysqlCase('single-user'),
      mysqlCase('alternating-users'),
      redisCase,
    ],
    async close() {
      for (const cleanup of cleanups) await cleanup().catch(() => {});
      await pgAdmin.end();
      await pg.stop();
      await my.end();
      await redis.close();
    },
  };
};
