import { describe, expect, it } from 'vitest';
import type { AwsError } from '../../../../local/aws-error.js';
import { InputReader } from '../../../../local/core/input.js';
import { decodePageToken, fingerprint, pageOf } from '../../../../local/core/paging.js';
import { EntityJournal, RegionalStore } from '../../../../local/core/store.js';

const INVALID = { type: 'InvalidNextTokenException', message: 'bad token' };

const thrown = (run: () => unknown): AwsError => {
  try {
    run();
  } catch (error) {
    return error as AwsError;
  }
  throw new Error('expected an error');
};

describe('InputReader', () => {
  it('throws the service exception type naming the field and the fix', () => {
    const input = new InputReader({ Name: 7, Limit: 0, Tags: [{ Key: '' }] }, 'InvalidParameterException');

    const name = thrown(() => input.optString('Name'));
    const limit = thrown(() => input.optInt('Limit', 1, 100));
    const missing = thrown(() => input.reqString('SecretId'));
    const tag = thrown(() => input.optObjectList('Tags')?.[0]?.reqString('Key'));

    expect([name.type, name.message]).toEqual(['InvalidParameterException', 'Name must be a string.']);
    expect(limit.message).toBe('Limit must be an integer from 1 to 100.');
    expect(missing.message).toBe('SecretId is required.');
    expect(tag.message).toBe('Tags[0].Key is required.');
  });

  it('reads given values and treats absent and null as not given', () => {
    const input = new InputReader({ A: 'x', B: null, C: true, D: 5, E: ['a'], F: 'aGk=' });

    expect([input.optString('A', { max: 1 }), input.optString('B'), input.optBool('C')]).toEqual([
      'x',
      undefined,
      true,
    ]);
    expect([input.optInt('D', 1, 5), input.optStringList('E', { minItems: 1, itemMax: 1 })]).toEqual([
      5,
      ['a'],
    ]);
    expect(input.optBlob('F', 1, 2)?.toString()).toBe('hi');
    expect(thrown(() => input.optString('A', { pattern: /^\d+$/, hint: 'digits only' })).message).toBe(
      'A is not valid: digits only.',
    );
    expect(thrown(() => input.optString('A', { max: 0 })).type).toBe('ValidationException');
  });
});

describe('paging codec', () => {
  it('walks every item once, page by page', () => {
    const items = Array.from({ length: 7 }, (_, i) => i);
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = pageOf(items, { token, limit: 3, invalid: INVALID });
      seen.push(...page.items);
      token = page.next;
      pages += 1;
    } while (token);

    expect(seen).toEqual(items);
    expect(pages).toBe(3);
  });

  it('refuses a forged token and one issued for other parameters, with the service error', () => {
    const bound = pageOf([1, 2, 3], {
      token: undefined,
      limit: 1,
      invalid: INVALID,
      binding: fingerprint(['a']),
    });

    const forged = thrown(() => decodePageToken('bm90LWEtdG9rZW4', INVALID));
    const other = thrown(() => decodePageToken(bound.next, INVALID, fingerprint(['b'])));

    expect([forged.type, forged.message]).toEqual(['InvalidNextTokenException', 'bad token']);
    expect(other.type).toBe('InvalidNextTokenException');
    expect(decodePageToken(bound.next, INVALID, fingerprint(['a']))).toBe(1);
  });
});

describe('RegionalStore', () => {
  it('keeps accounts and Regions apart and round-trips a snapshot', () => {
    const store = new RegionalStore<Map<string, number>>(() => new Map());
    store.at('111111111111', 'eu-west-1').set('a', 1);
    store.of({ accountId: '111111111111', region: 'us-east-1' }).set('b', 2);
    store.at('222222222222', 'eu-west-1');

    const snapshot = store.snapshot((state) => (state.size ? Object.fromEntries(state) : undefined));
    const copy = new RegionalStore<Map<string, number>>(() => new Map());
    copy.restore(
      JSON.parse(JSON.stringify(snapshot)),
      (json: Record<string, number>) => new Map(Object.entries(json)),
      'test state',
    );

    expect(Object.keys(snapshot).sort()).toEqual(['111111111111/eu-west-1', '111111111111/us-east-1']);
    expect(copy.peek('111111111111', 'eu-west-1')?.get('a')).toBe(1);
    expect(copy.peek('111111111111', 'us-east-1')?.get('a')).toBeUndefined();
    expect(copy.peek('222222222222', 'eu-west-1')).toBeUndefined();
    expect(() => copy.restore({ nonsense: {} }, () => new Map(), 'test state')).toThrow(/ACCOUNT\/REGION/);
  });

  it('journals changed entities and replays them into a fresh store', () => {
    const codec = {
      entities: (state: Map<string, string>) => state.entries(),
      apply: (state: Map<string, string>, id: string, value: string | null) =>
        value === null ? state.delete(id) : state.set(id, value),
    };
    const store = new RegionalStore<Map<string, string>>(() => new Map());
    const journal = new EntityJournal(store, codec);
    const scope = { account: '111111111111', region: 'eu-west-1' };
    store.at(scope.account, scope.region).set('app/db', 'v1').set('gone', 'x');
    journal.mark(scope, 'app/db', 'v1');
    journal.mark(scope, 'gone', null);

    const changes = journal.drainChanges();
    const replica = new RegionalStore<Map<string, string>>(() => new Map([['gone', 'old']]));
    const replay = new EntityJournal(replica, codec);
    for (const [key, value] of changes) replay.applyRecord(key, value);

    expect(changes).toEqual([
      ['111111111111/eu-west-1/app/db', 'v1'],
      ['111111111111/eu-west-1/gone', null],
    ]);
    expect(journal.drainChanges()).toEqual([]);
    expect([...replica.at(scope.account, scope.region)]).toEqual([['app/db', 'v1']]);
  });
});
