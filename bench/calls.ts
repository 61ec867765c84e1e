import { readCalls } from '../local/core/admin-client.js';
import type { LocalEndpoint } from '../local/endpoint.js';

/**
 * The calls one service received since the last take, by operation (`Encrypt`), counted on the
 * wire by the local endpoint; counting starts afresh for every service.
 */
export const takeCalls = async (
  endpoint: LocalEndpoint,
  targetPrefix: string,
): Promise<Record<string, number>> => {
  const calls = await readCalls({ endpointUrl: endpoint.url }, { reset: true });
  const byOperation: Record<string, number> = {};
  for (const [target, n] of Object.entries(calls)) {
    if (target.startsWith(`${targetPrefix}.`)) byOperation[target.slice(targetPrefix.length + 1)] = n;
  }
  return byOperation;
};
