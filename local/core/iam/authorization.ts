/**
 * The interface between the emulated services and IAM evaluation. Each service describes, per
 * operation, the checks AWS makes for it (Service Authorization Reference, "Actions, resources,
 * and condition keys for <service>"): which action, on which resource ARN(s), with which
 * condition keys, read from the request input and the service's stored state. The descriptors
 * live in the service's folder (`local/services/<service>/authorization.ts`); the endpoint's
 * authorizer (authorizer.ts) evaluates the checks against the caller's policies and the
 * resource's own policy, which the owning service supplies by ARN.
 */
import type { RequestContext } from '../../types.js';
import type { ResourcePolicyMode } from './evaluate.js';
import type { ContextValue, Policy } from './policy.js';

/** One IAM check an operation needs: `secretsmanager:GetSecretValue` on one secret, with its keys. */
export interface AuthorizationCheck {
  /** `service:Action`, e.g. `kms:Decrypt`. */
  readonly action: string;
  /**
   * The resource's ARN, or `*` for actions that take no resource (ListSecrets, CreateKey). A
   * resource that does not exist is named by the identifier the caller gave, as AWS builds the
   * ARN it checks (a secret name without its suffix), so a caller without permission learns
   * nothing about whether it exists.
   */
  readonly resource: string;
  /**
   * When set, `resource` is an identifier the named service (IAM prefix, e.g. `kms`) resolves into
   * the resource's ARN: how Secrets Manager names the KMS key of a secret (key id, alias or ARN).
   */
  readonly resolveWith?: string;
  /** Condition keys the request supplies (aws:ResourceTag/..., kms:ViaService, ...). */
  readonly context?: Readonly<Record<string, ContextValue>>;
}

/** What an operation's descriptor reads. */
export interface DescribedRequest<State> {
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly ctx: RequestContext;
  /** The service's stored state, as the service chose to expose it to its descriptors. */
  readonly state: State;
}

/**
 * An operation's descriptor: the checks the request needs. Never throws for bad input: the
 * operation itself rejects that after authorization, as AWS does (an unauthorised caller gets
 * AccessDeniedException before any ValidationException about a field it cannot use).
 */
export type OperationDescriptor<State> = (request: DescribedRequest<State>) => readonly AuthorizationCheck[];

/** The descriptors of one service. */
export interface ServiceDescriptors<State> {
  /** The service's IAM prefix: `secretsmanager`, `kms`, `acm`, `events`, `iam`, `sts`. */
  readonly prefix: string;
  /** Operations not listed here are checked as `prefix:Operation` on `*`. */
  readonly operations: Readonly<Record<string, OperationDescriptor<State>>>;
  /** Operations no policy controls (sts:GetCallerIdentity: "No permissions are required"). */
  readonly unauthenticated?: readonly string[];
}

/** A resource's own policy and how it takes part in the decision (see `evaluate`). */
export interface ResourcePolicy {
  readonly policy: Policy;
  readonly mode: ResourcePolicyMode;
}

/** What a service gives the endpoint's authorizer: its checks per request, its resources' policies. */
export interface ServiceAuthorizer {
  readonly prefix: string;
  /** The checks a request needs; `[]` when none. */
  checks(
    operation: string,
    input: Readonly<Record<string, unknown>>,
    ctx: RequestContext,
  ): readonly AuthorizationCheck[];
  /** The policy attached to a resource of this service (a KMS key policy, a secret's resource policy). */
  resourcePolicy?(arn: string, ctx: RequestContext): ResourcePolicy | undefined;
  /** Resolves an identifier another service gave (`resolveWith`) into this service's resource ARN. */
  resolveArn?(reference: string, ctx: RequestContext): string | undefined;
}

/** Binds a service's descriptors to its state: the `checks` member of its `ServiceAuthorizer`. */
export const describeWith =
  <State>(descriptors: ServiceDescriptors<State>, state: State): ServiceAuthorizer['checks'] =>
  (operation, input, ctx) => {
    if (descriptors.unauthenticated?.includes(operation)) return [];
    const describe = Object.hasOwn(descriptors.operations, operation)
      ? descriptors.operations[operation]
      : undefined;
    if (describe === undefined) return [{ action: `${descriptors.prefix}:${operation}`, resource: '*' }];
    return describe({ operation, input, ctx, state });
  };

/** A tag as the services store it. */
export interface TagLike {
  readonly Key: string;
  readonly Value?: string;
}

/**
 * The tag keys of a resource as condition keys: `aws:ResourceTag/KEY` and, for services that
 * define their own (`secretsmanager:ResourceTag/KEY`), the service-specific form too.
 */
export const resourceTagContext = (
  tags: readonly TagLike[] | undefined,
  servicePrefix?: string,
): Record<string, string> => {
  const context: Record<string, string> = {};
  for (const { Key, Value } of tags ?? []) {
    context[`aws:ResourceTag/${Key}`] = Value ?? '';
    if (servicePrefix !== undefined) context[`${servicePrefix}:ResourceTag/${Key}`] = Value ?? '';
  }
  return context;
};

/** The tags a request sets, as `aws:RequestTag/KEY` and the multivalued `aws:TagKeys`. */
export const requestTagContext = (tags: readonly TagLike[] | undefined): Record<string, ContextValue> => {
  if (tags === undefined) return {};
  const context: Record<string, ContextValue> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const { Key, Value } of tags) context[`aws:RequestTag/${Key}`] = Value ?? '';
  return context;
};

/** Reads a `[{Key, Value}]` (or `[{TagKey, TagValue}]`) list from a request input without throwing. */
export const inputTags = (value: unknown): TagLike[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const t = item as Record<string, unknown>;
    const key = t.Key ?? t.TagKey;
    const tagValue = t.Value ?? t.TagValue ?? '';
    return typeof key === 'string' ? [{ Key: key, Value: String(tagValue) }] : [];
  });
};

/** A string field of an input, or undefined (descriptors never throw on bad input). */
export const inputString = (input: Readonly<Record<string, unknown>>, field: string): string | undefined => {
  const value = input[field];
  return typeof value === 'string' ? value : undefined;
};
