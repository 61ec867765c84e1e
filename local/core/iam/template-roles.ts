import { PolicyDocumentError } from './errors.js';
import { type Policy, readPolicy } from './policy.js';

type Json = Record<string, unknown>;

/** A CloudFormation template after the SAM transform (the `aws-sam-translator` output). */
export interface TransformedTemplate {
  readonly Parameters?: Record<string, Json>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, { Type: string; Properties?: Json; Condition?: string }>;
}

/** What CloudFormation knows when it creates the stack. */
export interface StackContext {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition?: string;
  /** Parameter values; a parameter not given takes its Default. */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** A role as the stack would create it, ready for `evaluate`. */
export interface TemplateRole {
  readonly logicalId: string;
  readonly roleName: string;
  readonly roleArn: string;
  /** Inline policies and the template's own managed policies, named `RoleName/PolicyName`. */
  readonly policies: readonly Policy[];
  /** AWS managed policies (X-Ray, VPC access): not evaluated locally, listed so a caller can say so. */
  readonly awsManagedPolicyArns: readonly string[];
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves the intrinsic functions that appear in rekey's role policies (Ref, Fn::If, Fn::Sub,
 * Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt …Arn) the way CloudFormation would for the given
 * stack. Physical names come from the resource's name property; a resource without one gets
 * `STACK-LogicalId` (CloudFormation adds a random suffix, which no policy of rekey's relies on).
 */
const resolver = (template: TransformedTemplate, stack: StackContext) => {
  const partition = stack.partition ?? 'aws';
  const { region, accountId: account } = stack;
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::StackName': stack.stackName,
    'AWS::URLSuffix': 'amazonaws.com',
  };

  const parameter = (name: string): string | string[] | undefined => {
    const declared = template.Parameters?.[name];
    if (declared === undefined) return undefined;
    const raw = stack.parameters?.[name] ?? String(declared.Default ?? '');
    return declared.Type === 'CommaDelimitedList' || String(declared.Type).startsWith('List<')
      ? raw.split(',')
      : raw;
  };

  const NAME_PROPERTY: Record<string, string> = {
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::StepFunctions::StateMachine': 'StateMachineName',
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::SQS::Queue': 'QueueName',
    'AWS::Events::EventBus': 'Name',
    'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
    'AWS::IAM::Role': 'RoleName',
    'AWS::SNS::Topic': 'TopicName',
  };

  const physicalName = (logicalId: string): string => {
    const resource = template.Resources[logicalId];
    if (resource === undefined) throw new PolicyDocumentError(`the template has no resource ${logicalId}`);
    const property = NAME_PROPERTY[resource.Type];
    const named = property === undefined ? undefined : resource.Properties?.[property];
    return named === undefined ? `${stack.stackName}-${logicalId}` : String(resolve(named));
  };

  const arnOf = (logicalId: string): string => {
    const type = template.Resources[logicalId]?.Type;
    const name = physicalName(logicalId);
    const arn = (service: string, rest: string, inRegion = true) =>
      `arn:${partition}:${service}:${inRegion ? region : ''}:${account}:${rest}`;
    switch (type) {
      case 'AWS::Lambda::Function':
        return arn('lambda', `function:${name}`);
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${name}`);
      case 'AWS::Logs::LogGroup':
        return arn('logs', `log-group:${name}:*`);
      case 'AWS::SQS::Queue':
        return arn('sqs', name);
      case 'AWS::Events::EventBus':
        return arn('events', `event-bus/${name}`);
      case 'AWS::SNS::Topic':
        return arn('sns', name);
      case 'AWS::IAM::ManagedPolicy':
        return arn('iam', `policy/${name}`, false);
      case 'AWS::IAM::Role':
        return arn('iam', `role/${name}`, false);
      default:
        throw new PolicyDocumentError(
          `cannot give the ARN of ${logicalId} (${type}): no local rule for that type`,
        );
    }
  };

  /** What `Ref` returns for a resource: its ARN for these types, its name for the others. */
  const REF_IS_ARN = new Set([
    'AWS::StepFunctions::StateMachine',
    'AWS::IAM::ManagedPolicy',
    'AWS::SNS::Topic',
  ]);

  const ref = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    const value = parameter(name);
    if (value !== undefined) return value;
    const resource = template.Resources[name];
    if (resource === undefined)
      throw new PolicyDocumentError(`Ref to ${name}: no such parameter or resource`);
    return REF_IS_ARN.has(resource.Type) ? arnOf(name) : physicalName(name);
  };

  const getAtt = (logicalId: string, attribute: string): string => {
    if (attribute === 'Arn') return arnOf(logicalId);
    throw new PolicyDocumentError(`Fn::GetAtt ${logicalId}.${attribute}: only Arn is resolved locally`);
  };

  const sub = (text: string, variables: Json): string =>
    text.replace(/\$\{(!?)([^}]+)\}/g, (_whole, bang: string, name: string) => {
      if (bang === '!') return `\${${name}}`;
      if (name in variables) return String(resolve(variables[name]));
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attribute] = name.split('.', 2) as [string, string];
        return getAtt(id, attribute);
      }
      const value = ref(name);
      return Array.isArray(value) ? value.join(',') : String(value);
    });

  const truth = (name: string): boolean => {
    const condition = template.Conditions?.[name];
    if (condition === undefined) throw new PolicyDocumentError(`the template has no condition ${name}`);
    return resolve(condition) === true;
  };

  function resolve(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(resolve).filter((item) => item !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const n = node as Json;
    const keys = Object.keys(n);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = n[key];
      switch (key) {
        case 'Ref':
          return ref(String(arg));
        case 'Condition':
          if (typeof arg === 'string') return truth(arg);
          break;
        case 'Fn::If': {
          const [condition, yes, no] = arg as [string, unknown, unknown];
          return resolve(truth(condition) ? yes : no);
        }
        case 'Fn::Equals': {
          const [a, b] = arg as [unknown, unknown];
          return JSON.stringify(resolve(a)) === JSON.stringify(resolve(b));
        }
        case 'Fn::Not':
          return resolve((arg as unknown[])[0]) !== true;
        case 'Fn::And':
          return (arg as unknown[]).every((c) => resolve(c) === true);
        case 'Fn::Or':
          return (arg as unknown[]).some((c) => resolve(c) === true);
        case 'Fn::Sub':
          return Array.isArray(arg) ? sub(String(arg[0]), (arg[1] ?? {}) as Json) : sub(String(arg), {});
        case 'Fn::Join': {
          const [separator, list] = arg as [string, unknown];
          return (resolve(list) as unknown[]).flat().join(separator);
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(resolve(text)).split(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (resolve(list) as unknown[])[Number(resolve(index))];
        }
        case 'Fn::GetAtt': {
          const [id, attribute] = (typeof arg === 'string' ? arg.split('.', 2) : arg) as [string, string];
          return getAtt(id, attribute);
        }
        default:
          if (key.startsWith('Fn::')) throw new PolicyDocumentError(`${key} is not resolved locally`);
      }
    }
    return Object.fromEntries(
      Object.entries(n)
        .map(([k, v]) => [k, resolve(v)] as const)
        .filter(([, v]) => v !== NO_VALUE),
    );
  }

  const present = (logicalId: string): boolean => {
    const condition = template.Resources[logicalId]?.Condition;
    return condition === undefined || truth(condition);
  };

  return { resolve, physicalName, arnOf, present };
};

/** The role a function or state machine of the template runs under (its `Role: !GetAtt X.Arn`). */
export const roleOfResource = (template: TransformedTemplate, logicalId: string): string => {
  const role =
    template.Resources[logicalId]?.Properties?.Role ?? template.Resources[logicalId]?.Properties?.RoleArn;
  const id = (role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
  if (id === undefined) {
    throw new PolicyDocumentError(`${logicalId} has no Role: !GetAtt ROLE.Arn in the transformed template`);
  }
  return id;
};

/**
 * Reads a role of the SAM-transformed template as CloudFormation would create it in the given
 * stack: its inline policies, the template's managed policies attached to it (ManagedPolicyArns
 * and AWS::IAM::Policy resources naming it), with every intrinsic resolved and every Fn::If
 * decided by the stack's parameters.
 */
export const roleFromTemplate = (
  template: TransformedTemplate,
  roleLogicalId: string,
  stack: StackContext,
): TemplateRole => {
  const { resolve, physicalName, arnOf, present } = resolver(template, stack);
  const resource = template.Resources[roleLogicalId];
  if (resource?.Type !== 'AWS::IAM::Role') {
    throw new PolicyDocumentError(`${roleLogicalId} is not an AWS::IAM::Role of the template`);
  }
  const roleName = physicalName(roleLogicalId);
  const properties = resolve(resource.Properties ?? {}) as {
    Policies?: { PolicyName: string; PolicyDocument: unknown }[];
    ManagedPolicyArns?: string[];
  };
  const policies: Policy[] = (properties.Policies ?? []).map((p) =>
    readPolicy(`${roleName}/${p.PolicyName}`, p.PolicyDocument),
  );
  const awsManagedPolicyArns: string[] = [];
  const ownPolicies = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::IAM::ManagedPolicy' && present(id)) ownPolicies.set(arnOf(id), id);
  }
  for (const arn of properties.ManagedPolicyArns ?? []) {
    const id = ownPolicies.get(arn);
    if (id === undefined) {
      awsManagedPolicyArns.push(arn);
      continue;
    }
    const managed = resolve(template.Resources[id]?.Properties ?? {}) as { PolicyDocument: unknown };
    policies.push(readPolicy(`${roleName}/${physicalName(id)}`, managed.PolicyDocument));
  }
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' || !present(id)) continue;
    const attached = resolve(r.Properties ?? {}) as {
      PolicyName: string;
      PolicyDocument: unknown;
      Roles?: string[];
    };
    if (attached.Roles?.includes(roleName)) {
      policies.push(readPolicy(`${roleName}/${attached.PolicyName}`, attached.PolicyDocument));
    }
  }
  return {
    logicalId: roleLogicalId,
    roleName,
    roleArn: arnOf(roleLogicalId),
    policies,
    awsManagedPolicyArns,
  };
};
