/**
 * An error in the shape AWS JSON protocols return: `__type` names the exception the SDK
 * maps to its own class (for example `ResourceNotFoundException`), `message` explains it.
 */
export class AwsError extends Error {
  public readonly type: string;
  public readonly status: number;

  public constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsError';
    this.type = type;
    this.status = status;
  }
}

/** Shorthands for the errors every service shares. */
export const validation = (message: string): AwsError => new AwsError('ValidationException', message);
export const invalidParameter = (message: string): AwsError =>
  new AwsError('InvalidParameterException', message);
export const invalidRequest = (message: string): AwsError => new AwsError('InvalidRequestException', message);
export const notFound = (message: string): AwsError => new AwsError('ResourceNotFoundException', message);
