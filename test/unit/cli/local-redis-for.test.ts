import { describe, expect, it } from 'vitest';
import { parseRedisFor } from '../../../cli/redis-for.js';

describe('rekey local --redis-for', () => {
  it('maps each group or ACL name to its Redis URL', () => {
    expect(
      parseRedisFor(['app-users=redis://127.0.0.1:6390', 'orders=rediss://admin:pw@cache.internal:6380']),
    ).toEqual({
      'app-users': 'redis://127.0.0.1:6390',
      orders: 'rediss://admin:pw@cache.internal:6380',
    });
  });

  it.each([
    ['redis://127.0.0.1:6379', /no GROUP= part/],
    ['1group=redis://127.0.0.1:6379', /'1group'/],
    ['group=http://127.0.0.1:6379', /redis:\/\/ or rediss:\/\//],
  ])('refuses %s with the form it takes', (entry, message) => {
    expect(() => parseRedisFor([entry])).toThrow(message);
  });

  it('never repeats a URL, which may hold a password', () => {
    expect(() => parseRedisFor(['g=http://admin:hunter2-secret@host:1'])).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2-secret') }),
    );
  });

  it('refuses a group named twice', () => {
    expect(() => parseRedisFor(['g=redis://a:1', 'g=redis://b:2'])).toThrow(/names g twice/);
  });
});
