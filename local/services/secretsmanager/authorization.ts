/**
 * The IAM checks of each Secrets Manager operation (Service Authorization Reference, "Actions,
 * resources, and condition keys for AWS Secrets Manager"): the secret's ARN with
 * `secretsmanager:SecretId`, `secretsmanager:resource/AllowRotationLambdaArn`, its tags (as
 * `secretsmanager:ResourceTag/*` and `aws:ResourceTag/*`), the stage or version a request
 * names, the tags a request sets; and, for a secret under a customer managed key, the KMS call
 * Secrets Manager makes with the caller's permissions (`kms:Decrypt` to read a value,
 * `kms:GenerateDataKey` to write one, with `kms:ViaService` = Secrets Manager in the Region and
 * the secret's ARN in the encryption context: Secrets Manager user guide, "Secret encryption
 * and decryption"). RotateSecret also needs `lambda:InvokeFunction` on the rotation function.
 */
import {
  type AuthorizationCheck,
  describeWith,
  inputString,
  inputTags,
  type Policy,
  readPolicy,
  requestTagContext,
  resourceTagContext,
  type ServiceAuthorizer,
  type ServiceDescriptors,
  type TagLike,
} from '../../core/iam/index.js';
import type { ContextValue } from '../../core/iam/policy.js';
import type { RequestContext } from '../../types.js';

/** What the descriptors read of a stored secret. */
export interface SecretView {
  readonly arn: string;
  readonly tags: readonly TagLike[];
  readonly rotationLambdaArn?: string;
  readonly kmsKeyId?: string;
  readonly resourcePolicy?: string;
  readonly primaryRegion?: string;
  readonly versions: readonly { readonly versionId: string; readonly stages: readonly string[] }[];
}

export interface SecretsManagerAuthState {
  /** The secret a SecretId names (name, ARN or partial ARN) in the caller's account and Region. */
  secret(ctx: RequestContext, secretId: string): SecretView | undefined;
}

const AWS_MANAGED_KEY = 'alias/aws/secretsmanager';

/** The ARN AWS checks for a secret that does not exist: the identifier as the caller gave it. */
const arnOfMissing = (ctx: RequestContext, secretId: string): string =>
  secretId.startsWith('arn:')
    ? secretId
    : `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${secretId}`;

const secretContext = (secret: SecretView | undefined, arn: string): Record<string, ContextValue> => ({
  'secretsmanager:SecretId': arn,
  ...(secret === undefined
    ? {}
    : {
        ...resourceTagContext(secret.tags, 'secretsmanager'),
        ...(secret.rotationLambdaArn === undefined
          ? {}
          : { 'secretsmanager:resource/AllowRotationLambdaArn': secret.rotationLambdaArn }),
        ...(secret.primaryRegion === undefined
          ? {}
          : { 'secretsmanager:SecretPrimaryRegion': secret.primaryRegion }),
      }),
});

/** The KMS call Secrets Manager makes as the caller on a secret under a customer managed key. */
const keyUse = (
  ctx: RequestContext,
  action: 'kms:Decrypt' | 'kms:GenerateDataKey',
  secretArn: string,
  kmsKeyId: string | undefined,
  versionId: string | undefined,
): AuthorizationCheck[] => {
  if (kmsKeyId === undefined || kmsKeyId === AWS_MANAGED_KEY || kmsKeyId.endsWith(`:${AWS_MANAGED_KEY}`)) {
    return [];
  }
  return [
    {
      action,
      resource: kmsKeyId,
      resolveWith: 'kms',
      context: {
        'kms:ViaService': `secretsmanager.${ctx.region}.amazonaws.com`,
        'kms:EncryptionContext:SecretARN': secretArn,
        ...(versionId === undefined ? {} : { 'kms:EncryptionContext:SecretVersionId': versionId }),
        'kms:EncryptionContextKeys':
          versionId === undefined ? ['SecretARN'] : ['SecretARN', 'SecretVersionId'],
      },
    },
  ];
};

type Describe = ServiceDescriptors<SecretsManagerAuthState>['operations'][string];

/** The check on the secret `SecretId` names, with `extra` condition keys and the KMS use that follows. */
const onSecret =
  (
    extra: (
      input: Readonly<Record<string, unknown>>,
      secret: SecretView | undefined,
    ) => Record<string, ContextValue> = () => ({}),
    kms?: (
      input: Readonly<Record<string, unknown>>,
      secret: SecretView,
      ctx: RequestContext,
    ) => AuthorizationCheck[],
  ): Describe =>
  ({ operation, input, ctx, state }) => {
    const id = inputString(input, 'SecretId');
    if (id === undefined) return [{ action: `secretsmanager:${operation}`, resource: '*' }];
    const secret = state.secret(ctx, id);
    const arn = secret?.arn ?? arnOfMissing(ctx, id);
    return [
      {
        action: `secretsmanager:${operation}`,
        resource: arn,
        context: { ...secretContext(secret, arn), ...extra(input, secret) },
      },
      ...(secret && kms ? kms(input, secret, ctx) : []),
    ];
  };

/** The version GetSecretValue reads: VersionId, else the version holding VersionStage (default AWSCURRENT). */
const readVersion = (input: Readonly<Record<string, unknown>>, secret: SecretView): string | undefined => {
  const versionId = inputString(input, 'VersionId');
  if (versionId !== undefined) return versionId;
  const stage = inputString(input, 'VersionStage') ?? 'AWSCURRENT';
  return secret.versions.find((v) => v.stages.includes(stage))?.versionId;
};

/** One condition key from an input field, when the field is a string. */
const stringKey = (key: string, value: unknown): Record<string, ContextValue> =>
  typeof value === 'string' ? { [key]: value } : {};

const writesValue = (input: Readonly<Record<string, unknown>>): boolean =>
  input.SecretString !== undefined || input.SecretBinary !== undefined;

export const SECRETS_MANAGER_DESCRIPTORS: ServiceDescriptors<SecretsManagerAuthState> = {
  prefix: 'secretsmanager',
  operations: {
    GetSecretValue: onSecret(
      (input) => ({
        ...(typeof input.VersionId === 'string' ? { 'secretsmanager:VersionId': input.VersionId } : {}),
        ...(typeof input.VersionStage === 'string'
          ? { 'secretsmanager:VersionStage': input.VersionStage }
          : {}),
      }),
      (input, secret, ctx) =>
        keyUse(ctx, 'kms:Decrypt', secret.arn, secret.kmsKeyId, readVersion(input, secret)),
    ),
    PutSecretValue: onSecret(undefined, (input, secret, ctx) =>
      keyUse(
        ctx,
        'kms:GenerateDataKey',
        secret.arn,
        secret.kmsKeyId,
        inputString(input, 'ClientRequestToken'),
      ),
    ),
    UpdateSecret: onSecret(
      (input) => ({
        ...(typeof input.KmsKeyId === 'string' ? { 'secretsmanager:KmsKeyId': input.KmsKeyId } : {}),
        ...(typeof input.Description === 'string' ? { 'secretsmanager:Description': input.Description } : {}),
      }),
      (input, secret, ctx) =>
        writesValue(input)
          ? keyUse(
              ctx,
              'kms:GenerateDataKey',
              secret.arn,
              inputString(input, 'KmsKeyId') ?? secret.kmsKeyId,
              inputString(input, 'ClientRequestToken'),
            )
          : [],
    ),
    DescribeSecret: onSecret(),
    ListSecretVersionIds: onSecret(),
    UpdateSecretVersionStage: onSecret((input) =>
      stringKey('secretsmanager:VersionStage', input.VersionStage),
    ),
    DeleteSecret: onSecret(),
    RestoreSecret: onSecret(),
    CancelRotateSecret: onSecret(),
    GetResourcePolicy: onSecret(),
    PutResourcePolicy: onSecret((input) => ({
      'secretsmanager:BlockPublicPolicy': String(input.BlockPublicPolicy === true),
    })),
    DeleteResourcePolicy: onSecret(),
    ValidateResourcePolicy: onSecret(),
    ReplicateSecretToRegions: onSecret(),
    RemoveRegionsFromReplication: onSecret(),
    StopReplicationToReplica: onSecret(),
    TagResource: onSecret((input) => requestTagContext(inputTags(input.Tags))),
    UntagResource: onSecret((input) => ({
      'aws:TagKeys': Array.isArray(input.TagKeys)
        ? input.TagKeys.filter((k): k is string => typeof k === 'string')
        : [],
    })),
    // RotateSecret: the secret, and invoking its rotation function (Secrets Manager user guide,
    // "Permissions for rotation": the caller needs lambda:InvokeFunction on the function).
    RotateSecret: ({ operation, input, ctx, state }) => {
      const id = inputString(input, 'SecretId');
      const secret = id === undefined ? undefined : state.secret(ctx, id);
      const [check] = onSecret((i) => stringKey('secretsmanager:RotationLambdaARN', i.RotationLambdaARN))({
        operation,
        input,
        ctx,
        state,
      });
      const lambdaArn = inputString(input, 'RotationLambdaARN') ?? secret?.rotationLambdaArn;
      return [
        ...(check ? [check] : []),
        ...(lambdaArn === undefined ? [] : [{ action: 'lambda:InvokeFunction', resource: lambdaArn }]),
      ];
    },
    CreateSecret: ({ input, ctx }) => {
      const name = inputString(input, 'Name') ?? '';
      // A new secret's ARN ends in a random six-character suffix; policies name it with `-??????` or `*`.
      const arn = `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-??????`;
      const kmsKeyId = inputString(input, 'KmsKeyId');
      return [
        {
          action: 'secretsmanager:CreateSecret',
          resource: arn,
          context: {
            'secretsmanager:Name': name,
            ...(kmsKeyId === undefined ? {} : { 'secretsmanager:KmsKeyId': kmsKeyId }),
            ...(typeof input.Description === 'string'
              ? { 'secretsmanager:Description': input.Description }
              : {}),
            ...requestTagContext(inputTags(input.Tags)),
          },
        },
        ...(writesValue(input)
          ? keyUse(ctx, 'kms:GenerateDataKey', arn, kmsKeyId, inputString(input, 'ClientRequestToken'))
          : []),
      ];
    },
    // BatchGetSecretValue needs GetSecretValue (and the key) on every secret it returns.
    BatchGetSecretValue: ({ input, ctx, state }) => {
      const ids = Array.isArray(input.SecretIdList)
        ? input.SecretIdList.filter((i): i is string => typeof i === 'string')
        : [];
      const checks: AuthorizationCheck[] = [{ action: 'secretsmanager:BatchGetSecretValue', resource: '*' }];
      for (const id of ids) {
        const secret = state.secret(ctx, id);
        const arn = secret?.arn ?? arnOfMissing(ctx, id);
        checks.push({
          action: 'secretsmanager:GetSecretValue',
          resource: arn,
          context: secretContext(secret, arn),
        });
        if (secret) checks.push(...keyUse(ctx, 'kms:Decrypt', arn, secret.kmsKeyId, readVersion({}, secret)));
      }
      return checks;
    },
    ListSecrets: () => [{ action: 'secretsmanager:ListSecrets', resource: '*' }],
    GetRandomPassword: () => [{ action: 'secretsmanager:GetRandomPassword', resource: '*' }],
  },
};

/** A secret's resource policy, read once per policy text. */
const parsed = new Map<string, Policy>();

/** The Secrets Manager service's authorizer: descriptors over its secrets, their resource policies. */
export const secretsManagerAuthorization = (state: SecretsManagerAuthState): ServiceAuthorizer => ({
  prefix: 'secretsmanager',
  checks: describeWith(SECRETS_MANAGER_DESCRIPTORS, state),
  // A secret's resource policy may allow on its own; identity policies may too (optional mode).
  resourcePolicy: (arn, ctx) => {
    const text = state.secret(ctx, arn)?.resourcePolicy;
    if (text === undefined) return undefined;
    let policy = parsed.get(text);
    if (policy === undefined) {
      policy = readPolicy('secret resource policy', text, 'resource');
      if (parsed.size > 10_000) parsed.clear();
      parsed.set(text, policy);
    }
    return { policy, mode: 'optional' };
  },
});
