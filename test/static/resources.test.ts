/**
 * What `sam validate` / CloudFormation would reject before deploying: a resource type this
 * template does not know, a missing required property or a misspelt one, a Ref, GetAtt or ${Sub}
 * that names nothing, a Condition that is not declared, a parameter without constraints.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplate, type Template } from '../../scripts/template.js';

/** Properties per resource type (from the CloudFormation and SAM references): required, and all allowed. */
const SHAPES: Record<string, { required: string[]; allowed: string[] }> = {
  'AWS::Serverless::Function': {
    required: ['CodeUri', 'Handler'],
    allowed: [
      'FunctionName',
      'Description',
      'CodeUri',
      'Handler',
      'Timeout',
      'LoggingConfig',
      'Environment',
      'VpcConfig',
      'Policies',
      'Events',
      'MemorySize',
      'Runtime',
      'Architectures',
      'Tracing',
    ],
  },
  'AWS::Serverless::StateMachine': {
    required: ['DefinitionUri'],
    allowed: [
      'Name',
      'DefinitionUri',
      'DefinitionSubstitutions',
      'Tracing',
      'Logging',
      'Policies',
      'Events',
      'Type',
    ],
  },
  'AWS::Logs::LogGroup': {
    required: ['RetentionInDays'],
    allowed: ['LogGroupName', 'RetentionInDays', 'KmsKeyId'],
  },
  'AWS::Lambda::Permission': {
    required: ['FunctionName', 'Action', 'Principal'],
    allowed: ['FunctionName', 'Action', 'Principal', 'SourceAccount', 'SourceArn'],
  },
  'AWS::Events::EventBus': { required: ['Name'], allowed: ['Name', 'Description', 'KmsKeyIdentifier'] },
  'AWS::Events::Rule': {
    required: ['EventPattern', 'Targets'],
    allowed: ['Description', 'EventBusName', 'EventPattern', 'Targets', 'State', 'Name'],
  },
  'AWS::SNS::Topic': { required: [], allowed: ['DisplayName', 'TopicName', 'KmsMasterKeyId'] },
  'AWS::SNS::Subscription': {
    required: ['TopicArn', 'Protocol'],
    allowed: ['TopicArn', 'Protocol', 'Endpoint'],
  },
  'AWS::SNS::TopicPolicy': { required: ['Topics', 'PolicyDocument'], allowed: ['Topics', 'PolicyDocument'] },
  'AWS::Scheduler::Schedule': {
    required: ['ScheduleExpression', 'FlexibleTimeWindow', 'Target'],
    allowed: [
      'Description',
      'ScheduleExpression',
      'FlexibleTimeWindow',
      'Target',
      'State',
      'Name',
      'ScheduleExpressionTimezone',
    ],
  },
  'AWS::IAM::ManagedPolicy': { required: ['PolicyDocument'], allowed: ['PolicyDocument', 'Description'] },
  'AWS::IAM::Role': {
    required: ['AssumeRolePolicyDocument'],
    allowed: ['AssumeRolePolicyDocument', 'Policies', 'ManagedPolicyArns', 'Description'],
  },
};
const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::NoValue',
  'AWS::URLSuffix',
]);

let template: Template & { Conditions?: Record<string, unknown> };
beforeAll(async () => {
  template = await loadTemplate();
});

/** Every intrinsic reference in a value: Ref, GetAtt, ${...} in Sub, Condition names in If. */
const referencesIn = (
  node: unknown,
  out: { refs: string[]; conditions: string[] } = { refs: [], conditions: [] },
) => {
  if (Array.isArray(node)) for (const n of node) referencesIn(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'Ref' && typeof value === 'string') out.refs.push(value);
      else if (key === 'Fn::GetAtt')
        out.refs.push(String(Array.isArray(value) ? value[0] : String(value).split('.')[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? String(value[0]) : String(value);
        const locals = Array.isArray(value) && value[1] ? Object.keys(value[1] as object) : [];
        for (const m of text.matchAll(/\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z]+)?\}/g)) {
          if (!locals.includes(m[1] ?? '')) out.refs.push(m[1] ?? '');
        }
        if (Array.isArray(value)) referencesIn(value[1], out);
      } else if (key === 'Fn::If' && Array.isArray(value)) {
        out.conditions.push(String(value[0]));
        referencesIn(value.slice(1), out);
      } else referencesIn(value, out);
    }
  }
  return out;
};

describe('template resources', () => {
  it('uses only resource types it knows, with their required properties and no misspelt ones', () => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      const shape = SHAPES[resource.Type];
      expect(shape, `${id}: resource type ${resource.Type}`).toBeDefined();
      const props = Object.keys(resource.Properties ?? {});
      for (const required of shape?.required ?? [])
        expect(props, `${id} needs ${required}`).toContain(required);
      expect(
        props.filter((p) => !shape?.allowed.includes(p)),
        `${id} unknown properties`,
      ).toEqual([]);
    }
  });

  it('references only declared parameters, resources, pseudo parameters and conditions', () => {
    const names = new Set([
      ...Object.keys(template.Parameters ?? {}),
      ...Object.keys(template.Resources),
      ...PSEUDO,
    ]);
    const conditions = new Set(Object.keys(template.Conditions ?? {}));
    const { refs, conditions: used } = referencesIn([
      template.Resources,
      template.Outputs,
      template.Conditions,
    ]);
    expect(refs.filter((r) => !names.has(r))).toEqual([]);
    expect(used.filter((c) => !conditions.has(c))).toEqual([]);
    for (const [id, resource] of Object.entries(template.Resources)) {
      const condition = (resource as { Condition?: string }).Condition;
      if (condition) expect(conditions.has(condition), `${id} condition ${condition}`).toBe(true);
    }
  });

  it('constrains every parameter and uses every one', () => {
    const { refs } = referencesIn([
      template.Resources,
      template.Outputs,
      template.Conditions,
      template.Globals,
    ]);
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      const constrained = ['AllowedValues', 'AllowedPattern', 'MinValue', 'MaxValue'].some(
        (k) => k in parameter,
      );
      expect(constrained, `parameter ${name} has constraints`).toBe(true);
      expect(parameter.Description, `parameter ${name} is described`).toBeTypeOf('string');
      expect(refs, `parameter ${name} is used`).toContain(name);
    }
  });

  it('outputs the ARN of every function, state machine, bus and topic', () => {
    const outputs = JSON.stringify(template.Outputs ?? {});
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (
        [
          'AWS::Serverless::Function',
          'AWS::Serverless::StateMachine',
          'AWS::Events::EventBus',
          'AWS::SNS::Topic',
        ].includes(resource.Type)
      ) {
        expect(outputs, `an output for ${id}`).toContain(`"${id}`);
      }
    }
  });
});
