import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/lib/errors.js';
import { currentLogger, withInvocationLogger } from '../../../functions/lib/invocation.js';
import { captureLogs } from '../secret-rotation/helpers.js';

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

const base = () => new Logger({ serviceName: 'rekey-test', logLevel: 'DEBUG' });

/** A parser that names the field it refuses, as every function's does. */
const parse = (event: unknown) => {
  const id = (event as { id?: unknown }).id;
  if (typeof id !== 'string') throw new InvalidInputError('id: expected a string');
  return { id };
};

/** Stands for a domain module: logs through currentLogger(), not a logger it was given. */
const domainStep = async (what: string) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  currentLogger().info(what);
};

const lambdaContext = (awsRequestId: string) =>
  ({
    awsRequestId,
    functionName: 'rekey-test-fn',
    functionVersion: '$LATEST',
    memoryLimitInMB: '128',
  }) as Context;

describe('withInvocationLogger', () => {
  it('gives every line of an invocation, success lines and domain modules included, its keys and request id', async () => {
    const handler = withInvocationLogger(
      { logger: base(), parse, keys: (e) => ({ item: e.id }), failureMessage: 'Step failed' },
      async (event, log) => {
        await domainStep('domain line');
        log.info('Step done');
        return event.id;
      },
    );

    expect(await handler({ id: 'a-1' }, lambdaContext('req-1'))).toBe('a-1');

    const entries = logs.entries();
    expect(entries.map((e) => e.message)).toEqual(['domain line', 'Step done']);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        item: 'a-1',
        function_request_id: 'req-1',
        function_name: 'rekey-test-fn',
      });
    }
  });

  it('keeps the keys of invocations running side by side apart, and none leaks into the next', async () => {
    const handler = withInvocationLogger(
      { logger: base(), parse, keys: (e) => ({ item: e.id }), failureMessage: 'Step failed' },
      async (event) => {
        await domainStep(`line of ${event.id}`);
        await domainStep(`second line of ${event.id}`);
      },
    );

    await Promise.all([handler({ id: 'x' }), handler({ id: 'y' })]);
    await handler({ id: 'z' });

    const entries = logs.entries();
    expect(entries).toHaveLength(6);
    for (const entry of entries) expect(String(entry.message)).toContain(`of ${String(entry.item)}`);
    // Outside an invocation, the container's logger, without any invocation's keys.
    expect(currentLogger().getPersistentLogAttributes()).not.toHaveProperty('item');
  });

  it('logs a failure once with its name and the keys, and rethrows it unchanged', async () => {
    const failure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledError' });
    const handler = withInvocationLogger(
      {
        logger: base(),
        parse,
        keys: (e) => ({ item: e.id }),
        failureMessage: 'Step failed',
        failureLevel: 'warn',
      },
      async () => {
        throw failure;
      },
    );

    await expect(handler({ id: 'f-1' }, lambdaContext('req-2'))).rejects.toBe(failure);

    const entries = logs.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'WARN',
      message: 'Step failed',
      item: 'f-1',
      function_request_id: 'req-2',
    });
    expect(JSON.stringify(entries[0])).toContain('ThrottledError');
  });

  it('logs an event it cannot parse with the request id, naming the field, and never runs the body', async () => {
    let ran = false;
    const handler = withInvocationLogger(
      { logger: base(), parse, keys: (e) => ({ item: e.id }), failureMessage: 'Step failed' },
      async () => {
        ran = true;
      },
    );

    await expect(handler({ id: 42 }, lambdaContext('req-3'))).rejects.toThrowError('id: expected a string');

    expect(ran).toBe(false);
    expect(logs.entries()).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'Step failed', function_request_id: 'req-3' }),
    ]);
  });
});
