/**
 * The endpoint's IAM: who signed a request (an identity the endpoint issued credentials for, a
 * caller `--iam-policy` gave a policy, or the account root), the checks the served operation
 * needs (its service's descriptors, authorization.ts), and the decision (evaluate.ts) for each,
 * with the resource's own policy (a KMS key policy) where the owning service has one. Denials
 * are answered with AccessDeniedException (`--iam enforce`) or only recorded (`--iam audit`).
 */
import { appendFileSync } from 'node:fs';
import { AwsError } from '../../aws-error.js';
import type { LocalService, RequestContext } from '../../types.js';
import type { AuthorizationCheck, ServiceAuthorizer } from './authorization.js';
import { type AuthorizationRequest, evaluate, type MatchedStatement } from './evaluate.js';
import type { ContextValue, Policy } from './policy.js';

/** `enforce`: denials fail the call. `audit`: they are only recorded. `off`: nothing is evaluated. */
export type IamMode = 'enforce' | 'audit' | 'off';

export const IAM_MODES: readonly IamMode[] = ['enforce', 'audit', 'off'];

/** A caller with policies: a function's role session, or a caller `--iam-policy` names. */
export interface Identity {
  /** As it appears in denials: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` or `arn:aws:iam::ACCOUNT:user/NAME`. */
  readonly principalArn: string;
  readonly accountId: string;
  /** Other ARNs a resource policy may name the caller by (the role ARN of an assumed role). */
  readonly aliases: readonly string[];
  readonly policies: readonly Policy[];
}

/** One call that was (or, in audit mode, would have been) denied. Never holds request values. */
export interface AuditEntry {
  readonly time: string;
  readonly mode: IamMode;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: 'ExplicitDeny' | 'ImplicitDeny';
  readonly message: string;
  readonly matched: readonly MatchedStatement[];
  /** The served operation that needed the check (`secretsmanager.GetSecretValue`). */
  readonly operation: string;
}

/** How many denials the in-memory audit log keeps (the file, when given, keeps all). */
const AUDIT_CAPACITY = 1000;

export interface AuthorizerOptions {
  mode?: IamMode;
  /** Policies of callers the endpoint did not issue credentials for, by access key id (`*`: any). */
  callerPolicies?: ReadonlyMap<string, Policy>;
  /** Appends each denial as one JSON line. */
  auditFile?: string;
  /** Resolves credentials the endpoint did not register up front (function roles per account). */
  identityOf?: (accessKeyId: string, region: string) => Identity | undefined;
}

export class Authorizer {
  public mode: IamMode;
  readonly #identities = new Map<string, Identity>();
  /** Identities resolved on demand, by `ACCESS_KEY_ID/REGION` (null: not one of ours). */
  readonly #resolved = new Map<string, Identity | null>();
  readonly #callerPolicies: ReadonlyMap<string, Policy>;
  readonly #byPrefix = new Map<string, ServiceAuthorizer>();
  readonly #audit: AuditEntry[] = [];
  readonly #auditFile: string | undefined;
  readonly #identityOf: AuthorizerOptions['identityOf'];

  public constructor(services: readonly LocalService[], options: AuthorizerOptions = {}) {
    this.mode = options.mode ?? 'enforce';
    this.#callerPolicies = options.callerPolicies ?? new Map();
    this.#auditFile = options.auditFile;
    this.#identityOf = options.identityOf;
    for (const service of services) {
      if (service.authorization) this.#byPrefix.set(service.authorization.prefix, service.authorization);
    }
  }

  /** Adds a service after start (a service another module registers late). */
  public addService(service: LocalService): void {
    if (service.authorization) this.#byPrefix.set(service.authorization.prefix, service.authorization);
  }

  /** Makes requests signed with `accessKeyId` act as `identity`. */
  public register(accessKeyId: string, identity: Identity): void {
    this.#identities.set(accessKeyId, identity);
  }

  /**
   * The identity behind an access key id in a Region: registered, resolved on demand (a
   * function's role, whose policies name the Region), or undefined (the account root).
   */
  public identity(accessKeyId: string, region: string): Identity | undefined {
    const registered = this.#identities.get(accessKeyId);
    if (registered !== undefined || this.#identityOf === undefined) return registered;
    const key = `${accessKeyId}/${region}`;
    let resolved = this.#resolved.get(key);
    if (resolved === undefined) {
      resolved = this.#identityOf(accessKeyId, region) ?? null;
      if (this.#resolved.size >= 10_000) this.#resolved.clear();
      this.#resolved.set(key, resolved);
    }
    return resolved ?? undefined;
  }

  /** The identity of a request's caller; undefined for the account root (no policy applies). */
  #caller(ctx: RequestContext): Identity | undefined {
    const issued = this.identity(ctx.accessKeyId, ctx.region);
    if (issued !== undefined) return issued;
    const policy = this.#callerPolicies.get(ctx.accessKeyId) ?? this.#callerPolicies.get('*');
    if (policy === undefined) return undefined;
    return { principalArn: ctx.identityArn, accountId: ctx.accountId, aliases: [], policies: [policy] };
  }

  /**
   * Authorizes one request to `service`: throws AccessDeniedException (`errorType`, e.g.
   * `AccessDenied` for the Query services) when a check is denied in enforce mode.
   */
  public authorize(
    service: LocalService,
    operation: string,
    input: Readonly<Record<string, unknown>>,
    ctx: RequestContext,
    errorType = 'AccessDeniedException',
    status = 400,
  ): void {
    if (this.mode === 'off' || service.authorization === undefined) return;
    const caller = this.#caller(ctx);
    if (caller === undefined) return;
    for (const check of service.authorization.checks(operation, input, ctx)) {
      const denial = this.#decide(caller, check, ctx, `${service.authorization.prefix}.${operation}`);
      if (denial !== undefined && this.mode === 'enforce') throw new AwsError(errorType, denial, status);
    }
  }

  /** Evaluates one check; returns the denial message, recorded in the audit log, or undefined. */
  #decide(
    caller: Identity,
    check: AuthorizationCheck,
    ctx: RequestContext,
    operation: string,
  ): string | undefined {
    const resource =
      check.resolveWith === undefined
        ? check.resource
        : (this.#byPrefix.get(check.resolveWith)?.resolveArn?.(check.resource, ctx) ?? check.resource);
    const owner = resource.startsWith('arn:') ? this.#byPrefix.get(resource.split(':')[2] ?? '') : undefined;
    const attached = owner?.resourcePolicy?.(resource, ctx);
    const context: Record<string, ContextValue> = {
      'aws:PrincipalArn': caller.aliases[0] ?? caller.principalArn,
      'aws:PrincipalAccount': caller.accountId,
      'aws:RequestedRegion': ctx.region,
      'aws:CurrentTime': ctx.now.toISOString(),
      'aws:EpochTime': String(Math.floor(ctx.now.getTime() / 1000)),
      ...check.context,
    };
    if (check.action.startsWith('kms:')) context['kms:CallerAccount'] = caller.accountId;
    const request: AuthorizationRequest = {
      principalArn: caller.principalArn,
      principalAccount: caller.accountId,
      principalAliases: caller.aliases,
      action: check.action,
      resource,
      context,
    };
    const decision = evaluate(request, {
      identityPolicies: caller.policies,
      ...(attached ? { resourcePolicy: attached.policy, resourcePolicyMode: attached.mode } : {}),
    });
    if (decision.decision === 'Allow') return undefined;
    const entry: AuditEntry = {
      time: ctx.now.toISOString(),
      mode: this.mode,
      principal: caller.principalArn,
      action: check.action,
      resource,
      decision: decision.decision,
      message: decision.message ?? '',
      matched: decision.matched,
      operation,
    };
    this.#audit.push(entry);
    if (this.#audit.length > AUDIT_CAPACITY) this.#audit.splice(0, this.#audit.length - AUDIT_CAPACITY);
    if (this.#auditFile !== undefined)
      appendFileSync(this.#auditFile, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    return entry.message;
  }

  /** The denials recorded so far, oldest first (`/_rekey/iam/audit`). */
  public auditLog(): readonly AuditEntry[] {
    return [...this.#audit];
  }

  public clearAudit(): void {
    this.#audit.length = 0;
  }
}
