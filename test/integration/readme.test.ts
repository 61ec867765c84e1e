/**
 * The README's walkthrough, run as written: every fenced block marked `<!-- runnable -->` runs in
 * bash (`-euo pipefail`) against the `rekey local` endpoint the `<!-- runnable: server -->` block
 * starts, with Debian's AWS CLI (2.9, which ignores AWS_ENDPOINT_URL) first on PATH as on a
 * fresh Debian machine, and a private PostgreSQL cluster with password authentication (under
 * the shared server's `trust` rule any password logs in, which would prove nothing). Only the
 * ports (free ones instead of 4566 and 5432) and the role name (a random suffix) are changed;
 * PGPASSWORD is given as the reader would. Then the outcome is checked where it lives: the
 * role's password in PostgreSQL is the secret's new AWSCURRENT value.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from './helpers/databases.js';

const ROOT = process.cwd();
const AWS_V2_9 = '/usr/bin/aws';

interface Block {
  readonly kind: 'server' | 'run';
  readonly code: string;
}

/** The marked fenced blocks of a Markdown text, in order. */
const runnableBlocks = (markdown: string): Block[] => {
  const blocks: Block[] = [];
  const pattern = /<!-- runnable(: server)? -->\n```sh\n([\s\S]*?)```/g;
  for (let m = pattern.exec(markdown); m; m = pattern.exec(markdown)) {
    blocks.push({ kind: m[1] ? 'server' : 'run', code: m[2] ?? '' });
  }
  return blocks;
};

const role = `rekey_demo_app_${randomBytes(4).toString('hex')}`;
let server: ChildProcess | undefined;
let postgres: PrivatePostgres | undefined;
let serverStdout = '';
let serverStderr = '';
let port = 0;
let dir: string;
let blocks: Block[];

/** Only the port and the role name differ from the README. */
const adapt = (code: string) =>
  code
    .replaceAll('127.0.0.1:4566', `127.0.0.1:${port}`)
    .replaceAll('PGPORT=5432', `PGPORT=${postgres?.port}`)
    .replaceAll('rekey_demo_app', role);

/** A clean environment: no AWS settings or files of the caller's; Debian's AWS CLI first on PATH. */
const env = (): NodeJS.ProcessEnv => {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('PG')) out[key] = value;
  }
  out.AWS_CONFIG_FILE = join(dir, 'none');
  out.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'none');
  out.PATH = `${join(dir, 'bin')}:${process.env.PATH ?? ''}`;
  if (postgres) out.PGPASSWORD = postgres.superuserPassword;
  return out;
};

const bash = (code: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', code],
      { cwd: ROOT, env: env(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekey-readme-'));
  postgres = await startPrivatePostgres();
  // Debian's AWS CLI 2.9, as `aws` on a fresh Debian machine (npm test's set-up installs it).
  if (!existsSync(AWS_V2_9))
    throw new Error(`${AWS_V2_9} is missing: run npm test (its set-up installs awscli).`);
  await (await import('node:fs/promises')).mkdir(join(dir, 'bin'));
  await symlink(AWS_V2_9, join(dir, 'bin', 'aws'));

  blocks = runnableBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
  const start = blocks.find((b) => b.kind === 'server');
  if (!start) throw new Error('README.md has no <!-- runnable: server --> block');
  // The server block as written, on a free port (0) instead of 4566, which may be taken.
  server = spawn('bash', ['-c', `exec ${start.code.trim().replace('--port 4566', '--port 0')}`], {
    cwd: ROOT,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const banner = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`rekey local did not start: ${text}`)), 60_000);
    server?.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      serverStderr += chunk;
    });
    server?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      serverStdout += chunk;
      if (text.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    server?.on('exit', (code) => reject(new Error(`rekey local exited with ${code}: ${text}`)));
  });
  port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
  // The banner prints the exports the README tells the reader to run.
  expect(banner).toContain(
    `export AWS_ENDPOINT_URL=http://127.0.0.1:${port} AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1`,
  );
  expect(banner).toContain('AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=local');
  expect(banner).toContain(`aws --endpoint-url http://127.0.0.1:${port} secretsmanager list-secrets`);
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await postgres?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Whether `password` matches PostgreSQL's SCRAM-SHA-256 verifier (RFC 5802 StoredKey). */
const scramMatches = (verifier: string, password: string): boolean => {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(verifier);
  if (!m?.[1] || !m[2] || !m[3]) return false;
  const salted = pbkdf2Sync(password, Buffer.from(m[2], 'base64'), Number(m[1]), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return createHash('sha256').update(clientKey).digest('base64') === m[3];
};

it('runs every runnable command of the walkthrough as written, to a rotated PostgreSQL password', async () => {
  const runs = blocks.filter((b) => b.kind === 'run');
  expect(runs.length).toBeGreaterThanOrEqual(4);
  // Each block runs in its own bash after the blocks that only export variables, as the reader's
  // second shell keeps them.
  let exports = '';
  const outputs: string[] = [];
  for (const block of runs) {
    const code = adapt(block.code);
    const ran = await bash(`${exports}\n${code}`);
    expect(
      ran.code,
      `this README block failed:\n${code}\nstderr:\n${ran.stderr}\nstdout:\n${ran.stdout}`,
    ).toBe(0);
    outputs.push(ran.stdout);
    if (
      code
        .trim()
        .split('\n')
        .every((line) => /^(export |\s)/.test(line))
    )
      exports += `${code}\n`;
  }
  const all = outputs.join('\n');

  // The rotation finished, the report saw it, the HTML page was written, the alert was published.
  expect(all).toMatch(/Rotation of demo\/app\/db finished: version \S+ is AWSCURRENT\./);
  expect(all).toMatch(/healthy\s+demo\/app\/db\s+on\s/);
  expect(existsSync(join(ROOT, 'dist', 'rekey-status.html'))).toBe(true);
  expect(all).toContain('Certificate Expiry Finding');
  expect(all).toMatch(/IMPORTED/);

  // In PostgreSQL, the role's password is now the secret's AWSCURRENT value, no longer the first.
  const secrets = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: '123456789012', secretAccessKey: 'local' },
  });
  const current = JSON.parse(
    (await secrets.send(new GetSecretValueCommand({ SecretId: 'demo/app/db' }))).SecretString ?? '{}',
  ) as { password: string };
  secrets.destroy();
  if (!postgres) throw new Error('no PostgreSQL');
  const admin = await postgres.admin();
  const row = await admin
    .query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])
    .finally(() => admin.end());
  const verifier = row.rows[0]?.rolpassword ?? '';
  expect(scramMatches(verifier, 'first-password')).toBe(false);
  expect(scramMatches(verifier, current.password)).toBe(true);
  // rekey local's stdout is its banner only: the served function's JSON logs went to stderr.
  expect(serverStdout.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  expect(serverStderr).toMatch(/^\{"level":"INFO"/m);
  // Nothing the reader saw printed the new password.
  expect(serverStdout + serverStderr).not.toContain(current.password);
  expect(all.includes(current.password)).toBe(false);
});

it("states the Node.js requirement that package.json's engines, the node package and the template hold", async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
    devDependencies: Record<string, string>;
  };
  const template = await readFile(join(ROOT, 'template.yaml'), 'utf8');
  const major = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];

  expect(readme).toContain(`Node.js ${major} or newer (\`engines\`)`);
  expect(readme).toContain(`installs Node ${major} (the \`node\` package)`);
  expect(pkg.devDependencies.node?.split('.')[0]).toBe(major);
  expect(template).toContain(`Runtime: nodejs${major}.x`);
  expect(readme).toContain(`(\`nodejs${major}.x\`)`);
  // npm start reads REKEY_DEMO_PG_URL, and the README claims nothing else.
  expect(readme).not.toMatch(/PGHOST`?\/`?PGPORT`?\/`?PGUSER`?\)/);
});
