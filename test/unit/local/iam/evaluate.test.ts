// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are spelt ${...} inside plain strings.
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  evaluate,
  type Policy,
  PolicyDocumentError,
  readPolicy,
} from '../../../../local/core/iam/index.js';

// Cases follow the examples in AWS's IAM user guide; each names its page under
// https://docs.aws.amazon.com/IAM/latest/UserGuide/.

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/rekey-SecretRotationRole`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/rekey-SecretRotationRole/rekey-secret-rotation`;

const request = (action: string, resource: string, context: AuthorizationRequest['context'] = {}) => ({
  principalArn: SESSION,
  principalAccount: ACCOUNT,
  principalAliases: [ROLE],
  action,
  resource,
  context,
});

const policy = (name: string, ...Statement: unknown[]): Policy =>
  readPolicy(name, { Version: '2012-10-17', Statement });
const resourcePolicy = (name: string, ...Statement: unknown[]): Policy =>
  readPolicy(name, { Version: '2012-10-17', Statement }, 'resource');

const decide = (req: AuthorizationRequest, ...identityPolicies: Policy[]) =>
  evaluate(req, { identityPolicies }).decision;

describe('evaluate: explicit deny, allow, implicit deny', () => {
  // reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html: AllowGetList
  // allows iam:Get*/iam:List*, DenyReports denies *Report*, everything else is implicitly denied.
  const interplay = policy(
    'Interplay',
    { Sid: 'AllowGetList', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
    { Sid: 'DenyReports', Effect: 'Deny', Action: 'iam:*Report', Resource: '*' },
  );

  it('AccessPolicyLanguage_Interplay: Get*/List* allowed, *Report denied explicitly, the rest implicitly', () => {
    expect(decide(request('iam:GetUser', '*'), interplay)).toBe('Allow');
    expect(decide(request('iam:ListRoles', '*'), interplay)).toBe('Allow');
    expect(decide(request('iam:GetOrganizationsAccessReport', '*'), interplay)).toBe('ExplicitDeny');
    expect(decide(request('iam:GenerateCredentialReport', '*'), interplay)).toBe('ExplicitDeny');
    expect(decide(request('iam:CreatePolicy', '*'), interplay)).toBe('ImplicitDeny');
  });

  it('AccessPolicyLanguage_Interplay: another policy allowing a denied action does not override the deny', () => {
    const reports = policy('Reports', {
      Effect: 'Allow',
      Action: 'iam:GenerateCredentialReport',
      Resource: '*',
    });
    expect(decide(request('iam:GenerateCredentialReport', '*'), interplay, reports)).toBe('ExplicitDeny');
  });

  it('policy-eval-basics (carlossalazar): a DenyS3Logs identity statement overrides the bucket policy allow', () => {
    const carlos = policy(
      'carlossalazar',
      {
        Sid: 'AllowS3Self',
        Effect: 'Allow',
        Action: 's3:*',
        Resource: 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*',
      },
      { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
    );
    const bucketPolicy = resourcePolicy('bucket policy', {
      Effect: 'Allow',
      Principal: { AWS: SESSION },
      Action: 's3:*',
      Resource: 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*',
    });
    const put = request('s3:PutObject', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/today.txt');

    const decision = evaluate(put, { identityPolicies: [carlos], resourcePolicy: bucketPolicy });

    expect(decision.decision).toBe('ExplicitDeny');
    expect(decision.matched).toEqual([
      { policy: 'carlossalazar', kind: 'identity-based', sid: 'DenyS3Logs', effect: 'Deny' },
      { policy: 'bucket policy', kind: 'resource-based', effect: 'Allow' },
    ]);
    // policy-eval-basics: within one account, either policy's Allow is enough when nothing denies.
    const own = request('s3:PutObject', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/today.txt');
    expect(evaluate(own, { identityPolicies: [carlos] }).decision).toBe('Allow');
    expect(evaluate(put, { identityPolicies: [], resourcePolicy: bucketPolicy }).decision).toBe('Allow');
  });

  it('with no policies at all the request is implicitly denied', () => {
    expect(decide(request('secretsmanager:GetSecretValue', '*'))).toBe('ImplicitDeny');
  });
});

describe('evaluate: Action, NotAction, Resource, NotResource', () => {
  const secret = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/db-AbCdEf`;

  it('reference_policies_elements_action: action names are case-insensitive', () => {
    const p = policy('p', { Effect: 'Allow', Action: 'SecretsManager:getsecretVALUE', Resource: '*' });
    expect(decide(request('secretsmanager:GetSecretValue', secret), p)).toBe('Allow');
  });

  it('reference_policies_elements_resource: resource ARNs are case-sensitive; * and ? are wildcards', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: `arn:aws:secretsmanager:*:${ACCOUNT}:secret:app/db-??????`,
    });
    expect(decide(request('secretsmanager:GetSecretValue', secret), p)).toBe('Allow');
    expect(decide(request('secretsmanager:GetSecretValue', secret.replace('app/db', 'APP/db')), p)).toBe(
      'ImplicitDeny',
    );
    // ? is exactly one character: a 7-character suffix does not match.
    expect(decide(request('secretsmanager:GetSecretValue', `${secret}g`), p)).toBe('ImplicitDeny');
  });

  it('reference_policies_elements_notaction: Allow with NotAction allows everything except the listed actions', () => {
    const p = policy('p', { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
    expect(decide(request('kms:Decrypt', '*'), p)).toBe('Allow');
    expect(decide(request('IAM:CreateUser', '*'), p)).toBe('ImplicitDeny');
  });

  it('reference_policies_elements_notresource: Deny with NotResource denies every resource but the listed one', () => {
    const p = policy(
      'p',
      { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' },
      { Effect: 'Deny', Action: 'secretsmanager:*', NotResource: secret },
    );
    expect(decide(request('secretsmanager:GetSecretValue', secret), p)).toBe('Allow');
    expect(decide(request('secretsmanager:GetSecretValue', `${secret}x`), p)).toBe('ExplicitDeny');
  });

  it('reference_policies_variables: ${aws:username} in Resource, and an element whose variable is missing matches nothing', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*',
    });
    const object = 'arn:aws:s3:::amzn-s3-demo-bucket/carlos/notes.txt';
    expect(decide(request('s3:GetObject', object, { 'aws:username': 'carlos' }), p)).toBe('Allow');
    expect(decide(request('s3:GetObject', object, { 'aws:username': 'akua' }), p)).toBe('ImplicitDeny');
    expect(decide(request('s3:GetObject', object), p)).toBe('ImplicitDeny');
  });

  it('reference_policies_variables: ${*} is a literal asterisk and a default applies when the key is absent', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: [
        'arn:aws:s3:::bucket/${*}literal',
        "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*",
      ],
    });
    expect(decide(request('s3:GetObject', 'arn:aws:s3:::bucket/*literal'), p)).toBe('Allow');
    expect(decide(request('s3:GetObject', 'arn:aws:s3:::bucket/Xliteral'), p)).toBe('ImplicitDeny');
    expect(decide(request('s3:GetObject', 'arn:aws:s3:::bucket/shared/a'), p)).toBe('Allow');
  });
});

describe('evaluate: condition operators (reference_policies_elements_condition_operators)', () => {
  const allowWhen = (Condition: unknown) =>
    policy('p', { Effect: 'Allow', Action: 'secretsmanager:PutSecretValue', Resource: '*', Condition });
  const put = (context: AuthorizationRequest['context']) =>
    request('secretsmanager:PutSecretValue', '*', context);

  it('StringEquals is case-sensitive, StringEqualsIgnoreCase is not; condition key names are case-insensitive', () => {
    const p = allowWhen({ StringEquals: { 'aws:ResourceTag/rekey:superuser': 'true' } });
    expect(decide(put({ 'AWS:RESOURCETAG/rekey:superuser': 'true' }), p)).toBe('Allow');
    expect(decide(put({ 'aws:ResourceTag/rekey:superuser': 'TRUE' }), p)).toBe('ImplicitDeny');
    const q = allowWhen({ StringEqualsIgnoreCase: { 'aws:ResourceTag/env': 'prod' } });
    expect(decide(put({ 'aws:ResourceTag/env': 'PROD' }), q)).toBe('Allow');
  });

  it('values of one key are ORed, keys and operators are ANDed', () => {
    const p = allowWhen({
      StringEquals: { 'aws:ResourceTag/env': ['prod', 'stage'], 'aws:ResourceTag/team': 'ops' },
      Bool: { 'aws:SecureTransport': 'true' },
    });
    expect(
      decide(
        put({ 'aws:ResourceTag/env': 'stage', 'aws:ResourceTag/team': 'ops', 'aws:SecureTransport': 'true' }),
        p,
      ),
    ).toBe('Allow');
    expect(
      decide(
        put({ 'aws:ResourceTag/env': 'stage', 'aws:ResourceTag/team': 'dev', 'aws:SecureTransport': 'true' }),
        p,
      ),
    ).toBe('ImplicitDeny');
    expect(
      decide(
        put({
          'aws:ResourceTag/env': 'stage',
          'aws:ResourceTag/team': 'ops',
          'aws:SecureTransport': 'false',
        }),
        p,
      ),
    ).toBe('ImplicitDeny');
  });

  it('a missing key makes a condition false, except for negated operators (StringNotLike, ArnNotLike) which are true', () => {
    expect(decide(put({}), allowWhen({ StringLike: { 'aws:ResourceTag/env': 'p*' } }))).toBe('ImplicitDeny');
    expect(decide(put({}), allowWhen({ StringNotLike: { 'aws:ResourceTag/env': 'p*' } }))).toBe('Allow');
    expect(
      decide(
        put({ 'aws:ResourceTag/env': 'prod' }),
        allowWhen({ StringNotLike: { 'aws:ResourceTag/env': 'p*' } }),
      ),
    ).toBe('ImplicitDeny');
  });

  it('Conditions_IfExists: StringLikeIfExists on ec2:InstanceType holds when the key is absent and tests it when present', () => {
    const p = allowWhen({ StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } });
    expect(decide(put({}), p)).toBe('Allow');
    expect(decide(put({ 'ec2:InstanceType': 't2.micro' }), p)).toBe('Allow');
    expect(decide(put({ 'ec2:InstanceType': 'm5.large' }), p)).toBe('ImplicitDeny');
  });

  it('Conditions_Null: "true" requires the key to be absent, "false" present', () => {
    // The page's example: allow only when aws:TokenIssueTime is absent (no temporary credentials).
    const p = allowWhen({ Null: { 'aws:TokenIssueTime': 'true' } });
    expect(decide(put({}), p)).toBe('Allow');
    expect(decide(put({ 'aws:TokenIssueTime': '2026-12-01T03:00:00Z' }), p)).toBe('ImplicitDeny');
    const q = allowWhen({ Null: { 'aws:ResourceTag/rekey:superuser': 'false' } });
    expect(decide(put({ 'aws:ResourceTag/rekey:superuser': 'true' }), q)).toBe('Allow');
    expect(decide(put({}), q)).toBe('ImplicitDeny');
  });

  it('Numeric and Date operators compare numbers and times (ISO 8601 or epoch seconds)', () => {
    const mfa = allowWhen({ NumericLessThanEquals: { 'aws:MultiFactorAuthAge': '3600' } });
    expect(decide(put({ 'aws:MultiFactorAuthAge': '3600' }), mfa)).toBe('Allow');
    expect(decide(put({ 'aws:MultiFactorAuthAge': '3601' }), mfa)).toBe('ImplicitDeny');
    expect(decide(put({ 'aws:MultiFactorAuthAge': 'soon' }), mfa)).toBe('ImplicitDeny');
    expect(decide(put({ 'aws:MultiFactorAuthAge': '0x10' }), mfa)).toBe('ImplicitDeny');
    const window = allowWhen({
      DateGreaterThan: { 'aws:CurrentTime': '2026-12-01T00:00:00Z' },
      DateLessThan: { 'aws:CurrentTime': '1796169600' }, // 2026-12-02T00:00:00Z
    });
    expect(decide(put({ 'aws:CurrentTime': '2026-12-01T12:00:00Z' }), window)).toBe('Allow');
    expect(decide(put({ 'aws:CurrentTime': '2026-12-02T00:00:01Z' }), window)).toBe('ImplicitDeny');
  });

  it('ArnLike on secretsmanager:resource/AllowRotationLambdaArn matches part by part with wildcards', () => {
    const p = allowWhen({
      ArnLike: {
        'secretsmanager:resource/AllowRotationLambdaArn': `arn:aws:lambda:*:${ACCOUNT}:function:rekey-*`,
      },
    });
    const own = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rekey-secret-rotation`;
    expect(decide(put({ 'secretsmanager:resource/AllowRotationLambdaArn': own }), p)).toBe('Allow');
    const other = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:someone-else`;
    expect(decide(put({ 'secretsmanager:resource/AllowRotationLambdaArn': other }), p)).toBe('ImplicitDeny');
    // A * in the Region part does not reach across into the account part.
    const q = allowWhen({ ArnEquals: { 'aws:SourceArn': `arn:aws:lambda:*:function:x` } });
    expect(decide(put({ 'aws:SourceArn': `arn:aws:lambda:us-east-1:${ACCOUNT}:function:x` }), q)).toBe(
      'ImplicitDeny',
    );
  });

  it('IpAddress and NotIpAddress test CIDR ranges', () => {
    const p = allowWhen({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } });
    expect(decide(put({ 'aws:SourceIp': '203.0.113.7' }), p)).toBe('Allow');
    expect(decide(put({ 'aws:SourceIp': '2001:db8::1' }), p)).toBe('Allow');
    expect(decide(put({ 'aws:SourceIp': '198.51.100.7' }), p)).toBe('ImplicitDeny');
    const q = allowWhen({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } });
    expect(decide(put({ 'aws:SourceIp': '198.51.100.7' }), q)).toBe('Allow');
  });
});

describe('evaluate: multivalued keys (reference_policies_condition_examples-multi-valued-context-keys)', () => {
  const tag = (TagKeys: string[] | undefined) =>
    request('secretsmanager:TagResource', '*', TagKeys === undefined ? {} : { 'aws:TagKeys': TagKeys });

  it('ForAllValues:StringLike holds when every request value matches a policy value, and when the key is absent', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: 'secretsmanager:TagResource',
      Resource: '*',
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['rekey:*', 'team'] } },
    });
    expect(decide(tag(['rekey:rotated-at', 'team']), p)).toBe('Allow');
    expect(decide(tag(['rekey:rotated-at', 'owner']), p)).toBe('ImplicitDeny');
    expect(decide(tag(undefined), p)).toBe('Allow');
  });

  it('the Deny example: ForAllValues on a missing key is true, so a Null check keeps it from denying every request', () => {
    // The page's Deny with ForAllValues:StringLike on prefixes: without Null it also denies untagged calls.
    const deny = { Effect: 'Deny', Action: 'secretsmanager:TagResource', Resource: '*' };
    const allow = { Effect: 'Allow', Action: 'secretsmanager:TagResource', Resource: '*' };
    const bare = policy('p', allow, {
      ...deny,
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'key1*' } },
    });
    expect(decide(tag(undefined), bare)).toBe('ExplicitDeny');
    expect(decide(tag(['key1-a']), bare)).toBe('ExplicitDeny');
    expect(decide(tag(['other']), bare)).toBe('Allow');
    const guarded = policy('p', allow, {
      ...deny,
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'key1*' }, Null: { 'aws:TagKeys': 'false' } },
    });
    expect(decide(tag(undefined), guarded)).toBe('Allow');
    expect(decide(tag(['key1-a']), guarded)).toBe('ExplicitDeny');
  });

  it('ForAnyValue:StringEquals holds when one value matches and is false for a missing key', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: 'secretsmanager:TagResource',
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } },
    });
    expect(decide(tag(['owner', 'team']), p)).toBe('Allow');
    expect(decide(tag(['owner']), p)).toBe('ImplicitDeny');
    // repost.aws QU9HFmDzP0QGuU-fd7rS6B7w: ForAnyValue on a key the request lacks is false,
    // even with IfExists (ListQueues was denied under ForAnyValue:StringEqualsIfExists on aws:TagKeys).
    expect(decide(tag(undefined), p)).toBe('ImplicitDeny');
    const ifExists = policy('p', {
      Effect: 'Allow',
      Action: 'secretsmanager:TagResource',
      Resource: '*',
      Condition: { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['team'] } },
    });
    expect(decide(tag(undefined), ifExists)).toBe('ImplicitDeny');
    expect(decide(tag(['team']), ifExists)).toBe('Allow');
  });

  it('ForAllValues:StringNotEquals holds when no request value is one of the policy values', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: 'secretsmanager:TagResource',
      Resource: '*',
      Condition: { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['rekey:superuser'] } },
    });
    expect(decide(tag(['team', 'owner']), p)).toBe('Allow');
    expect(decide(tag(['team', 'rekey:superuser']), p)).toBe('ImplicitDeny');
  });
});

describe('evaluate: KMS key policies (AWS KMS developer guide, "Default key policy")', () => {
  const key = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const defaultKeyPolicy = resourcePolicy('key policy', {
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: 'kms:*',
    Resource: '*',
  });
  const rolePolicy = policy('rekey-SecretRotationRole/kms', {
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: key,
    Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
  });
  const decrypt = request('kms:Decrypt', key, { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' });

  it('the default key policy delegates to IAM: the role may decrypt only when its own policy allows it', () => {
    const viaKey = { resourcePolicy: defaultKeyPolicy, resourcePolicyMode: 'required' as const };
    expect(evaluate(decrypt, { identityPolicies: [rolePolicy], ...viaKey }).decision).toBe('Allow');
    const denied = evaluate(decrypt, { identityPolicies: [], ...viaKey });
    expect(denied.decision).toBe('ImplicitDeny');
    expect(denied.message).toBe(
      // KMS blames the key policy even when it delegates and IAM is what lacks the action
      // (github.com/jbrt/ec2cryptomatic/issues/26: fixed by adding kms:DescribeKey to the IAM policy).
      `User: ${SESSION} is not authorized to perform: kms:Decrypt on resource: ${key} because no resource-based policy allows the kms:Decrypt action`,
    );
    // Called directly rather than through Secrets Manager, kms:ViaService is absent: denied.
    const direct = request('kms:Decrypt', key);
    expect(evaluate(direct, { identityPolicies: [rolePolicy], ...viaKey }).decision).toBe('ImplicitDeny');
  });

  it('a key policy that neither names the role nor delegates to the account blocks even an allowing IAM policy', () => {
    const adminsOnly = resourcePolicy('key policy', {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmins` },
      Action: 'kms:*',
      Resource: '*',
    });
    const decision = evaluate(decrypt, {
      identityPolicies: [rolePolicy],
      resourcePolicy: adminsOnly,
      resourcePolicyMode: 'required',
    });
    expect(decision.decision).toBe('ImplicitDeny');
    expect(decision.message).toContain('because no resource-based policy allows the kms:Decrypt action');
    // The same identity policy with no key policy taking part (Secrets Manager's own resources) allows.
    expect(evaluate(decrypt, { identityPolicies: [rolePolicy] }).decision).toBe('Allow');
  });

  it('a custom key policy that denies the role wins over the delegation and the IAM allow', () => {
    const denyRole = resourcePolicy(
      'key policy',
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'DenyRotationRole',
        Effect: 'Deny',
        Principal: { AWS: ROLE },
        Action: 'kms:Decrypt',
        Resource: '*',
      },
    );
    const decision = evaluate(decrypt, {
      identityPolicies: [rolePolicy],
      resourcePolicy: denyRole,
      resourcePolicyMode: 'required',
    });
    expect(decision.decision).toBe('ExplicitDeny');
    expect(decision.message).toBe(
      `User: ${SESSION} is not authorized to perform: kms:Decrypt on resource: ${key} with an explicit deny in a resource-based policy`,
    );
    expect(decision.matched).toContainEqual({
      policy: 'key policy',
      kind: 'resource-based',
      sid: 'DenyRotationRole',
      effect: 'Deny',
    });
  });

  it('a key policy naming the role directly grants without any IAM policy', () => {
    const direct = resourcePolicy('key policy', {
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: 'kms:Decrypt',
    });
    expect(
      evaluate(decrypt, { identityPolicies: [], resourcePolicy: direct, resourcePolicyMode: 'required' })
        .decision,
    ).toBe('Allow');
  });
});

describe('evaluate: denial messages as AWS words them', () => {
  const secret = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/db-AbCdEf`;

  it('implicit deny names the session, the action, the resource and that no identity-based policy allows it', () => {
    const decision = evaluate(request('secretsmanager:PutSecretValue', secret), { identityPolicies: [] });
    expect(decision.message).toBe(
      `User: ${SESSION} is not authorized to perform: secretsmanager:PutSecretValue on resource: ${secret} because no identity-based policy allows the secretsmanager:PutSecretValue action`,
    );
  });

  it('explicit deny says it was an explicit deny in an identity-based policy', () => {
    const p = policy('p', { Effect: 'Deny', Action: 'secretsmanager:*', Resource: '*' });
    expect(
      evaluate(request('secretsmanager:PutSecretValue', secret), { identityPolicies: [p] }).message,
    ).toBe(
      `User: ${SESSION} is not authorized to perform: secretsmanager:PutSecretValue on resource: ${secret} with an explicit deny in an identity-based policy`,
    );
  });

  it('an allowed request carries no message', () => {
    const p = policy('p', { Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' });
    expect(
      evaluate(request('secretsmanager:PutSecretValue', secret), { identityPolicies: [p] }).message,
    ).toBeUndefined();
  });
});

describe('readPolicy: bad policies are refused naming the place and the fix', () => {
  it('names a misspelt Effect', () => {
    expect(() => policy('RolePolicy', { Effect: 'allow', Action: '*', Resource: '*' })).toThrow(
      'policy RolePolicy Statement[0].Effect must be "Allow" or "Deny", got "allow"',
    );
  });

  it('refuses a Principal in an identity policy, a missing Resource there, and a resource policy naming no one', () => {
    expect(() => policy('p', { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' })).toThrow(
      /Statement\[0\] names a Principal, which an identity policy cannot/,
    );
    expect(() => policy('p', { Effect: 'Allow', Action: 'kms:Decrypt' })).toThrow(
      'policy p Statement[0] needs Resource or NotResource (use "Resource": "*" for every resource)',
    );
    expect(() => resourcePolicy('key policy', { Effect: 'Allow', Action: 'kms:*', Resource: '*' })).toThrow(
      'policy key policy Statement[0] needs a Principal',
    );
  });

  it('refuses a statement with both Action and NotAction, and an unknown element', () => {
    expect(() => policy('p', { Effect: 'Allow', Action: '*', NotAction: 'iam:*', Resource: '*' })).toThrow(
      'needs exactly one of Action or NotAction',
    );
    expect(() => policy('p', { Effect: 'Allow', Action: '*', Resources: '*' })).toThrow(
      /unknown element "Resources"/,
    );
  });

  it('an unknown condition operator fails the evaluation with its name rather than quietly not matching', () => {
    const p = policy('p', {
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { StringEqualz: { 'aws:ResourceTag/env': 'prod' } },
    });
    expect(() => decide(request('kms:Decrypt', '*'), p)).toThrow(PolicyDocumentError);
    expect(() => decide(request('kms:Decrypt', '*'), p)).toThrow(/unknown condition operator StringEqualz/);
  });

  it('reads a JSON string as IAM stores it, and refuses text that is not JSON', () => {
    const p = readPolicy('inline', '{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}');
    expect(decide(request('kms:Decrypt', '*'), p)).toBe('Allow');
    expect(() => readPolicy('inline', '{"Statement":')).toThrow('policy inline is not valid JSON');
  });
});
