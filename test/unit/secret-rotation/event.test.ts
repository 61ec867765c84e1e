import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/lib/errors.js';
import { parseRotationEvent, ROTATION_STEPS } from '../../../functions/secret-rotation/event.js';
import { loadEvent } from './helpers.js';

describe('parseRotationEvent', () => {
  it.each([
    ['create', 'createSecret'],
    ['set', 'setSecret'],
    ['test', 'testSecret'],
    ['finish', 'finishSecret'],
  ] as const)('parses the sample %s event', (file, step) => {
    const raw = loadEvent(file);

    const parsed = parseRotationEvent(raw);

    expect(parsed).toEqual({
      step,
      secretId: raw.SecretId,
      token: raw.ClientRequestToken,
      rotationToken: raw.RotationToken,
    });
  });

  it('accepts an event without RotationToken and keys AWS may add later', () => {
    const { RotationToken: _, ...raw } = loadEvent('set');

    const parsed = parseRotationEvent({ ...raw, SomeFutureKey: { nested: true } });

    expect(parsed.step).toBe('setSecret');
    expect(parsed).not.toHaveProperty('rotationToken');
  });

  it('lists the four valid steps when Step is unknown', () => {
    const event = { ...loadEvent('create'), Step: 'create_secret' };

    expect(() => parseRotationEvent(event)).toThrow(
      `Field Step must be one of ${ROTATION_STEPS.join(', ')}; got "create_secret".`,
    );
  });

  it.each([
    ['Step', 'Field Step must be one of', 'it is missing'],
    ['SecretId', 'Field SecretId must be', 'it is missing'],
    ['ClientRequestToken', 'Field ClientRequestToken must be', 'it is missing'],
  ])('names a missing %s', (field, names, why) => {
    const event = loadEvent('create');
    delete event[field];

    const error = (() => {
      try {
        parseRotationEvent(event);
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(names);
    expect((error as Error).message).toContain(why);
  });

  it.each([
    ['a number SecretId', { SecretId: 42 }, /SecretId .*got a number/],
    ['an empty SecretId', { SecretId: '' }, /SecretId .*of length 0/],
    [
      'a short ClientRequestToken',
      { ClientRequestToken: 'abc' },
      /ClientRequestToken .*32 to 64 characters.*length 3/,
    ],
    ['an object ClientRequestToken', { ClientRequestToken: {} }, /ClientRequestToken .*got an object/],
  ])('rejects %s', (_, change, message) => {
    expect(() => parseRotationEvent({ ...loadEvent('create'), ...change })).toThrow(message);
  });

  it('rejects a malformed RotationToken without repeating it', () => {
    expect(() => parseRotationEvent({ ...loadEvent('create'), RotationToken: 12345 })).toThrow(
      /RotationToken, when present, must be a non-empty string/,
    );
    expect(() => parseRotationEvent({ ...loadEvent('create'), RotationToken: '' })).toThrow(/that is empty/);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'createSecret'],
  ])('rejects %s as the event', (kind, event) => {
    expect(() => parseRotationEvent(event)).toThrow(
      `must be a JSON object {Step, SecretId, ClientRequestToken}; got ${kind}`,
    );
  });
});
