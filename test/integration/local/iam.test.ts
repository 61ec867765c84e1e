import { randomUUID } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  EntityAlreadyExistsException,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  LimitExceededException,
  ListAccessKeysCommand,
  ListUsersCommand,
  NoSuchEntityException,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

const ACCOUNT = '111122223333';
let endpoint: TestEndpoint;

const iamAs = (accessKeyId: string, region = 'us-east-1') =>
  new IAMClient({
    endpoint: endpoint.url,
    region,
    credentials: { accessKeyId, secretAccessKey: 'x' },
    maxAttempts: 1,
  });
const stsWith = (accessKeyId: string, secretAccessKey: string) =>
  new STSClient({
    endpoint: endpoint.url,
    region: 'eu-west-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });

const stsError = async (accessKeyId: string, secretAccessKey: string) =>
  stsWith(accessKeyId, secretAccessKey)
    .send(new GetCallerIdentityCommand({}))
    .then(
      () => undefined,
      (error: { name: string; $metadata: { httpStatusCode?: number } }) => ({
        name: error.name,
        status: error.$metadata.httpStatusCode,
      }),
    );

beforeAll(async () => {
  endpoint = await startTestEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});

describe('local IAM users over the Query protocol', () => {
  it('creates, reads, lists and tags a user with the SDK, under a path', async () => {
    const iam = iamAs(ACCOUNT);
    const name = `app-${randomUUID().slice(0, 8)}`;
    const created = await iam.send(
      new CreateUserCommand({ UserName: name, Path: '/rotated/', Tags: [{ Key: 'team', Value: 'a&b <c>' }] }),
    );
    expect(created.User?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/rotated/${name}`);
    expect(created.User?.CreateDate).toBeInstanceOf(Date);
    await iam.send(new TagUserCommand({ UserName: name, Tags: [{ Key: 'rekey:rotate', Value: 'true' }] }));
    const got = await iam.send(new GetUserCommand({ UserName: name }));
    expect(got.User?.Tags).toEqual([
      { Key: 'team', Value: 'a&b <c>' },
      { Key: 'rekey:rotate', Value: 'true' },
    ]);
    const listed = await iam.send(new ListUsersCommand({ PathPrefix: '/rotated/' }));
    expect(listed.Users?.map((u) => u.UserName)).toContain(name);
    await expect(iam.send(new CreateUserCommand({ UserName: name }))).rejects.toBeInstanceOf(
      EntityAlreadyExistsException,
    );
    await expect(iam.send(new GetUserCommand({ UserName: `${name}-missing` }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
  });

  it('is global and per account: any Region sees the same users, another account does not', async () => {
    const name = `global-${randomUUID().slice(0, 8)}`;
    await iamAs(ACCOUNT, 'us-east-1').send(new CreateUserCommand({ UserName: name }));
    const fromOtherRegion = await iamAs(ACCOUNT, 'ap-southeast-2').send(
      new GetUserCommand({ UserName: name }),
    );
    expect(fromOtherRegion.User?.UserName).toBe(name);
    await expect(iamAs('999988887777').send(new GetUserCommand({ UserName: name }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
  });
});

describe('local IAM access keys and STS GetCallerIdentity', () => {
  it('allows two keys per user, resolves each to its user, and refuses deactivated and deleted keys', async () => {
    const iam = iamAs(ACCOUNT);
    const name = `keys-${randomUUID().slice(0, 8)}`;
    const user = (await iam.send(new CreateUserCommand({ UserName: name }))).User;
    const first = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    const second = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    expect(first?.Status).toBe('Active');
    expect(first?.SecretAccessKey).toMatch(/^.{40}$/);
    await expect(iam.send(new CreateAccessKeyCommand({ UserName: name }))).rejects.toBeInstanceOf(
      LimitExceededException,
    );
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: name }));
    expect(listed.AccessKeyMetadata?.map((k) => k.AccessKeyId).sort()).toEqual(
      [first?.AccessKeyId, second?.AccessKeyId].sort(),
    );
    expect(JSON.stringify(listed)).not.toContain(first?.SecretAccessKey);

    const firstId = first?.AccessKeyId ?? '';
    const firstSecret = first?.SecretAccessKey ?? '';
    const identity = await stsWith(firstId, firstSecret).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Arn: user?.Arn, UserId: user?.UserId, Account: ACCOUNT });
    const lastUsed = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: firstId }));
    expect(lastUsed).toMatchObject({
      UserName: name,
      AccessKeyLastUsed: { ServiceName: 'sts', Region: 'eu-west-1' },
    });

    // A wrong secret fails the signature check, as AWS does.
    expect(await stsError(firstId, `${firstSecret.slice(0, 39)}X`)).toEqual({
      name: 'SignatureDoesNotMatch',
      status: 403,
    });

    await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: firstId, Status: 'Inactive' }));
    expect(await stsError(firstId, firstSecret)).toEqual({ name: 'InvalidClientTokenId', status: 403 });
    await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: firstId, Status: 'Active' }));
    expect(await stsError(firstId, firstSecret)).toBeUndefined();

    await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: firstId }));
    expect(await stsError(firstId, firstSecret)).toEqual({ name: 'InvalidClientTokenId', status: 403 });
    await expect(
      iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: firstId })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
    // With one key gone, the user may have a second again.
    await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  });

  it('keeps IAM state across a restart with --state', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const stateFile = join(await mkdtemp(join(tmpdir(), 'rekey-iam-')), 'state.json');
    const first = await startTestEndpoint({ stateFile });
    const client = (url: string) =>
      new IAMClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
      });
    await client(first.url).send(new CreateUserCommand({ UserName: 'persisted' }));
    const key = (await client(first.url).send(new CreateAccessKeyCommand({ UserName: 'persisted' })))
      .AccessKey;
    await first.close();
    const second = await startTestEndpoint({ stateFile });
    try {
      const identity = await new STSClient({
        endpoint: second.url,
        region: 'us-east-1',
        credentials: { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' },
      }).send(new GetCallerIdentityCommand({}));
      expect(identity.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/persisted`);
    } finally {
      await second.close();
    }
  });
});
