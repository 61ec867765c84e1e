import type { RotationLogEntry } from './services/secretsmanager.js';

export type { RotationLogEntry };

/**
 * The header every `/_rekey/` admin route requires. It is not a CORS-safelisted header, so a web
 * page on another site cannot send it without a preflight, which this endpoint never grants: a
 * cross-site form or `fetch` cannot seed, read or reset anything.
 */
export const ADMIN_HEADER = 'x-rekey-admin';

/**
 * Calls an admin route of the local endpoint (`/_rekey/...`) with its JSON body and the header
 * admin routes require. `url` is the full URL, query string (`?region=...&account=...`) included.
 */
export const adminFetch = (url: string, body: unknown = {}): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [ADMIN_HEADER]: '1' },
    body: JSON.stringify(body),
  });

/**
 * Reads the local rotation log of a secret (`/_rekey/secretsmanager/rotations`): its entries and
 * whether a rotation's steps are still running after their RotateSecret answered.
 */
export const readRotationLog = async (
  local: { endpointUrl: string; region: string; account: string },
  secretId: string,
): Promise<{ inProgress: boolean; entries: RotationLogEntry[] }> => {
  const response = await adminFetch(
    `${local.endpointUrl.replace(/\/$/, '')}/_rekey/secretsmanager/rotations?region=${encodeURIComponent(local.region)}&account=${local.account}`,
    { SecretId: secretId },
  );
  if (!response.ok) throw new Error(`reading the rotation log failed: HTTP ${response.status}`);
  const body = (await response.json()) as { InProgress?: boolean; Rotations: RotationLogEntry[] };
  return { inProgress: body.InProgress === true, entries: body.Rotations };
};
