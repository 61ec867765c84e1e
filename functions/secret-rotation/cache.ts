/**
 * In-memory cache of secret values by (secret ARN, version id), for one warm container.
 *
 * Why this is safe: a version's value is immutable once written. PutSecretValue with an
 * existing ClientRequestToken and different data is refused (ResourceExistsException), and
 * no API edits a stored version. So a value read or written under (ARN, VersionId) stays the
 * value of that version; the protocol still runs DescribeSecret on every step and only uses a
 * cached value for a version id that DescribeSecret shows with the expected label.
 *
 * Why it helps: Secrets Manager invokes the four steps in a row, usually on the same warm
 * container, so createSecret's reads (AWSCURRENT) and write (AWSPENDING) serve setSecret,
 * testSecret and finishSecret without further GetSecretValue calls.
 *
 * Entries expire after a few minutes and the size is bounded. The cache never logs, and it
 * hides its content from `console.log`, `util.inspect` and `JSON.stringify`.
 */

const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_MAX_ENTRIES = 200;

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

export interface SecretValueCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Time source (milliseconds); tests move it. */
  readonly now?: () => number;
}

/** Values of secret versions, keyed by full secret ARN and version id. */
export class SecretValueCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  public constructor(options: SecretValueCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  /** The cached value of a version, or `undefined` when unknown or expired. */
  public get(secretArn: string, versionId: string): string | undefined {
    const key = keyOf(secretArn, versionId);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers the value of a version. Only call with a value Secrets Manager stored under that id. */
  public set(secretArn: string, versionId: string, value: string): void {
    const key = keyOf(secretArn, versionId);
    // Re-insert so Map order is least recently written first; evict from the front.
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Forgets every value (tests call this between cases). */
  public clear(): void {
    this.#entries.clear();
  }

  public get size(): number {
    return this.#entries.size;
  }

  public toJSON(): string {
    return `[SecretValueCache: ${this.#entries.size} entries]`;
  }

  public [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON();
  }
}

// The ARN cannot contain a newline, so it separates the two parts unambiguously.
const keyOf = (secretArn: string, versionId: string): string => `${secretArn}\n${versionId}`;

/** The container's cache, shared by every invocation of the warm function. */
export const secretValueCache = new SecretValueCache();
