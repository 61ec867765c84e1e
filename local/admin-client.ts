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
