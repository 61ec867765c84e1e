/**
 * The per-service authorization descriptors: for each operation, the action, the resource ARN(s)
 * and the condition keys AWS's Service Authorization Reference lists, read from the input and
 * the stored state.
 */
import { describe, expect, it } from 'vitest';
import { describeWith } from '../../../../local/core/iam/index.js';
import { EVENTBRIDGE_DESCRIPTORS } from '../../../../local/services/eventbridge/authorization.js';
import { KMS_DESCRIPTORS, type KmsAuthState } from '../../../../local/services/kms/authorization.js';
import type { KeyRecord } from '../../../../local/services/kms/state.js';
import {
  SECRETS_MANAGER_DESCRIPTORS,
  type SecretView,
} from '../../../../local/services/secretsmanager/authorization.js';
import type { RequestContext } from '../../../../local/types.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ctx: RequestContext = {
  accountId: ACCOUNT,
  region: REGION,
  accessKeyId: 'AKIAEXAMPLE',
  identityArn: `arn:aws:iam::${ACCOUNT}:user/x`,
  requestId: 'r',
  now: new Date('2026-12-01T00:00:00Z'),
};
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k-1`;
const SECRET: SecretView = {
  arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db/master-AbCdEf`,
  tags: [{ Key: 'rekey:superuser', Value: 'true' }],
  rotationLambdaArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`,
  kmsKeyId: 'alias/app',
  versions: [{ versionId: 'v-current', stages: ['AWSCURRENT'] }],
};

describe('Secrets Manager', () => {
  const checks = describeWith(SECRETS_MANAGER_DESCRIPTORS, {
    secret: (_ctx, id) => (id === 'db/master' || id === SECRET.arn ? SECRET : undefined),
  });

  it('GetSecretValue: the secret with its tags, rotation function and stage; and the KMS Decrypt through Secrets Manager', () => {
    expect(checks('GetSecretValue', { SecretId: 'db/master', VersionStage: 'AWSCURRENT' }, ctx)).toEqual([
      {
        action: 'secretsmanager:GetSecretValue',
        resource: SECRET.arn,
        context: {
          'secretsmanager:SecretId': SECRET.arn,
          'aws:ResourceTag/rekey:superuser': 'true',
          'secretsmanager:ResourceTag/rekey:superuser': 'true',
          'secretsmanager:resource/AllowRotationLambdaArn': SECRET.rotationLambdaArn,
          'secretsmanager:VersionStage': 'AWSCURRENT',
        },
      },
      {
        action: 'kms:Decrypt',
        resource: 'alias/app',
        resolveWith: 'kms',
        context: {
          'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
          'kms:EncryptionContext:SecretARN': SECRET.arn,
          'kms:EncryptionContext:SecretVersionId': 'v-current',
          'kms:EncryptionContextKeys': ['SecretARN', 'SecretVersionId'],
        },
      },
    ]);
  });

  it('a secret that does not exist is checked by the name given; ListSecrets takes no resource', () => {
    expect(checks('DescribeSecret', { SecretId: 'nope' }, ctx)[0]?.resource).toBe(
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:nope`,
    );
    expect(checks('ListSecrets', {}, ctx)).toEqual([{ action: 'secretsmanager:ListSecrets', resource: '*' }]);
  });

  it('TagResource carries the request tags; RotateSecret also needs lambda:InvokeFunction on the function', () => {
    expect(
      checks('TagResource', { SecretId: 'db/master', Tags: [{ Key: 'team', Value: 'a' }] }, ctx)[0]?.context,
    ).toMatchObject({
      'aws:RequestTag/team': 'a',
      'aws:TagKeys': ['team'],
    });
    expect(checks('RotateSecret', { SecretId: 'db/master' }, ctx).map((c) => [c.action, c.resource])).toEqual(
      [
        ['secretsmanager:RotateSecret', SECRET.arn],
        ['lambda:InvokeFunction', SECRET.rotationLambdaArn],
      ],
    );
  });
});

describe('KMS', () => {
  const key = {
    KeyId: 'k-1',
    Arn: KEY_ARN,
    AWSAccountId: ACCOUNT,
    Region: REGION,
    Tags: [{ TagKey: 'team', TagValue: 'a' }],
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyUsage: 'ENCRYPT_DECRYPT',
    Origin: 'AWS_KMS',
    MultiRegion: false,
  } as unknown as KeyRecord;
  const other = {
    ...key,
    KeyId: 'k-2',
    Arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k-2`,
    Tags: [],
  } as unknown as KeyRecord;
  const state: KmsAuthState = () => ({
    keys: { 'k-1': key, 'k-2': other },
    aliases: {
      'alias/rekey/app': {
        AliasName: 'alias/rekey/app',
        TargetKeyId: 'k-1',
        CreationDate: 0,
        LastUpdatedDate: 0,
      },
    },
  });
  const checks = describeWith(KMS_DESCRIPTORS, state);

  it('Encrypt by alias: the key behind it, its aliases, tags, the requested alias and the encryption context', () => {
    expect(checks('Encrypt', { KeyId: 'alias/rekey/app', EncryptionContext: { app: 'x' } }, ctx)).toEqual([
      {
        action: 'kms:Encrypt',
        resource: KEY_ARN,
        context: expect.objectContaining({
          'kms:RequestAlias': 'alias/rekey/app',
          'kms:ResourceAliases': ['alias/rekey/app'],
          'aws:ResourceTag/team': 'a',
          'kms:EncryptionContext:app': 'x',
          'kms:EncryptionContextKeys': ['app'],
        }),
      },
    ]);
  });

  it('UpdateAlias: the alias, the key it leaves and the key it moves to', () => {
    expect(
      checks('UpdateAlias', { AliasName: 'alias/rekey/app', TargetKeyId: 'k-2' }, ctx).map((c) => c.resource),
    ).toEqual([`arn:aws:kms:${REGION}:${ACCOUNT}:alias/rekey/app`, KEY_ARN, other.Arn]);
  });

  it('CreateKey: request tags as aws:RequestTag and aws:TagKeys; a key that does not exist is left to NotFoundException', () => {
    expect(
      checks('CreateKey', { Tags: [{ TagKey: 'rekey:successor-of', TagValue: KEY_ARN }] }, ctx)[0]?.context,
    ).toMatchObject({
      'aws:TagKeys': ['rekey:successor-of'],
      'aws:RequestTag/rekey:successor-of': KEY_ARN,
    });
    expect(checks('DescribeKey', { KeyId: 'no-such-key' }, ctx)).toEqual([]);
  });
});

describe('EventBridge', () => {
  it('PutEvents: one check per entry on its bus, with events:source and events:detail-type', () => {
    const checks = describeWith(EVENTBRIDGE_DESCRIPTORS, undefined);
    expect(
      checks(
        'PutEvents',
        {
          Entries: [
            { Source: 'rekey', DetailType: 'X', EventBusName: 'rekey' },
            { Source: 'a', DetailType: 'Y' },
          ],
        },
        ctx,
      ),
    ).toEqual([
      {
        action: 'events:PutEvents',
        resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/rekey`,
        context: { 'events:source': 'rekey', 'events:detail-type': 'X' },
      },
      {
        action: 'events:PutEvents',
        resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
        context: { 'events:source': 'a', 'events:detail-type': 'Y' },
      },
    ]);
  });
});
