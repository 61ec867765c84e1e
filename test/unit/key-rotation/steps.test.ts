/**
 * The decisions of the key-rotation steps, with KMS, EventBridge and Secrets Manager mocked:
 * when a key is due or refused, how a retry finds the successor it made, what verification
 * rejects, which roll-back undoes what, and what the failure event says.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  type KeyMetadata,
  KMSClient,
  ListKeysCommand,
  ListResourceTagsCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/key-rotation/clients.js';
import { causeMessage, publishFailure } from '../../../functions/key-rotation/events.js';
import { planRotation } from '../../../functions/key-rotation/plan.js';
import {
  failedStep,
  rollBackAfterSwap,
  rollBackBeforeSwap,
} from '../../../functions/key-rotation/rollback.js';
import { checkKeyMaterialImport, createSuccessor } from '../../../functions/key-rotation/successor.js';
import type { KeyPlan, SuccessorKey, WorkflowState } from '../../../functions/key-rotation/types.js';
import { verifySuccessor } from '../../../functions/key-rotation/verify.js';

const kmsMock = mockClient(KMSClient);
const eventsMock = mockClient(EventBridgeClient);

const REGION = 'eu-west-1';
const NOW = new Date('2026-06-01T00:00:00Z');
const OLD_ID = '11111111-1111-4111-8111-111111111111';
const OLD_ARN = `arn:aws:kms:${REGION}:123456789012:key/${OLD_ID}`;
const NEW_ID = '22222222-2222-4222-8222-222222222222';
const NEW_ARN = `arn:aws:kms:${REGION}:123456789012:key/${NEW_ID}`;
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:rekey:exec-1', name: 'exec-1' };

let now = NOW;
const clients = createClients({ region: REGION, now: () => now });

const meta = (overrides: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId: OLD_ID,
  Arn: OLD_ARN,
  KeyManager: 'CUSTOMER',
  KeyState: 'Enabled',
  KeySpec: 'RSA_2048',
  KeyUsage: 'SIGN_VERIFY',
  Origin: 'AWS_KMS',
  Description: 'orders signing',
  MultiRegion: false,
  CreationDate: new Date('2025-01-01T00:00:00Z'),
  SigningAlgorithms: ['RSASSA_PSS_SHA_256'],
  ...overrides,
});

const plan = (overrides: Partial<KeyPlan> = {}): KeyPlan => ({
  alias: 'alias/orders',
  force: false,
  periodDays: 365,
  gracePeriodSeconds: 0,
  retentionSeconds: 0,
  pendingWindowInDays: 30,
  importTimeoutSeconds: 3600,
  importPollSeconds: 60,
  region: REGION,
  keyArn: OLD_ARN,
  keyId: OLD_ID,
  keySpec: 'RSA_2048',
  keyUsage: 'SIGN_VERIFY',
  origin: 'AWS_KMS',
  description: 'orders signing',
  multiRegion: false,
  policy: '{"Version":"2012-10-17"}',
  tags: [{ TagKey: 'team', TagValue: 'orders' }],
  rekeyTags: [],
  replicas: [],
  aliasRegions: [REGION],
  inServiceSince: '2025-01-01T00:00:00.000Z',
  ageDays: 516,
  due: true,
  reason: 'due',
  warnings: [],
  reencryptRequested: false,
  ...overrides,
});

const successor = (overrides: Partial<SuccessorKey> = {}): SuccessorKey => ({
  keyArn: NEW_ARN,
  keyId: NEW_ID,
  region: REGION,
  replicas: [],
  pendingImport: false,
  pendingImportRegions: [],
  reused: false,
  ...overrides,
});

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a rejection');
  return error;
};

const notFound = () => new NotFoundException({ message: 'not found', $metadata: {} });

beforeEach(() => {
  kmsMock.reset();
  eventsMock.reset();
  now = NOW;
});

describe('plan', () => {
  const stubKey = (m: KeyMetadata, tags: { TagKey: string; TagValue: string }[] = []) => {
    kmsMock.on(DescribeKeyCommand, { KeyId: 'alias/orders' }).resolves({ KeyMetadata: m });
    kmsMock.on(GetKeyPolicyCommand).resolves({ Policy: '{"Version":"2012-10-17"}' });
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: tags, Truncated: false });
  };

  it('is due once the key has been in service for the period, counted from the evidence tag', async () => {
    stubKey(meta(), [{ TagKey: 'rekey:rotated-at', TagValue: '2026-01-01T00:00:00Z' }]);

    const notDue = await planRotation(clients, { alias: 'orders', periodDays: 180 });
    now = new Date('2026-07-01T00:00:00Z');
    const due = await planRotation(clients, { alias: 'orders', periodDays: 180 });

    expect(notDue).toMatchObject({
      alias: 'alias/orders',
      due: false,
      ageDays: 151,
      inServiceSince: '2026-01-01T00:00:00.000Z',
    });
    expect(due).toMatchObject({ due: true, ageDays: 181 });
  });

  it('rotates when forced whatever the age, and copies what the successor needs', async () => {
    stubKey(meta({ CreationDate: NOW }), [
      { TagKey: 'team', TagValue: 'orders' },
      { TagKey: 'rekey:rotated-at', TagValue: 'not a date' },
    ]);

    const result = await planRotation(clients, { alias: 'alias/orders', force: true });

    expect(result).toMatchObject({
      due: true,
      reason: 'forced (on-demand rotation)',
      keySpec: 'RSA_2048',
      keyUsage: 'SIGN_VERIFY',
      policy: '{"Version":"2012-10-17"}',
      tags: [{ TagKey: 'team', TagValue: 'orders' }],
      gracePeriodSeconds: 604_800,
      pendingWindowInDays: 30,
      warnings: [],
    });
  });

  it('warns that automatic rotation suits a symmetric AWS_KMS key, and still rotates it', async () => {
    stubKey(meta({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));

    const result = await planRotation(clients, { alias: 'alias/orders', force: true });

    expect(result.due).toBe(true);
    expect(result.warnings).toEqual([expect.stringContaining('automatic rotation (EnableKeyRotation)')]);
  });

  it.each([
    ['an AWS managed key', { KeyManager: 'AWS' as const }, /AWS managed key/],
    ['a disabled key', { KeyState: 'Disabled' as const }, /state Disabled/],
    ['a key pending deletion', { KeyState: 'PendingDeletion' as const }, /state PendingDeletion/],
    [
      'a multi-Region replica',
      {
        MultiRegionConfiguration: {
          MultiRegionKeyType: 'REPLICA' as const,
          PrimaryKey: { Arn: OLD_ARN, Region: 'us-east-1' },
        },
      },
      /primary key's Region \(us-east-1\)/,
    ],
  ])('refuses %s', async (_what, overrides, message) => {
    stubKey(meta(overrides));

    const error = await rejection(planRotation(clients, { alias: 'alias/orders', force: true }));

    expect(error.name).toBe('KeyNotRotatableError');
    expect(error.message).toMatch(message);
  });

  it('names a missing alias', async () => {
    kmsMock.on(DescribeKeyCommand).rejects(notFound());

    const error = await rejection(planRotation(clients, { alias: 'alias/missing' }));

    expect(error).toMatchObject({
      name: 'AliasNotFoundError',
      message: expect.stringContaining('alias/missing'),
    });
  });

  it.each([
    [{ alias: 'alias/x', colour: 'red' }, /Unknown input field 'colour'/],
    [{}, /Field 'alias' is required/],
    [{ alias: 'alias/x', pendingWindowInDays: 5 }, /'pendingWindowInDays' must be an integer from 7 to 30/],
    [{ alias: 'alias/x', gracePeriodSeconds: 1.5 }, /'gracePeriodSeconds' must be an integer/],
    [
      { alias: 'alias/x', reencrypt: { ciphertexts: [] } },
      /'reencrypt.ciphertexts' must be a non-empty list/,
    ],
    [{ alias: 'alias/aws/s3' }, /AWS managed alias/],
  ])('rejects bad input %j, naming the field', async (input, message) => {
    const error = await rejection(planRotation(clients, input));

    expect(error.message).toMatch(message);
    expect(kmsMock).not.toHaveReceivedCommand(DescribeKeyCommand);
  });
});

describe('create successor', () => {
  it('creates a copy of the old key and marks the old key before and after CreateKey', async () => {
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [] });
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: meta({ KeyId: NEW_ID, Arn: NEW_ARN }) });

    const result = await createSuccessor(clients, plan(), execution);

    expect(result).toMatchObject({ keyArn: NEW_ARN, keyId: NEW_ID, reused: false, pendingImport: false });
    // CreateKey carries only rekey's own tags (the role may set no others at creation); the old
    // key's own tags are copied onto the new key right after.
    expect(kmsMock).toHaveReceivedCommandWith(CreateKeyCommand, {
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      Origin: 'AWS_KMS',
      Description: 'orders signing',
      MultiRegion: false,
      Policy: '{"Version":"2012-10-17"}',
      Tags: [
        { TagKey: 'rekey:successor-of', TagValue: OLD_ARN },
        { TagKey: 'rekey:rotation-id', TagValue: 'exec-1' },
      ],
    });
    const tagCalls = kmsMock
      .commandCalls(TagResourceCommand)
      .map((c) => `${c.args[0].input.KeyId} ${c.args[0].input.Tags?.[0]?.TagKey}`);
    expect(tagCalls).toEqual([
      `${OLD_ARN} rekey:pending-rotation`,
      `${OLD_ARN} rekey:pending-successor`,
      `${NEW_ARN} team`,
    ]);
  });

  it("adds rekey's statement to the successor's key policy when its role is known, and nothing else", async () => {
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [] });
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: meta({ KeyId: NEW_ID, Arn: NEW_ARN }) });
    const roleArn = 'arn:aws:iam::123456789012:role/rekey-KeyRotationFunctionRole-ABC';
    const withRole = { ...clients, access: { ...clients.access, roleArn } };

    await createSuccessor(withRole, plan(), execution);

    const policy = JSON.parse(kmsMock.commandCalls(CreateKeyCommand)[0]?.args[0].input.Policy ?? '{}');
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Sid: 'rekey-unproven-successor',
        Principal: { AWS: roleArn },
        Resource: '*',
      }),
    ]);
    expect(policy.Statement[0].Action).toContain('kms:ScheduleKeyDeletion');
    expect(policy.Statement[0].Action).not.toContain('kms:DisableKey');
  });

  it('on a retry, finds the successor it already made instead of making another', async () => {
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: OLD_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:pending-successor', TagValue: NEW_ARN }] });
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: NEW_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:rotation-id', TagValue: 'exec-1' }] });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: NEW_ARN })
      .resolves({ KeyMetadata: meta({ KeyId: NEW_ID, Arn: NEW_ARN }) });

    const result = await createSuccessor(clients, plan(), execution);

    expect(result).toMatchObject({ keyArn: NEW_ARN, reused: true });
    expect(kmsMock).not.toHaveReceivedCommand(CreateKeyCommand);
  });

  it('after a crash between CreateKey and tagging the old key, finds the successor by its tags', async () => {
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: OLD_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:pending-rotation', TagValue: 'exec-1' }] });
    kmsMock
      .on(ListKeysCommand)
      .resolves({ Keys: [{ KeyId: OLD_ID }, { KeyId: 'other' }, { KeyId: NEW_ID }] });
    kmsMock.on(ListResourceTagsCommand, { KeyId: 'other' }).resolves({ Tags: [] });
    kmsMock.on(ListResourceTagsCommand, { KeyId: NEW_ID }).resolves({
      Tags: [
        { TagKey: 'rekey:rotation-id', TagValue: 'exec-1' },
        { TagKey: 'rekey:successor-of', TagValue: OLD_ARN },
      ],
    });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: NEW_ID })
      .resolves({ KeyMetadata: meta({ KeyId: NEW_ID, Arn: NEW_ARN }) });

    const result = await createSuccessor(clients, plan(), execution);

    expect(result).toMatchObject({ keyArn: NEW_ARN, reused: true });
    expect(kmsMock).not.toHaveReceivedCommand(CreateKeyCommand);
  });

  it("refuses to start while another execution's successor is alive", async () => {
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: OLD_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:pending-successor', TagValue: NEW_ARN }] });
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: NEW_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:rotation-id', TagValue: 'exec-0' }] });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: NEW_ARN })
      .resolves({ KeyMetadata: meta({ KeyId: NEW_ID, Arn: NEW_ARN }) });

    const error = await rejection(createSuccessor(clients, plan(), execution));

    expect(error).toMatchObject({
      name: 'RotationInProgressError',
      message: expect.stringContaining('exec-0'),
    });
    expect(kmsMock).not.toHaveReceivedCommand(CreateKeyCommand);
  });

  it('ignores a stale successor that is already pending deletion', async () => {
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: OLD_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:pending-successor', TagValue: NEW_ARN }] });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: NEW_ARN })
      .resolves({ KeyMetadata: meta({ KeyState: 'PendingDeletion' }) });
    kmsMock
      .on(CreateKeyCommand)
      .resolves({ KeyMetadata: meta({ KeyId: 'k3', Arn: 'arn:aws:kms:eu-west-1:1:key/k3' }) });

    const result = await createSuccessor(clients, plan(), execution);

    expect(result).toMatchObject({ keyId: 'k3', reused: false });
  });

  it('an EXTERNAL successor waits for key material with instructions and a deadline', async () => {
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [] });
    const created = meta({
      KeyId: NEW_ID,
      Arn: NEW_ARN,
      Origin: 'EXTERNAL',
      KeyState: 'PendingImport',
      CreationDate: NOW,
    });
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: created });
    kmsMock.on(DescribeKeyCommand, { KeyId: NEW_ARN }).resolves({ KeyMetadata: created });

    const result = await createSuccessor(clients, plan({ origin: 'EXTERNAL' }), execution);

    expect(kmsMock).toHaveReceivedCommandWith(CreateKeyCommand, { Origin: 'EXTERNAL' });
    expect(result).toMatchObject({
      pendingImport: true,
      pendingImportRegions: [REGION],
      importDeadline: '2026-06-01T01:00:00.000Z',
      importInstructions: expect.stringMatching(
        new RegExp(`Import key material into ${NEW_ARN}.*GetParametersForImport.*ImportKeyMaterial`),
      ),
    });
  });

  it('gives up on key material after the deadline', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: meta({ KeyState: 'PendingImport' }) });
    const waiting = successor({ pendingImport: true, importDeadline: '2026-06-01T01:00:00.000Z' });

    const before = await checkKeyMaterialImport(clients, plan(), waiting);
    now = new Date('2026-06-01T01:00:01Z');
    const error = await rejection(checkKeyMaterialImport(clients, plan(), waiting));

    expect(before.pendingImport).toBe(true);
    expect(error.name).toBe('KeyMaterialImportTimeoutError');
  });
});

describe('verify successor', () => {
  it('signs and verifies with each signing algorithm', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: meta({ SigningAlgorithms: ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_512'] }),
    });
    kmsMock.on(SignCommand).resolves({ Signature: new Uint8Array([1]) });
    kmsMock.on(VerifyCommand).resolves({ SignatureValid: true });

    const result = await verifySuccessor(clients, successor());

    expect(result.checks.map((c) => c.algorithm)).toEqual([
      'RSASSA_PSS_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_512',
    ]);
    expect(kmsMock).toHaveReceivedCommandTimes(VerifyCommand, 2);
  });

  it('rejects a key whose decrypt does not give back the plaintext, without showing it', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: meta({
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      }),
    });
    kmsMock.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([9, 9]) });
    kmsMock.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32) });

    const error = await rejection(verifySuccessor(clients, successor()));

    expect(error.name).toBe('SuccessorVerificationError');
    expect(error.message).toMatch(/SYMMETRIC_DEFAULT did not return what Encrypt was given/);
  });

  it('asks to be retried while a replica is still being created', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: meta({ KeyState: 'Creating' }) });

    const error = await rejection(verifySuccessor(clients, successor()));

    expect(error.name).toBe('SuccessorNotReadyError');
  });
});

describe('roll-back', () => {
  it('names the step that failed from the results the state holds', () => {
    const p = plan();
    expect(failedStep({})).toBe('Plan Rotation');
    expect(failedStep({ plan: p })).toBe('Create Successor Key');
    expect(failedStep({ plan: p, successor: successor({ pendingImport: true }) })).toBe(
      'Check Key Material Import',
    );
    expect(failedStep({ plan: p, successor: successor() })).toBe('Verify Successor Key');
    const swapped: WorkflowState = {
      plan: p,
      successor: successor(),
      verification: {},
      swap: { swappedAt: 'x' },
      evidence: {},
    };
    expect(failedStep(swapped)).toBe('Check Predecessor Unused');
    expect(failedStep({ ...swapped, plan: plan({ reencryptRequested: true }) })).toBe(
      'Re-encrypt Ciphertexts',
    );
  });

  it('before the swap, schedules the successor for deletion (7 days) and clears the marks on the old key', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: meta({ KeyId: NEW_ID, Arn: NEW_ARN }) });
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({ DeletionDate: new Date('2026-06-08T00:00:00Z') });
    kmsMock
      .on(ListResourceTagsCommand, { KeyId: OLD_ARN })
      .resolves({ Tags: [{ TagKey: 'rekey:pending-rotation', TagValue: 'exec-1' }] });

    const result = await rollBackBeforeSwap(clients, { plan: plan(), successor: successor() }, execution);

    expect(result).toMatchObject({ action: 'successor-scheduled-for-deletion', successorKeyArn: NEW_ARN });
    expect(kmsMock).toHaveReceivedCommandWith(ScheduleKeyDeletionCommand, {
      KeyId: NEW_ARN,
      PendingWindowInDays: 7,
    });
    expect(kmsMock).toHaveReceivedCommandWith(UntagResourceCommand, {
      KeyId: OLD_ARN,
      TagKeys: ['rekey:pending-rotation', 'rekey:pending-successor'],
    });
    expect(kmsMock).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('before the swap with no successor made, has nothing to undo', async () => {
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [] });

    const result = await rollBackBeforeSwap(clients, { plan: plan() }, execution);

    expect(result.action).toBe('nothing-to-undo');
    expect(kmsMock).not.toHaveReceivedCommand(ScheduleKeyDeletionCommand);
  });

  it('after the swap, points the alias back, keeps the successor and restores the old evidence tags', async () => {
    kmsMock
      .on(DescribeKeyCommand, { KeyId: 'alias/orders' })
      .resolves({ KeyMetadata: meta({ KeyId: NEW_ID }) });
    kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [] });
    const previous = [{ TagKey: 'rekey:rotated-at', TagValue: '2025-01-01T00:00:00.000Z' }];

    const result = await rollBackAfterSwap(
      clients,
      { plan: plan({ rekeyTags: previous }), successor: successor(), swap: { swappedAt: 'x' } },
      execution,
    );

    expect(result.action).toBe('alias-restored');
    expect(kmsMock).toHaveReceivedCommandWith(UpdateAliasCommand, {
      AliasName: 'alias/orders',
      TargetKeyId: OLD_ID,
    });
    expect(kmsMock).toHaveReceivedCommandWith(UntagResourceCommand, {
      KeyId: OLD_ARN,
      TagKeys: ['rekey:successor', 'rekey:execution'],
    });
    expect(kmsMock).toHaveReceivedCommandWith(TagResourceCommand, { KeyId: OLD_ARN, Tags: previous });
    expect(kmsMock).toHaveReceivedCommandWith(TagResourceCommand, {
      KeyId: NEW_ARN,
      Tags: [{ TagKey: 'rekey:rolled-back-by', TagValue: execution.id }],
    });
    expect(kmsMock).not.toHaveReceivedCommand(ScheduleKeyDeletionCommand);
  });
});

describe('failure event', () => {
  it('says which step failed, why and what the roll-back did', async () => {
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const lambdaCause = JSON.stringify({
      errorType: 'SuccessorVerificationError',
      errorMessage: 'sign failed',
      trace: ['at x'],
    });

    await publishFailure(
      clients,
      {
        plan: plan(),
        successor: successor(),
        failure: { Error: 'SuccessorVerificationError', Cause: lambdaCause },
        rollback: { action: 'successor-scheduled-for-deletion' },
      },
      execution,
      'rekey-bus',
    );

    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'rekey-bus',
      Source: 'rekey',
      DetailType: 'Key Rotation Failed',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      alias: 'alias/orders',
      step: 'Verify Successor Key',
      error: 'SuccessorVerificationError',
      cause: 'sign failed',
      rollback: { action: 'successor-scheduled-for-deletion' },
      execution: execution.id,
    });
  });

  it('fails when EventBridge rejects the entry', async () => {
    eventsMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'NotFound', ErrorMessage: 'no such bus' }] });

    const error = await rejection(publishFailure(clients, { failure: { Error: 'X' } }, execution, 'missing'));

    expect(error).toMatchObject({
      name: 'EventPublishError',
      message: expect.stringContaining('no such bus'),
    });
  });

  it('keeps only the message of a Lambda error cause', () => {
    expect(causeMessage({ Error: 'E', Cause: '{"errorMessage":"m","trace":["secret stack"]}' })).toBe('m');
    expect(causeMessage({ Error: 'E', Cause: 'plain' })).toBe('plain');
  });
});
