/**
 * `rekey status` and `rekey doctor` on IAM users whose access keys rotated secrets hold: each
 * key's age, and a key past the period that no rotated secret holds, flagged with the AWS CLI
 * commands that retire it. Against the local endpoint; no secret access key may appear.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as doctor } from '../../../cli/doctor.js';
import { findAccessKeySecrets } from '../../../cli/report/access-keys.js';
import { createReportClients } from '../../../cli/report/clients.js';
import type { DoctorReport } from '../../../cli/report/diagnose.js';
import type { StatusReport } from '../../../cli/report/model.js';
import { run as status } from '../../../cli/status.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { capture } from './status-demo.js';

const DAY = 86_400_000;
const ACCOUNT = '444455556666';
const REGION = 'eu-west-1';
const suffix = Math.random().toString(36).slice(2, 8);
const FRESH_USER = `fresh-${suffix}`;
const OLD_USER = `old-${suffix}`;

let endpoint: TestEndpoint;
let env: NodeJS.ProcessEnv;
const secretKeys: string[] = [];
let freshKeyId = '';
let rotatedOldUserKeyId = '';
let forgottenKeyId = '';

const clientConfig = () => ({
  endpoint: endpoint.url,
  region: REGION,
  credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
  maxAttempts: 1,
});

const createKey = async (iam: IAMClient, userName: string) => {
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) throw new Error('no access key');
  secretKeys.push(AccessKey.SecretAccessKey);
  return { id: AccessKey.AccessKeyId, secret: AccessKey.SecretAccessKey };
};

beforeAll(async () => {
  endpoint = await startTestEndpoint({ defaultFunctions: true });
  env = {
    AWS_ACCESS_KEY_ID: ACCOUNT,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: endpoint.url,
  };
  const iam = new IAMClient(clientConfig());
  const sm = new SecretsManagerClient(clientConfig());
  const rotationArn = endpoint.functionArns(REGION, ACCOUNT).find((arn) => /secret-rotation/i.test(arn));
  if (!rotationArn) throw new Error('no rotation function on the local endpoint');
  await iam.send(new CreateUserCommand({ UserName: FRESH_USER }));
  await iam.send(new CreateUserCommand({ UserName: OLD_USER }));
  // A key made 200 days ago that no secret holds: the endpoint's clock is moved back for it.
  endpoint.clock.advance(-200 * DAY);
  forgottenKeyId = (await createKey(iam, OLD_USER)).id;
  endpoint.clock.advance(200 * DAY);
  const fresh = await createKey(iam, FRESH_USER);
  freshKeyId = fresh.id;
  const rotated = await createKey(iam, OLD_USER);
  rotatedOldUserKeyId = rotated.id;
  for (const [name, userName, key] of [
    [`rotated/${FRESH_USER}`, FRESH_USER, fresh],
    [`rotated/${OLD_USER}`, OLD_USER, rotated],
  ] as const) {
    await sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({
          UserName: userName,
          AccessKeyId: key.id,
          SecretAccessKey: key.secret,
        }),
      }),
    );
    await sm.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: rotationArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
  }
}, 60_000);
afterAll(async () => {
  await endpoint?.close();
});

const runCli = async (cli: typeof status, argv: string[]) => {
  const out = capture();
  const code = await cli(argv, out.io, env);
  for (const secret of secretKeys) {
    expect(
      out.stdout.includes(secret) || out.stderr.includes(secret),
      'a secret access key was printed',
    ).toBe(false);
  }
  return { code, stdout: out.stdout, stderr: out.stderr };
};

describe('rekey status: IAM access keys', () => {
  it('shows the age of a rotated user key and flags the old key no secret rotates', async () => {
    const { code, stdout } = await runCli(status, ['--output', 'json']);
    const report = JSON.parse(stdout) as StatusReport;

    expect(code).toBe(3);
    const fresh = report.iamUsers.find((u) => u.userName === FRESH_USER);
    expect(fresh?.severity).toBe('ok');
    expect(fresh?.periodDays).toBe(30);
    expect(fresh?.keys).toEqual([
      expect.objectContaining({ accessKeyId: freshKeyId, status: 'Active', ageDays: 0, stale: false }),
    ]);
    expect(fresh?.keys[0]?.heldBy).toEqual([`rotated/${FRESH_USER}`]);

    const old = report.iamUsers.find((u) => u.userName === OLD_USER);
    expect(old?.severity).toBe('attention');
    const forgotten = old?.keys.find((k) => k.accessKeyId === forgottenKeyId);
    expect(forgotten).toMatchObject({ stale: true, heldBy: [], status: 'Active' });
    expect(forgotten?.ageDays).toBeGreaterThanOrEqual(199);
    expect(old?.keys.find((k) => k.accessKeyId === rotatedOldUserKeyId)?.stale).toBe(false);
    expect(old?.reason).toContain(
      `aws iam update-access-key --user-name ${OLD_USER} --access-key-id ${forgottenKeyId} --status Inactive`,
    );
    expect(report.summary.iamUsers.attention).toBe(1);
  });

  it('lists the keys with their ages in the table and the fix in the notes', async () => {
    const { code, stdout } = await runCli(status, []);

    expect(code).toBe(3);
    expect(stdout).toContain('IAM ACCESS KEYS (2 rotated users)');
    expect(stdout).toMatch(new RegExp(`ok\\s+${FRESH_USER}\\s+${freshKeyId}\\s+Active\\s+0d`));
    expect(stdout).toMatch(new RegExp(`!!\\s+${OLD_USER}\\s+${forgottenKeyId}\\s+Active\\s+(199|200)d`));
    expect(stdout).toContain(`iam-user ${OLD_USER}: Access key ${forgottenKeyId}`);
    expect(stdout).toContain(
      `aws iam delete-access-key --user-name ${OLD_USER} --access-key-id ${forgottenKeyId}`,
    );
  });
});

describe('rekey doctor: IAM access keys', () => {
  it('reports the forgotten key with the commands that deactivate and delete it', async () => {
    const { code, stdout } = await runCli(doctor, ['--output', 'json']);
    const report = JSON.parse(stdout) as DoctorReport;

    expect(code).toBe(3);
    const stale = report.problems.filter((p) => p.kind === 'stale-access-key');
    expect(stale).toEqual([
      expect.objectContaining({
        resourceType: 'iam-user',
        resource: OLD_USER,
        safe: false,
        fix: [
          `aws iam update-access-key --user-name ${OLD_USER} --access-key-id ${forgottenKeyId} --status Inactive`,
          `aws iam delete-access-key --user-name ${OLD_USER} --access-key-id ${forgottenKeyId}`,
        ],
      }),
    ]);
  });

  it('asks only to delete a forgotten key that is already inactive', async () => {
    await new IAMClient(clientConfig()).send(
      new UpdateAccessKeyCommand({ UserName: OLD_USER, AccessKeyId: forgottenKeyId, Status: 'Inactive' }),
    );

    const { code, stdout } = await runCli(doctor, []);

    expect(code).toBe(3);
    expect(stdout).toContain(`stale-access-key  IAM user ${OLD_USER}`);
    expect(stdout).toContain(
      `aws iam delete-access-key --user-name ${OLD_USER} --access-key-id ${forgottenKeyId}`,
    );
    expect(stdout).not.toContain(`--access-key-id ${forgottenKeyId} --status Inactive`);
  });
});

describe('a rotated secret the caller may not read', () => {
  it('is skipped and counted in a note instead of failing the whole Region', async () => {
    const clients = createReportClients({ endpoint: endpoint.url, env });
    // As AWS answers a policy that denies secretsmanager:GetSecretValue on one secret.
    clients.secrets(REGION).middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { SecretId?: string };
        if (
          context.commandName === 'GetSecretValueCommand' &&
          input.SecretId?.includes(`rotated/${OLD_USER}`)
        ) {
          throw Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), {
            name: 'AccessDeniedException',
          });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const notes: string[] = [];

    const refs = await findAccessKeySecrets(clients, REGION, {}, 10_000, notes);

    expect(refs.map((r) => r.userName)).toEqual([FRESH_USER]);
    expect(notes).toEqual([expect.stringContaining(`1 rotated secret(s) in ${REGION} could not be read`)]);
  });
});
