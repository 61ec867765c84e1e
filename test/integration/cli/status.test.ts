/**
 * `rekey status` against the local endpoint with a demo account: the JSON classifications, the
 * table, exit codes, and that no secret value appears in any output.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/errors.js';
import type { StatusReport } from '../../../cli/report/model.js';
import { run } from '../../../cli/status.js';
import { startTestEndpoint } from '../../helpers/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { capture, createDemoAccount, type DemoAccount } from './status-demo.js';

const DAY = 86_400_000;
let demo: DemoAccount;

beforeAll(async () => {
  demo = await createDemoAccount();
});
afterAll(async () => {
  await demo?.close();
});

const status = async (argv: string[], env: NodeJS.ProcessEnv = demo.env) => {
  const out = capture();
  const code = await run(argv, out.io, env);
  return { code, stdout: out.stdout, stderr: out.stderr };
};

const json = async (argv: string[] = []) => {
  const result = await status(['--output', 'json', ...argv]);
  return { ...result, report: JSON.parse(result.stdout) as StatusReport };
};

/** Asserts that none of the account's secret values or private key lines is in `text`. */
const expectNoSecretValue = async (text: string, where: string) => {
  const leaked = (await demo.sensitive()).filter((value) => text.includes(value));
  // Only the count is reported, never the value itself.
  expect(leaked.length, `${leaked.length} secret value(s) found in ${where}`).toBe(0);
};

describe('rekey status --output json', () => {
  it('classifies every secret, managed key and certificate and exits with 3', async () => {
    // Act: --stuck-after 0 because the demo's stuck rotations are seconds old.
    const { code, report } = await json(['--stuck-after', '0', '--alias-prefix', demo.aliasPrefix]);

    // Assess
    expect(code).toBe(3);
    expect(report.version).toBe(1);
    const secret = (name: string) => report.secrets.find((s) => s.name === name);
    expect(secret(demo.secrets.healthy)).toMatchObject({
      state: 'healthy',
      severity: 'ok',
      rotationEnabled: true,
    });
    expect(secret(demo.secrets.healthy)?.lastRotatedDate).not.toBeNull();
    expect(secret(demo.secrets.stuck)).toMatchObject({ state: 'stuck', severity: 'attention' });
    expect(secret(demo.secrets.stuck)?.pendingVersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(secret(demo.secrets.failed)).toMatchObject({ state: 'failed', severity: 'attention' });
    expect(secret(demo.secrets.neverRotated)).toMatchObject({
      state: 'disabled',
      rotationEnabled: false,
      lastRotatedDate: null,
      nextRotationDate: null,
    });

    const key = (alias: string) => report.keys.find((k) => k.alias === alias);
    const orders = key(demo.keys.orders.alias);
    expect(orders).toMatchObject({
      keyId: demo.keys.orders.keyId,
      keySpec: 'SYMMETRIC_DEFAULT',
      state: 'healthy',
      ageDays: 10,
      periodDays: 30,
      periodSource: 'tag',
      keyState: 'Enabled',
    });
    // Next rotation = in service since (rekey:rotated-at) + the period tag.
    expect(Date.parse(orders?.nextRotation ?? '') - Date.parse(orders?.lastRotation ?? '')).toBe(30 * DAY);
    expect(orders?.predecessorKeyArn).toContain(demo.keys.orders.predecessorKeyId);
    expect(key(demo.keys.signing.alias)).toMatchObject({
      keySpec: 'ECC_NIST_P256',
      state: 'overdue',
      severity: 'attention',
      periodDays: 365,
      periodSource: 'option',
      ageDays: 400,
    });
    expect(key(demo.keys.legacy.alias)).toMatchObject({
      state: 'disabled',
      severity: 'attention',
      keyState: 'Disabled',
    });
    // The predecessor has no alias: it is not a managed alias's key.
    expect(report.keys.map((k) => k.keyId)).not.toContain(demo.keys.orders.predecessorKeyId);

    const certificate = (arn: string) => report.certificates.find((c) => c.arn === arn);
    expect(certificate(demo.certificates.imported)).toMatchObject({
      type: 'IMPORTED',
      finding: 'IMPORTED',
      threshold: 14,
      severity: 'warning',
    });
    expect(certificate(demo.certificates.imported)?.daysToExpiry).toBeGreaterThanOrEqual(9);
    expect(certificate(demo.certificates.imported)?.daysToExpiry).toBeLessThanOrEqual(10);
    expect(certificate(demo.certificates.renewalFailed)).toMatchObject({
      type: 'AMAZON_ISSUED',
      finding: 'RENEWAL_FAILED',
      renewalStatus: 'FAILED',
      severity: 'attention',
    });
    expect(certificate(demo.certificates.fine)).toMatchObject({ finding: 'OK', severity: 'ok' });

    expect(report.summary).toMatchObject({
      secrets: { ok: 1, warning: 1, attention: 2 },
      keys: { ok: 1, warning: 0, attention: 2 },
      certificates: { ok: 1, warning: 1, attention: 1 },
      attention: 5,
      healthy: false,
    });
    expect(report.errors).toEqual([]);
  });

  it('leaves out aliases without rekey tags unless --alias-prefix names them', async () => {
    const { report } = await json();
    expect(report.keys.map((k) => k.alias).sort()).toEqual(
      [demo.keys.orders.alias, demo.keys.signing.alias].sort(),
    );
  });

  it('reports a rotation whose function failed as failed at once, with the step and the error', async () => {
    // The demo's rotations failed seconds ago: younger than any stuck threshold.
    const { report } = await json();
    const byName = Object.fromEntries(report.secrets.map((s) => [s.name, s]));
    expect(byName[demo.secrets.stuck]?.state).toBe('stuck');
    expect(byName[demo.secrets.failed]?.state).toBe('failed');
    for (const name of [demo.secrets.stuck, demo.secrets.failed]) {
      expect(byName[name]?.severity).toBe('attention');
      expect(byName[name]?.reason).toContain(
        'Cause: the rotation function failed in createSecret: Error: createSecret failed: the test function always fails.',
      );
    }
  });

  it('--filter narrows the secrets by tag and by name prefix', async () => {
    const byTag = await json(['--filter', 'tag:rekey:rotator=generated']);
    expect(byTag.report.secrets.map((s) => s.name)).not.toContain(demo.secrets.neverRotated);
    expect(byTag.report.secrets.map((s) => s.name)).toContain(demo.secrets.healthy);

    const byPrefix = await json(['--filter', `name-prefix:${demo.prefix}st`]);
    expect(byPrefix.report.secrets.map((s) => s.name)).toEqual([demo.secrets.stuck]);
  });
});

describe('rekey status --output table', () => {
  it('prints aligned tables with headings, the reasons and a summary line', async () => {
    const { code, stdout } = await status(['--stuck-after', '0', '--alias-prefix', demo.aliasPrefix]);

    expect(code).toBe(3);
    const lines = stdout.split('\n');
    const heading = lines.find((l) => l.includes('STATE') && l.includes('SECRET')) ?? '';
    const stuckRow = lines.find((l) => l.includes(demo.secrets.stuck)) ?? '';
    // Columns line up: the secret name starts where its heading does.
    expect(stuckRow.indexOf(demo.secrets.stuck)).toBe(heading.indexOf('SECRET'));
    expect(stuckRow).toMatch(/^!!\s+stuck\s/);
    // Rotation off is its own category, marked '-', not a warning ('!').
    expect(lines.find((l) => l.includes(demo.secrets.neverRotated))).toMatch(/^-\s+disabled\s/);
    expect(stdout).toMatch(/^ROTATION OFF \(-\): 1 secret \(/m);
    expect(stdout).toMatch(/^KEYS \(3\)$/m);
    expect(stdout).toMatch(new RegExp(`^!!\\s+disabled\\s+${demo.keys.legacy.alias}`, 'm'));
    expect(stdout).toMatch(/^!!\s+RENEWAL_FAILED\s/m);
    expect(stdout).toContain('NOTES');
    expect(lines.filter(Boolean).at(-1)).toBe(
      'Checked 4 secrets, 3 keys, 3 certificates. 5 items need attention now (exit code 3); 1 warning to handle before its deadline; 1 secret with rotation off.',
    );
  });

  it('exits 0 and says so for an account where everything is healthy', async () => {
    const endpoint = await startTestEndpoint({ defaultFunctions: true });
    try {
      const account = '210987654321';
      const credentials = { accessKeyId: account, secretAccessKey: 'local' };
      const sm = new SecretsManagerClient({ endpoint: endpoint.url, region: 'us-east-1', credentials });
      const { ARN } = await sm.send(
        new CreateSecretCommand({
          Name: 'fine',
          SecretString: JSON.stringify({ password: 'initial-value' }),
          Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
        }),
      );
      const rotated = await sm.send(
        new RotateSecretCommand({
          SecretId: ARN,
          RotationLambdaARN: `arn:aws:lambda:us-east-1:${account}:function:rekey-secret-rotation`,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      // RotateSecret answers before the steps run, as on AWS.
      await waitForRotation({
        sm,
        secretId: ARN ?? '',
        token: rotated.VersionId,
        local: { endpointUrl: endpoint.url, region: 'us-east-1', account },
      });
      const { code, stdout } = await status([], {
        AWS_ACCESS_KEY_ID: account,
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL: endpoint.url,
      });
      expect(code).toBe(0);
      expect(stdout).toMatch(/^ok\s+healthy\s+fine\s+on\s/m);
      expect(stdout.trimEnd().split('\n').at(-1)).toBe(
        'Checked 1 secret, 0 keys, 0 certificates. All healthy.',
      );
    } finally {
      await endpoint.close();
    }
  });
});

describe('rekey status exit codes and secrecy', () => {
  it('never prints a secret value, in any output format', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekey-status-'));
    try {
      const table = await status(['--stuck-after', '0']);
      const asJson = await json(['--stuck-after', '0']);
      const html = await status(['--stuck-after', '0', '--output', 'html', '--out', join(dir, 'r.html')]);
      await expectNoSecretValue(table.stdout + table.stderr, 'the table');
      await expectNoSecretValue(asJson.stdout + asJson.stderr, 'the JSON');
      await expectNoSecretValue(html.stdout + html.stderr, 'the html command output');
      await expectNoSecretValue(await readFile(join(dir, 'r.html'), 'utf8'), 'the HTML page');
      // The check is not vacuous: the values exist and are long enough to be found.
      expect((await demo.sensitive()).length).toBeGreaterThan(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1, naming what failed, when the endpoint cannot be reached', async () => {
    const closed = await startTestEndpoint({ defaultFunctions: true });
    await closed.close();
    const { code, stderr } = await status(['--region', 'eu-west-1'], {
      AWS_ACCESS_KEY_ID: demo.account,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL: closed.url,
    });
    expect(code).toBe(1);
    expect(stderr).toContain('could not read secretsmanager in eu-west-1');
    expect(stderr).toContain('could not read acm in eu-west-1');
  }, 90_000);

  it('rejects bad options with a UsageError naming the option', async () => {
    await expect(status(['--output', 'xml'])).rejects.toThrow(UsageError);
    await expect(status(['--output', 'xml'])).rejects.toThrow(/--output must be table, json or html/);
    await expect(status(['--filter', 'owner=me'])).rejects.toThrow(
      /--filter must be tag:KEY=VALUE or name-prefix/,
    );
    await expect(status(['--alias-prefix', 'orders'])).rejects.toThrow(
      /--alias-prefix must start with alias\//,
    );
    await expect(status(['--out', 'x.html'])).rejects.toThrow(/--out is for --output html/);
  });

  it('runs as the rekey command: --help documents exit code 3, and the process exits with it', async () => {
    const exec = promisify(execFile);
    const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
    const help = await exec(tsx, ['cli/main.ts', 'status', '--help']);
    expect(help.stdout).toMatch(/^ {2}3 {2}something needs attention/m);

    const result = await exec(tsx, ['cli/main.ts', 'status', '--output', 'json', '--stuck-after', '0'], {
      env: { ...process.env, ...demo.env },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(result.code).toBe(3);
    expect((JSON.parse(result.stdout) as StatusReport).summary.attention).toBe(4);
  });
});
