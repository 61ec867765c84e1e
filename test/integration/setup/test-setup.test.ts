/**
 * scripts/test-setup.sh, the set-up `npm test` runs first (npm's `pretest`) and .ci/run runs:
 * afterwards everything the suite needs answers; what it cannot do stops it at once with the
 * one command to run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const SCRIPT = join(process.cwd(), 'scripts', 'test-setup.sh');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekey-setup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const setup = (env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    execFile('bash', [SCRIPT], { env, timeout: 600_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr, ms: Date.now() - started }),
    );
  });

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

it('leaves the three database servers answering and the browser and AWS CLI installed', async () => {
  const ran = await setup(process.env);

  expect(ran.stderr).not.toMatch(/did not start|is missing|not installed/);
  expect(ran.code).toBe(0);
  for (const port of [5432, 3306, 6379]) expect(await answers(port), `port ${port}`).toBe(true);
  expect(existsSync('/usr/bin/chromium')).toBe(true);
  expect(existsSync('/usr/bin/aws')).toBe(true);
});

it('without root, stops at once naming the one command that installs what is missing', async () => {
  // A non-root user: `id -u` answers 1000.
  const bin = join(dir, 'bin');
  await writeFile(join(dir, 'id'), '#!/bin/sh\necho 1000\n');
  await chmod(join(dir, 'id'), 0o755);
  const env = {
    ...process.env,
    PATH: `${dir}:${process.env.PATH ?? ''}`,
    REKEY_TEST_CHROMIUM: join(bin, 'chromium-that-is-not-there'),
  };

  const ran = await setup(env);

  expect(ran.code).toBe(1);
  expect(ran.stderr).toContain(
    `${join(bin, 'chromium-that-is-not-there')} is missing. Install it: sudo apt-get install -y chromium`,
  );
  expect(ran.ms).toBeLessThan(10_000);
});

it('npm test runs it first, and .ci/run runs the same script', async () => {
  const pkg = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(pkg.scripts.pretest).toBe('bash scripts/test-setup.sh');
  const ci = await readFile(join(process.cwd(), '.ci', 'run'), 'utf8');
  expect(ci).toContain('bash scripts/test-setup.sh');
  expect(ci).not.toMatch(/apt-get|pg_ctlcluster|redis-server/);
});
