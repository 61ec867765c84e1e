import { adminFetch } from '../local/core/admin-client.js';
import type { LocalEndpoint } from '../local/endpoint.js';

/**
 * The calls one service received since the last take, by operation (`Encrypt`), counted on the
 * wire by the local endpoint; counting starts afresh for every service.
 */
export const takeCalls = async (
  endpoint: LocalEndpoint,
  targetPrefix: string,
): Promise<Record<string, number>> => {
  const res = await adminFetch(`${endpoint.url}/_rekey/calls`, { reset: true });
  const { calls } = (await res.json()) as { calls: Record<string, number> };
  const byOperation: Record<string, number> = {};
  for (const [target, n] of Object.entries(calls)) {
    if (target.startsWith(`${targetPrefix}.`)) byOperation[target.slice(targetPrefix.length + 1)] = n;
  }
  return byOperation;
};
