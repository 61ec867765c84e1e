/**
 * The typed client of the local endpoint's admin routes (`POST /_rekey/...`): one function per
 * route, used by the CLI, the scripts, the benchmarks and the tests instead of hand-built URLs.
 * The routes are served by local/server.ts (`health`, `calls`) and by each service's `admin`
 * table (local/services/*). They are not AWS APIs: only `rekey local` answers them.
 */
import type { RecordedEvent } from '../services/eventbridge/index.js';
import type { RotationLogEntry } from '../services/secretsmanager/index.js';

export type { RecordedEvent, RotationLogEntry };

/**
 * The header every `/_rekey/` admin route requires. It is not a CORS-safelisted header, so a web
 * page on another site cannot send it without a preflight, which this endpoint never grants: a
 * cross-site form or `fetch` cannot seed, read or reset anything.
 */
export const ADMIN_HEADER = 'x-rekey-admin';

/**
 * Where an admin call goes: the endpoint, and the account and Region it acts in (an admin route
 * takes them from `?region=...&account=...` instead of a signature; the endpoint's defaults
 * when absent).
 */
export interface AdminTarget {
  readonly endpointUrl: string;
  readonly region?: string | undefined;
  readonly account?: string | undefined;
}

/** An admin route answered with an error: its HTTP status, AWS-style error type and message. */
export class AdminRouteError extends Error {
  public constructor(
    public readonly route: string,
    public readonly status: number,
    public readonly type: string | undefined,
    message: string,
  ) {
    super(`${route} failed: HTTP ${status}${type ? ` ${type}` : ''}: ${message}`);
    this.name = 'AdminRouteError';
  }
}

/** The URL of an admin route (`path` below `/_rekey/`) for `target`. */
export const adminUrl = (target: AdminTarget, path: string): string => {
  const url = new URL(`/_rekey/${path}`, target.endpointUrl);
  if (target.region) url.searchParams.set('region', target.region);
  if (target.account) url.searchParams.set('account', target.account);
  return url.toString();
};

/**
 * Sends one admin request as is (`url` complete, query string included), with the JSON body and
 * the header admin routes require. For tests of the routes themselves; everything else calls
 * the typed functions below.
 */
export const adminFetch = (url: string, body: unknown = {}): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [ADMIN_HEADER]: '1' },
    body: JSON.stringify(body),
  });

/** Calls a route and returns its JSON answer, or throws {@link AdminRouteError}. */
const call = async <T>(target: AdminTarget, path: string, body: unknown = {}): Promise<T> => {
  const response = await adminFetch(adminUrl(target, path), body);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (!response.ok || json === undefined) {
    const error = (json ?? {}) as { __type?: string; message?: string };
    throw new AdminRouteError(
      `/_rekey/${path}`,
      response.status,
      error.__type,
      error.message ?? (text.slice(0, 200) || 'no body'),
    );
  }
  return json as T;
};

// --- the endpoint itself -------------------------------------------------------------------------

/** `/_rekey/health`: resolves when the endpoint answers (the one route without the header). */
export const health = (target: AdminTarget): Promise<{ ok: boolean }> => call(target, 'health');

/**
 * `/_rekey/calls`: the AWS calls the endpoint received since counting (re)started, per
 * `TargetPrefix.Operation` (e.g. `secretsmanager.GetSecretValue`); `reset` starts afresh.
 */
export const readCalls = async (
  target: AdminTarget,
  options: { reset?: boolean } = {},
): Promise<Record<string, number>> =>
  (await call<{ calls: Record<string, number> }>(target, 'calls', { reset: options.reset === true })).calls;

// --- Secrets Manager -------------------------------------------------------------------------------

/** A secret's rotation log, as `/_rekey/secretsmanager/rotations` answers it. */
export interface RotationLog {
  readonly arn: string;
  readonly name: string;
  /** A rotation's steps are still running after their RotateSecret answered. */
  readonly inProgress: boolean;
  /** Steps, outcomes, error types and messages, oldest first; never a secret value. */
  readonly entries: RotationLogEntry[];
}

/**
 * `/_rekey/secretsmanager/rotations`: the local rotation log of one secret (name or ARN). A
 * secret the endpoint does not hold is an {@link AdminRouteError} of type ResourceNotFoundException.
 */
export const readRotationLog = async (target: AdminTarget, secretId: string): Promise<RotationLog> => {
  const body = await call<{ ARN: string; Name: string; InProgress?: boolean; Rotations: RotationLogEntry[] }>(
    target,
    'secretsmanager/rotations',
    { SecretId: secretId },
  );
  return { arn: body.ARN, name: body.Name, inProgress: body.InProgress === true, entries: body.Rotations };
};

// --- EventBridge -----------------------------------------------------------------------------------

/** What `/_rekey/AWSEvents/events` answers for one bus. */
export interface RecordedEvents {
  readonly eventBusName: string;
  readonly busExists: boolean;
  /** The events put on the bus, oldest first. */
  readonly events: RecordedEvent[];
  /** Events sent to buses that do not exist (EventBridge drops them; the endpoint keeps them here). */
  readonly dropped: RecordedEvent[];
}

/**
 * `/_rekey/AWSEvents/events`: the events put on a bus (default `default`); `clear` empties the
 * bus after reading.
 */
export const readEvents = async (
  target: AdminTarget,
  options: { eventBusName?: string; clear?: boolean } = {},
): Promise<RecordedEvents> => {
  const body = await call<{
    EventBusName: string;
    BusExists: boolean;
    Events: RecordedEvent[];
    Dropped: RecordedEvent[];
  }>(target, 'AWSEvents/events', {
    ...(options.eventBusName === undefined ? {} : { EventBusName: options.eventBusName }),
    ...(options.clear ? { clear: true } : {}),
  });
  return {
    eventBusName: body.EventBusName,
    busExists: body.BusExists,
    events: body.Events,
    dropped: body.Dropped,
  };
};

// --- ACM -------------------------------------------------------------------------------------------

/**
 * A certificate ACM issued (`AMAZON_ISSUED`) or a private CA signed (`PRIVATE`), as the seed
 * routes take it: the states a sweep must recognise without waiting months for them. Enumerated
 * fields take ACM's own values (e.g. `renewalStatus: 'FAILED'`); dates are Dates or ISO 8601 text.
 */
export interface CertificateSeed {
  readonly type: 'AMAZON_ISSUED' | 'PRIVATE';
  /** `{n}` is replaced by the certificate's number in a bulk seed. */
  readonly domainName: string;
  readonly subjectAlternativeNames?: readonly string[];
  /** ACM's KeyAlgorithm, e.g. `RSA_2048` (default) or `EC_prime256v1`. */
  readonly keyAlgorithm?: string;
  readonly notAfter: string | Date;
  readonly notBefore?: string | Date;
  /** ARNs of the resources using the certificate (InUseBy). */
  readonly inUseBy?: readonly string[];
  readonly status?: string;
  readonly failureReason?: string;
  readonly renewalEligibility?: 'ELIGIBLE' | 'INELIGIBLE';
  readonly renewalStatus?: string;
  readonly renewalStatusReason?: string;
  readonly validationMethod?: 'DNS' | 'EMAIL';
  readonly exported?: boolean;
  readonly export?: 'ENABLED' | 'DISABLED';
  readonly tags?: readonly { Key: string; Value?: string }[];
}

/** `/_rekey/CertificateManager/seed`: one certificate, made at once; resolves to its ARN. */
export const seedCertificate = async (target: AdminTarget, seed: CertificateSeed): Promise<string> =>
  (await call<{ CertificateArn: string }>(target, 'CertificateManager/seed', seed)).CertificateArn;

/**
 * `/_rekey/CertificateManager/bulk-seed`: `count` certificates (1-20000) from one template,
 * their DER made when first read; resolves to their ARNs.
 */
export const bulkSeedCertificates = async (
  target: AdminTarget,
  count: number,
  template: CertificateSeed,
): Promise<string[]> =>
  (await call<{ CertificateArns: string[] }>(target, 'CertificateManager/bulk-seed', { ...template, count }))
    .CertificateArns;

/**
 * A change to a certificate's state (what ACM itself would change over time): `null` removes
 * the renewal summary or the renewal eligibility.
 */
export interface CertificateStateChange {
  readonly CertificateArn: string;
  readonly inUseBy?: readonly string[];
  readonly exported?: boolean;
  readonly status?: string;
  readonly failureReason?: string;
  readonly renewalEligibility?: 'ELIGIBLE' | 'INELIGIBLE' | null;
  readonly renewalStatus?: string | null;
  readonly renewalStatusReason?: string | null;
}

/** `/_rekey/CertificateManager/set-state`: changes a certificate's state; resolves to its ARN. */
export const setCertificateState = async (
  target: AdminTarget,
  change: CertificateStateChange,
): Promise<string> =>
  (await call<{ CertificateArn: string }>(target, 'CertificateManager/set-state', change)).CertificateArn;

/**
 * `/_rekey/CertificateManager/throttle`: ACM answers `operation` with ThrottlingException beyond
 * `perSecond` calls a second (per account and Region); `undefined` or 0 lifts the limit.
 * Resolves to every limit now set.
 */
export const throttleCertificates = async (
  target: AdminTarget,
  operation: string,
  perSecond: number | undefined,
): Promise<Record<string, number>> =>
  (
    await call<{ Limits: Record<string, number> }>(target, 'CertificateManager/throttle', {
      operation,
      perSecond: perSecond ?? null,
    })
  ).Limits;

/** The local ACM's call counts: per operation, those throttled, and per Region and operation. */
export interface CertificateCalls {
  readonly Calls: Record<string, number>;
  readonly Throttled: Record<string, number>;
  readonly ByRegion: Record<string, Record<string, number>>;
}

/**
 * `/_rekey/CertificateManager/calls`: the ACM calls counted so far (and those throttled), in
 * total and per Region; `reset` starts afresh.
 */
export const readCertificateCalls = (
  target: AdminTarget,
  options: { reset?: boolean } = {},
): Promise<CertificateCalls> =>
  call<CertificateCalls>(target, 'CertificateManager/calls', { reset: options.reset === true });
