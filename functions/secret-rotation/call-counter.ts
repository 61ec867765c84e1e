import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Counts of Secrets Manager API calls by operation name (e.g. `DescribeSecret`). */
export interface CallCounter {
  /** Calls per operation since creation or the last `reset()`. */
  readonly byOperation: () => Readonly<Record<string, number>>;
  readonly total: () => number;
  readonly reset: () => void;
  /** Removes the counting middleware from the client. */
  readonly dispose: () => void;
}

let counterSequence = 0;

/**
 * Counts every request a Secrets Manager client sends (including retries of the same call
 * only once: the middleware sits at the `initialize` step, before the retry loop), so the
 * benchmark and tests can report API calls per rotation. Calls made by rotators through
 * `ctx.secretsManager` are counted too, since they share the client.
 */
export const countCalls = (client: SecretsManagerClient): CallCounter => {
  const counts = new Map<string, number>();
  const name = `rekeyCallCounter${++counterSequence}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name },
  );
  return {
    byOperation: () => Object.fromEntries(counts),
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    reset: () => counts.clear(),
    dispose: () => {
      client.middlewareStack.remove(name);
    },
  };
};
