import { PolicyDocumentError } from './errors.js';

/** The value of a condition key in a request: one string, or several for a multivalued key (aws:TagKeys). */
export type ContextValue = string | readonly string[];

/** A policy statement after reading: every list is an array, Effect is checked. */
export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  /** `'*'` for `"Principal": "*"`; otherwise the AWS principals (service principals are kept apart). */
  readonly principal?: '*' | PrincipalSet;
  readonly notPrincipal?: '*' | PrincipalSet;
  /** operator → condition key → policy values, as written. */
  readonly condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export interface PrincipalSet {
  readonly aws: readonly string[];
  readonly service: readonly string[];
}

/** A policy with the name used in denial messages and the audit log (`RoleName/PolicyName`, `key policy`). */
export interface Policy {
  readonly name: string;
  readonly statements: readonly Statement[];
}

const KNOWN_ELEMENTS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringList = (value: unknown, where: string): string[] => {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    // Policy JSON may carry booleans and numbers in conditions ("aws:SecureTransport": false); IAM
    // compares their string forms.
    if (typeof item === 'string') return item;
    if (typeof item === 'boolean' || typeof item === 'number') return String(item);
    throw new PolicyDocumentError(
      `${where} must be a string or a list of strings, got ${JSON.stringify(item)}`,
    );
  });
};

const readPrincipal = (value: unknown, where: string): '*' | PrincipalSet => {
  if (value === '*') return '*';
  if (!isRecord(value)) {
    throw new PolicyDocumentError(
      `${where} must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}`,
    );
  }
  return {
    aws: value.AWS === undefined ? [] : stringList(value.AWS, `${where}.AWS`),
    service: value.Service === undefined ? [] : stringList(value.Service, `${where}.Service`),
  };
};

/** Identity policies name no principal and always a resource; resource policies name a principal. */
export type PolicyKind = 'identity' | 'resource';

const readStatement = (raw: unknown, where: string, kind: PolicyKind): Statement => {
  if (!isRecord(raw)) throw new PolicyDocumentError(`${where} must be an object`);
  for (const key of Object.keys(raw)) {
    if (!KNOWN_ELEMENTS.has(key)) {
      throw new PolicyDocumentError(
        `${where} has unknown element "${key}"; IAM accepts ${[...KNOWN_ELEMENTS].join(', ')}`,
      );
    }
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') {
    throw new PolicyDocumentError(
      `${where}.Effect must be "Allow" or "Deny", got ${JSON.stringify(raw.Effect)}`,
    );
  }
  if ((raw.Action === undefined) === (raw.NotAction === undefined)) {
    throw new PolicyDocumentError(`${where} needs exactly one of Action or NotAction`);
  }
  if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    throw new PolicyDocumentError(`${where} may have Resource or NotResource, not both`);
  }
  const namesPrincipal = raw.Principal !== undefined || raw.NotPrincipal !== undefined;
  if (kind === 'identity' && namesPrincipal) {
    throw new PolicyDocumentError(
      `${where} names a Principal, which an identity policy cannot: the policy applies to whoever it is attached to`,
    );
  }
  if (kind === 'identity' && raw.Resource === undefined && raw.NotResource === undefined) {
    throw new PolicyDocumentError(
      `${where} needs Resource or NotResource (use "Resource": "*" for every resource)`,
    );
  }
  if (kind === 'resource' && !namesPrincipal) {
    throw new PolicyDocumentError(
      `${where} needs a Principal: a resource policy says whom it allows or denies`,
    );
  }
  let condition: Record<string, Record<string, string[]>> | undefined;
  if (raw.Condition !== undefined) {
    if (!isRecord(raw.Condition)) throw new PolicyDocumentError(`${where}.Condition must be an object`);
    condition = {};
    for (const [operator, block] of Object.entries(raw.Condition)) {
      if (!isRecord(block)) {
        throw new PolicyDocumentError(`${where}.Condition.${operator} must map condition keys to values`);
      }
      const keys: Record<string, string[]> = {};
      for (const [key, values] of Object.entries(block)) {
        keys[key] = stringList(values, `${where}.Condition.${operator}.${key}`);
      }
      condition[operator] = keys;
    }
  }
  return {
    ...(typeof raw.Sid === 'string' ? { sid: raw.Sid } : {}),
    effect: raw.Effect,
    ...(raw.Action === undefined ? {} : { action: stringList(raw.Action, `${where}.Action`) }),
    ...(raw.NotAction === undefined ? {} : { notAction: stringList(raw.NotAction, `${where}.NotAction`) }),
    ...(raw.Resource === undefined ? {} : { resource: stringList(raw.Resource, `${where}.Resource`) }),
    ...(raw.NotResource === undefined
      ? {}
      : { notResource: stringList(raw.NotResource, `${where}.NotResource`) }),
    ...(raw.Principal === undefined ? {} : { principal: readPrincipal(raw.Principal, `${where}.Principal`) }),
    ...(raw.NotPrincipal === undefined
      ? {}
      : { notPrincipal: readPrincipal(raw.NotPrincipal, `${where}.NotPrincipal`) }),
    ...(condition === undefined ? {} : { condition }),
  };
};

/**
 * Reads a policy document (a JSON string or the parsed object) into statements the evaluator can
 * use, rejecting what IAM would reject: a missing or misspelt Effect, both or neither of
 * Action/NotAction, unknown elements, a Principal in an identity policy or none in a resource
 * policy (a KMS key policy, a secret's resource policy). The error names the policy and the statement.
 */
export const readPolicy = (name: string, document: unknown, kind: PolicyKind = 'identity'): Policy => {
  let parsed: unknown = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch (error) {
      throw new PolicyDocumentError(`policy ${name} is not valid JSON`, { cause: error });
    }
  }
  if (!isRecord(parsed) || parsed.Statement === undefined) {
    throw new PolicyDocumentError(`policy ${name} must be an object with a Statement element`);
  }
  const raw = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return {
    name,
    statements: raw.map((statement, index) =>
      readStatement(statement, `policy ${name} Statement[${index}]`, kind),
    ),
  };
};
