/**
 * Every fix `rekey doctor` prints converges: each test takes a broken state from the demo
 * account, applies the printed commands exactly as printed (AWS commands with the AWS CLI
 * itself, pointed at the local endpoint; rekey commands through the rekey command line), and
 * shows that the doctor then no longer reports the problem. (`--probe`'s fixes are applied
 * against real databases in doctor-probe.test.ts.)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateAliasCommand, CreateKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as doctorRun } from '../../../cli/doctor.js';
import { main } from '../../../cli/main.js';
import { createReportClients } from '../../../cli/report/clients.js';
import { type DoctorReport, diagnose, type Problem } from '../../../cli/report/diagnose.js';
import { resolveTarget } from '../../../cli/target.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import { createTestCa, createTestCertificate, importInput } from '../../helpers/certificates.js';
import { capture, createDemoAccount, type DemoAccount } from './status-demo.js';

const exec = promisify(execFile);
const REGION = 'us-east-1';
let demo: DemoAccount;

beforeAll(async () => {
  demo = await createDemoAccount();
});
afterAll(async () => {
  await demo?.close();
});

const problems = async (): Promise<Problem[]> => {
  const out = capture();
  await doctorRun(['--output', 'json', '--stuck-after', '0'], out.io, demo.env);
  return (JSON.parse(out.stdout) as DoctorReport).problems;
};

const problemFor = async (kind: string, resource: string): Promise<Problem> => {
  const found = (await problems()).find((p) => p.kind === kind && p.resource === resource);
  if (!found) throw new Error(`rekey doctor did not report ${kind} for ${resource}`);
  return found;
};

/** Applies one printed command: `aws ...` with the AWS CLI, `rekey ...` with the rekey command line. */
const apply = async (command: string, cwd?: string, account: DemoAccount = demo): Promise<void> => {
  // The printed commands quote only what needs it; these hold names, ARNs and ids, never spaces.
  const [tool, ...args] = command.split(' ');
  if (tool === 'aws') {
    await exec('aws', [...args, '--endpoint-url', account.endpoint.url], {
      ...(cwd ? { cwd } : {}),
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: account.account,
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_DEFAULT_REGION: REGION,
      },
    });
    return;
  }
  expect(tool).toBe('rekey');
  const saved = { ...process.env };
  Object.assign(process.env, demo.env);
  const write = process.stdout.write;
  try {
    process.stdout.write = () => true;
    expect(await main([...args, '--endpoint-url', demo.endpoint.url])).toBe(0);
  } finally {
    process.stdout.write = write;
    for (const key of Object.keys(demo.env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
};

const stillReported = async (kind: string, resource: string) =>
  (await problems()).some((p) => p.kind === kind && p.resource === resource);

describe('every fix rekey doctor prints converges', () => {
  it('stuck-pending-placeholder: removing AWSPENDING as printed', async () => {
    const problem = await problemFor('stuck-pending-placeholder', demo.secrets.stuck);
    for (const command of problem.fix) await apply(command);
    expect(await stillReported('stuck-pending-placeholder', demo.secrets.stuck)).toBe(false);
  });

  it('failed-rotation, second alternative: removing the label from a value never applied', async () => {
    const problem = await problemFor('failed-rotation', demo.secrets.failed);
    await apply(problem.fix[1] ?? '');
    expect(await stillReported('failed-rotation', demo.secrets.failed)).toBe(false);
  });

  it('failed-rotation, first alternative: once the cause is gone, finishing the rotation with its token', async () => {
    // Prepare: a rotation function whose setSecret fails until the "cause" is fixed.
    let broken = true;
    const handler = createHandler({
      secretsManager: new SecretsManagerClient({
        endpoint: demo.endpoint.url,
        region: REGION,
        credentials: { accessKeyId: demo.account, secretAccessKey: 'local' },
      }),
    });
    const name = `flaky-${demo.account}`;
    demo.endpoint.lambdas.register(name, async (payload) => {
      if (broken && (payload as { Step?: string }).Step === 'setSecret') {
        throw new Error('setSecret failed: the target refused the change');
      }
      await handler(payload);
      return null;
    });
    const { ARN } = await demo.sm.send(
      new CreateSecretCommand({
        Name: `${demo.prefix}flaky`,
        SecretString: JSON.stringify({ username: 'app', password: 'flaky-initial-value' }),
        Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      }),
    );
    await demo.sm.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${demo.account}:function:${name}`,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    // Waits as against AWS: RotateSecret may answer before the steps have run.
    await expect
      .poll(async () => (await problems()).find((p) => p.resource === `${demo.prefix}flaky`)?.kind, {
        timeout: 30_000,
      })
      .toBe('failed-rotation');
    const problem = await problemFor('failed-rotation', `${demo.prefix}flaky`);
    expect(problem.description).toContain('failed in setSecret');

    // Act: the cause is fixed; the printed command finishes the rotation.
    broken = false;
    await apply(problem.fix[0] ?? '');

    // Assess
    expect(await stillReported('failed-rotation', `${demo.prefix}flaky`)).toBe(false);
    const stages =
      (await demo.sm.send(new DescribeSecretCommand({ SecretId: ARN }))).VersionIdsToStages ?? {};
    expect(stages[problem.pendingVersionId ?? '']).toContain('AWSCURRENT');
  });

  it('alias-key-disabled: enabling the key as printed', async () => {
    const problem = await problemFor('alias-key-disabled', demo.keys.legacy.alias);
    for (const command of problem.fix) await apply(command);
    expect(await stillReported('alias-key-disabled', demo.keys.legacy.alias)).toBe(false);
  });

  it('predecessor-still-enabled: checking its aliases, then disabling it as printed', async () => {
    const problem = await problemFor('predecessor-still-enabled', demo.keys.orders.alias);
    for (const command of problem.fix) await apply(command);
    expect(await stillReported('predecessor-still-enabled', demo.keys.orders.alias)).toBe(false);
  });

  it('alias-key-pending-deletion: cancelling the deletion and enabling the key as printed', async () => {
    const keyId = (await demo.kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
    const alias = `${demo.aliasPrefix}doomed`;
    await demo.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await demo.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const problem = await problemFor('alias-key-pending-deletion', alias);

    for (const command of problem.fix) await apply(command);

    expect(await stillReported('alias-key-pending-deletion', alias)).toBe(false);
    expect(await stillReported('alias-key-disabled', alias)).toBe(false);
  });

  it('certificate-expired (imported): re-importing the renewed certificate from the files the command names', async () => {
    // Its own account and clock: ACM refuses to import an expired certificate, so the
    // certificate expires the way it does in life, by time passing (the endpoint's clock).
    const own = await createDemoAccount();
    try {
      const DAY = 86_400_000;
      const now = own.endpoint.clock.now().getTime();
      const ca = createTestCa();
      const domainName = `expiring-${own.account}.rekey.example`;
      const acm = new ACMClient({
        endpoint: own.endpoint.url,
        region: REGION,
        credentials: { accessKeyId: own.account, secretAccessKey: 'local' },
      });
      const first = createTestCertificate({ domainName, issuer: ca, notAfter: new Date(now + DAY) });
      const arn = (await acm.send(new ImportCertificateCommand(importInput(first)))).CertificateArn ?? '';
      own.endpoint.clock.advance(2 * DAY);
      const clients = createReportClients(resolveTarget({ endpointUrl: own.endpoint.url }, own.env), {
        now: () => own.endpoint.clock.now(),
      });
      const expired = async () =>
        (
          await diagnose(clients, { regions: [REGION], gracePeriodDays: 7, thresholds: [30, 7, 1] })
        ).problems.find((p) => p.kind === 'certificate-expired' && p.resourceArn === arn);
      const problem = await expired();
      expect(problem?.fix).toHaveLength(1);

      const later = own.endpoint.clock.now().getTime();
      const renewed = createTestCertificate({
        domainName,
        issuer: ca,
        notBefore: new Date(later - 3600_000),
        notAfter: new Date(later + 90 * DAY),
      });
      const dir = await mkdtemp(join(tmpdir(), 'rekey-doctor-fix-'));
      try {
        await writeFile(join(dir, 'certificate.pem'), renewed.certificatePem);
        await writeFile(join(dir, 'private-key.pem'), renewed.privateKeyPem, { mode: 0o600 });
        await writeFile(join(dir, 'chain.pem'), renewed.chainPem ?? '');
        await apply(problem?.fix[0] ?? '', dir, own);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      expect(await expired()).toBeUndefined();
    } finally {
      await own.close();
    }
  });
});
