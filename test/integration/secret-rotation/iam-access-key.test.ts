import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { type RotationLogEntry, readRotationLog } from '../../../local/core/admin-client.js';
import type { LocalEndpoint } from '../../../local/endpoint.js';
import { captureLogs } from '../../unit/secret-rotation/helpers.js';
import { type RotationEndpoint, startRotationEndpoint } from '../helpers/rotation-endpoint.js';

/**
 * IAM user access keys rotated through RotateSecret on the local endpoint: the real handler,
 * its IAM and STS clients pointed where its Secrets Manager client points. RotateSecret may
 * return before the rotation ends, as on AWS: every test waits on the rotation log.
 * Secret access keys are compared, never printed.
 */

const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`;
const CRASH_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-it-crash`;

let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
let iam: IAMClient;
let cache: SecretValueCache;
let handler: (event: unknown) => Promise<void>;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  let clientConfig: RotationEndpoint['clientConfig'];
  ({ endpoint, sm, cache, handler, clientConfig } = await startRotationEndpoint(ACCOUNT, REGION));
  iam = new IAMClient({ ...clientConfig, region: 'us-east-1' });
});

afterAll(async () => {
  await endpoint.close();
});

beforeEach(() => {
  logs = captureLogs();
  cache.clear();
});

afterEach(() => {
  logs.restore();
});

interface KeySecret {
  UserName: string;
  AccessKeyId: string;
  SecretAccessKey: string;
  [field: string]: unknown;
}

const rotationLog = async (secretId: string): Promise<RotationLogEntry[]> =>
  (await readRotationLog({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT }, secretId)).entries;

/** Starts (or with `token` reattempts) a rotation and waits, as against AWS, for it to end. */
const rotate = async (
  arn: string,
  options: { token?: string; lambda?: string } = {},
): Promise<{ token: string; failure?: RotationLogEntry }> => {
  const seen = (await rotationLog(arn)).length;
  const output = await sm.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: options.lambda ?? FUNCTION_ARN,
      RotationRules: { AutomaticallyAfterDays: 90 },
      ...(options.token ? { ClientRequestToken: options.token } : {}),
    }),
  );
  const version = output.VersionId ?? options.token ?? '';
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const entries = (await rotationLog(arn)).slice(seen).filter((e) => e.clientRequestToken === version);
    const failure = entries.find((e) => e.outcome === 'failed');
    if (failure) return { token: version, failure };
    if (entries.some((e) => e.step === 'finishSecret' && e.outcome === 'succeeded')) {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
      if (described.VersionIdsToStages?.[version]?.includes('AWSCURRENT')) return { token: version };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`rotation ${version} did not finish within 20 s`);
};

/** A user with one access key (made by hand, as a team would) and a secret holding it. */
const userWithSecret = async (tags?: { Key: string; Value: string }[]) => {
  const userName = `svc-${randomUUID().slice(0, 8)}`;
  // Tagged as the deployed role requires (IamKeyUserTagValue's default: docs/iam-access-keys.md).
  await iam.send(
    new CreateUserCommand({
      UserName: userName,
      Path: '/rotated/',
      Tags: [{ Key: 'rekey:access-keys', Value: 'rotate' }],
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  const value: KeySecret = {
    UserName: userName,
    AccessKeyId: key?.AccessKeyId ?? '',
    SecretAccessKey: key?.SecretAccessKey ?? '',
    region: 'eu-west-1',
  };
  const output = await sm.send(
    new CreateSecretCommand({
      Name: `rekey-it/iam/${userName}`,
      SecretString: JSON.stringify(value),
      Tags: tags,
    }),
  );
  return { arn: output.ARN ?? '', userName, seed: value };
};

const current = async (arn: string): Promise<KeySecret> =>
  JSON.parse(
    (await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }))).SecretString ??
      '',
  ) as KeySecret;

const keysOf = async (userName: string) =>
  Object.fromEntries(
    ((await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []).map((k) => [
      k.AccessKeyId,
      k.Status,
    ]),
  );

/** The ARN STS answers for a key, or the error name it refuses it with. */
const signsInAs = async (key: KeySecret): Promise<string> => {
  const sts = new STSClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
    maxAttempts: 1,
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
  } catch (error) {
    return (error as Error).name;
  } finally {
    sts.destroy();
  }
};

const expectNothingLeaked = async (arn: string, keys: KeySecret[]) => {
  const printed = `${logs.text()}\n${JSON.stringify(await rotationLog(arn))}`;
  for (const key of keys)
    expect(printed.includes(key.SecretAccessKey), 'a secret key was printed').toBe(false);
};

describe('IAM access keys rotated through RotateSecret', () => {
  it('the new key is current, the old one deactivated, and deleted by the next rotation', async () => {
    const { arn, userName, seed } = await userWithSecret();
    const userArn = (await iam.send(new GetUserCommand({ UserName: userName }))).User?.Arn;
    expect(userArn).toBe(`arn:aws:iam::${ACCOUNT}:user/rotated/${userName}`);

    const first = await rotate(arn);
    expect(first.failure).toBeUndefined();
    const v1 = await current(arn);
    expect(v1.AccessKeyId).not.toBe(seed.AccessKeyId);
    expect(v1).toMatchObject({ UserName: userName, region: 'eu-west-1' });
    expect(await signsInAs(v1)).toBe(userArn);
    // The previous key is deactivated, not deleted: it can be re-activated if something breaks.
    expect(await keysOf(userName)).toEqual({ [seed.AccessKeyId]: 'Inactive', [v1.AccessKeyId]: 'Active' });
    expect(await signsInAs(seed)).toBe('InvalidClientTokenId');

    const second = await rotate(arn);
    expect(second.failure).toBeUndefined();
    const v2 = await current(arn);
    expect(await signsInAs(v2)).toBe(userArn);
    expect(await keysOf(userName)).toEqual({ [v1.AccessKeyId]: 'Inactive', [v2.AccessKeyId]: 'Active' });

    const third = await rotate(arn);
    expect(third.failure).toBeUndefined();
    const v3 = await current(arn);
    expect(await keysOf(userName)).toEqual({ [v2.AccessKeyId]: 'Inactive', [v3.AccessKeyId]: 'Active' });
    // AWSPREVIOUS holds the deactivated key, so an operator can find and re-activate it.
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }));
    expect((JSON.parse(previous.SecretString ?? '{}') as KeySecret).AccessKeyId).toBe(v2.AccessKeyId);
    await expectNothingLeaked(arn, [seed, v1, v2, v3]);
  });

  it('refuses to delete an active key it did not create, names it, and changes nothing', async () => {
    const { arn, userName, seed } = await userWithSecret();
    const other = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
    const otherId = other?.AccessKeyId ?? '';

    const attempt = await rotate(arn);
    expect(attempt.failure).toMatchObject({ step: 'createSecret', errorType: 'RotationConfigurationError' });
    expect(attempt.failure?.message).toContain(otherId);
    expect(attempt.failure?.message).not.toContain(other?.SecretAccessKey);
    expect(await current(arn)).toEqual(seed);
    expect(await keysOf(userName)).toEqual({ [seed.AccessKeyId]: 'Active', [otherId]: 'Active' });

    // Once its owner deactivates it, the reattempt (same token, as Secrets Manager retries) may delete it.
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: otherId, Status: 'Inactive' }),
    );
    const retry = await rotate(arn, { token: attempt.token });
    expect(retry.failure).toBeUndefined();
    const now = await current(arn);
    expect(await keysOf(userName)).toEqual({ [seed.AccessKeyId]: 'Inactive', [now.AccessKeyId]: 'Active' });
    await expectNothingLeaked(arn, [seed, now, { ...seed, SecretAccessKey: other?.SecretAccessKey ?? '' }]);
  });

  it('createSecret run twice creates one key; a reattempt finishes with it', async () => {
    const { arn, userName, seed } = await userWithSecret();
    const crashed = await rotate(arn, { lambda: CRASH_ARN });
    expect(crashed.failure?.step).toBe('createSecret');
    const event = { Step: 'createSecret', SecretId: arn, ClientRequestToken: crashed.token };
    await handler(event);
    cache.clear(); // a cold container: the reuse must come from AWSPENDING, not memory
    await handler(event);
    const keys = await keysOf(userName);
    expect(Object.keys(keys)).toHaveLength(2);

    const pending = JSON.parse(
      (await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPENDING' })))
        .SecretString ?? '',
    ) as KeySecret;
    const finished = await rotate(arn, { token: crashed.token });
    expect(finished.failure).toBeUndefined();
    expect((await current(arn)).AccessKeyId).toBe(pending.AccessKeyId);
    expect(await keysOf(userName)).toEqual({
      [seed.AccessKeyId]: 'Inactive',
      [pending.AccessKeyId]: 'Active',
    });
  });

  it('a pending key that does not sign in fails testSecret and leaves AWSCURRENT working', async () => {
    const { arn, userName, seed } = await userWithSecret();
    const crashed = await rotate(arn, { lambda: CRASH_ARN });
    await handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: crashed.token });
    const pending = JSON.parse(
      (await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPENDING' })))
        .SecretString ?? '',
    ) as KeySecret;
    await iam.send(
      new UpdateAccessKeyCommand({
        UserName: userName,
        AccessKeyId: pending.AccessKeyId,
        Status: 'Inactive',
      }),
    );
    // testSecret retries InvalidClientTokenId for about 15 s (IAM is eventually consistent).
    const failed = await rotate(arn, { token: crashed.token }).catch((error: Error) => ({
      token: '',
      failure: { step: 'timeout', message: error.message } as RotationLogEntry,
    }));
    expect(failed.failure).toMatchObject({ step: 'testSecret', errorType: 'SecretTestFailedError' });
    expect(failed.failure?.message).toContain(pending.AccessKeyId);
    expect(failed.failure?.message).toContain('InvalidClientTokenId');
    expect(await current(arn)).toEqual(seed);
    expect((await keysOf(userName))[seed.AccessKeyId]).toBe('Active');
    expect(await signsInAs(seed)).toMatch(/:user\/rotated\//);
    await expectNothingLeaked(arn, [seed, pending]);
  }, 40_000);

  it('names the missing field of a secret tagged for this rotator', async () => {
    const userName = `svc-${randomUUID().slice(0, 8)}`;
    await iam.send(new CreateUserCommand({ UserName: userName }));
    const output = await sm.send(
      new CreateSecretCommand({
        Name: `rekey-it/iam/${userName}`,
        SecretString: JSON.stringify({ UserName: userName, AccessKeyId: 'AKIAEXAMPLEEXAMPLE12' }),
        Tags: [{ Key: 'rekey:rotator', Value: 'iam-access-key' }],
      }),
    );
    const attempt = await rotate(output.ARN ?? '');
    expect(attempt.failure).toMatchObject({ step: 'createSecret', errorType: 'SecretFormatError' });
    expect(attempt.failure?.message).toContain('"SecretAccessKey"');
    expect(await keysOf(userName)).toEqual({});
  });
});
