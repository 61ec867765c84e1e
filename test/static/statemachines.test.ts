/**
 * Every state machine in template.yaml: its ASL file validates with asl-validator, every
 * `${Placeholder}` comes from DefinitionSubstitutions (no ARN is written into the ASL), and every
 * Task resource is one the state machine's role may call.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplate, type Template } from '../../scripts/template.js';

const root = new URL('../..', import.meta.url).pathname;
let template: Template;

interface Machine {
  logicalId: string;
  file: string;
  asl: string;
  substitutions: Record<string, unknown>;
  policies: unknown[];
}
let machines: Machine[];

const placeholdersIn = (text: string): Set<string> =>
  new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''));

/** Every Task `Resource` in a definition, through Map/Parallel branches. */
const taskResources = (node: unknown, out: string[] = []): string[] => {
  if (Array.isArray(node)) for (const n of node) taskResources(n, out);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.Type === 'Task' && typeof record.Resource === 'string') out.push(record.Resource);
    for (const value of Object.values(record)) taskResources(value, out);
  }
  return out;
};

/** Logical ids of the functions a role may invoke (SAM LambdaInvokePolicy or explicit statements). */
const invokableFunctions = (policies: unknown[]): Set<string> => {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      const invoke = record.LambdaInvokePolicy as { FunctionName?: { Ref?: string } } | undefined;
      if (invoke?.FunctionName?.Ref) ids.add(invoke.FunctionName.Ref);
      Object.values(record).forEach(visit);
    }
  };
  visit(policies);
  return ids;
};

/** IAM actions granted through explicit statements. */
const grantedActions = (policies: unknown[]): Set<string> => {
  const actions = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.Effect === 'Allow' && record.Action) {
        for (const a of Array.isArray(record.Action) ? record.Action : [record.Action])
          actions.add(String(a));
      }
      const sam = ['EventBridgePutEventsPolicy'];
      for (const key of sam) if (key in record) actions.add('events:PutEvents');
      Object.values(record).forEach(visit);
    }
  };
  visit(policies);
  return actions;
};

beforeAll(async () => {
  template = await loadTemplate();
  machines = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Serverless::StateMachine')
    .map(([logicalId, r]) => {
      const props = r.Properties ?? {};
      const file = String(props.DefinitionUri);
      return {
        logicalId,
        file,
        asl: readFileSync(join(root, file), 'utf8'),
        substitutions: (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>,
        policies: (props.Policies ?? []) as unknown[],
      };
    });
});

describe('state machines', () => {
  it('deploys every statemachines/*.asl.json file', () => {
    const files = readdirSync(join(root, 'statemachines')).filter((f) => f.endsWith('.asl.json'));
    expect(machines.map((m) => m.file.replace(/^statemachines\//, '')).sort()).toEqual(files.sort());
  });

  it('validates with asl-validator once substituted', () => {
    for (const m of machines) {
      let text = m.asl;
      for (const key of placeholdersIn(m.asl)) {
        text = text.replaceAll(`\${${key}}`, `arn:aws:lambda:us-east-1:123456789012:function:${key}`);
      }
      const result = aslValidator(JSON.parse(text));
      expect(result.isValid ? '' : result.errorsText('\n'), m.file).toBe('');
    }
  });

  it('takes every placeholder from DefinitionSubstitutions and writes no ARN into the ASL', () => {
    for (const m of machines) {
      const used = placeholdersIn(m.asl);
      expect(
        [...used].filter((p) => !(p in m.substitutions)),
        `${m.file} placeholders without substitution`,
      ).toEqual([]);
      expect(
        Object.keys(m.substitutions).filter((k) => !used.has(k)),
        `${m.file} unused substitutions`,
      ).toEqual([]);
      const arns = m.asl.match(/arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^"]*/g) ?? [];
      expect(arns, `${m.file} hard-coded ARNs`).toEqual([]);
    }
  });

  it('may call every Task resource it names', () => {
    for (const m of machines) {
      const invokable = invokableFunctions(m.policies);
      const actions = grantedActions(m.policies);
      for (const resource of new Set(taskResources(JSON.parse(m.asl)))) {
        const placeholder = /^\$\{([A-Za-z0-9_]+)\}$/.exec(resource)?.[1];
        if (placeholder) {
          const value = m.substitutions[placeholder] as { 'Fn::GetAtt'?: string[] } | undefined;
          const target = value?.['Fn::GetAtt']?.[0];
          expect(target, `${m.file}: ${resource} must be a function's ARN`).toBeTypeOf('string');
          expect(template.Resources[target ?? '']?.Type).toBe('AWS::Serverless::Function');
          expect(invokable.has(target ?? ''), `${m.logicalId} may invoke ${target}`).toBe(true);
          continue;
        }
        const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(resource);
        if (sdk) {
          const action = `${sdk[1]}:${(sdk[2] ?? '').charAt(0).toUpperCase()}${(sdk[2] ?? '').slice(1)}`;
          expect(actions.has(action), `${m.logicalId} may call ${action}`).toBe(true);
          continue;
        }
        if (resource === 'arn:aws:states:::events:putEvents') {
          expect(actions.has('events:PutEvents'), `${m.logicalId} may put events`).toBe(true);
          continue;
        }
        throw new Error(`${m.file}: Task resource ${resource} is not one this test knows how to check`);
      }
    }
  });

  it('logs every state machine to its own log group with retention', () => {
    for (const m of machines) {
      const props = template.Resources[m.logicalId]?.Properties ?? {};
      const logging = props.Logging as
        | { Destinations?: { CloudWatchLogsLogGroup?: { LogGroupArn?: { 'Fn::GetAtt'?: string[] } } }[] }
        | undefined;
      const group = logging?.Destinations?.[0]?.CloudWatchLogsLogGroup?.LogGroupArn?.['Fn::GetAtt']?.[0];
      expect(template.Resources[group ?? '']?.Type, `${m.logicalId} log group`).toBe('AWS::Logs::LogGroup');
      expect(template.Resources[group ?? '']?.Properties?.RetentionInDays).toBeDefined();
      // Step Functions delivers the logs with the role's permissions: inline, or a managed policy it references.
      const managed = m.policies
        .map((p) => (p as { Ref?: string }).Ref)
        .flatMap((ref) => (ref ? [template.Resources[ref]?.Properties?.PolicyDocument] : []));
      const actions = grantedActions([...m.policies, ...managed]);
      for (const action of ['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:DescribeLogGroups']) {
        expect(actions.has(action), `${m.logicalId} may ${action}`).toBe(true);
      }
    }
  });
});
