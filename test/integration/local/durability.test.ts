/**
 * `--state FILE` loses no answered write: the journal is fsync'd before the response, so a
 * `kill -9` straight after an answer keeps it. These tests need this endpoint itself (its process
 * and its files), so they run only against `rekey local`.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEndpoint } from '../../helpers/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { startRekeyLocalProcess } from './process.js';

const ACCOUNT = '123456789012';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekey-durability-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const clientFor = (url: string) =>
  new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    maxAttempts: 1,
  });

const killHard = async (child: ChildProcess) => {
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
};

/** Reads a secret's current value from a fresh in-process endpoint loaded from `file`. */
const valueAfterRestart = async (file: string, secretId: string): Promise<string | undefined> => {
  const endpoint = await startTestEndpoint({ stateFile: file });
  const sm = clientFor(endpoint.url);
  try {
    return (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } finally {
    sm.destroy();
    await endpoint.close();
  }
};

describe('--state durability', () => {
  it('keeps every answered write through kill -9 straight after the answer (8 tries)', async () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const file = join(dir, `kill-${attempt}-${randomUUID()}.state`);
      const { child, url } = await startRekeyLocalProcess(['--state', file]);
      const sm = clientFor(url);
      const name = `durable/${randomUUID()}`;
      const last = `value-${attempt}-${randomUUID()}`;
      try {
        await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'first' }));
        await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: last }));
        // No pause: the answer above is the promise.
        await killHard(child);
      } finally {
        sm.destroy();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      expect(await valueAfterRestart(file, name)).toBe(last);
    }
  }, 120_000);

  it('keeps a finished rotation through kill -9 straight after it was seen to finish', async () => {
    const file = join(dir, `rotation-${randomUUID()}.state`);
    const { child, url } = await startRekeyLocalProcess(['--state', file]);
    const sm = clientFor(url);
    const name = `rotated/${randomUUID()}`;
    let token: string | undefined;
    try {
      await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: 'before',
          Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
        }),
      );
      token = (
        await sm.send(
          new RotateSecretCommand({
            SecretId: name,
            RotationLambdaARN: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rekey-secret-rotation`,
          }),
        )
      ).VersionId;
      expect(
        await waitForRotation({
          sm,
          secretId: name,
          token,
          local: { endpointUrl: url, region: 'us-east-1', account: ACCOUNT },
        }),
      ).toEqual({ status: 'succeeded' });
      await killHard(child);
    } finally {
      sm.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const endpoint = await startTestEndpoint({ stateFile: file });
    const again = clientFor(endpoint.url);
    try {
      const current = await again.send(new GetSecretValueCommand({ SecretId: name }));
      expect(current.VersionId).toBe(token);
      expect(current.SecretString).not.toBe('before');
    } finally {
      again.destroy();
      await endpoint.close();
    }
  }, 60_000);

  it('drops a torn last journal record and keeps everything before it', async () => {
    const file = join(dir, `torn-${randomUUID()}.state`);
    const { child, url } = await startRekeyLocalProcess(['--state', file]);
    const sm = clientFor(url);
    const name = `torn/${randomUUID()}`;
    try {
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'kept' }));
      await killHard(child);
    } finally {
      sm.destroy();
    }
    const journal = (await readdir(dir)).find((f) => f.startsWith(`${file.split('/').pop()}.journal-`));
    expect(journal).toBeDefined();
    // A crash mid-append: half a record, no newline.
    await appendFile(join(dir, journal ?? ''), '0123456789abcdef{"s":"secretsmanager","k":"1234');
    expect(await valueAfterRestart(file, name)).toBe('kept');
    // The torn tail was cut off and the file compacted: a second start reads it cleanly.
    expect(await valueAfterRestart(file, name)).toBe('kept');
  }, 60_000);

  it('refuses a damaged state file without quoting it, and leaves it untouched', async () => {
    const file = join(dir, `damaged-${randomUUID()}.state`);
    const secret = `tr0ub4dor-${randomUUID()}`;
    const endpoint = await startTestEndpoint({ stateFile: file });
    const sm = clientFor(endpoint.url);
    await sm.send(new CreateSecretCommand({ Name: 'damaged', SecretString: secret }));
    sm.destroy();
    await endpoint.close();
    const text = await readFile(file, 'utf8');
    expect(text).toContain(secret);
    // One changed character in the middle of the record that holds the value.
    const damaged = text.replace(secret, `${secret.slice(0, -1)}X`);
    await writeFile(file, damaged);

    const error = await startTestEndpoint({ defaultFunctions: true, stateFile: file }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toMatch(/damaged at line 2/);
    expect(message).not.toContain(secret.slice(0, 12));
    expect(await readFile(file, 'utf8')).toBe(damaged);
  });
});
