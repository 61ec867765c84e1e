/**
 * rekey's own roles, as the SAM translator generates them from template.yaml (through the
 * static tests' helper, test/static/helpers/sam-transform.py), read by roleFromTemplate and
 * evaluated against the calls the rotation function makes. The request context keys are given
 * by hand here, as the endpoint will supply them per operation (not wired yet).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  evaluate,
  readPolicy,
  roleFromTemplate,
  roleOfResource,
  secretKeyRequest,
  type TemplateRole,
  type TransformedTemplate,
} from '../../../../local/core/iam/index.js';
import { samTransform } from '../../../static/helpers/sam-transform.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STACK = 'rekey';
const OWN_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/9999abcd-12ab-34cd-56ef-1234567890ab`;
const REKEY_ROTATION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`;
const secretArn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;

const transform = (parameters: Record<string, string>): Promise<TransformedTemplate> =>
  samTransform(parameters);

/** Everything optional switched on, as in test/static/iam.test.ts. */
const EVERYTHING = {
  TracingMode: 'Active',
  RotationSubnetIds: 'subnet-0123456789abcdef0',
  RotationSecurityGroupIds: 'sg-0123456789abcdef0',
  SecretKmsKeyArns: OWN_KEY,
};

let defaults: TransformedTemplate;
let withKeys: TransformedTemplate;
beforeAll(async () => {
  [defaults, withKeys] = await Promise.all([transform({}), transform(EVERYTHING)]);
}, 120_000);

const stack = (parameters: Record<string, string> = {}) => ({
  stackName: STACK,
  region: REGION,
  accountId: ACCOUNT,
  parameters,
});

const rotationRole = (template: TransformedTemplate, parameters: Record<string, string> = {}): TemplateRole =>
  roleFromTemplate(template, roleOfResource(template, 'SecretRotationFunction'), stack(parameters));

/** A call from the rotation function: Lambda names the session after the function. */
const call = (
  role: TemplateRole,
  action: string,
  resource: string,
  context: AuthorizationRequest['context'],
) => ({
  principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.roleName}/rekey-secret-rotation`,
  principalAccount: ACCOUNT,
  principalAliases: [role.roleArn],
  action,
  resource,
  context,
});

/** AWS KMS's default key policy: the account root, which delegates to the account's IAM policies. */
const DELEGATE_TO_IAM = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};
const DEFAULT_KEY_POLICY = readPolicy('key policy', { Statement: [DELEGATE_TO_IAM] }, 'resource');
/** The default key policy plus a statement denying the role kms:Decrypt. */
const keyPolicyDenying = (roleArn: string) =>
  readPolicy(
    'key policy',
    {
      Statement: [
        DELEGATE_TO_IAM,
        { Effect: 'Deny', Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    },
    'resource',
  );

describe('roleFromTemplate: the secret-rotation role as the SAM translator builds it', () => {
  it('reads the inline policies with every intrinsic resolved for the stack', () => {
    const role = rotationRole(defaults);
    expect(role.roleName).toBe('rekey-SecretRotationFunctionRole');
    expect(role.policies.map((p) => p.name)).toEqual([
      'rekey-SecretRotationFunctionRole/rotate-secrets',
      'rekey-SecretRotationFunctionRole/write-logs',
    ]);
    const text = JSON.stringify(role.policies);
    expect(text).not.toMatch(/Fn::|"Ref"|\$\{AWS::/);
    expect(text).toContain(REKEY_ROTATION);
  });

  it('allows GetSecretValue and PutSecretValue on a secret whose rotation function is rekey’s', () => {
    const role = rotationRole(defaults);
    const context = { 'secretsmanager:resource/AllowRotationLambdaArn': REKEY_ROTATION };
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']) {
      const decision = evaluate(call(role, action, secretArn('app/db'), context), {
        identityPolicies: role.policies,
      });
      expect(decision.decision, action).toBe('Allow');
      expect(decision.matched[0]?.sid).toBe('RotateOwnSecrets');
    }
  });

  it('denies PutSecretValue on a superuser secret, even one tagged for rekey, with AWS’s message', () => {
    const role = rotationRole(defaults);
    const superuser = secretArn('app/db-superuser');
    const request = call(role, 'secretsmanager:PutSecretValue', superuser, {
      'secretsmanager:ResourceTag/rekey:superuser': 'true',
      'aws:ResourceTag/rekey:superuser': 'true',
    });
    const decision = evaluate(request, { identityPolicies: role.policies });
    expect(decision.decision).toBe('ImplicitDeny');
    expect(decision.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/rekey-SecretRotationFunctionRole/rekey-secret-rotation is not authorized to perform: secretsmanager:PutSecretValue on resource: ${superuser} because no identity-based policy allows the secretsmanager:PutSecretValue action`,
    );
  });

  it('reads a superuser secret only when it carries rekey:superuser=true', () => {
    const role = rotationRole(defaults);
    const superuser = secretArn('app/db-superuser');
    const read = (context: AuthorizationRequest['context']) =>
      evaluate(call(role, 'secretsmanager:GetSecretValue', superuser, context), {
        identityPolicies: role.policies,
      }).decision;
    expect(read({ 'secretsmanager:ResourceTag/rekey:superuser': 'true' })).toBe('Allow');
    expect(read({})).toBe('ImplicitDeny');
    expect(read({ 'secretsmanager:ResourceTag/rekey:superuser': 'yes' })).toBe('ImplicitDeny');
  });

  it('does not read a secret rotated by another function', () => {
    const role = rotationRole(defaults);
    const other = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:someone-elses-rotation`;
    const decision = evaluate(
      call(role, 'secretsmanager:GetSecretValue', secretArn('app/other'), {
        'secretsmanager:resource/AllowRotationLambdaArn': other,
      }),
      { identityPolicies: role.policies },
    );
    expect(decision.decision).toBe('ImplicitDeny');
  });

  it('decrypts a secret’s key only through Secrets Manager, under the default key policy', () => {
    const role = rotationRole(defaults);
    const viaSecretsManager = {
      'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
      'kms:EncryptionContext:SecretARN': secretArn('app/db'),
    };
    const policies = {
      identityPolicies: role.policies,
      resourcePolicy: DEFAULT_KEY_POLICY,
      resourcePolicyMode: 'required' as const,
    };
    expect(evaluate(call(role, 'kms:Decrypt', OTHER_KEY, viaSecretsManager), policies).decision).toBe(
      'Allow',
    );
    expect(evaluate(call(role, 'kms:Decrypt', OTHER_KEY, {}), policies).decision).toBe('ImplicitDeny');
    // A key policy that denies the role wins.
    const denied = evaluate(call(role, 'kms:Decrypt', OTHER_KEY, viaSecretsManager), {
      ...policies,
      resourcePolicy: keyPolicyDenying(role.roleArn),
    });
    expect(denied.decision).toBe('ExplicitDeny');
  });

  it('with every option on: the VPC and X-Ray policies join, and only the listed key decrypts', () => {
    const role = rotationRole(withKeys, EVERYTHING);
    const context = {
      'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`,
      'kms:EncryptionContext:SecretARN': secretArn('app/db'),
    };
    const decide = (key: string) =>
      evaluate(call(role, 'kms:Decrypt', key, context), { identityPolicies: role.policies }).decision;
    expect(decide(OWN_KEY)).toBe('Allow');
    expect(decide(OTHER_KEY)).toBe('ImplicitDeny');
    expect(role.policies.map((p) => p.name)).toContain(
      'rekey-SecretRotationFunctionRole/vpc-network-interfaces',
    );
    // The template's own X-Ray managed policy is read; nothing is left to AWS managed policies.
    expect(role.policies.map((p) => p.name)).toContain(
      'rekey-SecretRotationFunctionRole/rekey-TracingPolicy',
    );
    expect(role.awsManagedPolicyArns).toEqual([]);
  });

  it('reads every role the template creates, for the default and the fully optional parameter sets', () => {
    for (const [template, parameters] of [
      [defaults, {}],
      [withKeys, EVERYTHING],
    ] as const) {
      const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
      expect(roles.length).toBeGreaterThan(3);
      for (const [id] of roles) {
        const role = roleFromTemplate(template, id, stack(parameters));
        expect(role.policies.length, id).toBeGreaterThan(0);
      }
    }
  });

  it('the KMS call Secrets Manager makes for the role on a secret under a customer managed key is judged too', () => {
    const role = rotationRole(withKeys, EVERYTHING);
    const caller = call(role, '', '', {});
    const use = (operation: string, kmsKeyArn: string | undefined) =>
      secretKeyRequest({
        operation,
        secretArn: secretArn('app/db'),
        versionId: 'v2',
        kmsKeyArn,
        region: REGION,
        caller,
      });
    const underKey = (request: AuthorizationRequest | undefined, keyPolicy = DEFAULT_KEY_POLICY) => {
      if (request === undefined) throw new Error('expected a KMS request');
      return evaluate(request, {
        identityPolicies: role.policies,
        resourcePolicy: keyPolicy,
        resourcePolicyMode: 'required',
      });
    };
    // Reading decrypts, writing generates a data key: both allowed on the listed key only.
    expect(use('GetSecretValue', OWN_KEY)?.action).toBe('kms:Decrypt');
    expect(use('PutSecretValue', OWN_KEY)?.action).toBe('kms:GenerateDataKey');
    expect(underKey(use('GetSecretValue', OWN_KEY)).decision).toBe('Allow');
    expect(underKey(use('PutSecretValue', OWN_KEY)).decision).toBe('Allow');
    expect(underKey(use('GetSecretValue', OTHER_KEY)).message).toBe(
      `User: ${caller.principalArn} is not authorized to perform: kms:Decrypt on resource: ${OTHER_KEY} because no resource-based policy allows the kms:Decrypt action`,
    );
    // A key policy denying the role blocks the read of the secret's value.
    expect(underKey(use('GetSecretValue', OWN_KEY), keyPolicyDenying(role.roleArn)).decision).toBe(
      'ExplicitDeny',
    );
    // The AWS managed key, and operations that touch no value, make no KMS call of the caller's.
    expect(use('GetSecretValue', undefined)).toBeUndefined();
    expect(use('DescribeSecret', OWN_KEY)).toBeUndefined();
  });

  it('refuses a logical id that is not a role, naming it', () => {
    expect(() => roleFromTemplate(defaults, 'SecretRotationFunction', stack())).toThrow(
      'SecretRotationFunction is not an AWS::IAM::Role of the template',
    );
  });
});
