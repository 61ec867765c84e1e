import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { readEvents } from '../../../local/core/admin-client.js';
import type { LocalEndpoint } from '../../../local/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { holder, stagesOf, startFleetEndpoint } from './helpers.js';

/**
 * `rekey rotate-secret` and `rekey rotate-fleet` against the local endpoint, called through the
 * CLI's `main` with stdout and stderr captured. The CLI uses the endpoint's default account
 * (123456789012) with local credentials; this file's endpoint is its own.
 */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ROTATION = 'rekey-it-cli-rotation';
const ROTATION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ROTATION}`;
const localLog = () => ({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT });
const runId = randomUUID().slice(0, 8);
// The tag key the deployed fleet role grants on (FleetSecrets: rekey:fleet); the value isolates this run.
const TAG = 'rekey:fleet';

let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
const created: string[] = [];
const values = new Set<string>();

const capture = async (argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
};

const createSecret = async (
  name: string,
  content: Record<string, unknown>,
  tags: Record<string, string> = {},
) => {
  const value = JSON.stringify(content);
  values.add(value);
  const result = await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: value,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  created.push(result.ARN ?? name);
  return result.ARN ?? name;
};

/** Turns rotation on; with `now` the first rotation runs at once (RotateSecret's default), else it is only tested. */
const enableRotation = async (arn: string, now = true) => {
  const started = await sm.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: ROTATION_ARN,
      RotationRules: { AutomaticallyAfterDays: 1 },
      RotateImmediately: now,
    }),
  );
  // RotateSecret answers before the steps run, as on AWS: wait for them.
  await waitForRotation({ sm, secretId: arn, token: started.VersionId, local: localLog() });
};

/** Every value the secrets ever held, read back, so the tests can prove none was printed. */
const allValues = async () => {
  for (const arn of created) {
    for (const versionId of Object.keys(await stagesOf(sm, arn))) {
      try {
        const v = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }));
        if (v.SecretString) values.add(v.SecretString);
      } catch {
        // an empty placeholder holds no value
      }
    }
  }
  return [...values];
};

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', '');
  delete process.env.AWS_ACCESS_KEY_ID;
  ({ endpoint, sm } = await startFleetEndpoint({
    account: ACCOUNT,
    region: REGION,
    rotationFunction: ROTATION,
  }));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const arn of created) {
    await sm
      ?.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }))
      .catch(() => undefined);
  }
  await endpoint?.close();
});

describe('rekey rotate-secret', () => {
  it('rotates a secret and follows it to AWSCURRENT with --wait, printing no value', async () => {
    const arn = await createSecret(
      `it-cli-${runId}/ok`,
      { username: 'app', password: `p-${randomUUID()}` },
      { 'rekey:rotator': 'generated' },
    );
    await enableRotation(arn);
    const before = holder(await stagesOf(sm, arn), 'AWSCURRENT');

    const result = await capture([
      'rotate-secret',
      `it-cli-${runId}/ok`,
      '--endpoint-url',
      endpoint.url,
      '--region',
      REGION,
      '--wait',
    ]);

    expect(result.code).toBe(0);
    const after = holder(await stagesOf(sm, arn), 'AWSCURRENT');
    expect(after).not.toBe(before);
    expect(result.stdout).toContain(`finished: version ${after} is AWSCURRENT`);
    for (const value of await allValues()) expect(result.stdout + result.stderr).not.toContain(value);
  });

  it('exits 1 and says why and what to do when the rotation fails', async () => {
    // Content naming an engine no rotator serves: createSecret fails.
    const arn = await createSecret(`it-cli-${runId}/bad`, {
      engine: 'no-such-engine',
      username: 'u',
      password: 'x',
    });
    await sm.send(
      new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ROTATION_ARN, RotateImmediately: false }),
    );
    await waitForRotation({ sm, secretId: arn, local: localLog() });
    const token = randomUUID();

    const result = await capture([
      'rotate-secret',
      arn,
      '--endpoint-url',
      endpoint.url,
      '--wait',
      '--token',
      token,
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed in createSecret: RotatorNotFoundError/);
    expect(result.stderr).toContain('rekey doctor');
    expect(holder(await stagesOf(sm, arn), 'AWSPENDING')).toBe(token);
  });

  it('refuses to start over a stuck rotation and names the token that finishes it', async () => {
    const arn = created.at(-1) ?? '';
    const pending = holder(await stagesOf(sm, arn), 'AWSPENDING');

    const result = await capture(['rotate-secret', arn, '--endpoint-url', endpoint.url]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`--token ${pending} --wait`);
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await capture(['rotate-secret', '--endpoint-url', endpoint.url])).code).toBe(2);
    expect((await capture(['rotate-secret', 'x', '--token', 'short'])).code).toBe(2);
  });
});

describe('rekey rotate-fleet', () => {
  const filter = `tag:${TAG}=${runId}`;
  const fleet: string[] = [];

  beforeAll(async () => {
    // Set up three days ago (the endpoint's clock goes back, then forward again): the CLI reads
    // the real clock, as it does against 'rekey local', and sees these rotations as overdue.
    endpoint.clock.advance(-3 * 86_400_000);
    for (let i = 0; i < 6; i++) {
      const arn = await createSecret(
        `it-cli-${runId}/fleet-${i}`,
        { username: 'app', password: `p-${randomUUID()}` },
        { [TAG]: runId, 'rekey:rotator': 'generated' },
      );
      await enableRotation(arn);
      fleet.push(arn);
    }
    // One that cannot rotate (no rotator serves its engine): its rotation fails, the fleet goes on.
    fleet.push(
      await createSecret(
        `it-cli-${runId}/fleet-bad`,
        { engine: 'no-such-engine', password: 'x' },
        { [TAG]: runId },
      ),
    );
    await enableRotation(fleet.at(-1) ?? '', false);
    endpoint.clock.advance(3 * 86_400_000);
    // And one rotated just now: healthy, left alone.
    const healthy = await createSecret(
      `it-cli-${runId}/fleet-fresh`,
      { password: 'y' },
      { [TAG]: runId, 'rekey:rotator': 'generated' },
    );
    await enableRotation(healthy);
    fleet.push(healthy);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = await Promise.all(fleet.map((arn) => stagesOf(sm, arn)));

    const result = await capture([
      'rotate-fleet',
      '--filter',
      filter,
      '--endpoint-url',
      endpoint.url,
      '--dry-run',
      '--output',
      'json',
    ]);

    expect(result.code).toBe(0);
    const { plan } = JSON.parse(result.stdout) as {
      plan: { candidates: number; selected: number; preview: { name: string; classification: string }[] };
    };
    expect(plan).toMatchObject({ candidates: 7, selected: 7 });
    expect(plan.preview).toHaveLength(7);
    expect(plan.preview.every((c) => c.classification === 'overdue')).toBe(true);
    expect(await Promise.all(fleet.map((arn) => stagesOf(sm, arn)))).toEqual(before);
  });

  it('rotates the fleet locally, prints the summary as a table, and exits 1 for the one failure', async () => {
    const before = await Promise.all(fleet.map(async (arn) => holder(await stagesOf(sm, arn), 'AWSCURRENT')));

    const result = await capture([
      'rotate-fleet',
      '--filter',
      filter,
      '--endpoint-url',
      endpoint.url,
      '--max-concurrency',
      '3',
      // The one failing rotation is declared failed after 5 quiet seconds, not the default 10 (2 s could
      // call a rotation whose steps start late, after RotateSecret answered, failed).
      '--stall-timeout',
      '5',
    ]);

    expect(result.code).toBe(1);
    // Only the failure is listed, with its cause.
    expect(result.stdout).toMatch(/^FAILED SECRET\s+FOUND\s+CAUSE/);
    expect(result.stdout).toMatch(
      new RegExp(`it-cli-${runId}/fleet-bad\\s+\\S+\\s+RotationFailedError: AWSPENDING is still on version`),
    );
    expect(result.stdout).toContain('8 matched (7 overdue, 1 healthy): 6 rotated, 1 failed, 1 left alone.');
    expect(result.stdout).toMatch(
      /14 writes in [\d.]+ s: [\d.]+ writes\/s against a quota of 50\/s \(fleet share 90%\)/,
    );
    // Progress on stderr: rotated / failed / remaining and the rate against the quota.
    expect(result.stderr).toMatch(/Planned: 8 matched, 7 need a rotation, 7 this run/);
    expect(result.stderr).toMatch(
      /6 rotated, 1 failed, 0 remaining · [\d.]+ writes\/s \(quota 50\/s, fleet share 90%\)/,
    );
    const after = await Promise.all(fleet.map(async (arn) => holder(await stagesOf(sm, arn), 'AWSCURRENT')));
    expect(after.slice(0, 6).every((id, i) => id !== before[i])).toBe(true);
    expect(after.slice(6)).toEqual(before.slice(6));
    for (const value of await allValues()) expect(result.stdout + result.stderr).not.toContain(value);
  });

  it("publishes the summary event on the stack's bus, the only one the fleet role may publish to", async () => {
    const { events } = await readEvents(
      { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT },
      { eventBusName: 'rekey' },
    );
    const summaries = events.filter((e) => e['detail-type'] === 'Secret Fleet Rotation Summary');
    expect(summaries).toHaveLength(1);
    expect((summaries[0]?.detail as { counts: { rotated: number } } | undefined)?.counts.rotated).toBe(6);
  });

  it('runs as the fleet role: a matched secret without the rekey:fleet tag is denied, not rotated', async () => {
    endpoint.clock.advance(-3 * 86_400_000);
    const untagged = await createSecret(
      `it-cli-${runId}/not-fleet`,
      { username: 'app', password: `p-${randomUUID()}` },
      { 'rekey-it-team': runId, 'rekey:rotator': 'generated' },
    );
    await enableRotation(untagged);
    endpoint.clock.advance(3 * 86_400_000);
    const before = holder(await stagesOf(sm, untagged), 'AWSCURRENT');

    const result = await capture([
      'rotate-fleet',
      '--filter',
      `tag:rekey-it-team=${runId}`,
      '--endpoint-url',
      endpoint.url,
      '--stall-timeout',
      '5',
    ]);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`it-cli-${runId}/not-fleet\\s+\\S+\\s+AccessDeniedException`));
    expect(holder(await stagesOf(sm, untagged), 'AWSCURRENT')).toBe(before);
  });

  it('refuses a missing or malformed filter with exit code 2', async () => {
    expect((await capture(['rotate-fleet', '--endpoint-url', endpoint.url])).code).toBe(2);
    expect((await capture(['rotate-fleet', '--filter', 'team=x', '--endpoint-url', endpoint.url])).code).toBe(
      2,
    );
  });
});
