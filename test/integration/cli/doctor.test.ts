/**
 * `rekey doctor` against the local endpoint with a demo account: what it finds, the fixes it
 * prints, what `--fix` changes (only the value-less AWSPENDING) and what it leaves alone.
 */

import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/doctor.js';
import { createReportClients } from '../../../cli/report/clients.js';
import { type DoctorReport, diagnose } from '../../../cli/report/diagnose.js';
import { templateRotationTimeout } from '../../../cli/report/rotation-failure.js';
import { startTestEndpoint } from '../../helpers/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { capture, createDemoAccount, type DemoAccount } from './status-demo.js';

let demo: DemoAccount | undefined;
afterEach(async () => {
  await demo?.close();
  demo = undefined;
});

const doctor = async (account: Pick<DemoAccount, 'env'>, argv: string[]) => {
  const out = capture();
  const code = await run(argv, out.io, account.env);
  return { code, stdout: out.stdout, stderr: out.stderr };
};

const labels = async (account: DemoAccount, secretId: string) =>
  (await account.sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};

const versionWith = (stages: Record<string, string[]>, label: string) =>
  Object.entries(stages).find(([, l]) => l.includes(label))?.[0];

/** A digest of a version's value: compared, never printed. */
const digest = async (account: DemoAccount, secretId: string, versionId: string) => {
  const { SecretString } = await account.sm.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
  );
  return createHash('sha256')
    .update(SecretString ?? '')
    .digest('hex');
};

describe('rekey doctor', () => {
  it('finds every broken state with its exact fix, changes nothing without --fix, and exits 3', async () => {
    // Prepare
    demo = await createDemoAccount();
    const stuckBefore = await labels(demo, demo.secretArns.stuck);

    // Act
    const { code, stdout } = await doctor(demo, ['--output', 'json', '--stuck-after', '0']);

    // Assess
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.version).toBe(1);
    const found = report.problems.map((p) => `${p.kind} ${p.resource}`).sort();
    expect(found).toEqual(
      [
        `stuck-pending-placeholder ${demo.secrets.stuck}`,
        `failed-rotation ${demo.secrets.failed}`,
        `alias-key-disabled ${demo.keys.legacy.alias}`,
        `predecessor-still-enabled ${demo.keys.orders.alias}`,
        `certificate-renewal-failed ${report.problems.find((p) => p.resourceArn === demo?.certificates.renewalFailed)?.resource}`,
      ].sort(),
    );
    const byKind = Object.fromEntries(report.problems.map((p) => [p.kind, p]));
    const stuckVersion = versionWith(stuckBefore, 'AWSPENDING');
    expect(byKind['stuck-pending-placeholder']).toMatchObject({ safe: true });
    expect(byKind['stuck-pending-placeholder']?.fix).toEqual([
      `aws secretsmanager update-secret-version-stage --region us-east-1 --secret-id ${demo.secretArns.stuck} --version-stage AWSPENDING --remove-from-version-id ${stuckVersion}`,
    ]);
    const failedVersion = versionWith(await labels(demo, demo.secretArns.failed), 'AWSPENDING');
    expect(byKind['failed-rotation']).toMatchObject({ safe: false });
    expect(byKind['failed-rotation']?.fix[0]).toBe(
      `rekey rotate-secret ${demo.secrets.failed} --region us-east-1 --token ${failedVersion} --wait`,
    );
    expect(byKind['alias-key-disabled']?.fix).toContain(
      `aws kms enable-key --region us-east-1 --key-id ${demo.keys.legacy.keyId}`,
    );
    expect(byKind['predecessor-still-enabled']?.fix).toContain(
      `aws kms disable-key --region us-east-1 --key-id ${demo.keys.orders.predecessorKeyId}`,
    );
    expect(byKind['certificate-renewal-failed']?.fix[0]).toContain(
      `aws acm describe-certificate --region us-east-1 --certificate-arn ${demo.certificates.renewalFailed}`,
    );
    expect(report.summary).toEqual({ found: 5, fixed: 0, remaining: 5 });
    // Without --fix nothing changed.
    expect(await labels(demo, demo.secretArns.stuck)).toEqual(stuckBefore);
  });

  it('reports a rotation whose function failed at once, with the failed step and error', async () => {
    demo = await createDemoAccount();
    // No --stuck-after: the demo's rotations failed seconds ago, far inside any threshold.
    const { stdout } = await doctor(demo, ['--output', 'json']);
    const problems = (JSON.parse(stdout) as DoctorReport).problems;
    const byKind = Object.fromEntries(problems.map((p) => [p.kind, p]));
    expect(byKind['stuck-pending-placeholder']?.resource).toBe(demo.secrets.stuck);
    expect(byKind['failed-rotation']?.resource).toBe(demo.secrets.failed);
    for (const kind of ['stuck-pending-placeholder', 'failed-rotation']) {
      expect(byKind[kind]?.description).toContain(
        'Cause: the rotation function failed in createSecret: Error: createSecret failed: the test function always fails.',
      );
    }
  });

  it("judges a quiet AWSPENDING stuck only after 8 × the rotation function's timeout (template.yaml's locally)", async () => {
    // Prepare: AWSPENDING written by hand on a secret rotated by rekey's function: no step of
    // that token ever failed, so only the time since the last change can say it is stuck.
    demo = await createDemoAccount();
    const { ARN } = await demo.sm.send(
      new CreateSecretCommand({
        Name: `${demo.prefix}quiet`,
        SecretString: 'quiet-initial-value',
        Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      }),
    );
    await demo.sm.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationLambdaARN: `arn:aws:lambda:us-east-1:${demo.account}:function:rekey-secret-rotation`,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await demo.sm.send(
      new PutSecretValueCommand({
        SecretId: ARN,
        SecretString: 'quiet-pending-value',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const limit = 8 * ((await templateRotationTimeout()) ?? 0);
    expect(limit).toBeGreaterThan(0);
    const at = (seconds: number) =>
      createReportClients({
        env: demo?.env ?? {},
        endpoint: demo?.endpoint.url,
        now: () => new Date(Date.now() + seconds * 1000),
      });
    const kindsAt = async (seconds: number) =>
      (await diagnose(at(seconds), { regions: ['us-east-1'], gracePeriodDays: 7, thresholds: [30] })).problems
        .filter((p) => p.resourceArn === ARN)
        .map((p) => p.kind);

    // Act and assess: still a running rotation just before the limit, failed just after it.
    expect(await kindsAt(limit - 30)).toEqual([]);
    expect(await kindsAt(limit + 30)).toEqual(['failed-rotation']);
  });

  it('--fix clears the stuck placeholder, leaves the real pending value alone, and the next rotation works', async () => {
    // Prepare
    demo = await createDemoAccount();
    const stuckBefore = await labels(demo, demo.secretArns.stuck);
    const failedBefore = await labels(demo, demo.secretArns.failed);
    const failedPending = versionWith(failedBefore, 'AWSPENDING') ?? '';
    const failedPendingDigest = await digest(demo, demo.secretArns.failed, failedPending);

    // Act
    const { code, stdout } = await doctor(demo, ['--fix', '--stuck-after', '0']);

    // Assess: the placeholder lost AWSPENDING; AWSCURRENT did not move.
    const stuckAfter = await labels(demo, demo.secretArns.stuck);
    expect(versionWith(stuckAfter, 'AWSPENDING')).toBeUndefined();
    expect(versionWith(stuckAfter, 'AWSCURRENT')).toBe(versionWith(stuckBefore, 'AWSCURRENT'));
    // The pending version that holds a value keeps its label and its value.
    expect(await labels(demo, demo.secretArns.failed)).toEqual(failedBefore);
    expect(await digest(demo, demo.secretArns.failed, failedPending)).toBe(failedPendingDigest);
    expect(stdout).toMatch(
      new RegExp(`stuck-pending-placeholder\\s+secret ${demo.secrets.stuck} \\(us-east-1\\)\\s+\\[FIXED\\]`),
    );
    expect(stdout).toMatch(
      new RegExp(`failed-rotation\\s+secret ${demo.secrets.failed} \\(us-east-1\\)\\s+\\[manual fix\\]`),
    );
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('5 problem(s) found, 1 fixed, 4 remaining.');
    expect(code).toBe(3);

    // The secret can rotate again (RotateSecret refuses while AWSPENDING sits on another version).
    const rotated = await demo.sm.send(
      new RotateSecretCommand({
        SecretId: demo.secretArns.stuck,
        RotationLambdaARN: `arn:aws:lambda:us-east-1:${demo.account}:function:rekey-secret-rotation`,
      }),
    );
    // RotateSecret answers before the steps run, as on AWS.
    await waitForRotation({
      sm: demo.sm,
      secretId: demo.secretArns.stuck,
      token: rotated.VersionId,
      local: { endpointUrl: demo.endpoint.url, region: 'us-east-1', account: demo.account },
    });
    expect(versionWith(await labels(demo, demo.secretArns.stuck), 'AWSCURRENT')).not.toBe(
      versionWith(stuckBefore, 'AWSCURRENT'),
    );

    // A second --fix finds nothing left to fix for that secret.
    const again = JSON.parse(
      (await doctor(demo, ['--fix', '--stuck-after', '0', '--output', 'json'])).stdout,
    ) as DoctorReport;
    expect(again.problems.map((p) => p.kind)).not.toContain('stuck-pending-placeholder');
    expect(again.summary.fixed).toBe(0);
  });

  it('exits 0 when --fix fixed everything it found', async () => {
    const endpoint = await startTestEndpoint({ defaultFunctions: true });
    endpoint.lambdas.register('rekey-test-always-fails', async () => {
      throw new Error('createSecret failed');
    });
    try {
      const account = '310987654321';
      const env = {
        AWS_ACCESS_KEY_ID: account,
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL: endpoint.url,
      };
      const sm = new SecretsManagerClient({
        endpoint: endpoint.url,
        region: 'us-east-1',
        credentials: { accessKeyId: account, secretAccessKey: 'local' },
      });
      const { ARN } = await sm.send(
        new CreateSecretCommand({ Name: 'only-stuck', SecretString: 'v1-not-printed' }),
      );
      const failed = await sm.send(
        new RotateSecretCommand({
          SecretId: ARN,
          RotationLambdaARN: `arn:aws:lambda:us-east-1:${account}:function:rekey-test-always-fails`,
        }),
      );
      await waitForRotation({
        sm,
        secretId: ARN ?? '',
        token: failed.VersionId,
        local: { endpointUrl: endpoint.url, region: 'us-east-1', account },
      });
      const fake = { env };
      expect((await doctor(fake, ['--stuck-after', '0'])).code).toBe(3);
      const fixed = await doctor(fake, ['--stuck-after', '0', '--fix']);
      expect(fixed.code).toBe(0);
      expect(fixed.stdout.includes('v1-not-printed'), 'the secret value was printed').toBe(false);
      expect((await doctor(fake, ['--stuck-after', '0'])).stdout).toMatch(
        /^No problems found in us-east-1\.$/m,
      );
    } finally {
      await endpoint.close();
    }
  });

  it('never prints a secret value', async () => {
    demo = await createDemoAccount();
    const outputs = [
      await doctor(demo, ['--stuck-after', '0']),
      await doctor(demo, ['--stuck-after', '0', '--output', 'json']),
      await doctor(demo, ['--stuck-after', '0', '--fix']),
    ];
    const text = outputs.map((o) => o.stdout + o.stderr).join('\n');
    const values = await demo.sensitive();
    const leaked = values.filter((v) => text.includes(v));
    expect(leaked.length, `${leaked.length} secret value(s) printed`).toBe(0);
    expect(values.length).toBeGreaterThan(8);
  });
});
