import { isThrottling } from '../lib/retry.js';

/**
 * Errors of the secret-fleet workflow. Their `name` is a contract: the state machine's
 * `Retry`/`Catch` `ErrorEquals`, the summary event and the CLI match on it, so never rename one.
 */

/** Base of every fleet error. */
export class SecretFleetError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretFleetError';
  }
}

/** Secrets Manager throttled a call (beyond the SDK's own retries); the state machine retries with backoff. */
export class ThrottledError extends SecretFleetError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

/** The secret no longer exists (deleted between listing and acting on it). */
export class SecretNotFoundError extends SecretFleetError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretNotFoundError';
  }
}

/** Another rotation holds AWSPENDING on a version this execution did not expect: leave it alone. */
export class RotationInProgressError extends SecretFleetError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationInProgressError';
  }
}

/** RotateSecret refused to start the rotation (no function, function not invokable, ...). */
export class RotationStartError extends SecretFleetError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationStartError';
  }
}

/** A rotation the fleet started did not finish: AWSPENDING stayed on its version without progress. */
export class RotationFailedError extends SecretFleetError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationFailedError';
  }
}

/** EventBridge did not accept the summary event. */
export class SummaryPublishError extends SecretFleetError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SummaryPublishError';
  }
}

/**
 * Runs one AWS call, turning throttling (the SDK's classification, functions/lib/retry.ts) into
 * `ThrottledError` so the state machine's Retry (with backoff and jitter) matches it by name.
 * Other errors pass through for the caller to map.
 */
export const throttleAware = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (isThrottling(error)) {
      throw new ThrottledError(`Secrets Manager throttled ${what}; retry later.`, { cause: error });
    }
    throw error;
  }
};
