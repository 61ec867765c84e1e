import { conditionsHold } from './conditions.js';
import { matchWithVariables, wildcardMatch } from './match.js';
import type { ContextValue, Policy, PrincipalSet, Statement } from './policy.js';

/** One request as IAM sees it: who, what, on which resource, with which condition keys. */
export interface AuthorizationRequest {
  /** The caller's ARN as it appears in denials, e.g. `arn:aws:sts::123456789012:assumed-role/Role/session`. */
  readonly principalArn: string;
  /** The caller's account, to match resource-policy statements naming the account (`arn:aws:iam::ACCOUNT:root`). */
  readonly principalAccount: string;
  /** Further ARNs that name the caller in a resource policy (an assumed role's `arn:aws:iam::ACCOUNT:role/Role`). */
  readonly principalAliases?: readonly string[];
  /** `service:Operation`, e.g. `secretsmanager:GetSecretValue`. */
  readonly action: string;
  /** The resource ARN, or `*` for operations that take none. */
  readonly resource: string;
  /** Condition keys the request supplies (key names are case-insensitive in IAM). */
  readonly context?: Readonly<Record<string, ContextValue>>;
}

/**
 * How the resource's own policy takes part. `optional` (Secrets Manager resource policies, or
 * none): either the identity policies or the resource policy may allow. `required` (KMS key
 * policies): no principal may use a key unless its key policy allows it, directly or by naming
 * the account, which delegates to the account's IAM policies (AWS KMS developer guide,
 * "Default key policy").
 */
export type ResourcePolicyMode = 'optional' | 'required';

export interface PolicySet {
  readonly identityPolicies: readonly Policy[];
  readonly resourcePolicy?: Policy;
  readonly resourcePolicyMode?: ResourcePolicyMode;
}

export type PolicyType = 'identity-based' | 'resource-based';

export interface MatchedStatement {
  readonly policy: string;
  readonly kind: PolicyType;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
}

export interface Decision {
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** The statements that applied to the request: what the audit log records. */
  readonly matched: readonly MatchedStatement[];
  /** For a denial, the AWS-shaped message of the `AccessDeniedException`. */
  readonly message?: string;
}

const listMatches = (
  patterns: readonly string[] | undefined,
  notPatterns: readonly string[] | undefined,
  test: (pattern: string) => boolean,
): boolean => {
  if (patterns !== undefined) return patterns.some(test);
  if (notPatterns !== undefined) return !notPatterns.some(test);
  return false;
};

/** How a resource-policy statement's Principal names the caller. */
type PrincipalMatch = 'direct' | 'account' | 'none';

const accountOf = (entry: string): string | undefined =>
  /^\d{12}$/.test(entry) ? entry : entry.match(/^arn:aws[\w-]*:iam::(\d{12}):root$/)?.[1];

const principalMatch = (set: '*' | PrincipalSet, request: AuthorizationRequest): PrincipalMatch => {
  if (set === '*') return 'direct';
  const names = [request.principalArn, ...(request.principalAliases ?? [])];
  let match: PrincipalMatch = 'none';
  for (const entry of set.aws) {
    if (entry === '*' || names.includes(entry)) return 'direct';
    if (accountOf(entry) === request.principalAccount) match = 'account';
  }
  return match;
};

const statementPrincipal = (statement: Statement, request: AuthorizationRequest): PrincipalMatch => {
  if (statement.principal !== undefined) return principalMatch(statement.principal, request);
  if (statement.notPrincipal !== undefined) {
    return principalMatch(statement.notPrincipal, request) === 'none' ? 'direct' : 'none';
  }
  return 'none';
};

/**
 * Evaluates a request against identity policies and an optional resource policy the way AWS
 * does within one account (IAM user guide, "Policy evaluation logic"): an explicit Deny in any
 * policy wins; otherwise an Allow in the identity policies or (directly naming the caller) in
 * the resource policy allows; otherwise the request is implicitly denied. A KMS key policy is
 * required: identity policies count only if the key policy delegates to the account.
 */
export const evaluate = (request: AuthorizationRequest, policies: PolicySet): Decision => {
  const context = new Map<string, ContextValue>();
  for (const [key, value] of Object.entries(request.context ?? {})) context.set(key.toLowerCase(), value);
  const lookup = (key: string): ContextValue | undefined => context.get(key.toLowerCase());

  const applies = (statement: Statement): boolean =>
    listMatches(statement.action, statement.notAction, (pattern) =>
      wildcardMatch(pattern, request.action, true),
    ) &&
    listMatches(statement.resource, statement.notResource, (pattern) =>
      matchWithVariables(pattern, request.resource, false, lookup),
    ) &&
    conditionsHold(statement.condition, lookup);

  const matched: MatchedStatement[] = [];
  const record = (policy: Policy, kind: PolicyType, statement: Statement): void => {
    matched.push({
      policy: policy.name,
      kind,
      effect: statement.effect,
      ...(statement.sid === undefined ? {} : { sid: statement.sid }),
    });
  };

  let identityAllows = false;
  let denyKind: PolicyType | undefined;
  for (const policy of policies.identityPolicies) {
    for (const statement of policy.statements) {
      if (!applies(statement)) continue;
      record(policy, 'identity-based', statement);
      if (statement.effect === 'Deny') denyKind ??= 'identity-based';
      else identityAllows = true;
    }
  }

  let resourceAllows = false;
  let resourceDelegates = false;
  if (policies.resourcePolicy !== undefined) {
    for (const statement of policies.resourcePolicy.statements) {
      // A resource-policy statement without Resource applies to the resource it is attached to.
      const resolved = statement.resource === undefined && statement.notResource === undefined;
      if (!(resolved ? applies({ ...statement, resource: ['*'] }) : applies(statement))) continue;
      const who = statementPrincipal(statement, request);
      if (who === 'none') continue;
      record(policies.resourcePolicy, 'resource-based', statement);
      if (statement.effect === 'Deny') denyKind ??= 'resource-based';
      else if (who === 'direct') resourceAllows = true;
      // Naming the account (arn:aws:iam::ACCOUNT:root) grants nothing by itself: it lets the
      // account's IAM policies decide.
      else resourceDelegates = true;
    }
  }

  const denied = (reason: string): string =>
    `User: ${request.principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${reason}`;

  if (denyKind !== undefined) {
    return {
      decision: 'ExplicitDeny',
      matched,
      message: denied(
        `with an explicit deny in ${denyKind === 'identity-based' ? 'an' : 'a'} ${denyKind} policy`,
      ),
    };
  }
  const required = policies.resourcePolicyMode === 'required';
  const allowed = required
    ? resourceAllows || (resourceDelegates && identityAllows)
    : resourceAllows || identityAllows;
  if (allowed) return { decision: 'Allow', matched };
  // KMS words every implicit denial as the key policy's: an IAM user missing kms:DescribeKey
  // under a key policy that delegates to IAM got "because no resource-based policy allows the
  // kms:DescribeKey action" and was fixed by an IAM change (github.com/jbrt/ec2cryptomatic/issues/26).
  const missing: PolicyType = required ? 'resource-based' : 'identity-based';
  return {
    decision: 'ImplicitDeny',
    matched,
    message: denied(`because no ${missing} policy allows the ${request.action} action`),
  };
};
