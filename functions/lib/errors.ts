/**
 * Errors shared by every function. Their `name` is a contract: Step Functions `ErrorEquals`
 * and the CLI match on it, so never rename one.
 */

/** The event or input does not have the expected shape; the message names the field and the fix. */
export class InvalidInputError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}

/** Returns the message of any thrown value, without its stack. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
