/**
 * Errors of the key-rotation workflow. Their `name` is a contract: the state machine's
 * `Retry`/`Catch` `ErrorEquals` and the failure event match on it, so never rename one.
 */

/** Base of every key-rotation error; `step` names the workflow step that raised it. */
export class KeyRotationError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeyRotationError';
  }
}

/** The alias does not exist (in the named Region). */
export class AliasNotFoundError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AliasNotFoundError';
  }
}

/** The key behind the alias must not be rotated by alias swap (AWS-managed, disabled, a replica, ...). */
export class KeyNotRotatableError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeyNotRotatableError';
  }
}

/** Another execution's successor key is alive for this key: two rotations must not overlap. */
export class RotationInProgressError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationInProgressError';
  }
}

/** A successor key (or one of its replicas) is still being created; the state machine retries. */
export class SuccessorNotReadyError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SuccessorNotReadyError';
  }
}

/** Key material was not imported into an EXTERNAL-origin successor before the deadline. */
export class KeyMaterialImportTimeoutError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeyMaterialImportTimeoutError';
  }
}

/** A cryptographic round trip through the successor did not give back what went in. */
export class SuccessorVerificationError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SuccessorVerificationError';
  }
}

/** The predecessor is still the target of an alias, so disabling it would break its users. */
export class PredecessorStillInUseError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PredecessorStillInUseError';
  }
}

/** Re-encrypting the caller's ciphertexts under the successor failed. */
export class ReEncryptionError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReEncryptionError';
  }
}

/** EventBridge did not accept the rotation event. */
export class EventPublishError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

/**
 * AccessDenied on a key created or re-aliased less than five minutes ago: KMS's authorization
 * may not see the new alias or policy yet. The state machine retries it for a bounded time.
 */
export class KeyAuthorizationPendingError extends KeyRotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeyAuthorizationPendingError';
  }
}
