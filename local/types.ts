import type { ServiceAuthorizer } from './core/iam/authorization.js';

/** Who is calling and where: derived from the request's SigV4 credential scope, as AWS does. */
export interface RequestContext {
  /** 12-digit account: the access key id when it is 12 digits, otherwise the endpoint's default account. */
  readonly accountId: string;
  /** Region from the credential scope (`.../20261122/eu-west-1/secretsmanager/aws4_request`). */
  readonly region: string;
  readonly accessKeyId: string;
  /** ARN of the caller, `arn:aws:iam::ACCOUNT:user/ACCESS_KEY_ID`. */
  readonly identityArn: string;
  readonly requestId: string;
  /** The clock of the endpoint (tests can move it). */
  readonly now: Date;
}

/** A handler the endpoint can invoke as a Lambda function (in-process or through Lambda Invoke). */
export type LambdaInvoker = (payload: unknown, ctx: RequestContext) => Promise<unknown>;

/** One AWS service emulated by the local endpoint. */
export interface LocalService {
  /** Prefix of `X-Amz-Target`, e.g. `secretsmanager`, `TrentService`, `CertificateManager`, `AWSEvents`. */
  readonly targetPrefix: string;
  /** Content type the service's SDK client uses: JSON 1.1 for most services, 1.0 for some. */
  readonly jsonVersion: '1.0' | '1.1';
  /** Runs one operation; throws `AwsError` for AWS errors. */
  handle(operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<unknown>;
  /**
   * Routes outside the AWS API surface, served under `/_rekey/<service>/<name>` with a JSON
   * body, for tests and the demo (seeding certificates, reading published events, ...).
   */
  readonly admin?: Record<string, (body: Record<string, unknown>, ctx: RequestContext) => Promise<unknown>>;
  /**
   * Entity-level persistence for `--state FILE`, so a write costs what it changed, not the whole
   * state. A service without it is saved whole after each operation that may change it.
   */
  readonly journal?: Journaled;
  /**
   * What IAM checks each operation needs and the policies of the service's resources
   * (local/core/iam/authorization.ts); a service without it is not evaluated.
   */
  readonly authorization?: ServiceAuthorizer;
  /** Resolves when work the service runs after its responses (rotations) has finished. */
  finishBackgroundWork?(): Promise<void>;
  /** Everything the service holds, as JSON-serialisable data (for `--state FILE`). */
  snapshot(): unknown;
  /** Replaces the service's state with a snapshot taken earlier. */
  restore(state: unknown): void;
}

/** A service whose state is a set of keyed entities (secrets, ...), journaled one entity at a time. */
export interface Journaled {
  /** The entities changed since the last call: key and current record, `null` when removed. */
  drainChanges(): Array<[string, unknown]>;
  /** Every entity, for a snapshot. */
  entries(): Iterable<[string, unknown]>;
  /** Replays one record of the journal or snapshot (`null` removes the entity). */
  applyRecord(key: string, value: unknown): void;
}
