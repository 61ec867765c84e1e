import { randomUUID } from 'node:crypto';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminFetch, adminUrl } from '../../../local/core/admin-client.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { describeGetRandomPassword } from '../../helpers/get-random-password.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { deleteExternalSecrets, itLocal, openTarget, type Target } from './target.js';

// Runs against AWS_ENDPOINT_URL when set (see target.ts); `itLocal` tests need this endpoint's
// in-process rotation functions, rotation log, clock or raw wire access.

const ACCOUNT = '111122223333';
const REGION = 'eu-central-1';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

let target: Target;
/** The local endpoint: used only by `itLocal` tests. */
let endpoint: TestEndpoint;
let sm: SecretsManagerClient;
const created: string[] = [];

/** Every payload the fake rotation functions received, by function name. */
const invocations = new Map<string, Array<Record<string, string>>>();
/** The step at which a fake function fails (by function name), if any. */
const failAt = new Map<string, string>();

/**
 * A rotation function that follows the protocol with the SDK, as AWS's templates do: createSecret
 * stores a value in AWSPENDING unless one is already there, finishSecret moves AWSCURRENT.
 */
const registerFakeRotation = (name: string): string => {
  invocations.set(name, []);
  endpoint.lambdas.register(name, async (payload) => {
    const event = payload as Record<string, string>;
    invocations.get(name)?.push(event);
    const { Step, SecretId, ClientRequestToken: token, RotationToken } = event;
    if (failAt.get(name) === Step)
      throw Object.assign(new Error(`fake failure in ${Step}`), { name: 'FakeStepError' });
    if (Step === 'createSecret') {
      try {
        await sm.send(new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        await sm.send(
          new PutSecretValueCommand({
            SecretId,
            ClientRequestToken: token,
            SecretString: `rotated-${randomUUID()}`,
            VersionStages: ['AWSPENDING'],
            RotationToken,
          }),
        );
      }
    }
    if (Step === 'finishSecret') {
      const described = await sm.send(new DescribeSecretCommand({ SecretId }));
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) =>
        s.includes('AWSCURRENT'),
      )?.[0];
      if (current !== token) {
        await sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: token,
            RemoveFromVersionId: current,
          }),
        );
      }
    }
    return null;
  });
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
};

const track = (arn: string | undefined) => {
  if (arn) created.push(arn);
};

/** Waits for a rotation as on AWS (RotateSecret answers before the steps run), reading the local log. */
const settled = (secretId: string, token?: string) =>
  waitForRotation({
    sm,
    secretId,
    token,
    local: { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT },
  });

const uniqueName = (label: string) => `test/${label}-${randomUUID().slice(0, 8)}`;

const createSecret = async (label: string, value = `v1-${randomUUID()}`) => {
  const created = await sm.send(new CreateSecretCommand({ Name: uniqueName(label), SecretString: value }));
  track(created.ARN);
  return { arn: created.ARN ?? '', name: created.Name ?? '', versionId: created.VersionId ?? '', value };
};

const stagesOf = async (secretId: string) =>
  (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};

const rotationLog = async (secretId: string) => {
  // The route's raw answer: the test reads its text for secret values.
  const response = await adminFetch(
    adminUrl({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT }, 'secretsmanager/rotations'),
    { SecretId: secretId },
  );
  return {
    text: await response.clone().text(),
    body: (await response.json()) as { Rotations: Array<Record<string, unknown>> },
  };
};

beforeAll(async () => {
  target = await openTarget(REGION, ACCOUNT);
  endpoint = target.local as TestEndpoint;
  sm = new SecretsManagerClient(target.clientConfig);
});

afterAll(async () => {
  // Against a real account, leave nothing behind.
  await deleteExternalSecrets(target, sm, created);
  sm?.destroy();
  await target?.close();
});

describe('secret identity', () => {
  it('gives a secret an ARN ending in a hyphen and six random characters, and accepts name, full ARN or partial ARN as SecretId', async () => {
    const secret = await createSecret('identity');
    expect(secret.arn).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${target.region}:\\d{12}:secret:${secret.name}-[A-Za-z0-9]{6}$`),
    );
    const partial = secret.arn.slice(0, -7);
    for (const id of [secret.name, secret.arn, partial]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(got.SecretString).toBe(secret.value);
    }
    await expect(sm.send(new GetSecretValueCommand({ SecretId: `${secret.name}-nope` }))).rejects.toThrow(
      ResourceNotFoundException,
    );
  });

  it('refuses a second CreateSecret with the same name (ResourceExistsException) but answers a retried one with the same ClientRequestToken and data', async () => {
    const name = uniqueName('create-idem');
    const token = randomUUID();
    const first = await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'a', ClientRequestToken: token }),
    );
    const retry = await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'a', ClientRequestToken: token }),
    );
    expect(retry.VersionId).toBe(first.VersionId);
    expect(retry.ARN).toBe(first.ARN);
    await expect(
      sm.send(new CreateSecretCommand({ Name: name, SecretString: 'b', ClientRequestToken: token })),
    ).rejects.toThrow(ResourceExistsException);
    await expect(sm.send(new CreateSecretCommand({ Name: name, SecretString: 'a' }))).rejects.toThrow(
      ResourceExistsException,
    );
  });

  itLocal('returns dates as epoch-second numbers on the wire', async () => {
    const secret = await createSecret('dates');
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.DescribeSecret',
        authorization: `AWS4-HMAC-SHA256 Credential=${ACCOUNT}/20260101/${REGION}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ SecretId: secret.arn }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(typeof body.CreatedDate).toBe('number');
    expect(Math.abs((body.CreatedDate as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(body.LastAccessedDate).toBeUndefined();
    await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }));
    // LastAccessedDate is kept to the day (midnight UTC).
    const accessed = (await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).LastAccessedDate;
    const midnight = new Date();
    midnight.setUTCHours(0, 0, 0, 0);
    expect(accessed?.getTime()).toBe(midnight.getTime());
  });
});

describe('GetSecretValue', () => {
  it('returns AWSCURRENT when neither VersionId nor VersionStage is given', async () => {
    const secret = await createSecret('bare-get');
    await sm.send(
      new PutSecretValueCommand({
        SecretId: secret.arn,
        SecretString: 'pending',
        VersionStages: ['AWSPENDING'],
      }),
    );
    await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'current-2' }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }));
    expect(got.SecretString).toBe('current-2');
    expect(got.VersionStages).toEqual(['AWSCURRENT']);
  });

  it('fails with ResourceNotFoundException when VersionId and VersionStage name different versions', async () => {
    const secret = await createSecret('mismatch');
    const second = await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'v2' }));
    await expect(
      sm.send(
        new GetSecretValueCommand({
          SecretId: secret.arn,
          VersionId: secret.versionId,
          VersionStage: 'AWSCURRENT',
        }),
      ),
    ).rejects.toThrow(ResourceNotFoundException);
    const agreeing = await sm.send(
      new GetSecretValueCommand({
        SecretId: secret.arn,
        VersionId: second.VersionId,
        VersionStage: 'AWSCURRENT',
      }),
    );
    expect(agreeing.SecretString).toBe('v2');
  });

  it('returns SecretBinary as bytes and enforces the 65,536-byte quota', async () => {
    const name = uniqueName('binary');
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    expect([...(got.SecretBinary ?? [])]).toEqual([...bytes]);
    expect(got.SecretString).toBeUndefined();
    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'x'.repeat(65_537) })),
    ).rejects.toThrow(InvalidParameterException);
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'x'.repeat(65_536) }));
  });
});

describe('staging labels', () => {
  it('PutSecretValue without VersionStages moves AWSCURRENT and moves AWSPREVIOUS to the old current version', async () => {
    const secret = await createSecret('labels');
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'v2' }));
    const v3 = await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'v3' }));
    const stages = await stagesOf(secret.arn);
    expect(stages).toEqual({ [v3.VersionId ?? '']: ['AWSCURRENT'], [v2.VersionId ?? '']: ['AWSPREVIOUS'] });
    // v1 lost its last label: it is deprecated, listed only with IncludeDeprecated.
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secret.arn }));
    expect(listed.Versions?.map((v) => v.VersionId).sort()).toEqual([v2.VersionId, v3.VersionId].sort());
    const all = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: secret.arn, IncludeDeprecated: true }),
    );
    expect(all.Versions?.find((v) => v.VersionId === secret.versionId)?.VersionStages).toEqual([]);
  });

  it('PutSecretValue with an existing ClientRequestToken and the same data is a no-op; with different data it is ResourceExistsException', async () => {
    const secret = await createSecret('put-idem');
    const token = randomUUID();
    const first = await sm.send(
      new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'same', ClientRequestToken: token }),
    );
    const again = await sm.send(
      new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'same', ClientRequestToken: token }),
    );
    expect(again.VersionId).toBe(first.VersionId);
    const versions = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: secret.arn, IncludeDeprecated: true }),
    );
    expect(versions.Versions).toHaveLength(2);
    await expect(
      sm.send(
        new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'other', ClientRequestToken: token }),
      ),
    ).rejects.toThrow(ResourceExistsException);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).SecretString).toBe('same');
  });

  it('attaches AWSCURRENT to the first version of a secret created without a value, whatever VersionStages says', async () => {
    const name = uniqueName('first-version');
    const created = await sm.send(new CreateSecretCommand({ Name: name }));
    expect(created.VersionId).toBeUndefined();
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toThrow(
      ResourceNotFoundException,
    );
    const first = await sm.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'first', VersionStages: ['custom'] }),
    );
    expect(first.VersionStages?.sort()).toEqual(['AWSCURRENT', 'custom']);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('first');
  });

  it('UpdateSecretVersionStage refuses to move a label attached to another version unless RemoveFromVersionId names that version', async () => {
    const secret = await createSecret('move');
    const v2 = await sm.send(
      new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'v2', VersionStages: ['AWSPENDING'] }),
    );
    const move = (removeFrom?: string) =>
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secret.arn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2.VersionId,
          RemoveFromVersionId: removeFrom,
        }),
      );
    await expect(move()).rejects.toThrow(InvalidParameterException);
    await expect(move(v2.VersionId)).rejects.toThrow(InvalidParameterException);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).VersionId).toBe(
      secret.versionId,
    );
    await move(secret.versionId);
    expect(await stagesOf(secret.arn)).toEqual({
      [v2.VersionId ?? '']: ['AWSPENDING', 'AWSCURRENT'],
      [secret.versionId]: ['AWSPREVIOUS'],
    });
  });

  it('UpdateSecretVersionStage can remove a label, but AWSCURRENT can only be moved, not removed', async () => {
    const secret = await createSecret('remove');
    const v2 = await sm.send(
      new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'v2', VersionStages: ['custom'] }),
    );
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret.arn,
        VersionStage: 'custom',
        RemoveFromVersionId: v2.VersionId,
      }),
    );
    expect(await stagesOf(secret.arn)).toEqual({ [secret.versionId]: ['AWSCURRENT'] });
    await expect(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secret.arn,
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: secret.versionId,
        }),
      ),
    ).rejects.toThrow(InvalidParameterException);
  });

  itLocal('keeps 100 versions, removing unlabelled ones only once they are 24 hours old', async () => {
    const secret = await createSecret('prune');
    // The secret's first version plus 99: 100 versions, all younger than 24 hours.
    for (let i = 0; i < 99; i++) {
      await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: `v${i}` }));
    }
    // "It does not remove versions created less than 24 hours ago": the 101st is refused.
    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'too-soon' })),
    ).rejects.toThrow(/24 hours/);
    endpoint.clock.advance(25 * 3_600_000);
    try {
      await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'a-day-later' }));
      const all = await sm.send(
        new ListSecretVersionIdsCommand({ SecretId: secret.arn, IncludeDeprecated: true, MaxResults: 100 }),
      );
      expect(all.Versions).toHaveLength(100);
      expect(all.Versions?.some((v) => v.VersionId === secret.versionId)).toBe(false);
      expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).SecretString).toBe(
        'a-day-later',
      );
    } finally {
      endpoint.clock.advance(-25 * 3_600_000);
    }
  });

  it('UpdateSecret with a value creates a new AWSCURRENT version and updates the description', async () => {
    const secret = await createSecret('update');
    const updated = await sm.send(
      new UpdateSecretCommand({
        SecretId: secret.arn,
        SecretString: 'new',
        Description: 'Updated description',
      }),
    );
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    expect(described.Description).toBe('Updated description');
    expect(described.VersionIdsToStages?.[updated.VersionId ?? '']).toEqual(['AWSCURRENT']);
    expect(described.VersionIdsToStages?.[secret.versionId]).toEqual(['AWSPREVIOUS']);
  });
});

describe('ListSecrets', () => {
  const prefix = `list-${randomUUID().slice(0, 6)}`;
  const names = [`${prefix}/alpha`, `${prefix}/beta`, `${prefix}/gamma`];

  beforeAll(async () => {
    for (const [i, name] of names.entries()) {
      await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: 'x',
          Description: i === 0 ? 'Database Credentials' : 'API key',
          Tags: [{ Key: i === 1 ? 'team' : 'owner', Value: `value${i}` }],
        }),
      );
    }
  });

  const list = async (
    filters: Array<{ Key: 'name' | 'description' | 'tag-key' | 'tag-value' | 'all'; Values: string[] }>,
  ) => {
    const out = await sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }, ...filters] }),
    );
    return (out.SecretList ?? []).map((s) => s.Name).sort();
  };

  it('filters by name prefix (case-sensitive), description prefix (not case-sensitive), tag key and tag value', async () => {
    expect(await list([])).toEqual(names);
    expect(await list([{ Key: 'name', Values: [`${prefix}/b`] }])).toEqual([names[1]]);
    expect(await list([{ Key: 'name', Values: [`${prefix}/B`] }])).toEqual([]);
    expect(await list([{ Key: 'description', Values: ['database'] }])).toEqual([names[0]]);
    expect(await list([{ Key: 'tag-key', Values: ['team'] }])).toEqual([names[1]]);
    expect(await list([{ Key: 'tag-value', Values: ['value2'] }])).toEqual([names[2]]);
  });

  it('negates a filter value prefixed with "!" and searches words across attributes with "all"', async () => {
    expect(await list([{ Key: 'tag-key', Values: ['!team'] }])).toEqual([names[0], names[2]]);
    expect(await list([{ Key: 'all', Values: ['credentials'] }])).toEqual([names[0]]);
  });

  it('pages with MaxResults and NextToken, sorted by CreatedDate in SortOrder', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await sm.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [prefix] }],
          MaxResults: 2,
          NextToken: token,
          SortOrder: 'desc',
        }),
      );
      expect((page.SecretList ?? []).length).toBeLessThanOrEqual(2);
      seen.push(...(page.SecretList ?? []).map((s) => s.Name ?? ''));
      token = page.NextToken;
    } while (token);
    expect(seen).toEqual([...names].reverse());
  });

  it('hides secrets scheduled for deletion unless IncludePlannedDeletion is set', async () => {
    const name = `${prefix}/zeta`;
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));
    await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    expect(await list([])).toEqual(names);
    const withDeleted = await sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], IncludePlannedDeletion: true }),
    );
    const deleted = withDeleted.SecretList?.find((s) => s.Name === name);
    expect(deleted?.DeletedDate).toBeInstanceOf(Date);
  });
});

describe('GetRandomPassword', () => {
  const password = async (input: ConstructorParameters<typeof GetRandomPasswordCommand>[0] = {}) =>
    (await sm.send(new GetRandomPasswordCommand(input))).RandomPassword ?? '';

  it('returns 32 characters by default with a lowercase letter, an uppercase letter, a digit and documented punctuation', async () => {
    for (let i = 0; i < 20; i++) {
      const p = await password();
      expect(p).toHaveLength(32);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[0-9]/);
      expect([...p].some((c) => PUNCTUATION.includes(c))).toBe(true);
      expect(p).not.toContain(' ');
    }
    expect(new Set(await Promise.all([password(), password(), password()])).size).toBe(3);
  });

  it('honours PasswordLength 1-4096, the Exclude options, ExcludeCharacters and IncludeSpace', async () => {
    expect(await password({ PasswordLength: 4096 })).toHaveLength(4096);
    await expect(password({ PasswordLength: 4097 })).rejects.toThrow(InvalidParameterException);
    await expect(password({ PasswordLength: 0 })).rejects.toThrow(
      /PasswordLength must be an integer from 1 to 4096/,
    );
    const digitsOnly = await password({
      PasswordLength: 200,
      ExcludeLowercase: true,
      ExcludeUppercase: true,
      ExcludePunctuation: true,
      ExcludeCharacters: '0123',
    });
    expect(digitsOnly).toMatch(/^[4-9]{200}$/);
    const spaced = await password({ PasswordLength: 4096, IncludeSpace: true });
    expect(spaced).toContain(' ');
    const one = await password({ PasswordLength: 1, RequireEachIncludedType: false });
    expect(one).toHaveLength(1);
    await expect(password({ PasswordLength: 3 })).rejects.toThrow(InvalidParameterException);
  });
});

describeGetRandomPassword(
  'Secrets Manager over the SDK',
  async (input) => (await sm.send(new GetRandomPasswordCommand(input))).RandomPassword ?? '',
);

describe('DeleteSecret and RestoreSecret', () => {
  it('refuses calls on a secret scheduled for deletion with InvalidRequestException until RestoreSecret', async () => {
    const secret = await createSecret('delete');
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: secret.arn, RecoveryWindowInDays: 7 }));
    const deletionDays = ((deleted.DeletionDate?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(deletionDays).toBeGreaterThan(6.9);
    expect(deletionDays).toBeLessThan(7.1);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).rejects.toThrow(
      InvalidRequestException,
    );
    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'x' })),
    ).rejects.toThrow(InvalidRequestException);
    await expect(sm.send(new CreateSecretCommand({ Name: secret.name, SecretString: 'x' }))).rejects.toThrow(
      InvalidRequestException,
    );
    expect((await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).DeletedDate).toBeInstanceOf(
      Date,
    );
    await sm.send(new RestoreSecretCommand({ SecretId: secret.arn }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).SecretString).toBe(
      secret.value,
    );
  });

  it('checks RecoveryWindowInDays (7-30) and its conflict with ForceDeleteWithoutRecovery', async () => {
    const secret = await createSecret('window');
    await expect(
      sm.send(new DeleteSecretCommand({ SecretId: secret.arn, RecoveryWindowInDays: 6 })),
    ).rejects.toThrow(InvalidParameterException);
    await expect(
      sm.send(
        new DeleteSecretCommand({
          SecretId: secret.arn,
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    ).rejects.toThrow(InvalidParameterException);
    await sm.send(new DeleteSecretCommand({ SecretId: secret.arn, ForceDeleteWithoutRecovery: true }));
    await expect(sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).rejects.toThrow(
      ResourceNotFoundException,
    );
    // The name is free again at once.
    await sm.send(new CreateSecretCommand({ Name: secret.name, SecretString: 'again' }));
  });

  itLocal('deletes the secret for good when the recovery window ends', async () => {
    const secret = await createSecret('expire');
    await sm.send(new DeleteSecretCommand({ SecretId: secret.arn, RecoveryWindowInDays: 7 }));
    const window = 7 * 86_400_000 + 1000;
    endpoint.clock.advance(window);
    try {
      await expect(sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).rejects.toThrow(
        ResourceNotFoundException,
      );
    } finally {
      endpoint.clock.advance(-window);
    }
  });
});

describe('tags', () => {
  it('TagResource adds or overwrites tags and UntagResource removes them', async () => {
    const secret = await createSecret('tags');
    await sm.send(
      new TagResourceCommand({
        SecretId: secret.arn,
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await sm.send(new TagResourceCommand({ SecretId: secret.arn, Tags: [{ Key: 'a', Value: '3' }] }));
    await sm.send(new UntagResourceCommand({ SecretId: secret.arn, TagKeys: ['b'] }));
    expect((await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).Tags).toEqual([
      { Key: 'a', Value: '3' },
    ]);
  });
});

describe('RotateSecret', () => {
  itLocal('answers at once and runs the steps after the response, as AWS does', async () => {
    const name = `rotation-async-${randomUUID().slice(0, 6)}`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fn = registerFakeRotation(name);
    // The function's first step waits for the test: the rotation is still running when RotateSecret answers.
    const steps = endpoint.lambdas;
    const inner = fn.split(':').at(-1) ?? '';
    const real = registerFakeRotation(`${inner}-inner`);
    steps.register(inner, async (payload, ctx) => {
      await gate;
      return steps.invoke(real, payload, ctx);
    });
    const secret = await createSecret('async');
    const rotated = await sm.send(new RotateSecretCommand({ SecretId: secret.arn, RotationLambdaARN: fn }));
    // What a caller sees straight after RotateSecret: the old value, a valueless AWSPENDING.
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).SecretString).toBe(
      secret.value,
    );
    expect((await stagesOf(secret.arn))[rotated.VersionId ?? '']).toEqual(['AWSPENDING']);
    expect((await rotationLog(secret.arn)).body).toMatchObject({ InProgress: true });
    release();
    expect(await settled(secret.arn, rotated.VersionId)).toEqual({ status: 'succeeded' });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).VersionId).toBe(
      rotated.VersionId,
    );
    expect((await rotationLog(secret.arn)).body).toMatchObject({ InProgress: false });
  });

  itLocal('with syncRotation (--sync-rotation) answers only after the four steps ran', async () => {
    const local = await startTestEndpoint({ syncRotation: true });
    const client = new SecretsManagerClient({
      endpoint: local.url,
      region: REGION,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    });
    try {
      const steps: string[] = [];
      local.lambdas.register('sync-rotation', async (payload) => {
        const { Step, SecretId, ClientRequestToken } = payload as Record<string, string>;
        steps.push(Step ?? '');
        if (Step === 'createSecret') {
          await client.send(
            new PutSecretValueCommand({
              SecretId,
              ClientRequestToken,
              SecretString: 'new',
              VersionStages: ['AWSPENDING'],
            }),
          );
        }
        if (Step === 'finishSecret') {
          const current = Object.entries(
            (await client.send(new DescribeSecretCommand({ SecretId }))).VersionIdsToStages ?? {},
          ).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
          await client.send(
            new UpdateSecretVersionStageCommand({
              SecretId,
              VersionStage: 'AWSCURRENT',
              MoveToVersionId: ClientRequestToken,
              RemoveFromVersionId: current,
            }),
          );
        }
        return null;
      });
      await client.send(new CreateSecretCommand({ Name: 'sync', SecretString: 'old' }));
      await client.send(
        new RotateSecretCommand({
          SecretId: 'sync',
          RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sync-rotation`,
        }),
      );
      expect(steps).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
      expect((await client.send(new GetSecretValueCommand({ SecretId: 'sync' }))).SecretString).toBe('new');
    } finally {
      client.destroy();
      await local.close();
    }
  });

  itLocal(
    'invokes createSecret, setSecret, testSecret, finishSecret in order with the secret ARN, the ClientRequestToken and a RotationToken',
    async () => {
      const fn = registerFakeRotation(`rotation-ok-${randomUUID().slice(0, 6)}`);
      const secret = await createSecret('rotate');
      const rotated = await sm.send(
        new RotateSecretCommand({
          SecretId: secret.name,
          RotationLambdaARN: fn,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      expect(await settled(secret.arn, rotated.VersionId)).toEqual({ status: 'succeeded' });
      const calls = invocations.get(fn.split(':').at(-1) ?? '') ?? [];
      expect(calls.map((c) => c.Step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
      for (const call of calls) {
        expect(call.SecretId).toBe(secret.arn);
        expect(call.ClientRequestToken).toBe(rotated.VersionId);
        expect(call.RotationToken).toMatch(/\S{16,}/);
      }
      expect(await stagesOf(secret.arn)).toEqual({
        [rotated.VersionId ?? '']: ['AWSPENDING', 'AWSCURRENT'],
        [secret.versionId]: ['AWSPREVIOUS'],
      });
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
      expect(described.RotationEnabled).toBe(true);
      expect(described.RotationLambdaARN).toBe(fn);
      expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 30 });
      const last = described.LastRotatedDate?.getTime() ?? 0;
      expect(Math.abs(last - Date.now())).toBeLessThan(60_000);
      // Rotation windows of a days schedule are whole UTC days: the next one ends at 23:59:59 UTC
      // thirty days after the day of the rotation.
      const day = Math.floor(last / 86_400_000) * 86_400_000;
      expect(described.NextRotationDate?.getTime()).toBe(day + 31 * 86_400_000 - 1000);
      // Rotating again works: AWSPENDING sits on the AWSCURRENT version.
      const again = await sm.send(new RotateSecretCommand({ SecretId: secret.arn }));
      await settled(secret.arn, again.VersionId);
      expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).VersionId).toBe(
        again.VersionId,
      );
    },
  );

  itLocal(
    'leaves AWSPENDING on the failed version, keeps LastRotatedDate, logs the failure without values, and refuses the next rotation as AWS does',
    async () => {
      const name = `rotation-fail-${randomUUID().slice(0, 6)}`;
      const fn = registerFakeRotation(name);
      const secret = await createSecret('rotate-fail');
      failAt.set(name, 'setSecret');
      const failed = await sm.send(new RotateSecretCommand({ SecretId: secret.arn, RotationLambdaARN: fn }));
      expect((await settled(secret.arn, failed.VersionId)).failure?.step).toBe('setSecret');
      expect(invocations.get(name)?.map((c) => c.Step)).toEqual(['createSecret', 'setSecret']);
      const stages = await stagesOf(secret.arn);
      expect(stages[failed.VersionId ?? '']).toEqual(['AWSPENDING']);
      expect(stages[secret.versionId]).toEqual(['AWSCURRENT']);
      expect((await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }))).SecretString).toBe(
        secret.value,
      );
      expect(
        (await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).LastRotatedDate,
      ).toBeUndefined();

      const log = await rotationLog(secret.arn);
      const failure = log.body.Rotations.find((r) => r.outcome === 'failed');
      expect(failure).toMatchObject({
        step: 'setSecret',
        errorType: 'FakeStepError',
        clientRequestToken: failed.VersionId,
      });
      expect(log.text).not.toContain(secret.value);
      expect(log.text).not.toContain('rotated-');

      await expect(sm.send(new RotateSecretCommand({ SecretId: secret.arn }))).rejects.toThrow(
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );

      // Reattempting the same rotation (its ClientRequestToken) recovers once the function works.
      failAt.delete(name);
      await sm.send(new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: failed.VersionId }));
      expect(await settled(secret.arn, failed.VersionId)).toEqual({ status: 'succeeded' });
      const after = await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }));
      expect(after.VersionId).toBe(failed.VersionId);
      expect(after.SecretString).toMatch(/^rotated-/);
      expect(
        (await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).LastRotatedDate,
      ).toBeInstanceOf(Date);
    },
  );

  itLocal(
    'creates a valueless AWSPENDING placeholder that GetSecretValue reports as ResourceNotFoundException',
    async () => {
      const name = `rotation-placeholder-${randomUUID().slice(0, 6)}`;
      const fn = registerFakeRotation(name);
      failAt.set(name, 'createSecret');
      const secret = await createSecret('placeholder');
      const rotated = await sm.send(new RotateSecretCommand({ SecretId: secret.arn, RotationLambdaARN: fn }));
      expect((await settled(secret.arn, rotated.VersionId)).failure?.step).toBe('createSecret');
      await expect(
        sm.send(new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSPENDING' })),
      ).rejects.toThrow(ResourceNotFoundException);
      // PutSecretValue may still fill the placeholder with its own token.
      await sm.send(
        new PutSecretValueCommand({
          SecretId: secret.arn,
          ClientRequestToken: rotated.VersionId,
          SecretString: 'filled',
          VersionStages: ['AWSPENDING'],
        }),
      );
      const pending = await sm.send(
        new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSPENDING' }),
      );
      expect(pending.SecretString).toBe('filled');
    },
  );

  itLocal(
    'with RotateImmediately false runs only testSecret, with a new token, and leaves no pending version',
    async () => {
      const name = `rotation-later-${randomUUID().slice(0, 6)}`;
      const fn = registerFakeRotation(name);
      const secret = await createSecret('later');
      const token = randomUUID();
      await sm.send(
        new RotateSecretCommand({
          SecretId: secret.arn,
          RotationLambdaARN: fn,
          ClientRequestToken: token,
          RotateImmediately: false,
          RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' },
        }),
      );
      expect(await settled(secret.arn)).toEqual({ status: 'succeeded' });
      const calls = invocations.get(name) ?? [];
      expect(calls.map((c) => c.Step)).toEqual(['testSecret']);
      expect(calls[0]?.ClientRequestToken).not.toBe(token);
      expect(await stagesOf(secret.arn)).toEqual({ [secret.versionId]: ['AWSCURRENT'] });
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
      expect(described.RotationEnabled).toBe(true);
      expect(described.RotationRules).toEqual({ ScheduleExpression: 'rate(10 days)', Duration: '3h' });
      expect(described.LastRotatedDate).toBeUndefined();
      expect(described.NextRotationDate).toBeInstanceOf(Date);
    },
  );

  itLocal('requires a rotation function it can invoke and valid RotationRules', async () => {
    const secret = await createSecret('rules');
    await expect(sm.send(new RotateSecretCommand({ SecretId: secret.arn }))).rejects.toThrow(
      InvalidRequestException,
    );
    await expect(
      sm.send(
        new RotateSecretCommand({
          SecretId: secret.arn,
          RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:not-served-here`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const fn = registerFakeRotation(`rotation-rules-${randomUUID().slice(0, 6)}`);
    for (const RotationRules of [
      { AutomaticallyAfterDays: 0 },
      { AutomaticallyAfterDays: 1001 },
      { AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' },
      { ScheduleExpression: 'rate(2 hours)' },
      { ScheduleExpression: 'every day' },
      { ScheduleExpression: 'cron(0 16 * * * *)' },
      { ScheduleExpression: 'cron(0 16 ? * MON *)', Duration: '25h' },
    ]) {
      await expect(
        sm.send(new RotateSecretCommand({ SecretId: secret.arn, RotationLambdaARN: fn, RotationRules })),
      ).rejects.toThrow(InvalidParameterException);
    }
    expect((await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).RotationEnabled).toBe(false);
    await sm.send(
      new RotateSecretCommand({
        SecretId: secret.arn,
        RotationLambdaARN: fn,
        RotationRules: { ScheduleExpression: 'cron(0 16 ? * MON *)', Duration: '2h' },
      }),
    );
    const next = (await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).NextRotationDate;
    // The window opens Monday 16:00 UTC and lasts Duration 2h: it ends at 17:59:59.
    expect(next?.getUTCDay()).toBe(1);
    expect([next?.getUTCHours(), next?.getUTCMinutes(), next?.getUTCSeconds()]).toEqual([17, 59, 59]);
  });

  itLocal(
    'CancelRotateSecret turns rotation off, keeps the function for a later RotateSecret, and leaves AWSPENDING where it is',
    async () => {
      const name = `rotation-cancel-${randomUUID().slice(0, 6)}`;
      const fn = registerFakeRotation(name);
      failAt.set(name, 'testSecret');
      const secret = await createSecret('cancel');
      const failed = await sm.send(
        new RotateSecretCommand({
          SecretId: secret.arn,
          RotationLambdaARN: fn,
          RotationRules: { AutomaticallyAfterDays: 7 },
        }),
      );
      expect((await settled(secret.arn, failed.VersionId)).failure?.step).toBe('testSecret');
      const cancelled = await sm.send(new CancelRotateSecretCommand({ SecretId: secret.arn }));
      expect(cancelled.VersionId).toBe(failed.VersionId);
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
      expect(described.RotationEnabled).toBe(false);
      expect(described.RotationLambdaARN).toBe(fn);
      expect(described.NextRotationDate).toBeUndefined();
      expect(described.VersionIdsToStages?.[failed.VersionId ?? '']).toEqual(['AWSPENDING']);
    },
  );
});
