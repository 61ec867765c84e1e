/**
 * GetRandomPassword as the Secrets Manager API reference documents every parameter, asserted
 * against any generator: the shared implementation directly (unit) and the local endpoint
 * through the SDK (integration). Random behaviour is checked by shares over many passwords,
 * with bounds many standard deviations wide, so a correct generator does not fail by chance.
 */
import type { GetRandomPasswordRequest } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';

/** Generates one password; a refused request rejects with an error whose message says why. */
export type Generate = (input: GetRandomPasswordRequest) => Promise<string>;

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** Copied from the API reference's ExcludePunctuation, not from our code. */
const DOCUMENTED_PUNCTUATION = '! " # $ % & \' ( ) * + , - . / : ; < = > ? @ [ \\ ] ^ _ ` { | } ~'.split(' ');

const has = (password: string, set: string | string[]) => [...password].some((c) => set.includes(c));

const many = async (generate: Generate, count: number, input: GetRandomPasswordRequest = {}) => {
  const out: string[] = [];
  // In batches: the endpoint answers them concurrently, the library just loops.
  for (let i = 0; i < count; i += 50) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => generate(input)))));
  }
  return out;
};

export const describeGetRandomPassword = (subject: string, generate: Generate): void => {
  describe(`GetRandomPassword as documented: ${subject}`, () => {
    it('PasswordLength defaults to 32 and accepts 1 to 4096, refusing 0, 4097 and fractions by name', async () => {
      for (const password of await many(generate, 20)) expect(password).toHaveLength(32);
      expect(await generate({ PasswordLength: 1, RequireEachIncludedType: false })).toHaveLength(1);
      expect(await generate({ PasswordLength: 4096 })).toHaveLength(4096);
      for (const PasswordLength of [0, 4097, 12.5]) {
        await expect(generate({ PasswordLength })).rejects.toThrow(/PasswordLength/);
      }
    });

    it('by default uses upper and lowercase letters, numbers and exactly the documented punctuation, never a space', async () => {
      const seen = new Set((await many(generate, 40, { PasswordLength: 4096 })).join(''));
      expect([...seen].sort()).toEqual([...LOWER, ...UPPER, ...DIGITS, ...DOCUMENTED_PUNCTUATION].sort());
    });

    it('draws every allowed character about equally often', async () => {
      const text = (await many(generate, 40, { PasswordLength: 4096 })).join('');
      const counts = new Map<string, number>();
      for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
      const expected = text.length / 94;
      // 1743 expected per character, standard deviation about 41: ±20% is over 8 of them.
      for (const count of counts.values()) {
        expect(count).toBeGreaterThan(expected * 0.8);
        expect(count).toBeLessThan(expected * 1.2);
      }
    });

    it('ExcludeCharacters removes exactly those characters', async () => {
      const exclude = 'aZ5!"\\ ';
      const seen = new Set(
        (await many(generate, 10, { PasswordLength: 4096, ExcludeCharacters: exclude })).join(''),
      );
      for (const c of exclude) expect(seen.has(c)).toBe(false);
      expect(seen.size).toBe(94 - 6); // the space was never in the pool
    });

    it.each([
      ['ExcludeNumbers', DIGITS],
      ['ExcludePunctuation', DOCUMENTED_PUNCTUATION.join('')],
      ['ExcludeUppercase', UPPER],
      ['ExcludeLowercase', LOWER],
    ] as const)('%s removes that type and keeps the others required', async (flag, removed) => {
      for (const password of await many(generate, 50, { PasswordLength: 4, [flag]: true })) {
        expect(has(password, removed)).toBe(false);
        for (const kept of [LOWER, UPPER, DIGITS, DOCUMENTED_PUNCTUATION.join('')].filter(
          (s) => s !== removed,
        )) {
          expect(has(password, kept)).toBe(true);
        }
      }
    });

    it('IncludeSpace lets a password contain spaces, as often as chance makes it, not always', async () => {
      // One character in 95 is a space.
      const long = (await many(generate, 10, { PasswordLength: 4096, IncludeSpace: true })).join('');
      const share = [...long].filter((c) => c === ' ').length / long.length;
      expect(share).toBeGreaterThan(0.7 / 95);
      expect(share).toBeLessThan(1.3 / 95);
      // Five characters holding one of each of the four required types: a space is not one of
      // them, so it shows up in about 2% of such passwords (uniformly drawn: 2.08%), never in all.
      const short = await many(generate, 2000, { PasswordLength: 5, IncludeSpace: true });
      const spaced = short.filter((p) => p.includes(' ')).length;
      expect(spaced).toBeGreaterThan(10);
      expect(spaced).toBeLessThan(200);
      for (const password of short) {
        for (const type of [LOWER, UPPER, DIGITS, DOCUMENTED_PUNCTUATION.join('')])
          expect(has(password, type)).toBe(true);
      }
    });

    it('RequireEachIncludedType (default true) puts one of each included type in; false does not', async () => {
      for (const password of await many(generate, 200, { PasswordLength: 4 })) {
        expect([LOWER, UPPER, DIGITS, DOCUMENTED_PUNCTUATION.join('')].every((t) => has(password, t))).toBe(
          true,
        );
      }
      // Without it, four characters miss some type in about 93% of passwords.
      const free = await many(generate, 200, { PasswordLength: 4, RequireEachIncludedType: false });
      const complete = free.filter((p) =>
        [LOWER, UPPER, DIGITS, DOCUMENTED_PUNCTUATION.join('')].every((t) => has(p, t)),
      );
      expect(complete.length).toBeLessThan(50);
    });

    it('refuses combinations that cannot make a password, naming the parameters, never echoing ExcludeCharacters', async () => {
      await expect(generate({ PasswordLength: 3 })).rejects.toThrow(
        /PasswordLength.*RequireEachIncludedType/,
      );
      expect(await generate({ PasswordLength: 3, ExcludePunctuation: true })).toHaveLength(3);
      await expect(
        generate({
          ExcludeLowercase: true,
          ExcludeUppercase: true,
          ExcludeNumbers: true,
          ExcludePunctuation: true,
        }),
      ).rejects.toThrow(/ExcludeLowercase.*ExcludeCharacters/);
      const everything = `${LOWER}${UPPER}${DIGITS}${DOCUMENTED_PUNCTUATION.join('')}`;
      const error = await generate({ ExcludeCharacters: everything }).catch((e: unknown) => e);
      expect(String(error)).toMatch(/every character class is excluded/i);
      expect(String(error)).not.toContain('abcdefghij');
      // Only spaces left: a password of spaces, as IncludeSpace allows.
      expect(
        await generate({
          PasswordLength: 3,
          IncludeSpace: true,
          ExcludeLowercase: true,
          ExcludeUppercase: true,
          ExcludeNumbers: true,
          ExcludePunctuation: true,
        }),
      ).toBe('   ');
    });
  });
};
