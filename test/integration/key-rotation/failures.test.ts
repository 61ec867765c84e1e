/**
 * A failure at each step of the key rotation, against the local endpoint: the roll-back it
 * takes (successor scheduled for deletion before the swap, alias moved back after it, nothing
 * undone during retirement), the alias still working, and the failure event that says which
 * step failed and why.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  type CreateKeyCommandInput,
  DecryptCommand,
  EncryptCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import {
  aliasName,
  createAliasedKey,
  describeKey,
  eventsFor,
  InjectedFailureError,
  realHandler,
  rotate,
  tagsOf,
  useHarness,
} from './helpers.js';

const h = useHarness();

type Phase = 'before-swap' | 'after-swap' | 'retirement' | 'plan';

interface Case {
  step: string;
  phase: Phase;
  error: string;
  /** Prepares the failure; returns Task overrides and extra input. */
  arrange: (
    alias: string,
    oldKeyId: string,
  ) => Promise<{
    tasks?: Record<string, (input: unknown) => Promise<unknown>>;
    input?: Record<string, unknown>;
  }>;
  keyInput?: CreateKeyCommandInput;
}

/** The real step, then a crash: the work is done but the Task reports a failure. */
const crashAfter = (step: string) => ({
  tasks: {
    [step]: async (input: unknown) => {
      await realHandler(h)(input);
      throw new InjectedFailureError(step);
    },
  },
});
const failAt = (step: string) => ({
  tasks: {
    [step]: async () => {
      throw new InjectedFailureError(step);
    },
  },
});

const CASES: Case[] = [
  {
    step: 'Plan Rotation',
    phase: 'plan',
    error: 'KeyNotRotatableError',
    // The plan refuses a key pending deletion: nothing may be created for it.
    arrange: async (alias) => {
      const doomed = await createAliasedKey(h, `${alias}-doomed`, {});
      await h.kms().send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
      return { input: { alias: `${alias}-doomed` } };
    },
  },
  {
    step: 'Create Successor Key',
    phase: 'before-swap',
    error: 'InjectedFailureError',
    arrange: async () => crashAfter('Create Successor Key'),
  },
  {
    step: 'Check Key Material Import',
    phase: 'before-swap',
    error: 'KeyMaterialImportTimeoutError',
    keyInput: { Origin: 'EXTERNAL' },
    arrange: async () => ({
      input: { importTimeoutSeconds: 60, importPollSeconds: 1 },
      tasks: {
        // Nobody imports; the handler's clock jumps past the deadline after the first check.
        'Check Key Material Import': async (input: unknown) => {
          h.shiftClock(120_000);
          return realHandler(h)(input);
        },
      },
    }),
  },
  {
    step: 'Verify Successor Key',
    phase: 'before-swap',
    error: 'InjectedFailureError',
    arrange: async () => failAt('Verify Successor Key'),
  },
  {
    step: 'Swap Alias',
    phase: 'after-swap',
    error: 'InjectedFailureError',
    arrange: async () => crashAfter('Swap Alias'),
  },
  {
    step: 'Record Rotation Evidence',
    phase: 'after-swap',
    error: 'InjectedFailureError',
    arrange: async () => crashAfter('Record Rotation Evidence'),
  },
  {
    step: 'Re-encrypt Ciphertexts',
    phase: 'after-swap',
    error: 'ReEncryptionError',
    // Not a ciphertext of any key: ReEncrypt refuses it.
    arrange: async () => ({ input: { reencrypt: { ciphertexts: [randomBytes(64).toString('base64')] } } }),
  },
  {
    step: 'Check Predecessor Unused',
    phase: 'retirement',
    error: 'PredecessorStillInUseError',
    // A second alias still uses the old key: disabling it would break that alias.
    arrange: async (alias, oldKeyId) => {
      await h.kms().send(new CreateAliasCommand({ AliasName: `${alias}-other`, TargetKeyId: oldKeyId }));
      return {};
    },
  },
  {
    step: 'Disable Predecessor Key',
    phase: 'retirement',
    error: 'InjectedFailureError',
    arrange: async () => failAt('Disable Predecessor Key'),
  },
  {
    step: 'Schedule Predecessor Deletion',
    phase: 'retirement',
    error: 'InjectedFailureError',
    arrange: async () => failAt('Schedule Predecessor Deletion'),
  },
];

describe('a failure at each step', () => {
  it.each(CASES)('$step ($phase): rolled back, alias usable, failure event published', async (c) => {
    // Prepare
    const alias = aliasName('fail');
    const old = await createAliasedKey(h, alias, c.keyInput ?? {});
    const oldId = old.KeyId ?? '';
    const plaintext = randomBytes(32);
    const before = await h.kms().send(new EncryptCommand({ KeyId: alias, Plaintext: plaintext }));
    const { tasks, input } = await c.arrange(alias, oldId);
    const keysBefore = new Set((await h.kms().send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId));

    // Act
    const run = await rotate(h, { alias, force: true, ...input }, { ...(tasks ? { tasks } : {}) });

    // Assess: the execution fails with the step's error, after the right roll-back.
    expect(run.error?.Error).toBe(c.error);
    expect(run.states.at(-1)).toBe('Rotation Failed');
    const rollbackState = { 'before-swap': 'Roll Back Before Swap', 'after-swap': 'Roll Back After Swap' }[
      c.phase as string
    ];
    if (rollbackState) expect(run.states).toContain(rollbackState);
    else expect(run.states.filter((s) => s.startsWith('Roll Back'))).toEqual([]);

    const newKeys = ((await h.kms().send(new ListKeysCommand({}))).Keys ?? [])
      .map((k) => k.KeyId ?? '')
      .filter((id) => !keysBefore.has(id));
    // At most one key is new: the successor.
    expect(newKeys.length).toBeLessThanOrEqual(1);
    const successorId = newKeys[0];
    const eventAlias = c.phase === 'plan' ? `${alias}-doomed` : alias;
    const failed = (await eventsFor(h, eventAlias)).filter((e) => e['detail-type'] === 'Key Rotation Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({ step: c.step, error: c.error, execution: run.executionId });
    expect(String(failed[0]?.detail.cause)).not.toBe('');
    expect(JSON.stringify(failed[0])).not.toContain(plaintext.toString('base64'));

    const target = await describeKey(h, alias);
    const decryptOld = () => h.kms().send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
    if (c.phase === 'before-swap') {
      expect(target.KeyId).toBe(oldId);
      expect(successorId).toBeDefined();
      expect((await describeKey(h, successorId ?? '')).KeyState).toBe('PendingDeletion');
      expect(failed[0]?.detail.rollback).toMatchObject({ action: 'successor-scheduled-for-deletion' });
      expect((await tagsOf(h, oldId))['rekey:pending-successor']).toBeUndefined();
    }
    if (c.phase === 'after-swap') {
      expect(target.KeyId).toBe(oldId);
      expect((await describeKey(h, successorId ?? '')).KeyState).toBe('Enabled');
      expect(failed[0]?.detail.rollback).toMatchObject({ action: 'alias-restored' });
      const oldTags = await tagsOf(h, oldId);
      expect(oldTags['rekey:successor']).toBeUndefined();
      expect(oldTags['rekey:rotated-at']).toBeUndefined();
    }
    if (c.phase === 'retirement') {
      // The successor is verified and in service: the alias stays on it.
      expect(target.KeyId).toBe(successorId);
      expect(failed[0]?.detail.rollback).toMatchObject({ action: 'none' });
      const oldState = (await describeKey(h, oldId)).KeyState;
      expect(oldState).toBe(c.step === 'Schedule Predecessor Deletion' ? 'Disabled' : 'Enabled');
    }
    // Ciphertexts made before the rotation still decrypt while the old key is enabled.
    if (c.step !== 'Schedule Predecessor Deletion') {
      const dec = await decryptOld();
      expect(Buffer.from(dec.Plaintext ?? []).equals(plaintext)).toBe(true);
    }
    if (c.phase === 'plan') expect(newKeys).toEqual([]);
    // Whatever happened, the alias still encrypts and decrypts.
    const probe = randomBytes(16);
    const enc = await h.kms().send(new EncryptCommand({ KeyId: alias, Plaintext: probe }));
    const dec = await h.kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).equals(probe)).toBe(true);
  });
});
