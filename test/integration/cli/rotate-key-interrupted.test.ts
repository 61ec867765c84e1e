/**
 * A local key rotation stopped before the alias swap (the `rekey` process killed while the
 * workflow waits for imported key material) is reported by `rekey doctor` and resumed by running
 * the same command again: the successor already made goes into service, no second one is made.
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

const finish = (child: ChildProcess) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

it('doctor reports the interrupted rotation; running the command again resumes it', async () => {
  // Prepare: a key with imported material; its successor will wait for material too.
  const alias = aliasName('interrupted');
  const old = await createAliasedKey(h, alias, { Origin: 'EXTERNAL', KeySpec: 'SYMMETRIC_DEFAULT' });
  const url = h.endpoint.url;

  // Act 1: rotate, and kill the process (no clean-up can run) while it waits for key material.
  const first = start(['rotate-key', alias, '--force', '--endpoint-url', url]);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`never reached the wait: ${seen}`)), 60_000);
    first.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes('Wait For Key Material Import')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  first.kill('SIGKILL');
  const tags = await tagsOf(h, old.KeyId ?? '');
  const successor = tags['rekey:pending-successor'] ?? '';
  expect(tags['rekey:pending-rotation']).toEqual(expect.any(String));
  expect(successor).toMatch(/^arn:aws:kms:/);

  // Assess 1: doctor names it, with the command that resumes it first.
  const doctor = await finish(start(['doctor', '--endpoint-url', url, '--output', 'json']));
  const report = JSON.parse(doctor.stdout) as {
    problems: { kind: string; resource: string; fix: string[]; description: string }[];
  };
  const problem = report.problems.find((p) => p.kind === 'key-rotation-interrupted' && p.resource === alias);
  expect(problem?.fix[0]).toBe(`rekey rotate-key ${alias} --region ${REGION} --endpoint-url ${url}`);
  expect(problem?.description).toContain(successor);
  expect(doctor.code).toBe(3);

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
  const after = await finish(start(['doctor', '--endpoint-url', url, '--output', 'json']));
  const remaining = (JSON.parse(after.stdout) as { problems: { kind: string; resource: string }[] }).problems;
  expect(remaining.filter((p) => p.resource === alias)).toEqual([]);
});
