/**
 * The roles `rekey local` runs the project's functions and state machines under are resolved in
 * TypeScript (sam-roles.ts, no Python at run time). The reference is AWS's own SAM translator:
 * for every function and state machine of template.yaml, with the default parameters and with
 * every optional part switched on, both give the same role name, ARN and policies, statement
 * for statement.
 */
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { yamlParse } from 'yaml-cfn';
import {
  roleFromTemplate,
  roleOfResource,
  type SamTemplate,
  samRoles,
  type TransformedTemplate,
} from '../../../../local/core/iam/index.js';
import { samTransform } from '../../../static/helpers/sam-transform.js';

const STACK = { stackName: 'rekey', region: 'eu-west-1', accountId: '123456789012' };
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const EVERYTHING = {
  TracingMode: 'Active',
  RotationSubnetIds: 'subnet-0123456789abcdef0',
  RotationSecurityGroupIds: 'sg-0123456789abcdef0',
  SecretKmsKeyArns: KEY,
  AdditionalRotationFunctionArns: 'arn:aws:lambda:eu-west-1:123456789012:function:other-rotation',
  IamKeyUserTagValue: 'rotated',
};

const RUNNABLE = new Set([
  'AWS::Serverless::Function',
  'AWS::Serverless::StateMachine',
  'AWS::Lambda::Function',
  'AWS::StepFunctions::StateMachine',
]);

let written: SamTemplate;
const reference = new Map<string, TransformedTemplate>();
beforeAll(async () => {
  written = yamlParse(
    await readFile(new URL('../../../../template.yaml', import.meta.url), 'utf8'),
  ) as SamTemplate;
  const [defaults, everything] = await Promise.all([samTransform({}), samTransform(EVERYTHING)]);
  reference.set('defaults', defaults);
  reference.set('everything', everything);
}, 120_000);

describe.each([
  ['defaults', {}],
  ['everything', EVERYTHING],
] as const)('with %s parameters', (name, parameters) => {
  it('every function and state machine gets the role the SAM translator gives it', () => {
    const translated = reference.get(name) as TransformedTemplate;
    const ours = samRoles(written);
    const runnables = Object.entries(written.Resources)
      .filter(([, r]) => RUNNABLE.has(r.Type))
      .map(([id]) => id);
    expect(runnables.length).toBeGreaterThanOrEqual(7);
    for (const id of runnables) {
      const stack = { ...STACK, parameters };
      const expected = roleFromTemplate(translated, roleOfResource(translated, id), stack);
      const actual = roleFromTemplate(ours, roleOfResource(ours, id), stack);
      expect({ id, roleName: actual.roleName, roleArn: actual.roleArn }).toEqual({
        id,
        roleName: expected.roleName,
        roleArn: expected.roleArn,
      });
      expect({ id, policies: actual.policies }).toEqual({ id, policies: expected.policies });
    }
  });
});

describe('policy templates', () => {
  it('refuses a SAM policy template it does not resolve, naming it and the fix', () => {
    const template: SamTemplate = {
      Resources: {
        Fn: {
          Type: 'AWS::Serverless::Function',
          Properties: { Policies: [{ DynamoDBCrudPolicy: { TableName: 't' } }] },
        },
      },
    };
    expect(() => samRoles(template)).toThrow(
      /Fn: Policies\[0\] uses the SAM policy template DynamoDBCrudPolicy.*inline/,
    );
  });
});
