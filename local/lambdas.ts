import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AwsError } from './aws-error.js';
import type { LambdaInvoker, RequestContext } from './types.js';

/** Raised when a function ran and failed; `message` is the function's own error message. */
export class FunctionInvocationError extends Error {
  public readonly functionArn: string;
  public readonly errorType: string;
  public constructor(functionArn: string, errorType: string, message: string) {
    super(message);
    this.name = 'FunctionInvocationError';
    this.functionArn = functionArn;
    this.errorType = errorType;
  }
}

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9$_-]+)?$/;

/** Parses a Lambda function ARN; `undefined` when it is not one. */
export const parseLambdaArn = (
  arn: string,
): { region: string; accountId: string; functionName: string } | undefined => {
  const match = LAMBDA_ARN.exec(arn);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { region: match[1], accountId: match[2], functionName: match[3] };
};

/**
 * The functions the endpoint can invoke. Functions registered by name run in-process for
 * every account and Region (their ARN is `arn:aws:lambda:REGION:ACCOUNT:function:NAME`);
 * any other function ARN is sent to the Lambda Invoke API at `remoteEndpoint` (for example
 * what `sam local start-lambda` serves), so rotation functions in any language can be tested.
 */
export class LambdaRegistry {
  readonly #local = new Map<string, LambdaInvoker>();
  readonly #remoteEndpoint: string | undefined;

  public constructor(remoteEndpoint?: string) {
    this.#remoteEndpoint = remoteEndpoint;
  }

  public register(functionName: string, invoker: LambdaInvoker): void {
    this.#local.set(functionName, invoker);
  }

  public localFunctionNames(): string[] {
    return [...this.#local.keys()];
  }

  /** Whether an invocation of `arn` would reach a function (local, or remote when configured). */
  public canInvoke(arn: string): boolean {
    const parsed = parseLambdaArn(arn);
    if (!parsed) return false;
    return this.#local.has(parsed.functionName) || this.#remoteEndpoint !== undefined;
  }

  /** Invokes synchronously (RequestResponse) and returns the function's result. */
  public async invoke(arn: string, payload: unknown, ctx: RequestContext): Promise<unknown> {
    const parsed = parseLambdaArn(arn);
    if (!parsed) throw new AwsError('InvalidParameterException', `${arn} is not a Lambda function ARN.`);
    const local = this.#local.get(parsed.functionName);
    if (local) {
      try {
        return await local(payload, ctx);
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        throw new FunctionInvocationError(arn, err.name, err.message);
      }
    }
    if (!this.#remoteEndpoint) {
      throw new AwsError(
        'AccessDeniedException',
        `Secrets Manager cannot invoke the specified Lambda function ${arn}: it is not served by this endpoint. Start the endpoint with --lambda-endpoint URL to reach functions served elsewhere (for example by 'sam local start-lambda').`,
      );
    }
    const client = new LambdaClient({
      endpoint: this.#remoteEndpoint,
      region: parsed.region,
      credentials: { accessKeyId: parsed.accountId, secretAccessKey: 'local' },
    });
    try {
      const result = await client.send(
        new InvokeCommand({
          FunctionName: arn,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
      const body: unknown = text ? JSON.parse(text) : null;
      if (result.FunctionError) {
        const info = (body ?? {}) as { errorType?: string; errorMessage?: string };
        throw new FunctionInvocationError(
          arn,
          info.errorType ?? result.FunctionError,
          info.errorMessage ?? 'the function failed without an error message',
        );
      }
      return body;
    } finally {
      client.destroy();
    }
  }
}
