/**
 * The roles as CloudFormation would create them: template.yaml is run through AWS's own SAM
 * translator (aws-sam-translator, the library behind the AWS::Serverless transform, called with
 * python3), under several parameter sets, and each generated role is checked against what its
 * function's code sends and what AWS requires with it, and nothing more:
 * - every SDK command the bundled code can send is granted, with its required companions
 *   (kms:Decrypt for a secret under a customer managed key, kms:TagResource and kms:PutKeyPolicy
 *   for CreateKey with tags and a policy, lambda:InvokeFunction for RotateSecret);
 * - no action is granted that the code does not need; managed policies only where they belong
 *   (X-Ray only with tracing on, VPC access only in a VPC);
 * - no tag on a KMS key grants anything, deletion and disabling only behind an alias namespace,
 *   tagging only with rekey's own tag keys, secret keys only through Secrets Manager.
 */
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUCCESSOR_KEY_POLICY_ACTIONS } from '../../functions/key-rotation/access.js';
import { functionsOf, loadTemplate } from '../../scripts/template.js';
import { actionsSentBy, requiredActions } from './helpers/iam.js';
import { samTransform } from './helpers/sam-transform.js';

const root = new URL('../..', import.meta.url).pathname;

type Json = Record<string, unknown>;
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
};
interface RoleView {
  statements: Statement[];
  /** AWS managed policies by name (`AWSLambdaBasicExecutionRole`). */
  awsManaged: string[];
}

/** Parameter sets: the defaults, and everything optional switched on. */
const PARAMETER_SETS: Record<string, Record<string, string>> = {
  defaults: {},
  everything: {
    TracingMode: 'Active',
    RotationSubnetIds: 'subnet-0123456789abcdef0',
    RotationSecurityGroupIds: 'sg-0123456789abcdef0',
    SecretKmsKeyArns: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    AdditionalRotationFunctionArns:
      'arn:aws:lambda:us-east-1:123456789012:function:SecretsManagerRDSPostgreSQLRotationSingleUser',
    CacheUserArns:
      'arn:aws:elasticache:us-east-1:123456789012:user:app-*,arn:aws:memorydb:us-east-1:123456789012:user/app-*',
    CacheUserTagValue: 'rotate',
  },
};

/**
 * Actions granted only once the deployer names the users (CacheUserArns / CacheUserTagValue):
 * with the defaults the rotation role must not have them at all, although its code can send them.
 */
const OPT_IN: Record<string, { set: string; actions: readonly string[] }> = {
  SecretRotationFunction: {
    set: 'everything',
    actions: [
      'elasticache:DescribeUsers',
      'elasticache:ModifyUser',
      'memorydb:DescribeUsers',
      'memorydb:UpdateUser',
    ],
  },
};

const transformed = new Map<
  string,
  {
    resources: Record<string, { Type: string; Properties?: Json; Condition?: string }>;
    truth: (c: string) => boolean;
    param: (name: string) => unknown;
  }
>();
const inputsOf = new Map<string, string[]>();

const transform = samTransform;

/** CloudFormation's condition functions over the given parameter values (else the defaults). */
const conditionEvaluator = (
  template: { Parameters: Record<string, Json>; Conditions: Record<string, unknown> },
  parameters: Record<string, string>,
) => {
  const paramValue = (name: string): unknown => {
    const declared = template.Parameters[name];
    const raw = parameters[name] ?? String(declared?.Default ?? '');
    return declared?.Type === 'CommaDelimitedList' ? raw.split(',') : raw;
  };
  const value = (node: unknown): unknown => {
    if (typeof node === 'string') return node;
    const n = node as Json;
    if (typeof n.Ref === 'string') return paramValue(n.Ref);
    if (n['Fn::Join']) {
      const [sep, list] = n['Fn::Join'] as [string, unknown];
      const items = Array.isArray(list) ? list.map(value) : (value(list) as unknown[]);
      return (items as unknown[]).flat().join(sep);
    }
    if (n['Fn::Equals']) {
      const [a, b] = n['Fn::Equals'] as [unknown, unknown];
      return String(value(a)) === String(value(b));
    }
    if (n['Fn::Not']) return !value((n['Fn::Not'] as unknown[])[0]);
    if (n['Fn::And']) return (n['Fn::And'] as unknown[]).every((c) => value(c) === true);
    if (n['Fn::Or']) return (n['Fn::Or'] as unknown[]).some((c) => value(c) === true);
    if (typeof n.Condition === 'string') return truth(n.Condition);
    throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
  };
  const truth = (name: string): boolean => {
    const c = template.Conditions[name];
    if (c === undefined) throw new Error(`no condition ${name}`);
    return value(c) === true;
  };
  return { truth, param: (name: string) => (name in template.Parameters ? paramValue(name) : undefined) };
};

/**
 * Picks the branch of every Fn::If, drops AWS::NoValue and puts in parameter values, as
 * CloudFormation does (other intrinsics stay as they are).
 */
const resolveIfs = (
  node: unknown,
  truth: (c: string) => boolean,
  param: (name: string) => unknown,
): unknown => {
  if (Array.isArray(node)) {
    return node.map((n) => resolveIfs(n, truth, param)).filter((n) => n !== NO_VALUE);
  }
  if (node && typeof node === 'object') {
    const n = node as Json;
    if (Array.isArray(n['Fn::If'])) {
      const [condition, yes, no] = n['Fn::If'] as [string, unknown, unknown];
      return resolveIfs(truth(condition) ? yes : no, truth, param);
    }
    if (n.Ref === 'AWS::NoValue') return NO_VALUE;
    if (typeof n.Ref === 'string' && param(n.Ref) !== undefined) return param(n.Ref);
    return Object.fromEntries(
      Object.entries(n)
        .map(([k, v]) => [k, resolveIfs(v, truth, param)])
        .filter(([, v]) => v !== NO_VALUE),
    );
  }
  return node;
};
const NO_VALUE = Symbol('AWS::NoValue');

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** A role's statements (inline and customer managed policies) and AWS managed policy names. */
const roleView = (set: string, roleId: string): RoleView => {
  const t = transformed.get(set);
  if (!t) throw new Error(`no transform for ${set}`);
  const role = resolveIfs(t.resources[roleId]?.Properties ?? {}, t.truth, t.param) as {
    Policies?: { PolicyDocument: { Statement: Statement[] } }[];
    ManagedPolicyArns?: unknown[];
  };
  const statements = (role.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
  const awsManaged: string[] = [];
  for (const arn of role.ManagedPolicyArns ?? []) {
    const ref = (arn as { Ref?: string }).Ref;
    if (ref) {
      const policy = resolveIfs(t.resources[ref]?.Properties ?? {}, t.truth, t.param) as {
        PolicyDocument: { Statement: Statement[] };
      };
      statements.push(...policy.PolicyDocument.Statement);
    } else awsManaged.push(String(arn).split('/').pop() ?? String(arn));
  }
  return { statements: statements.filter((s) => s.Effect === 'Allow'), awsManaged };
};

const functionRole = (set: string, logicalId: string): string => {
  const fn = transformed.get(set)?.resources[logicalId];
  const role = (fn?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  if (!role) throw new Error(`${logicalId} has no role in the transformed template`);
  return role;
};

/** Actions that AWS lets no resource scoping apply to. */
const UNSCOPABLE = new Set([
  'secretsmanager:ListSecrets',
  'kms:ListKeys',
  'kms:ListAliases',
  'kms:CreateKey',
  'acm:ListCertificates',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);
/** What Lambda itself needs for an explicit role: its log group, the VPC, X-Ray. */
const PLATFORM = (action: string) => /^(logs|ec2|xray):/.test(action);

let functionIds: string[];
beforeAll(async () => {
  const template = await loadTemplate();
  const functions = functionsOf(template);
  functionIds = functions.map((f) => f.logicalId);
  for (const [name, parameters] of Object.entries(PARAMETER_SETS)) {
    const out = await transform(parameters);
    transformed.set(name, { resources: out.Resources, ...conditionEvaluator(out, parameters) });
  }
  for (const fn of functions) {
    // esbuild metadata names the entry points; a Makefile-built function is found by its name
    // (FunctionName `${AWS::StackName}-secret-rotation` -> functions/secret-rotation/handler.ts).
    const named = /\$\{AWS::StackName\}-([a-z-]+)$/.exec(
      String((fn.properties.FunctionName as { 'Fn::Sub'?: string })?.['Fn::Sub'] ?? ''),
    )?.[1];
    const entries =
      (fn.buildProperties.EntryPoints as string[] | undefined) ??
      (named ? [`functions/${named}/handler.ts`] : undefined);
    if (!entries)
      throw new Error(`${fn.logicalId}: neither EntryPoints nor a FunctionName to find its sources from`);
    const result = await build({
      absWorkingDir: join(root, fn.codeUri),
      entryPoints: entries,
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      outdir: 'out',
      metafile: true,
      logLevel: 'silent',
    });
    inputsOf.set(
      fn.logicalId,
      Object.keys(result.metafile.inputs)
        .map((p) => relative(root, join(root, fn.codeUri, p)))
        .filter((p) => !p.includes('node_modules')),
    );
  }
}, 120_000);

describe.each(Object.keys(PARAMETER_SETS))('SAM-transformed roles (%s parameters)', (set) => {
  it('grant every action the code sends and AWS requires with it, and nothing else', async () => {
    for (const id of functionIds) {
      const view = roleView(set, functionRole(set, id));
      const required = requiredActions(await actionsSentBy(root, inputsOf.get(id) ?? []));
      const iam = new Set(view.statements.flatMap(actionsOf));
      // The key-rotation role reaches its unproven successors through their key policy (access.ts).
      const granted = new Set([
        ...iam,
        ...(id === 'KeyRotationFunction' ? SUCCESSOR_KEY_POLICY_ACTIONS : []),
      ]);
      const optIn = OPT_IN[id];
      const withheld = optIn && optIn.set !== set ? new Set(optIn.actions) : new Set<string>();
      expect(
        [...required].filter((a) => !granted.has(a) && !withheld.has(a)),
        `${id} lacks`,
      ).toEqual([]);
      expect(
        [...withheld].filter((a) => granted.has(a)),
        `${id} grants before the deployer opts in`,
      ).toEqual([]);
      if (optIn) {
        // The opt-in actions are ones the code really sends (not granted "just in case").
        for (const a of optIn.actions) expect(required.has(a), `${id} sends ${a}`).toBe(true);
      }
      expect(
        [...iam].filter((a) => !required.has(a) && !PLATFORM(a)),
        `${id} grants unused`,
      ).toEqual([]);
    }
  });

  it('attach AWS managed policies only where they belong', () => {
    const active = set === 'everything';
    for (const id of functionIds) {
      const view = roleView(set, functionRole(set, id));
      expect(view.awsManaged).not.toContain('AWSLambdaVPCAccessExecutionRole');
      expect(view.awsManaged.includes('AWSXrayWriteOnlyAccess'), `${id} X-Ray managed policy`).toBe(
        active && id !== 'SecretRotationFunction',
      );
      const xray =
        view.statements.flatMap(actionsOf).includes('xray:PutTraceSegments') ||
        view.awsManaged.includes('AWSXrayWriteOnlyAccess');
      expect(xray, `${id} may trace`).toBe(active);
      const vpc = view.statements.flatMap(actionsOf).includes('ec2:CreateNetworkInterface');
      expect(vpc, `${id} VPC access`).toBe(active && id === 'SecretRotationFunction');
    }
    const resources = transformed.get(set)?.resources ?? {};
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const role =
        (r.Properties?.RoleArn as { 'Fn::GetAtt'?: [string] } | undefined)?.['Fn::GetAtt']?.[0] ?? '';
      const actions = roleView(set, role).statements.flatMap(actionsOf);
      expect(actions.includes('xray:PutTraceSegments'), `${id} may trace`).toBe(active);
    }
  });

  it('never grant KMS power through a tag, and keep deletion, tagging and secret keys scoped', () => {
    for (const id of functionIds) {
      for (const s of roleView(set, functionRole(set, id)).statements) {
        const actions = actionsOf(s);
        const conditions = JSON.stringify(s.Condition ?? {});
        for (const a of actions) expect(a, `${id} ${s.Sid}`).not.toContain('*');
        if (s.Resource === '*')
          for (const a of actions) expect(UNSCOPABLE.has(a), `${id} ${a} on *`).toBe(true);
        if (actions.some((a) => a.startsWith('kms:'))) {
          expect(conditions, `${id} ${s.Sid} grants by a key's tag`).not.toContain('aws:ResourceTag');
        }
        if (
          actions.some((a) => ['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:UpdateAlias'].includes(a)) &&
          !/:alias\/|\$\{ManagedKeyAliasPattern\}/.test(JSON.stringify(s.Resource))
        ) {
          expect(conditions, `${id} ${s.Sid} retires keys outside an alias namespace`).toContain(
            'kms:ResourceAliases',
          );
        }
        if (actions.includes('kms:CreateKey') || actions.includes('kms:TagResource')) {
          expect(s.Condition?.['ForAllValues:StringLike'], `${id} ${s.Sid} tag keys`).toEqual({
            'aws:TagKeys': 'rekey:*',
          });
        }
        if (actions.includes('kms:Decrypt') || actions.includes('kms:GenerateDataKey')) {
          expect(conditions, `${id} ${s.Sid} secret keys only through Secrets Manager`).toContain(
            'kms:ViaService',
          );
          expect(conditions).toContain('kms:EncryptionContext:SecretARN');
          if (set === 'everything') expect(s.Resource).toEqual([PARAMETER_SETS.everything?.SecretKmsKeyArns]);
        }
      }
    }
  });

  it('give the schedules and state machines only what their targets need', () => {
    const resources = transformed.get(set)?.resources ?? {};
    const schedule = roleView(set, 'ScheduleRole').statements;
    expect(schedule.flatMap(actionsOf).sort()).toEqual([
      'lambda:InvokeFunction',
      'sqs:SendMessage',
      'states:StartExecution',
    ]);
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const role =
        (r.Properties?.RoleArn as { 'Fn::GetAtt'?: [string] } | undefined)?.['Fn::GetAtt']?.[0] ?? '';
      const actions = new Set(roleView(set, role).statements.flatMap(actionsOf));
      const unexpected = [...actions].filter(
        (a) => a !== 'lambda:InvokeFunction' && !/^(logs|xray):/.test(a),
      );
      expect(unexpected, `${id} grants more than invoking its function, logs and traces`).toEqual([]);
    }
  });

  it("let the fleet invoke rekey's rotation function and the ones the deployer lists, no other", () => {
    const invoke = roleView(set, functionRole(set, 'SecretFleetFunction')).statements.filter((s) =>
      actionsOf(s).includes('lambda:InvokeFunction'),
    );
    const resources = invoke.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(JSON.stringify(resources)).toContain('SecretRotationFunction');
    const extra = PARAMETER_SETS.everything?.AdditionalRotationFunctionArns ?? '';
    expect(JSON.stringify(resources).includes(extra)).toBe(set === 'everything');
  });
});
