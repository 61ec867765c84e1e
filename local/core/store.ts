/**
 * One store for what an emulated service keeps per account and Region (AWS services are
 * regional: a secret, key or bus lives in one account and one Region), created on first use,
 * with snapshot/restore for `--state FILE` and, for services journaled one entity at a time
 * (see `state.ts`), an `EntityJournal` that records what changed.
 *
 * Scopes are keyed `ACCOUNT/REGION`; journal records `ACCOUNT/REGION/ID` (an ID may hold `/`).
 */
import type { Journaled, RequestContext } from '../types.js';

/** One account and Region. */
export interface ScopeId {
  readonly account: string;
  readonly region: string;
}

export const scopeKey = (scope: ScopeId): string => `${scope.account}/${scope.region}`;

/** `ACCOUNT/REGION` (or `ACCOUNT:REGION`, as EventBridge snapshots wrote it) back into a scope. */
export const parseScopeKey = (key: string): ScopeId | undefined => {
  const match = /^([^/:]+)[/:]([^/:]+)$/.exec(key);
  return match ? { account: match[1] as string, region: match[2] as string } : undefined;
};

/** The scope of a request: the account and Region of its credentials. */
export const scopeOfRequest = (ctx: Pick<RequestContext, 'accountId' | 'region'>): ScopeId => ({
  account: ctx.accountId,
  region: ctx.region,
});

/** The state `S` of every account and Region, each created by `create` when first used. */
export class RegionalStore<S> {
  readonly #scopes = new Map<string, { id: ScopeId; state: S }>();
  readonly #create: (scope: ScopeId) => S;

  public constructor(create: (scope: ScopeId) => S) {
    this.#create = create;
  }

  /** The state of `account` in `region`, created empty on first use. */
  public at(account: string, region: string): S {
    const key = scopeKey({ account, region });
    let entry = this.#scopes.get(key);
    if (!entry) {
      const id = { account, region };
      entry = { id, state: this.#create(id) };
      this.#scopes.set(key, entry);
    }
    return entry.state;
  }

  /** The state of the caller's account and Region. */
  public of(ctx: Pick<RequestContext, 'accountId' | 'region'>): S {
    return this.at(ctx.accountId, ctx.region);
  }

  /** The state of `account` in `region` if it was ever used; never creates it. */
  public peek(account: string, region: string): S | undefined {
    return this.#scopes.get(scopeKey({ account, region }))?.state;
  }

  /** Every scope used so far, with its state. */
  public *entries(): IterableIterator<[ScopeId, S]> {
    for (const { id, state } of this.#scopes.values()) yield [id, state];
  }

  /** The states of one account in every Region it used (multi-Region features: replicas). */
  public *regionsOf(account: string): IterableIterator<[string, S]> {
    for (const { id, state } of this.#scopes.values()) if (id.account === account) yield [id.region, state];
  }

  public clear(): void {
    this.#scopes.clear();
  }

  /**
   * Every scope as JSON-serialisable data, keyed `ACCOUNT/REGION`. `save` returns the data of one
   * scope, or undefined to leave it out (an empty scope). The data must not share objects with
   * the live state (`structuredClone` what you return).
   */
  public snapshot<J>(save: (state: S, scope: ScopeId) => J | undefined): Record<string, J> {
    const out: Record<string, J> = {};
    for (const { id, state } of this.#scopes.values()) {
      const data = save(state, id);
      if (data !== undefined) out[scopeKey(id)] = data;
    }
    return out;
  }

  /**
   * Replaces every scope with those of a snapshot (`undefined`/`null`: empty). `load` turns the data
   * of one scope into its state. Throws, naming `what`, when the data is not a map of scopes.
   */
  public restore<J>(data: unknown, load: (json: J, scope: ScopeId) => S, what: string): void {
    if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
      throw new Error(`${what} must be an object keyed by ACCOUNT/REGION.`);
    }
    const scopes = new Map<string, { id: ScopeId; state: S }>();
    for (const [key, json] of Object.entries((data ?? {}) as Record<string, J>)) {
      const id = parseScopeKey(key);
      if (!id) throw new Error(`${what} has a scope "${key}" that is not ACCOUNT/REGION.`);
      scopes.set(scopeKey(id), { id, state: load(json, id) });
    }
    this.#scopes.clear();
    for (const [key, entry] of scopes) this.#scopes.set(key, entry);
  }
}

/** How a journaled service reads and writes the entities (secrets, ...) of one scope's state. */
export interface EntityCodec<S, E> {
  /** Every entity of one scope, by its ID within the scope. */
  entities(state: S): Iterable<[string, E]>;
  /** Puts a journaled entity back (`null`: removes it). */
  apply(state: S, id: string, value: E | null): void;
}

/**
 * The `Journaled` side of a `RegionalStore`: the service marks each entity it changes (or
 * removes), `state.ts` drains the marks into journal records `ACCOUNT/REGION/ID` and replays them
 * on load. A record holds the entity as it is when drained, so marking it twice costs nothing.
 */
export class EntityJournal<S, E> implements Journaled {
  readonly #changed = new Map<string, E | null>();
  readonly #store: RegionalStore<S>;
  readonly #codec: EntityCodec<S, E>;

  public constructor(store: RegionalStore<S>, codec: EntityCodec<S, E>) {
    this.#store = store;
    this.#codec = codec;
  }

  /** Records that the entity `id` of `scope` changed (`value`) or was removed (`null`). */
  public mark(scope: ScopeId, id: string, value: E | null): void {
    this.#changed.set(`${scopeKey(scope)}/${id}`, value);
  }

  public drainChanges(): Array<[string, unknown]> {
    const out = [...this.#changed];
    this.#changed.clear();
    return out;
  }

  public *entries(): Iterable<[string, unknown]> {
    for (const [scope, state] of this.#store.entries()) {
      for (const [id, entity] of this.#codec.entities(state)) yield [`${scopeKey(scope)}/${id}`, entity];
    }
  }

  public applyRecord(key: string, value: unknown): void {
    const [account, region, ...id] = key.split('/');
    if (!account || !region || id.length === 0) {
      throw new Error(`A journal record's key is not ACCOUNT/REGION/ID.`);
    }
    this.#codec.apply(this.#store.at(account, region), id.join('/'), value as E | null);
  }
}
