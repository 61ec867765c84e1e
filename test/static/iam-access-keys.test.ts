import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../scripts/template.js';

/**
 * The rotation function's IAM power over access keys (docs/iam-access-keys.md): only users under
 * the deployer's path and with the deployer's tag, and rekey can never widen that itself.
 */

type Json = Record<string, unknown>;
type Statement = { Sid?: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string, not a JS template.
const USER_ARN = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user${IamKeyUserPath}*' };
const TAG_CONDITION = { 'aws:ResourceTag/rekey:access-keys': { Ref: 'IamKeyUserTagValue' } };

/** Every statement of every IAM role in the template, with the role's logical id. */
const statementsOf = (resources: Record<string, Json>) =>
  Object.entries(resources).flatMap(([id, r]) => {
    if (r.Type !== 'AWS::IAM::Role') return [];
    const policies = ((r.Properties as Json).Policies ?? []) as unknown[];
    const documents = policies.flatMap((p) => {
      const policy = p as Json;
      // Fn::If around a whole policy: both branches count.
      const branches = Array.isArray(policy['Fn::If']) ? (policy['Fn::If'] as unknown[]).slice(1) : [policy];
      return branches.filter((b): b is Json => typeof b === 'object' && b !== null && 'PolicyDocument' in b);
    });
    return documents.flatMap((d) =>
      ((d.PolicyDocument as Json).Statement as Statement[]).map((s) => ({ role: id, statement: s })),
    );
  });

describe('IAM access key permissions of the rotation role', () => {
  it('reach only users under IamKeyUserPath, tagged rekey:access-keys when a value is set', async () => {
    const template = (await loadTemplate()) as unknown as {
      Resources: Record<string, Json>;
      Conditions: Json;
    };
    const all = statementsOf(template.Resources);
    const iam = all.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('iam:')));
    expect(new Set(iam.map((s) => s.role))).toEqual(new Set(['SecretRotationFunctionRole']));
    expect(iam.flatMap(({ statement }) => actionsOf(statement)).sort()).toEqual([
      'iam:CreateAccessKey',
      'iam:DeleteAccessKey',
      'iam:GetUser',
      'iam:ListAccessKeys',
      'iam:TagUser',
      'iam:UntagUser',
      'iam:UpdateAccessKey',
    ]);
    expect(template.Conditions.HasIamKeyUserTag).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'IamKeyUserTagValue' }, ''] }],
    });
    for (const { statement } of iam) {
      expect(statement.Resource, statement.Sid).toEqual(USER_ARN);
      const [condition, tagged, untagged] = (statement.Condition as { 'Fn::If': [string, Json, Json] })[
        'Fn::If'
      ];
      expect(condition).toBe('HasIamKeyUserTag');
      expect(tagged.StringEquals, statement.Sid).toEqual(TAG_CONDITION);
      if (actionsOf(statement).some((a) => a === 'iam:TagUser' || a === 'iam:UntagUser')) {
        // Only access key ids as tag keys: rekey cannot add rekey:access-keys to another user.
        for (const branch of [tagged, untagged]) {
          expect(branch['ForAllValues:StringLike'], statement.Sid).toEqual({ 'aws:TagKeys': 'AKIA*' });
        }
      }
    }
  });

  it('accept an IAM path and refuse anything else as IamKeyUserPath', async () => {
    const template = (await loadTemplate()) as unknown as { Parameters: Record<string, Json> };
    const pattern = new RegExp(String(template.Parameters.IamKeyUserPath?.AllowedPattern));
    for (const ok of ['/', '/rotated/', '/team/a/']) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ['', 'rotated', '/rotated', '/a b/']) expect(pattern.test(bad), bad).toBe(false);
  });
});
