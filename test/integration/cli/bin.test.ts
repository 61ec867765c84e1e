/**
 * The `rekey` command as a user runs it: the real `bin/rekey.mjs` in a child process, its
 * output read through a pipe, against a local endpoint. Covers what only the whole program
 * shows: output complete when piped, exit codes, target selection from flags, environment and
 * profile, did-you-mean, an endpoint that is down, and where the functions' logs go.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkSeedCertificates } from '../../../local/core/admin-client.js';
import { DEFAULT_ACCOUNT_ID } from '../../../local/server.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';

const BIN = join(process.cwd(), 'bin', 'rekey.mjs');
const MiB = 1024 * 1024;
const SOURCES_NOTE = /^rekey: running the TypeScript sources through tsx .*\n/m;

let endpoint: TestEndpoint;
let dir: string;

beforeAll(async () => {
  endpoint = await startTestEndpoint({ defaultFunctions: true });
  dir = await mkdtemp(join(tmpdir(), 'rekey-bin-'));
});
afterAll(async () => {
  await endpoint?.close();
  await rm(dir, { recursive: true, force: true });
});

/** An environment with no AWS settings of the caller's, plus `extra`. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('POWERTOOLS_')) env[key] = value;
  }
  // No shared files of the machine's user either.
  env.AWS_CONFIG_FILE = join(dir, 'no-config');
  env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
  return { ...env, ...extra };
};

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/rekey.mjs ARGS` with stdout and stderr on pipes. With `slowReaderMs`, nobody
 * reads stdout for that long after the start, so a large output fills the pipe and is still
 * pending when the command finishes: what `rekey ... | jq` does when jq starts slowly.
 */
const rekey = (args: string[], env: NodeJS.ProcessEnv, slowReaderMs = 0): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    if (slowReaderMs > 0) {
      child.stdout.pause();
      setTimeout(() => child.stdout.on('data', (chunk: Buffer) => out.push(chunk)).resume(), slowReaderMs);
    } else child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    // The bin's note that it runs the TypeScript sources (no fresh build in dist/) is not the command's.
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: stderr.replace(SOURCES_NOTE, ''),
      }),
    );
  });

/** A port nothing listens on: bound, then released. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

describe('output through a pipe', () => {
  it('delivers more than 1 MiB of JSON whole, even when the reader starts late', async () => {
    // Prepare: enough certificates that the status document is well over 1 MiB.
    const region = 'ap-south-2';
    const seeded = await bulkSeedCertificates(
      { endpointUrl: endpoint.url, region, account: DEFAULT_ACCOUNT_ID },
      3000,
      {
        type: 'AMAZON_ISSUED',
        domainName: 'host-{n}.pipe.example',
        notAfter: new Date(Date.now() + 300 * 86_400_000),
      },
    );
    expect(seeded).toHaveLength(3000);

    // Act
    const ran = await rekey(
      ['status', '--output', 'json', '--region', region, '--endpoint-url', endpoint.url],
      cleanEnv(),
      1500,
    );

    // Assess: the whole document arrived and parses; the exit code is the command's.
    expect(ran.stderr).toBe('');
    expect(Buffer.byteLength(ran.stdout)).toBeGreaterThan(MiB);
    const report = JSON.parse(ran.stdout) as { certificates: unknown[] };
    expect(report.certificates).toHaveLength(3000);
    expect(ran.code).toBe(0);
  });
});

describe('usage', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const ran = await rekey(['--version'], cleanEnv());
    expect(ran).toMatchObject({ code: 0, stdout: `rekey ${pkg.version}\n` });
  });

  it('suggests the command meant, exit code 2', async () => {
    const ran = await rekey(['stauts'], cleanEnv());
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(
      "Unknown command 'stauts'. Did you mean 'rekey status'? Run 'rekey --help' to list the commands.\n",
    );
  });

  it("suggests the option meant, without parseArgs' raw text", async () => {
    const ran = await rekey(['doctor', '--regoin', 'eu-west-1'], cleanEnv());
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(
      "rekey doctor: Unknown option '--regoin'. Did you mean --region?\nRun 'rekey doctor --help' for its options.\n",
    );
  });

  it('suggests the global option meant before a command', async () => {
    const ran = await rekey(['--verbos', 'status'], cleanEnv());
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("Unknown option '--verbos' before the command. Did you mean --verbose?");
  });

  it('a missing option value says which option and how to give it', async () => {
    const ran = await rekey(['status', '--output'], cleanEnv());
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('rekey status: --output needs a value, e.g. --output VALUE.');
  });

  it('each command help ends with examples and the global options', async () => {
    const ran = await rekey(['rotate-key', '--help'], cleanEnv());
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/Examples:\n {2}rekey rotate-key alias\//);
    expect(ran.stdout).toContain('--profile NAME');
  });
});

describe('an endpoint that is down', () => {
  it('names the address and says how to start rekey local (--endpoint-url)', async () => {
    const port = await closedPort();
    const ran = await rekey(['status', '--endpoint-url', `http://127.0.0.1:${port}`], cleanEnv());
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`Cannot reach the endpoint http://127.0.0.1:${port} (connection refused)`);
    expect(ran.stderr).toContain(`npx rekey local --port ${port}`);
    expect(ran.stdout).toBe('');
  });

  it('says when the address came from AWS_ENDPOINT_URL', async () => {
    const port = await closedPort();
    const ran = await rekey(
      ['rotate-key', 'alias/x'],
      cleanEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }),
    );
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(
      `Cannot reach the endpoint http://127.0.0.1:${port} (connection refused), taken from AWS_ENDPOINT_URL`,
    );
    expect(ran.stderr).toContain('unset AWS_ENDPOINT_URL');
  });
});

describe('the target: --endpoint-url, else AWS_ENDPOINT_URL; --profile', () => {
  const region = 'eu-north-1';
  const kmsFor = (accountId: string) =>
    new KMSClient({
      endpoint: endpoint.url,
      region,
      credentials: { accessKeyId: accountId, secretAccessKey: 'local' },
    });

  const keyBehind = async (accountId: string, alias: string) => {
    const kms = kmsFor(accountId);
    const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata?.KeyId }));
    return key.KeyMetadata?.KeyId;
  };

  it('rotate-key runs locally against AWS_ENDPOINT_URL; function logs never reach stdout', async () => {
    const alias = `alias/rekey/bin-env-${Date.now()}`;
    const before = await keyBehind(DEFAULT_ACCOUNT_ID, alias);

    const ran = await rekey(
      ['rotate-key', alias, '--force', '--grace-seconds', '0', '--retention-seconds', '0', '--verbose'],
      cleanEnv({ AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: region }),
    );

    expect(ran.code).toBe(0);
    const after = (await kmsFor(DEFAULT_ACCOUNT_ID).send(new DescribeKeyCommand({ KeyId: alias })))
      .KeyMetadata;
    expect(after?.KeyId).not.toBe(before);
    expect(ran.stdout).toContain(`  -> ${after?.Arn}`);
    // stdout is the result only; --verbose puts the functions' JSON logs on stderr.
    for (const line of ran.stdout.split('\n')) expect(line.trimStart().startsWith('{')).toBe(false);
    expect(ran.stderr).toMatch(/^\{"level":"INFO".*"task":"swapAlias"/m);
    expect(ran.stderr).toMatch(/\[\d+\] Swap Alias/);
  });

  it('--log-file takes the function logs; --quiet leaves stderr empty', async () => {
    const alias = `alias/rekey/bin-log-${Date.now()}`;
    await keyBehind(DEFAULT_ACCOUNT_ID, alias);
    const logFile = join(dir, 'functions.log');

    const ran = await rekey(
      [
        'rotate-key',
        alias,
        '--force',
        '--grace-seconds',
        '0',
        '--retention-seconds',
        '0',
        '--quiet',
        '--log-file',
        logFile,
        '--endpoint-url',
        endpoint.url,
      ],
      cleanEnv({ AWS_REGION: region }),
    );

    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toContain(`${alias}: arn:aws:kms:${region}:`);
    const logs = (await readFile(logFile, 'utf8')).trim().split('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(JSON.parse(line)).toHaveProperty('level');
  });

  it('without flags, local rotate-key says it shortens the waits and shows them', async () => {
    const alias = `alias/rekey/bin-wait-${Date.now()}`;
    await keyBehind(DEFAULT_ACCOUNT_ID, alias);

    const ran = await rekey(
      ['rotate-key', alias, '--force', '--endpoint-url', endpoint.url, '--region', region],
      cleanEnv(),
    );

    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain('grace period and retention period 5 s instead of 7 days');
    expect(ran.stderr).toMatch(/Wait Grace Period: 5 s left, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    // Piped: plain lines, no carriage returns.
    expect(ran.stderr).not.toContain('\r');
  });

  it('on a terminal, the progress is one line rewritten in place with the time left', async () => {
    const alias = `alias/rekey/bin-tty-${Date.now()}`;
    await keyBehind(DEFAULT_ACCOUNT_ID, alias);
    const command = [process.execPath, BIN, 'rotate-key', alias, '--force', '--grace-seconds', '3']
      .concat(['--retention-seconds', '0', '--endpoint-url', endpoint.url, '--region', region])
      .map((word) => `'${word}'`)
      .join(' ');

    // util-linux script(1) gives the command a pseudo-terminal, as a shell window would.
    const ran = await new Promise<Ran>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });

    expect(ran.code).toBe(0);
    // The wait is redrawn each second on the same line: 3 s, 2 s, 1 s left.
    const frames = ran.stdout.split('\r').filter((f) => f.includes('Wait Grace Period'));
    expect(frames.some((f) => f.includes('Wait Grace Period: 3 s left, until'))).toBe(true);
    expect(frames.some((f) => f.includes('Wait Grace Period: 1 s left, until'))).toBe(true);
    // Steps replace each other on that line; the last one ends it before the result.
    const lastFrame = ran.stdout.split('\r').find((f) => f.includes('Rotation Succeeded')) ?? '';
    expect(lastFrame).toMatch(/^ {2}\[\d+\] Rotation Succeeded \(\d+ s elapsed\)/);
    expect(lastFrame.endsWith('\x1b[K')).toBe(true);
    expect(ran.stdout.split('\n')[1]).toMatch(/^alias\/rekey\/bin-tty-/);
    expect(ran.stdout.split('\n')[0]).toContain('Swap Alias');
  });

  it('--profile takes credentials (the account) and Region from the shared files', async () => {
    const account = '210987654321';
    const config = join(dir, 'config');
    const credentials = join(dir, 'credentials');
    await writeFile(config, `[default]\nregion = us-west-2\n\n[profile audit]\nregion = ${region}\n`);
    await writeFile(credentials, `[audit]\naws_access_key_id = ${account}\naws_secret_access_key = local\n`);
    const name = `bin/profile-${Date.now()}`;
    await new SecretsManagerClient({
      endpoint: endpoint.url,
      region,
      credentials: { accessKeyId: account, secretAccessKey: 'local' },
    }).send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    const env = cleanEnv({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials });

    const ran = await rekey(
      ['status', '--profile', 'audit', '--output', 'json', '--endpoint-url', endpoint.url],
      env,
    );
    const typo = await rekey(['status', '--profile', 'audti', '--endpoint-url', endpoint.url], env);
    // A local key rotation acts in the profile's account and Region too.
    const alias = `alias/rekey/bin-profile-${Date.now()}`;
    const before = await keyBehind(account, alias);
    const rotated = await rekey(
      [
        'rotate-key',
        alias,
        '--profile',
        'audit',
        '--force',
        '--grace-seconds',
        '0',
        '--retention-seconds',
        '0',
      ].concat(['--endpoint-url', endpoint.url]),
      env,
    );

    expect(ran.stderr).toBe('');
    const report = JSON.parse(ran.stdout) as { regions: string[]; secrets: { name: string }[] };
    expect(report.regions).toEqual([region]);
    expect(report.secrets.map((s) => s.name)).toContain(name);
    expect(rotated.code).toBe(0);
    const after = (await kmsFor(account).send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
    expect(after?.KeyId).not.toBe(before);
    expect(after?.Arn).toMatch(new RegExp(`^arn:aws:kms:${region}:${account}:key/`));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      `--profile audti is not in ${config} or ${credentials}. Did you mean --profile audit?`,
    );
  });

  it('rotate-fleet rotates locally with its summary alone on stdout; --verbose logs go to stderr', async () => {
    // An overdue secret: rotation on (every day) since three days ago, never rotated.
    const tag = `run-${Date.now()}`;
    const secrets = new SecretsManagerClient({
      endpoint: endpoint.url,
      region,
      credentials: { accessKeyId: DEFAULT_ACCOUNT_ID, secretAccessKey: 'local' },
    });
    endpoint.clock.advance(-3 * 86_400_000);
    try {
      const made = await secrets.send(
        new CreateSecretCommand({
          Name: `bin/fleet-${tag}`,
          SecretString: 'first-value',
          Tags: [
            // The fleet role may act only on secrets carrying rekey:fleet (template.yaml FleetSecrets).
            { Key: 'rekey:fleet', Value: tag },
            { Key: 'rekey:rotator', Value: 'generated' },
          ],
        }),
      );
      await secrets.send(
        new RotateSecretCommand({
          SecretId: made.ARN,
          RotationLambdaARN: `arn:aws:lambda:${region}:${DEFAULT_ACCOUNT_ID}:function:rekey-secret-rotation`,
          RotationRules: { AutomaticallyAfterDays: 1 },
          RotateImmediately: false,
        }),
      );
      // RotateSecret answers before its configuration test runs, as on AWS: wait for it.
      await waitForRotation({
        sm: secrets,
        secretId: made.ARN ?? '',
        local: { endpointUrl: endpoint.url, region, account: DEFAULT_ACCOUNT_ID },
      });
    } finally {
      endpoint.clock.advance(3 * 86_400_000);
      secrets.destroy();
    }

    const ran = await rekey(
      [
        'rotate-fleet',
        '--filter',
        `tag:rekey:fleet=${tag}`,
        '--verbose',
        '--stall-timeout',
        '30',
        '--output',
        'json',
      ],
      cleanEnv({ AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: region }),
    );

    // stdout is the summary document alone: it parses whole, with no log line before or after it.
    const summary = JSON.parse(ran.stdout) as {
      counts: { matched: number; rotated: number; failed: number };
    };
    expect(summary.counts).toMatchObject({ matched: 1, rotated: 1, failed: 0 });
    expect(ran.stderr).toMatch(/^\{"level":"INFO"/m);
    expect(ran.code).toBe(0);
  });

  it('rotate-fleet runs locally against AWS_ENDPOINT_URL instead of calling a stack', async () => {
    const ran = await rekey(
      [
        'rotate-fleet',
        '--filter',
        `name-prefix:nothing-here-${Date.now()}/`,
        '--dry-run',
        '--output',
        'json',
      ],
      cleanEnv({ AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: region }),
    );
    expect(ran.stderr).not.toContain('stack');
    expect(JSON.parse(ran.stdout)).toMatchObject({ dryRun: true, plan: { matched: 0 } });
    expect(ran.code).toBe(0);
  });
});
