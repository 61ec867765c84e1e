/**
 * The part of the SAM transform (AWS::Serverless-2016-10-31) that decides what a function's or
 * state machine's role may do, in TypeScript, so `rekey local` needs no Python at run time. For
 * each AWS::Serverless::Function and ::StateMachine without an explicit `Role`, SAM creates
 * `<LogicalId>Role` with one inline policy `<LogicalId>RolePolicy<N>` per statement block or
 * policy template of `Policies` (N is the item's index), and every managed policy (a name, an
 * ARN, a `!Ref` to the template's own AWS::IAM::ManagedPolicy, or an `!If` of those) in
 * `ManagedPolicyArns`. test/unit/local/iam/sam-roles.test.ts checks the result against the
 * output of AWS's own translator for the project's template.
 */
import { PolicyDocumentError } from './errors.js';
import type { TransformedTemplate } from './template-roles.js';

type Json = Record<string, unknown>;

/** A template as written (short intrinsic tags already read as `Fn::*` / `Ref` objects). */
export interface SamTemplate {
  readonly Parameters?: Record<string, Json>;
  readonly Conditions?: Record<string, unknown>;
  readonly Globals?: Record<string, Json>;
  readonly Resources: Record<string, { Type: string; Properties?: Json; Condition?: string }>;
}

const sub = (text: string, variables?: Json): Json => ({ 'Fn::Sub': variables ? [text, variables] : text });
const PREFIX = `arn:\${AWS::Partition}`;

/**
 * The SAM policy templates (samtranslator's policy_templates.json) whose statements touch the
 * services the local endpoint serves, plus LambdaInvokePolicy, which rekey's state machines use.
 * Each gives the statements for its parameters.
 */
const POLICY_TEMPLATES: Record<string, (p: Json) => Json[]> = {
  LambdaInvokePolicy: (p) => [
    {
      Action: ['lambda:InvokeFunction'],
      Effect: 'Allow',
      Resource: sub(`${PREFIX}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:\${functionName}*`, {
        functionName: p.FunctionName,
      }),
    },
  ],
  AWSSecretsManagerGetSecretValuePolicy: (p) => [
    {
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: p.SecretArn,
    },
  ],
  KMSDecryptPolicy: (p) => [
    {
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: sub(`${PREFIX}:kms:\${AWS::Region}:\${AWS::AccountId}:key/\${keyId}`, { keyId: p.KeyId }),
    },
  ],
  KMSEncryptPolicy: (p) => [
    {
      Action: 'kms:Encrypt',
      Effect: 'Allow',
      Resource: sub(`${PREFIX}:kms:\${AWS::Region}:\${AWS::AccountId}:key/\${keyId}`, { keyId: p.KeyId }),
    },
  ],
  EventBridgePutEventsPolicy: (p) => [
    {
      Action: 'events:PutEvents',
      Effect: 'Allow',
      Resource: sub(`${PREFIX}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/\${eventBusName}`, {
        eventBusName: p.EventBusName,
      }),
    },
  ],
};

/** SAM's managed policy names: a bare name is an AWS managed policy. */
const managedArn = (name: string): unknown =>
  name.startsWith('arn:') ? name : sub(`${PREFIX}:iam::aws:policy/${name}`);

const isManagedReference = (item: unknown): boolean => {
  if (typeof item === 'string') return true;
  if (typeof item !== 'object' || item === null) return false;
  const keys = Object.keys(item as Json);
  if (keys.length !== 1) return false;
  const [key] = keys as [string];
  const arg = (item as Json)[key];
  if (key === 'Ref' || key === 'Fn::GetAtt' || key === 'Fn::Sub' || key === 'Fn::ImportValue') return true;
  if (key === 'Fn::If' && Array.isArray(arg)) return arg.slice(1).every(isManagedReference);
  return false;
};

const SERVERLESS = new Set(['AWS::Serverless::Function', 'AWS::Serverless::StateMachine']);

/**
 * The template with a role resource for every serverless function and state machine, the way
 * the SAM transform writes it (only what decides permissions: Policies and ManagedPolicyArns).
 */
export const samRoles = (template: SamTemplate): TransformedTemplate => {
  const resources: TransformedTemplate['Resources'] = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (!SERVERLESS.has(resource.Type)) {
      resources[id] = resource;
      continue;
    }
    const properties = resource.Properties ?? {};
    const type =
      resource.Type === 'AWS::Serverless::Function'
        ? 'AWS::Lambda::Function'
        : 'AWS::StepFunctions::StateMachine';
    const nameProperty = type === 'AWS::Lambda::Function' ? 'FunctionName' : 'Name';
    const named = properties[nameProperty];
    const converted = {
      Type: type,
      ...(resource.Condition ? { Condition: resource.Condition } : {}),
      Properties: {
        ...(named === undefined
          ? {}
          : { [type === 'AWS::Lambda::Function' ? 'FunctionName' : 'StateMachineName']: named }),
        Role: properties.Role ?? { 'Fn::GetAtt': [`${id}Role`, 'Arn'] },
      } as Json,
    };
    resources[id] = converted;
    if (properties.Role !== undefined) continue;

    const roleId = `${id}Role`;
    const listed =
      properties.Policies === undefined
        ? []
        : Array.isArray(properties.Policies)
          ? properties.Policies
          : [properties.Policies];
    const managed: unknown[] = [];
    if (type === 'AWS::Lambda::Function')
      managed.push(managedArn('service-role/AWSLambdaBasicExecutionRole'));
    const policies: Json[] = [];
    listed.forEach((item: unknown, index) => {
      const policyName = `${roleId}Policy${index}`;
      if (typeof item === 'string') {
        managed.push(managedArn(item));
        return;
      }
      if (isManagedReference(item)) {
        managed.push(item);
        return;
      }
      const entry = item as Json;
      if ('Statement' in entry) {
        policies.push({ PolicyName: policyName, PolicyDocument: entry });
        return;
      }
      const [templateName] = Object.keys(entry) as [string];
      const expand = POLICY_TEMPLATES[templateName];
      if (expand === undefined) {
        throw new PolicyDocumentError(
          `${id}: Policies[${index}] uses the SAM policy template ${templateName}, which rekey local does not resolve; write its statements inline (Statement: [...]) or use one of ${Object.keys(POLICY_TEMPLATES).join(', ')}`,
        );
      }
      policies.push({
        PolicyName: policyName,
        PolicyDocument: { Statement: expand((entry[templateName] ?? {}) as Json) },
      });
    });
    resources[roleId] = {
      Type: 'AWS::IAM::Role',
      ...(resource.Condition ? { Condition: resource.Condition } : {}),
      Properties: { ManagedPolicyArns: managed, Policies: policies },
    };
  }
  return {
    ...(template.Parameters ? { Parameters: template.Parameters } : {}),
    ...(template.Conditions ? { Conditions: template.Conditions } : {}),
    Resources: resources,
  };
};
