import { describe, expect, it } from 'vitest';
import { rulesOf } from '../../../functions/secret-rotation/rotators/redis.js';

const user = (entries: Record<string, unknown>) => new Map(Object.entries(entries));

describe('rulesOf', () => {
  it('turns a Redis 7 ACL GETUSER reply into the rules that recreate it, without passwords or nopass', () => {
    const rules = rulesOf(
      user({
        flags: ['on', 'nopass', 'sanitize-payload'],
        passwords: ['5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'],
        commands: '-@all +@read +acl|whoami',
        keys: '~app:* %R~cache:*',
        channels: '&news',
        selectors: [{ commands: '-@all +get', keys: '~shared:*', channels: '' }],
      }),
    );
    expect(rules).toEqual([
      'on',
      'sanitize-payload',
      '-@all',
      '+@read',
      '+acl|whoami',
      '~app:*',
      '%R~cache:*',
      '&news',
      '(-@all +get ~shared:*)',
    ]);
  });

  it('reads the Redis 6 shape (patterns as arrays, all* flags)', () => {
    expect(
      rulesOf(user({ flags: ['on', 'allkeys', 'allchannels'], commands: '+@all', keys: [], channels: [] })),
    ).toEqual(['on', '~*', '&*', '+@all']);
    expect(rulesOf(user({ flags: ['off'], commands: '-@all', keys: ['app:*'], channels: ['news'] }))).toEqual(
      ['off', '-@all', '~app:*', '&news'],
    );
  });
});
