/**
 * The key-rotation handler's envelope: the sample events of events/ (the ones `sam local
 * invoke -e` takes) dispatch to the right step, and a malformed event is refused naming the field.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { readFile } from 'node:fs/promises';
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/key-rotation/clients.js';
import { createHandler } from '../../../functions/key-rotation/handler.js';
import { parseRotationInput } from '../../../functions/key-rotation/plan.js';

const kmsMock = mockClient(KMSClient);
const handler = createHandler(
  createClients({ region: 'us-east-1', now: () => new Date('2026-11-22T00:00:00Z') }),
);

const cache = new Map<string, unknown>();
/** Loads a sample event once; every test gets its own copy. */
const loadEvent = async <T>(name: string): Promise<T> => {
  if (!cache.has(name)) cache.set(name, JSON.parse(await readFile(`events/${name}`, 'utf8')));
  return structuredClone(cache.get(name)) as T;
};

beforeEach(() => {
  kmsMock.reset();
});

describe('key-rotation handler', () => {
  it('the sample execution input is valid input', async () => {
    const input = await loadEvent<Record<string, unknown>>('key-rotation-input.json');

    expect(parseRotationInput(input)).toMatchObject({ alias: 'alias/payments-signing', force: true });
  });

  it('dispatches the sample plan task to the Plan step', async () => {
    const event = await loadEvent<Record<string, unknown>>('key-rotation-plan-task.json');
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-4111-8111-111111111111';
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: '11111111-1111-4111-8111-111111111111',
        Arn: arn,
        KeyManager: 'CUSTOMER',
        KeyState: 'Enabled',
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        Origin: 'AWS_KMS',
        CreationDate: new Date('2026-01-01T00:00:00Z'),
      },
    });
    kmsMock.on(GetKeyPolicyCommand).resolves({ Policy: '{}' });
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [] });

    const result = await handler(event);

    // JSON only: dates as strings, nothing undefined, ready for the next state.
    expect(result).toMatchObject({ keyArn: arn, due: true, inServiceSince: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it.each([
    [{ task: 'explode' }, /task: must be one of plan, createSuccessor/],
    // Names every object inherits are not tasks either.
    [
      { task: 'toString', state: {}, executionId: 'a', executionName: 'b' },
      /task: must be one of plan, createSuccessor/,
    ],
    [
      { task: 'constructor', state: {}, executionId: 'a', executionName: 'b' },
      /task: must be one of plan, createSuccessor/,
    ],
    [{ task: 'plan', state: [] }, /state: must be the execution state object/],
    [{ task: 'plan', state: {} }, /executionId: is required/],
    [{ task: 'verifySuccessor', state: {}, executionId: 'a', executionName: 'b' }, /needs 'state.successor'/],
  ])('refuses %j naming the field', async (event, message) => {
    await expect(handler(event)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(message),
    });
    expect(kmsMock.calls()).toHaveLength(0);
  });
});
