/**
 * Errors of the command line. Their `name` is a contract: `main` maps them to exit codes.
 */

/** The command line itself is wrong (unknown option, bad value): exit code 2. */
export class UsageError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
