/**
 * Pacing the fleet to Secrets Manager's write quota, not below it.
 *
 * Quota (Secrets Manager quotas page, per account and Region): PutSecretValue,
 * UpdateSecretVersionStage and UpdateSecret (and the replication calls) share 50 requests per
 * second; RotateSecret and CancelRotateSecret share another 50. Over it, Secrets Manager answers
 * ThrottlingException.
 *
 * Writes one rotation makes (secret-rotation/protocol.ts, as AWS's own templates):
 *   1 PutSecretValue            createSecret stores the pending value
 *   1 UpdateSecretVersionStage  finishSecret moves AWSCURRENT (AWSPENDING stays on it)
 *   + 1 UpdateSecretVersionStage when the fleet first clears a valueless AWSPENDING (repair)
 *
 * The fleet paces the writes it causes with one token bucket per batch (one Lambda invocation):
 * a rotation starts only when its writes fit, at `writeQuotaPercent` of the quota (90% by
 * default, leaving the rest to applications and to rotations Secrets Manager starts on its own
 * schedule). The SDK's adaptive retry mode and the state machine's Retry absorb the throttling
 * that timing jitter still causes. There is no fixed wait per item: the bucket alone sets the
 * pace, so 1,000 rotations (2,000 writes) take about 2,000 / 45 = 44 s.
 */

/** PutSecretValue + UpdateSecretVersionStage (+ UpdateSecret, replication) requests per second. */
export const SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND = 50;
/** The fleet's default share of the write quota, in percent. */
export const DEFAULT_WRITE_QUOTA_PERCENT = 90;
/** Writes one rotation makes: PutSecretValue (createSecret) + UpdateSecretVersionStage (finishSecret). */
export const WRITES_PER_ROTATION = 2;
/** The extra write of a repair: UpdateSecretVersionStage removing a valueless AWSPENDING. */
export const WRITES_PER_REPAIR = 1;

/** The write rate (requests per second) the fleet allows itself. */
export const fleetWriteRate = (quotaPerSecond: number, percent: number): number =>
  (quotaPerSecond * percent) / 100;

/** The shortest time `writes` writes can take at the full quota: the bound the fleet is judged against. */
export const quotaBoundSeconds = (writes: number, quotaPerSecond = SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND) =>
  writes / quotaPerSecond;

/**
 * A token bucket: `ratePerSecond` tokens arrive continuously, at most `capacity` are kept. The
 * capacity is small (a twentieth of a second of writes, at least one rotation's worth), so in
 * any one-second window the fleet starts at most `rate + capacity` writes' worth of rotations.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  public constructor(ratePerSecond: number, options: { capacity?: number; now?: () => number } = {}) {
    if (!(ratePerSecond > 0)) throw new RangeError('A token bucket needs a positive rate.');
    this.#rate = ratePerSecond;
    this.#capacity =
      options.capacity ?? Math.max(WRITES_PER_ROTATION + WRITES_PER_REPAIR, ratePerSecond / 20);
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.#capacity;
    this.#at = this.#now();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }

  /** Takes `n` tokens if they are there; `false` (taking nothing) if not yet. */
  public tryTake(n: number): boolean {
    this.#refill();
    if (this.#tokens + 1e-9 < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Gives back tokens for writes that did not happen (a repair that found nothing to clear). */
  public refund(n: number): void {
    this.#refill();
    this.#tokens = Math.min(this.#capacity, this.#tokens + n);
  }

  /** Milliseconds until `n` tokens are there (0 when they are). */
  public msUntil(n: number): number {
    this.#refill();
    return this.#tokens >= n ? 0 : ((n - this.#tokens) / this.#rate) * 1000;
  }
}
