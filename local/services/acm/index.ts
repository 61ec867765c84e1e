import { AwsError } from '../../aws-error.js';
import type { Clock } from '../../server.js';
import type { LocalService } from '../../types.js';
import { adminRoutes } from './admin.js';
import { acmAuthorization } from './authorization.js';
import { CallCounter, OperationLimiter } from './limits.js';
import { OPERATIONS } from './operations.js';
import { AcmModel, regionKey } from './store.js';

export interface AcmOptions {
  clock: Clock;
}

export interface LocalAcm extends LocalService {
  /** The records behind the service, for lookups such as `model.certificateForAuthorization(...)`. */
  readonly model: AcmModel;
}

/** Finds the local ACM (and its model) among the endpoint's services. */
export const isAcm = (service: LocalService): service is LocalAcm =>
  service.targetPrefix === 'CertificateManager' && 'model' in service;

/**
 * The local ACM (`CertificateManager`, JSON 1.1). Certificates live per account and Region;
 * imported ones are parsed for real, Amazon-issued and private ones are created through the
 * admin routes and backed by real certificates from local CAs.
 *
 * Admin routes (POST JSON to `/_rekey/CertificateManager/<route>`; account and Region from a
 * SigV4 header or `?region=...&account=...`), outside the AWS API surface:
 * - `seed` `{ type: 'AMAZON_ISSUED'|'PRIVATE', domainName, notAfter (ISO), subjectAlternativeNames?,
 *   keyAlgorithm?, notBefore? (default notAfter - 395 days), inUseBy?: string[], renewalEligibility?,
 *   renewalStatus?, renewalStatusReason?, validationMethod?: 'DNS'|'EMAIL', status?, failureReason?,
 *   exported?, tags? }` → `{ CertificateArn }`.
 * - `bulk-seed` `{ count, ...seed fields }` → `{ CertificateArns }`; `{n}` in `domainName` and
 *   SANs becomes 1..count. Certificate bodies are built on first GetCertificate, so 2,500 take
 *   well under a second; the summaries are exact from the start.
 * - `set-state` `{ CertificateArn, inUseBy?, renewalStatus? (null removes), renewalStatusReason?,
 *   renewalEligibility? (null derives), status?, failureReason?, exported? }`.
 * - `throttle` `{ operation, perSecond }` → token bucket per account, Region and operation
 *   (0 or null turns it off); over-quota calls get `ThrottlingException`.
 * - `calls` `{ reset?: boolean }` → `{ Calls, Throttled, ByRegion }` per operation since the last reset.
 *
 * Layout of this folder: `operations.ts`, `import.ts`, `list.ts` are the wire-facing operations;
 * `store.ts` (records per account and Region, local CAs), `model.ts` (record views and status
 * rules), `renewal.ts` and `tags.ts` are the model and its rules, unit-tested without HTTP;
 * `x509.ts`, `der.ts`, `authority.ts` build and read certificates; `admin.ts` and `limits.ts`
 * are the admin routes and request-rate emulation.
 */
export const createAcm = (_options: AcmOptions): LocalAcm => {
  // Time comes from each request's context (the endpoint's clock), so tests that move the
  // clock see certificates expire.
  const model = new AcmModel();
  const limiter = new OperationLimiter();
  const counter = new CallCounter();
  return {
    targetPrefix: 'CertificateManager',
    // IAM checks per operation (authorization.ts).
    authorization: acmAuthorization({
      tagsOf: (ctx, arn) => model.certificateForAuthorization(ctx.accountId, ctx.region, arn)?.tags,
    }),
    jsonVersion: '1.1',
    model,
    async handle(operation, input, ctx) {
      const allowed = limiter.take(regionKey(ctx), operation);
      counter.record(operation, ctx.region, !allowed);
      // ACM answers over-quota calls with ThrottlingException ("Rate exceeded"), which the SDK retries with backoff.
      if (!allowed) throw new AwsError('ThrottlingException', 'Rate exceeded');
      const run = OPERATIONS[operation];
      if (!run)
        throw new AwsError('UnknownOperationException', `The local ACM does not implement ${operation}.`);
      return run(model, input, ctx);
    },
    admin: adminRoutes(model, limiter, counter, Object.keys(OPERATIONS)),
    snapshot: () => model.snapshot(),
    restore: (state) => model.restore(state),
  };
};

export type { CertificateRecord } from './model.js';
