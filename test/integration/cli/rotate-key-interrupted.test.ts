/**
 * A local key rotation stopped by killing the `rekey` process is reported by `rekey doctor` and
 * finished by running the same command again: stopped before the alias swap (waiting for imported
 * key material), the successor already made goes into service and no second one is made; stopped
 * after it (in the grace period), the old key is retired.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { expect, it } from 'vitest';
import {
  ACCOUNT,
  aliasName,
  createAliasedKey,
  importKeyMaterial,
  REGION,
  tagsOf,
  useHarness,
} from '../key-rotation/helpers.js';

const BIN = join(process.cwd(), 'bin', 'rekey.mjs');
const h = useHarness();

const env = (): NodeJS.ProcessEnv => {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) out[key] = value;
  return { ...out, AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: REGION };
};

const start = (args: string[]): ChildProcess =>
  spawn(process.execPath, [BIN, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });

/** Waits until the process printed `text` on stderr, then sends it `signal` (SIGKILL: a crash). */
const killAt = (child: ChildProcess, text: string, signal: NodeJS.Signals = 'SIGKILL') =>
  new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`never printed ${text}: ${seen}`)), 60_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes(text)) {
        clearTimeout(timer);
        child.kill(signal);
        resolve();
      }
    });
  });

const doctor = async (url: string) => {
  const ran = await finish(
    start(['doctor', '--endpoint-url', url, '--stuck-after', '0', '--output', 'json']),
  );
  const report = JSON.parse(ran.stdout) as {
    problems: { kind: string; resource: string; fix: string[]; description: string }[];
  };
  return { code: ran.code, problems: report.problems };
};

const finish = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );

it('doctor reports the interrupted rotation; running the command again resumes it', async () => {
  // Prepare: a key with imported material; its successor will wait for material too.
  const alias = aliasName('interrupted');
  const old = await createAliasedKey(h, alias, { Origin: 'EXTERNAL', KeySpec: 'SYMMETRIC_DEFAULT' });
  const url = h.endpoint.url;

  // Act 1: rotate, and kill the process (no clean-up can run) while it waits for key material.
  await killAt(
    start(['rotate-key', alias, '--force', '--endpoint-url', url]),
    'Wait For Key Material Import',
  );
  const tags = await tagsOf(h, old.KeyId ?? '');
  const successor = tags['rekey:pending-successor'] ?? '';
  expect(tags['rekey:pending-rotation']).toEqual(expect.any(String));
  expect(successor).toMatch(/^arn:aws:kms:/);

  // Assess 1: doctor names it, with the command that resumes it first.
  const found = await doctor(url);
  const problem = found.problems.find((p) => p.kind === 'key-rotation-interrupted' && p.resource === alias);
  expect(problem?.fix[0]).toBe(`rekey rotate-key ${alias} --region ${REGION} --endpoint-url ${url}`);
  expect(problem?.description).toContain(successor);
  expect(found.code).toBe(3);

  // Act 2: the key owner imports the material; the same command (without --force) runs again.
  await importKeyMaterial(h, successor, 'SYMMETRIC_DEFAULT');
  const keysBefore = (await h.kms().send(new ListKeysCommand({}))).Keys?.length;
  const second = await finish(
    start(['rotate-key', alias, '--endpoint-url', url, '--grace-seconds', '0', '--retention-seconds', '0']),
  );

  // Assess 2: resumed, the same successor in service, no new key, and doctor has nothing left.
  expect(second.stderr).toContain(`Resuming rotation ${tags['rekey:pending-rotation']}`);
  expect(second.code).toBe(0);
  expect((await h.kms().send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn).toBe(successor);
  expect((await h.kms().send(new ListKeysCommand({}))).Keys?.length).toBe(keysBefore);
  expect((await doctor(url)).problems.filter((p) => p.resource === alias)).toEqual([]);
});

it('a rotation stopped in the grace period: doctor reports it; running again retires the old key', async () => {
  const alias = aliasName('retire');
  const old = await createAliasedKey(h, alias, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
  const url = h.endpoint.url;

  // Act 1: Ctrl+C while the old key waits out a long grace period, after the swap.
  const first = start(['rotate-key', alias, '--force', '--grace-seconds', '600', '--endpoint-url', url]);
  const stopped = finish(first);
  await killAt(first, 'Wait Grace Period', 'SIGINT');
  const interrupted = await stopped;
  // Ended by the signal, as a shell reports Ctrl+C (exit status 130 either way).
  expect(interrupted.code === 130 || interrupted.signal === 'SIGINT').toBe(true);
  expect(interrupted.stderr).toContain(
    `Stopped (SIGINT) before the rotation of ${alias} finished. Run the same command again to finish it`,
  );
  const successor = (await h.kms().send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
  expect(successor?.KeyId).not.toBe(old.KeyId);
  expect((await h.kms().send(new DescribeKeyCommand({ KeyId: old.KeyId }))).KeyMetadata?.KeyState).toBe(
    'Enabled',
  );

  // Assess 1: doctor names the unfinished retirement and the command that finishes it.
  const found = await doctor(url);
  const problem = found.problems.find((p) => p.kind === 'key-retirement-interrupted' && p.resource === alias);
  expect(problem?.description).toContain(`its old key ${old.KeyId} is still enabled`);
  expect(problem?.fix).toEqual([`rekey rotate-key ${alias} --region ${REGION} --endpoint-url ${url}`]);

  // Act 2: the same command again (not due now, so no new rotation).
  const again = await finish(start(['rotate-key', alias, '--retention-seconds', '0', '--endpoint-url', url]));

  // Assess 2: the old key is retired, the alias keeps its successor, doctor is satisfied.
  expect(again.stderr).toContain(`Finishing the retirement of ${old.KeyId}`);
  expect(again.stdout).toMatch(/old key in eu-central-1 disabled, deletion scheduled for \d{4}-/);
  expect(again.stdout).toContain('not due');
  expect(again.code).toBe(0);
  expect((await h.kms().send(new DescribeKeyCommand({ KeyId: old.KeyId }))).KeyMetadata?.KeyState).toBe(
    'PendingDeletion',
  );
  expect((await h.kms().send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyId).toBe(
    successor?.KeyId,
  );
  expect((await doctor(url)).problems.filter((p) => p.resource === alias)).toEqual([]);
});
