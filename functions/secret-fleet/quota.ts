/**
 * How many rotations the fleet may run at once without crowding Secrets Manager's write quota.
 *
 * Quota (Secrets Manager quotas page, not adjustable): PutSecretValue, UpdateSecret,
 * UpdateSecretVersionStage (and the replication calls) share 50 requests per second per Region;
 * RotateSecret and CancelRotateSecret share another 50 per second.
 *
 * Writes one Map item can cause (the rekey rotation protocol, see secret-rotation/protocol.ts):
 *   1 UpdateSecretVersionStage  the repair that clears a valueless AWSPENDING (stuck secrets only)
 *   1 PutSecretValue            createSecret stores the pending value
 *   2 UpdateSecretVersionStage  finishSecret moves AWSCURRENT, then drops AWSPENDING
 *   = 4 at most (3 for a secret that needs no repair; AWS's own templates make about 2).
 *
 * Pacing: every path through the Map iterator passes at least one Wait of `pollSeconds` (after
 * RotateSecret, and after a caught error), so each of the N concurrent slots starts at most one
 * item per `pollSeconds`. The sustained write rate is therefore at most
 *   N × 4 / pollSeconds
 * and, since two consecutive items of one slot can overlap one window, a burst is at most twice that.
 * The fleet takes half the quota (25/s) as its sustained budget, leaving the other half to the
 * rotations Secrets Manager starts on its own schedule and to applications; the worst burst then
 * reaches the quota itself, never beyond it. With the default pollSeconds of 5:
 *   N = floor(50 × 0.5 × 5 / 4) = floor(31.25) = 31   →  ≤ 24.8 writes/s, ≤ 6.2 RotateSecret/s.
 * An Inline Map runs at most 40 iterations at once, so N never exceeds 40.
 */

/** Combined PutSecretValue + UpdateSecretVersionStage (+ UpdateSecret, replication) requests per second. */
export const SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND = 50;
/** Combined RotateSecret + CancelRotateSecret requests per second. */
export const ROTATE_SECRET_QUOTA_PER_SECOND = 50;
/** The share of the write quota the fleet allows itself on average. */
export const FLEET_SHARE_OF_QUOTA = 0.5;
/** Writes one Map item makes at most: repair 1 + PutSecretValue 1 + UpdateSecretVersionStage 2. */
export const WRITES_PER_ITEM = 4;
/** Step Functions runs at most 40 iterations of an Inline Map state at once. */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

/** The largest Map concurrency that keeps the fleet within its share of the quotas. */
export const maxSafeConcurrency = (pollSeconds: number): number => {
  if (!Number.isFinite(pollSeconds) || pollSeconds <= 0) return 1;
  const byWrites = Math.floor(
    (SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND * FLEET_SHARE_OF_QUOTA * pollSeconds) / WRITES_PER_ITEM,
  );
  // One RotateSecret per item: the same pacing bounds that rate by N / pollSeconds.
  const byRotateCalls = Math.floor(ROTATE_SECRET_QUOTA_PER_SECOND * FLEET_SHARE_OF_QUOTA * pollSeconds);
  return Math.max(1, Math.min(byWrites, byRotateCalls, INLINE_MAP_MAX_CONCURRENCY));
};

/** The concurrency to use: the requested one, lowered to the safe bound (the default when unset). */
export const effectiveConcurrency = (requested: number | undefined, pollSeconds: number): number => {
  const bound = maxSafeConcurrency(pollSeconds);
  return requested === undefined ? bound : Math.max(1, Math.min(requested, bound));
};

/** The sustained write rate (requests per second) the fleet can cause at most with these settings. */
export const worstCaseWritesPerSecond = (concurrency: number, pollSeconds: number): number =>
  (concurrency * WRITES_PER_ITEM) / pollSeconds;
