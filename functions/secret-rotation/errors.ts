/**
 * Errors of the secret-rotation function. Their `name` is a contract: Lambda reports it as the
 * invocation's `errorType`, Step Functions `ErrorEquals` and the CLI match on it, so never
 * rename one. No message may contain a secret value: name the field, the version id and the
 * fix, never the content.
 */

/**
 * Base of every error this area raises on purpose. The protocol lets these through unchanged
 * and wraps anything else a rotator throws in {@link StepFailedError}.
 */
export class RotationError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationError';
  }
}

/** The secret has no rotation configured (DescribeSecret `RotationEnabled` is false or absent). */
export class RotationNotEnabledError extends RotationError {
  public readonly secretArn: string;
  public constructor(secretArn: string) {
    super(
      `Secret ${secretArn} is not enabled for rotation: configure it with RotateSecret (RotationLambdaARN and RotationRules) before invoking the rotation function.`,
    );
    this.name = 'RotationNotEnabledError';
    this.secretArn = secretArn;
  }
}

/** The ClientRequestToken is not a version of the secret, or that version does not carry AWSPENDING. */
export class TokenNotStagedError extends RotationError {
  public readonly secretArn: string;
  public readonly token: string;
  public constructor(secretArn: string, token: string, detail: string) {
    super(`Secret version ${token} of ${secretArn} cannot be rotated: ${detail}`);
    this.name = 'TokenNotStagedError';
    this.secretArn = secretArn;
    this.token = token;
  }
}

/**
 * A secret value does not have the shape its rotator needs. The message names the field and
 * the fix and never quotes the value. A JSON `SyntaxError` is deliberately not carried as
 * `cause`: Node's message for it quotes the text that failed to parse, which is the secret.
 */
export class SecretFormatError extends RotationError {
  public readonly field: string | undefined;
  public constructor(message: string, options?: ErrorOptions & { field?: string }) {
    super(message, options);
    this.name = 'SecretFormatError';
    this.field = options?.field;
  }
}

/** No rotator matches the secret's `engine` or `rekey:rotator` tag; the message lists the supported ones. */
export class RotatorNotFoundError extends RotationError {
  public constructor(message: string) {
    super(message);
    this.name = 'RotatorNotFoundError';
  }
}

/** A `rekey:*` tag or an environment setting that steers rotation has an invalid value. */
export class RotationConfigurationError extends RotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationConfigurationError';
  }
}

/** testSecret found that the pending version is not a usable replacement for the current one. */
export class SecretTestFailedError extends RotationError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretTestFailedError';
  }
}

/**
 * A step failed for a reason that is not one of the errors above (a rotator's driver error,
 * a missing pending value). Carries the step and the rotator so one `ErrorEquals` catches it.
 */
export class StepFailedError extends RotationError {
  public readonly step: string;
  public readonly rotator: string | undefined;
  public constructor(step: string, rotator: string | undefined, message: string, options?: ErrorOptions) {
    super(`${step} failed${rotator ? ` in rotator ${rotator}` : ''}: ${message}`, options);
    this.name = 'StepFailedError';
    this.step = step;
    this.rotator = rotator;
  }
}
