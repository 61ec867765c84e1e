/**
 * IAM modes and callers on the local endpoint: `enforce` refuses what a caller's policy does not
 * allow (AccessDeniedException in AWS's shape, recorded in the audit log with the statements that
 * matched), `audit` allows it but records it, `off` records nothing; callers without a policy act
 * as the account root; `--iam-policy` gives a caller (by access key id) a policy.
 */
import { CreateKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/local.js';
import { adminFetch } from '../../../local/core/admin-client.js';
import { type AuditEntry, readPolicy } from '../../../local/core/iam/index.js';
import { type LocalEndpoint, startLocalEndpoint } from '../../../local/endpoint.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CALLER = 'AKIAMODESTESTCALLER1';

const policy = readPolicy('team-policy', {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ReadTeamSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } },
    },
    { Sid: 'NeverDelete', Effect: 'Deny', Action: 'secretsmanager:DeleteSecret', Resource: '*' },
    { Sid: 'EncryptAnywhere', Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' },
  ],
});

let endpoint: LocalEndpoint;
let root: SecretsManagerClient;
let caller: SecretsManagerClient;
let team: string;
let other: string;

const client = (accessKeyId: string) =>
  new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId, secretAccessKey: 'x' },
  });

const audit = async (reset = false): Promise<AuditEntry[]> => {
  const response = await adminFetch(`${endpoint.url}/_rekey/iam/audit`, reset ? { reset: true } : {});
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
};

beforeAll(async () => {
  endpoint = await startLocalEndpoint({ iamPolicies: new Map([[CALLER, policy]]) });
  root = client(ACCOUNT);
  caller = client(CALLER);
  team =
    (
      await root.send(
        new CreateSecretCommand({
          Name: 'modes/team',
          SecretString: 'v1',
          Tags: [{ Key: 'team', Value: 'payments' }],
        }),
      )
    ).ARN ?? '';
  other = (await root.send(new CreateSecretCommand({ Name: 'modes/other', SecretString: 'v2' }))).ARN ?? '';
});
afterAll(async () => {
  await endpoint?.close();
});
beforeEach(async () => {
  endpoint.iam.mode = 'enforce';
  await audit(true);
});

describe('IAM modes', () => {
  it('enforce: the policy decides, denials look like AWS and are in the audit log with their statements', async () => {
    expect((await caller.send(new GetSecretValueCommand({ SecretId: team }))).SecretString).toBe('v1');
    const principal = `arn:aws:iam::${ACCOUNT}:user/${CALLER}`;
    await expect(caller.send(new GetSecretValueCommand({ SecretId: other }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${principal} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${other} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    });
    await expect(caller.send(new DeleteSecretCommand({ SecretId: team }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('with an explicit deny in an identity-based policy'),
    });
    const entries = await audit();
    expect(entries.map((e) => [e.action, e.resource, e.decision])).toEqual([
      ['secretsmanager:GetSecretValue', other, 'ImplicitDeny'],
      ['secretsmanager:DeleteSecret', team, 'ExplicitDeny'],
    ]);
    expect(entries[1]?.matched).toEqual([
      { policy: 'team-policy', kind: 'identity-based', sid: 'NeverDelete', effect: 'Deny' },
    ]);
    expect(JSON.stringify(entries)).not.toContain('v1');
    // The account root is not limited by anyone's policy.
    expect((await root.send(new GetSecretValueCommand({ SecretId: other }))).SecretString).toBe('v2');
  });

  it('audit: allowed, but recorded as it would have been refused', async () => {
    endpoint.iam.mode = 'audit';
    expect((await caller.send(new GetSecretValueCommand({ SecretId: other }))).SecretString).toBe('v2');
    expect(await audit()).toMatchObject([
      { mode: 'audit', action: 'secretsmanager:GetSecretValue', resource: other },
    ]);
  });

  it('off: nothing evaluated, nothing recorded', async () => {
    endpoint.iam.mode = 'off';
    expect((await caller.send(new GetSecretValueCommand({ SecretId: other }))).SecretString).toBe('v2');
    expect(await audit()).toEqual([]);
  });

  it('a KMS key policy is required: a caller the key policy does not name, directly or through the account, is refused', async () => {
    const kms = new KMSClient({
      endpoint: endpoint.url,
      region: REGION,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    });
    const key = await kms.send(
      new CreateKeyCommand({
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyAdmin',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/admin` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        }),
        BypassPolicyLockoutSafetyCheck: true,
      }),
    );
    const delegating = await kms.send(new CreateKeyCommand({}));
    const callerKms = new KMSClient({
      endpoint: endpoint.url,
      region: REGION,
      credentials: { accessKeyId: CALLER, secretAccessKey: 'x' },
    });
    // The default key policy delegates to the account's IAM policies: the caller's allows.
    await callerKms.send(
      new EncryptCommand({ KeyId: delegating.KeyMetadata?.KeyId, Plaintext: Buffer.from('x') }),
    );
    await expect(
      callerKms.send(new EncryptCommand({ KeyId: key.KeyMetadata?.KeyId, Plaintext: Buffer.from('x') })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        `kms:Encrypt on resource: ${key.KeyMetadata?.Arn} because no resource-based policy allows`,
      ),
    });
  });
});

describe('rekey local flags', () => {
  it('refuses an unknown --iam mode and a policy file it cannot read, naming the flag and the fix', async () => {
    await expect(run(['--iam', 'strict', '--port', '0'])).rejects.toThrow(
      /--iam must be enforce, audit or off; got 'strict'/,
    );
    await expect(run(['--iam-policy', '/nonexistent/policy.json', '--port', '0'])).rejects.toThrow(
      /--iam-policy: cannot read \/nonexistent\/policy.json/,
    );
  });
});
