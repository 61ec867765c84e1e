import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

/**
 * The AWS CLI v2 (Debian's 2.9, installed by npm test's set-up) against the local endpoint:
 * it creates an IAM user and an access key and rotates it through RotateSecret with the
 * project's in-process rotation function, as docs/iam-access-keys.md shows.
 */

const AWS_V2 = '/usr/bin/aws';
const ACCOUNT = '123456789012';
let endpoint: TestEndpoint;

const aws = (args: string[], credentials = { id: ACCOUNT, secret: 'local' }) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      AWS_V2,
      ['--endpoint-url', endpoint.url, '--output', 'json', ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          AWS_ACCESS_KEY_ID: credentials.id,
          AWS_SECRET_ACCESS_KEY: credentials.secret,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
const json = async (args: string[]) => {
  const result = await aws(args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout || '{}') as unknown;
};

beforeAll(async () => {
  if (!existsSync(AWS_V2))
    throw new Error(`${AWS_V2} is missing: run npm test (its set-up installs awscli).`);
  endpoint = await startTestEndpoint({ defaultFunctions: true });
});
afterAll(async () => {
  await endpoint.close();
});

describe('AWS CLI v2 against the local IAM, STS and Secrets Manager', () => {
  it('creates a user and key, rotates it, and STS then accepts only the new key', async () => {
    const user = `cli-${Date.now()}`;
    await json(['iam', 'create-user', '--user-name', user, '--tags', 'Key=rekey:access-keys,Value=rotate']);
    const { AccessKey: seed } = (await json(['iam', 'create-access-key', '--user-name', user])) as {
      AccessKey: { AccessKeyId: string; SecretAccessKey: string };
    };
    const value = JSON.stringify({
      UserName: user,
      AccessKeyId: seed.AccessKeyId,
      SecretAccessKey: seed.SecretAccessKey,
    });
    await json(['secretsmanager', 'create-secret', '--name', `iam/${user}`, '--secret-string', value]);
    const started = (await json([
      'secretsmanager',
      'rotate-secret',
      '--secret-id',
      `iam/${user}`,
      '--rotation-lambda-arn',
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rekey-secret-rotation`,
      '--rotation-rules',
      'AutomaticallyAfterDays=90',
    ])) as { VersionId: string };

    // As against AWS: wait until the new version is AWSCURRENT (or give up after 30 s).
    const deadline = Date.now() + 30_000;
    let stages: Record<string, string[]> = {};
    while (Date.now() < deadline) {
      stages = (
        (await json(['secretsmanager', 'describe-secret', '--secret-id', `iam/${user}`])) as {
          VersionIdsToStages: Record<string, string[]>;
        }
      ).VersionIdsToStages;
      if (stages[started.VersionId]?.includes('AWSCURRENT')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(stages[started.VersionId]).toContain('AWSCURRENT');

    const current = JSON.parse(
      (
        (await json(['secretsmanager', 'get-secret-value', '--secret-id', `iam/${user}`])) as {
          SecretString: string;
        }
      ).SecretString,
    ) as { AccessKeyId: string; SecretAccessKey: string };
    const keys = (await json(['iam', 'list-access-keys', '--user-name', user])) as {
      AccessKeyMetadata: { AccessKeyId: string; Status: string }[];
    };
    expect(Object.fromEntries(keys.AccessKeyMetadata.map((k) => [k.AccessKeyId, k.Status]))).toEqual({
      [seed.AccessKeyId]: 'Inactive',
      [current.AccessKeyId]: 'Active',
    });

    const asNew = await aws(['sts', 'get-caller-identity'], {
      id: current.AccessKeyId,
      secret: current.SecretAccessKey,
    });
    expect(asNew.code, asNew.stderr).toBe(0);
    expect(JSON.parse(asNew.stdout)).toMatchObject({
      Arn: `arn:aws:iam::${ACCOUNT}:user/${user}`,
      Account: ACCOUNT,
    });
    const asOld = await aws(['sts', 'get-caller-identity'], {
      id: seed.AccessKeyId,
      secret: seed.SecretAccessKey,
    });
    expect(asOld.code).not.toBe(0);
    expect(asOld.stderr).toContain('InvalidClientTokenId');
  }, 90_000);
});
