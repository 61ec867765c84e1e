import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_HEADER, adminFetch } from '../../../local/core/admin-client.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { startRekeyLocalProcess } from './process.js';

const clients: SecretsManagerClient[] = [];
const client = (url: string, region: string, account: string) => {
  const c = new SecretsManagerClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
  });
  clients.push(c);
  return c;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekey-endpoint-'));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('request scope', () => {
  let endpoint: TestEndpoint;
  beforeAll(async () => {
    endpoint = await startTestEndpoint({ defaultFunctions: true });
  });
  afterAll(async () => endpoint?.close());

  it('keeps secrets per account and Region, taken from the SigV4 credential scope', async () => {
    const name = `scope/${randomUUID()}`;
    const home = client(endpoint.url, 'us-east-1', '111111111111');
    await home.send(new CreateSecretCommand({ Name: name, SecretString: 'home' }));
    const otherRegion = client(endpoint.url, 'eu-west-1', '111111111111');
    const otherAccount = client(endpoint.url, 'us-east-1', '222222222222');
    for (const c of [otherRegion, otherAccount]) {
      await expect(c.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toThrow(
        ResourceNotFoundException,
      );
      const listed = await c.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }));
      expect(listed.SecretList ?? []).toEqual([]);
    }
    // The same name is a different secret in another Region.
    const there = await otherRegion.send(new CreateSecretCommand({ Name: name, SecretString: 'there' }));
    expect(there.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:111111111111:secret:/);
    expect((await home.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('home');
  });

  it('answers an unknown X-Amz-Target or operation with an AWS error shape naming __type', async () => {
    const post = (target: string | undefined, auth = true) =>
      fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          ...(target ? { 'x-amz-target': target } : {}),
          ...(auth
            ? {
                authorization:
                  'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/x/aws4_request, Signature=0',
              }
            : {}),
        },
        body: '{}',
      });
    // Each answer names what was wrong: the unknown service, the operation, or the missing header.
    const cases: [string | undefined, RegExp][] = [
      ['NoSuchService_2020.DoIt', /Unknown service NoSuchService_2020/],
      ['secretsmanager.NoSuchOperation', /NoSuchOperation/],
      [undefined, /X-Amz-Target/],
      // Names every JavaScript object inherits are not operations of any service.
      ['secretsmanager.constructor', /Unknown operation "constructor"/],
      ['TrentService.toString', /Unknown operation "toString"/],
      ['AWSEvents.hasOwnProperty', /Unknown operation "hasOwnProperty"/],
      ['CertificateManager.valueOf', /Unknown operation "valueOf"/],
    ];
    for (const [target, message] of cases) {
      const response = await post(target);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { __type?: string; message?: string };
      expect(body.__type).toBe('UnknownOperationException');
      expect(body.message).toMatch(message);
    }
    for (const route of ['constructor', 'toString', 'no-such-route']) {
      const response = await adminFetch(`${endpoint.url}/_rekey/secretsmanager/${route}`, {});
      expect(response.status).toBe(404);
      expect(((await response.json()) as { __type?: string }).__type).toBe('UnknownOperationException');
    }
    const unsigned = await post('secretsmanager.ListSecrets', false);
    expect(((await unsigned.json()) as { __type?: string }).__type).toBe(
      'MissingAuthenticationTokenException',
    );
  });

  it('answers a malformed body with SerializationException that does not quote it, on AWS and admin routes', async () => {
    const fragment = 'tr0ub4dor-and-3';
    const body = `{"SecretId": "x", "SecretString": ${fragment}-secret}`;
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      [ADMIN_HEADER]: '1',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/x/aws4_request, Signature=0',
    };
    const answers = [
      await fetch(endpoint.url, {
        method: 'POST',
        headers: { ...headers, 'x-amz-target': 'secretsmanager.PutSecretValue' },
        body,
      }),
      await fetch(`${endpoint.url}/_rekey/secretsmanager/rotations`, { method: 'POST', headers, body }),
      await fetch(`${endpoint.url}/_rekey/calls`, { method: 'POST', headers, body }),
    ];
    for (const response of answers) {
      const text = await response.text();
      expect(response.status).toBe(400);
      expect(JSON.parse(text)).toEqual({
        __type: 'SerializationException',
        message: 'The request body is not valid JSON.',
      });
      expect(text).not.toContain(fragment);
    }
  });

  it('serves the project rotation function in-process and lists its ARN for any account and Region', async () => {
    const arn = 'arn:aws:lambda:eu-west-1:333333333333:function:rekey-secret-rotation';
    expect(endpoint.functionArns('eu-west-1', '333333333333')).toContain(arn);
    const sm = client(endpoint.url, 'eu-west-1', '333333333333');
    const name = `rotated-by-rekey/${randomUUID()}`;
    const created = await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: `old-${randomUUID()}` }),
    );
    const rotated = await sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: arn }));
    // RotateSecret answers before the steps run, as on AWS.
    expect(
      await waitForRotation({
        sm,
        secretId: name,
        token: rotated.VersionId,
        local: { endpointUrl: endpoint.url, region: 'eu-west-1', account: '333333333333' },
      }),
    ).toEqual({ status: 'succeeded' });
    const current = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    expect(current.VersionId).toBe(rotated.VersionId);
    expect(current.SecretString).not.toMatch(/^old-/);
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.VersionId).toBe(created.VersionId);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: name }))).LastRotatedDate).toBeInstanceOf(
      Date,
    );
  });
});

describe('state file', () => {
  const open: TestEndpoint[] = [];
  afterEach(async () => {
    for (const e of open.splice(0)) await e.close();
  });
  const start = async (stateFile: string) => {
    const e = await startTestEndpoint({ stateFile });
    open.push(e);
    return e;
  };

  it('restores values, staging labels, tags and ARNs after a clean stop, from a file only its owner can read', async () => {
    const file = join(dir, `round-trip-${randomUUID()}.json`);
    const first = await start(file);
    const sm1 = client(first.url, 'ap-southeast-2', '444444444444');
    const created = await sm1.send(
      new CreateSecretCommand({
        Name: 'persisted',
        SecretString: 'one',
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    const second = await sm1.send(new PutSecretValueCommand({ SecretId: 'persisted', SecretString: 'two' }));
    const before = await sm1.send(new DescribeSecretCommand({ SecretId: 'persisted' }));
    await first.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = await start(file);
    const sm2 = client(again.url, 'ap-southeast-2', '444444444444');
    const after = await sm2.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    expect(after.VersionIdsToStages).toEqual({
      [second.VersionId ?? '']: ['AWSCURRENT'],
      [created.VersionId ?? '']: ['AWSPREVIOUS'],
    });
    expect(after.Tags).toEqual([{ Key: 'team', Value: 'core' }]);
    expect(after.CreatedDate).toEqual(before.CreatedDate);
    expect((await sm2.send(new GetSecretValueCommand({ SecretId: 'persisted' }))).SecretString).toBe('two');
    const previous = await sm2.send(
      new GetSecretValueCommand({ SecretId: 'persisted', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('one');
  });

  it('has each change on disk (snapshot or journal) when its answer arrives, before any stop', async () => {
    const file = join(dir, `journal-${randomUUID()}.json`);
    const endpoint = await start(file);
    await client(endpoint.url, 'us-east-1', '555555555555').send(
      new CreateSecretCommand({ Name: 'saved-early', SecretString: 'x' }),
    );
    const names = (await readdir(dir)).filter((f) => f.startsWith(basename(file)));
    const texts = await Promise.all(names.map((f) => readFile(join(dir, f), 'utf8')));
    expect(texts.some((t) => t.includes('saved-early'))).toBe(true);
    for (const f of names) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
  });

  it('refuses to start from a corrupt state file, naming it and leaving it untouched', async () => {
    const file = join(dir, `corrupt-${randomUUID()}.json`);
    await writeFile(file, '{"format":"rekey-local-state", trunc');
    await expect(startTestEndpoint({ defaultFunctions: true, stateFile: file })).rejects.toThrow(file);
    expect(await readFile(file, 'utf8')).toBe('{"format":"rekey-local-state", trunc');
    const foreign = join(dir, `foreign-${randomUUID()}.json`);
    await writeFile(foreign, '{"hello":"world"}');
    await expect(startTestEndpoint({ defaultFunctions: true, stateFile: foreign })).rejects.toThrow(
      /not a rekey local state file/,
    );
  });
});

describe('rekey local', () => {
  it('runs as a command, answers the SDK on the printed URL and saves its state on SIGTERM', async () => {
    const file = join(dir, `cli-${randomUUID()}.json`);
    const { child, url, output } = await startRekeyLocalProcess(['--state', file]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      expect(output()).toContain('arn:aws:lambda:us-east-1:123456789012:function:rekey-secret-rotation');
      const sm = client(url, 'us-east-1', '666666666666');
      await sm.send(new CreateSecretCommand({ Name: 'from-cli', SecretString: 'kept' }));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const restored = await startTestEndpoint({ stateFile: file });
    try {
      const sm = client(restored.url, 'us-east-1', '666666666666');
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'from-cli' }))).SecretString).toBe('kept');
    } finally {
      await restored.close();
    }
  });
});
