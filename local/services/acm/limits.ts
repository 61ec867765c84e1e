/**
 * Request-rate emulation and call counting for the local ACM. AWS throttles ACM per account,
 * Region and operation (DescribeCertificate: 10 requests per second); the limiter is off until
 * a test turns it on, so that code paths with backoff can be exercised on purpose.
 */

interface Bucket {
  tokens: number;
  last: number;
}

/** A token bucket per account, Region and operation; capacity and refill rate are `perSecond`. */
export class OperationLimiter {
  readonly #limits = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  // Wall time, not the endpoint clock: the caller's backoff sleeps in real time.
  readonly #now: () => number;

  public constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Sets (or, with `undefined` or 0, removes) the limit of one operation. */
  public configure(operation: string, perSecond: number | undefined): void {
    if (perSecond === undefined || perSecond <= 0) this.#limits.delete(operation);
    else this.#limits.set(operation, perSecond);
    for (const key of [...this.#buckets.keys()]) if (key.endsWith(`/${operation}`)) this.#buckets.delete(key);
  }

  public limits(): Record<string, number> {
    return Object.fromEntries(this.#limits);
  }

  /** Takes one token; `false` when the caller must be throttled. */
  public take(scope: string, operation: string): boolean {
    const perSecond = this.#limits.get(operation);
    if (perSecond === undefined) return true;
    const key = `${scope}/${operation}`;
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: perSecond, last: now };
    bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.last) / 1000) * perSecond);
    bucket.last = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Counts API calls per operation, in total and per Region (throttled calls included, and counted apart). */
export class CallCounter {
  #calls: Record<string, number> = {};
  #throttled: Record<string, number> = {};
  #byRegion: Record<string, Record<string, number>> = {};

  public record(operation: string, region: string, throttled: boolean): void {
    this.#calls[operation] = (this.#calls[operation] ?? 0) + 1;
    const regional = this.#byRegion[region] ?? {};
    regional[operation] = (regional[operation] ?? 0) + 1;
    this.#byRegion[region] = regional;
    if (throttled) this.#throttled[operation] = (this.#throttled[operation] ?? 0) + 1;
  }

  public report(): { Calls: Record<string, number>; Throttled: Record<string, number>; ByRegion: object } {
    return {
      Calls: { ...this.#calls },
      Throttled: { ...this.#throttled },
      ByRegion: structuredClone(this.#byRegion),
    };
  }

  public reset(): void {
    this.#calls = {};
    this.#throttled = {};
    this.#byRegion = {};
  }
}
