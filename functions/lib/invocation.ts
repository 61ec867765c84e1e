/**
 * Per-invocation log context, the same way in every function: one middy middleware gives each
 * invocation its own child logger carrying the Lambda context (`function_request_id`,
 * `function_name`, `cold_start`, ... as Powertools' `injectLambdaContext` adds them) and the
 * invocation's own keys (task and execution, step and secret), parsed from the event.
 *
 * A child, not `appendKeys` on the container's logger: invocations running side by side in one
 * process (the local endpoint, the CLI's local runs) never mix their keys, and nothing an
 * invocation appended leaks into the next. The child is the logger of the handler's whole
 * asynchronous call tree: {@link currentLogger} returns it to domain modules, which therefore log
 * with the keys without receiving a logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger as functionLogger, type Logger } from './logger.js';

const invocationScope = new AsyncLocalStorage<Logger>();

/** The logger of the invocation running now (with its keys), or the container's outside one. */
export const currentLogger = (): Logger => invocationScope.getStore() ?? functionLogger;

export interface InvocationOptions<Event> {
  /** The container's logger the children come from (default: functions/lib/logger.ts). */
  readonly logger?: Logger;
  /** Parses and checks the raw event; a failure is logged with the request id and rethrown. */
  readonly parse: (event: unknown) => Event;
  /** The keys every line of this invocation carries (never a secret value or token). */
  readonly keys: (event: Event) => Record<string, unknown>;
  /** Message of the one line logged when the invocation fails. */
  readonly failureMessage: string;
  /** Level of that line: `error` (default), or `warn` where the state machine retries or catches it. */
  readonly failureLevel?: 'error' | 'warn';
}

interface Internal {
  logger?: Logger;
  [key: string]: unknown;
}

/** What the middleware hands the handler in place of the raw event. */
export interface Invocation<Event> {
  readonly event: Event;
  readonly log: Logger;
}

/**
 * The middleware: before the handler, a child logger (with the Lambda context when there is one),
 * the parsed event in place of the raw one, the event's keys on the child; on failure, one line
 * with the error's name and message (the error is rethrown, so Lambda and Step Functions see its
 * name). Never logs the event itself: it may hold a token.
 */
export const invocationLogger = <Event>(
  options: InvocationOptions<Event>,
): MiddlewareObj<unknown, unknown, Error, Context, Internal> => {
  const base = options.logger ?? functionLogger;
  return {
    before: (request) => {
      const log = base.createChild();
      if (request.context.awsRequestId) log.addContext(request.context);
      request.internal.logger = log;
      const event = options.parse(request.event);
      log.appendKeys(options.keys(event));
      request.event = { event, log } satisfies Invocation<Event>;
    },
    onError: (request) => {
      const log = request.internal.logger ?? base;
      const error = request.error ?? new Error('unknown failure');
      if (options.failureLevel === 'warn') log.warn(options.failureMessage, { error });
      else log.error(options.failureMessage, error);
    },
  };
};

/**
 * A handler with the middleware: `body` runs with the parsed event and the invocation's logger,
 * which is also {@link currentLogger} for everything it calls. Tests and the local runners may
 * call it without a Lambda context.
 */
export const withInvocationLogger = <Event, Result>(
  options: InvocationOptions<Event>,
  body: (event: Event, log: Logger) => Promise<Result>,
): ((event: unknown, context?: Context) => Promise<Result>) => {
  const handler = middy<unknown, unknown, Error, Context, Internal>(async (raw: unknown) => {
    // invocationLogger replaced the raw event with the parsed one and its logger.
    const { event, log } = raw as Invocation<Event>;
    return invocationScope.run(log, () => body(event, log));
  });
  handler.use(invocationLogger(options));
  return (event, context) => handler(event, context ?? ({} as Context)) as Promise<Result>;
};
