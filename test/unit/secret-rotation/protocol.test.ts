import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { SecretFormatError, StepFailedError } from '../../../functions/secret-rotation/errors.js';
import type { RotationEvent, RotationStep } from '../../../functions/secret-rotation/event.js';
import { FUNCTION_DEFAULT_POLICY, generatePassword } from '../../../functions/secret-rotation/password.js';
import { type ProtocolDeps, runRotationStep } from '../../../functions/secret-rotation/protocol.js';
import {
  createRotatorSelector,
  type RotatorSelector,
} from '../../../functions/secret-rotation/rotators/index.js';
import type { Rotator } from '../../../functions/secret-rotation/rotators/types.js';
import { captureLogs, FakeSecret, testLogger } from './helpers.js';

const smMock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });

const CURRENT = '11111111-1111-4111-8111-111111111111';
const TOKEN = '22222222-2222-4222-8222-222222222222';
const OLD = '00000000-0000-4000-8000-000000000000';
const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

let cache: SecretValueCache;
let secret: FakeSecret;
let logs: ReturnType<typeof captureLogs>;

const deps = (overrides: Partial<ProtocolDeps> = {}): ProtocolDeps => ({
  secretsManager: client,
  logger: testLogger(),
  cache,
  selectRotator: createRotatorSelector({}),
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
  generatePassword: async (policy) => generatePassword(policy),
  ...overrides,
});

const event = (step: RotationStep, extra: Partial<RotationEvent> = {}): RotationEvent => ({
  step,
  secretId: secret.arn,
  token: TOKEN,
  ...extra,
});

const rotate = async (d: ProtocolDeps = deps()) => {
  const outcomes = [];
  for (const step of STEPS) outcomes.push(await runRotationStep(event(step), d));
  return outcomes;
};

const writes = () =>
  smMock.commandCalls(PutSecretValueCommand).length +
  smMock.commandCalls(UpdateSecretVersionStageCommand).length;

/** A rotator whose setSecret records the versions it was given. */
const recordingSetSecret = () => {
  const seen: { current?: unknown; previous?: unknown; called: boolean } = { called: false };
  const rotator: Rotator = {
    name: 'recording',
    createPending: async () => 'unused',
    setSecret: async ({ current, previous }) => {
      Object.assign(seen, { current, previous, called: true });
    },
    testSecret: async () => {},
  };
  return { rotator, seen };
};

beforeEach(() => {
  smMock.reset();
  cache = new SecretValueCache();
  secret = new FakeSecret(`unit/${Math.random().toString(36).slice(2)}`)
    .addVersion(CURRENT, 'old-api-key-value', ['AWSCURRENT'])
    .addVersion(TOKEN, undefined, ['AWSPENDING'])
    .attach(smMock);
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
});

describe('staging-label checks made on every step', () => {
  it.each(STEPS)('%s refuses a secret whose rotation is not enabled, changing nothing', async (step) => {
    secret.rotationEnabled = false;
    const before = secret.snapshot();

    await expect(runRotationStep(event(step), deps())).rejects.toMatchObject({
      name: 'RotationNotEnabledError',
      message: expect.stringContaining(secret.arn),
    });

    expect(secret.snapshot()).toEqual(before);
    expect(writes()).toBe(0);
  });

  it.each(STEPS)('%s refuses a token that is not a version of the secret', async (step) => {
    const stranger = '33333333-3333-4333-8333-333333333333';
    const before = secret.snapshot();

    const error = await runRotationStep(event(step, { token: stranger }), deps()).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'TokenNotStagedError', token: stranger });
    expect((error as Error).message).toContain('not a version of the secret');
    expect(secret.snapshot()).toEqual(before);
    expect(writes()).toBe(0);
  });

  it.each([
    ['has another label', ['CUSTOM']],
    ['has no label left', []],
  ])(
    'refuses a token that %s and names the version an earlier rotation left AWSPENDING on',
    async (_, labels) => {
      secret.addVersion(TOKEN, undefined, labels).addVersion(OLD, 'half-rotated-value', ['AWSPENDING']);
      const before = secret.snapshot();

      const error = await runRotationStep(event('createSecret'), deps()).catch((e: unknown) => e);

      expect(error).toMatchObject({ name: 'TokenNotStagedError' });
      expect((error as Error).message).toContain(`AWSPENDING is on version ${OLD}`);
      expect((error as Error).message).toContain(`RemoveFromVersionId ${OLD}`);
      expect(secret.snapshot()).toEqual(before);
      expect(writes()).toBe(0);
    },
  );

  it.each(STEPS)('%s does nothing when the token is already AWSCURRENT (finished rotation)', async (step) => {
    const fresh = new FakeSecret('unit/finished')
      .addVersion(TOKEN, 'new', ['AWSCURRENT'])
      .addVersion(CURRENT, 'old', ['AWSPREVIOUS']);
    smMock.reset();
    fresh.attach(smMock);
    secret = fresh;
    const before = fresh.snapshot();

    await expect(runRotationStep(event(step), deps())).resolves.toBe('already-current');

    expect(fresh.snapshot()).toEqual(before);
    expect(writes()).toBe(0);
    expect(logs.text()).toContain('already AWSCURRENT');
  });

  it('finishSecret leaves the AWSPENDING label on the already-current version alone (no write)', async () => {
    secret.addVersion(TOKEN, 'new-value', ['AWSCURRENT', 'AWSPENDING']);
    const before = secret.snapshot();

    await expect(runRotationStep(event('finishSecret'), deps())).resolves.toBe('already-current');

    expect(secret.snapshot()).toEqual(before);
    expect(writes()).toBe(0);
  });
});

describe('createSecret', () => {
  it('stores a new value on the pending version with AWSPENDING and the ClientRequestToken', async () => {
    await expect(runRotationStep(event('createSecret'), deps())).resolves.toBe('completed');

    const stored = secret.valueOf(TOKEN);
    expect(stored).toBeDefined();
    expect(stored).not.toBe('old-api-key-value');
    expect(secret.stagesOf(TOKEN)).toEqual(['AWSPENDING']);
    expect(secret.stagesOf(CURRENT)).toEqual(['AWSCURRENT']);
    expect(smMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: secret.arn,
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
    });
    expect(smMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input.RotationToken).toBeUndefined();
  });

  it('passes the RotationToken to PutSecretValue when the event carries one', async () => {
    await runRotationStep(
      event('createSecret', { rotationToken: 'rotation-token-from-secrets-manager' }),
      deps(),
    );

    expect(smMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
      RotationToken: 'rotation-token-from-secrets-manager',
    });
    expect(logs.text()).not.toContain('rotation-token-from-secrets-manager');
  });

  it('keeps a pending value stored earlier (cold container): the new value is discarded', async () => {
    secret.addVersion(TOKEN, 'value-from-earlier-attempt', ['AWSPENDING']);

    await expect(runRotationStep(event('createSecret'), deps())).resolves.toBe('already-created');

    expect(secret.valueOf(TOKEN)).toBe('value-from-earlier-attempt');
    // The discarded value must not be cached: setSecret/testSecret must see the stored one.
    expect(cache.get(secret.arn, TOKEN)).toBeUndefined();
    const seen: string[] = [];
    const spy: Rotator = {
      name: 'spy',
      createPending: async () => 'unused',
      setSecret: async ({ pending }) => {
        seen.push(pending.secretString);
      },
      testSecret: async () => {},
    };
    await runRotationStep(event('setSecret'), deps({ selectRotator: async () => spy }));
    expect(seen).toEqual(['value-from-earlier-attempt']);
  });

  it('run twice in a warm container writes once', async () => {
    await runRotationStep(event('createSecret'), deps());
    const first = secret.valueOf(TOKEN);

    await expect(runRotationStep(event('createSecret'), deps())).resolves.toBe('already-created');

    expect(secret.valueOf(TOKEN)).toBe(first);
    expect(smMock.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  it('refuses a binary secret with a SecretFormatError', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolves({ ARN: secret.arn, VersionId: CURRENT, SecretBinary: new Uint8Array([1]) });

    await expect(runRotationStep(event('createSecret'), deps())).rejects.toBeInstanceOf(SecretFormatError);
    expect(secret.valueOf(TOKEN)).toBeUndefined();
  });
});

describe('setSecret and testSecret', () => {
  it('setSecret before createSecret fails naming createSecret, without calling the rotator', async () => {
    let called = false;
    const rotator: Rotator = {
      name: 'spy',
      createPending: async () => 'x',
      setSecret: async () => {
        called = true;
      },
      testSecret: async () => {},
    };

    const error = await runRotationStep(
      event('setSecret'),
      deps({ selectRotator: async () => rotator }),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as Error).message).toContain('createSecret must run');
    expect(called).toBe(false);
  });

  it('gives setSecret the current, pending and previous versions; testSecret pending and current', async () => {
    secret.addVersion(OLD, 'older-value', ['AWSPREVIOUS']).addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const seen: Record<string, unknown> = {};
    const rotator: Rotator = {
      name: 'spy',
      createPending: async () => 'unused',
      setSecret: async (versions) => {
        seen.set = {
          current: versions.current.secretString,
          pending: versions.pending.secretString,
          previous: versions.previous?.secretString,
        };
      },
      testSecret: async (versions) => {
        seen.test = { pending: versions.pending.secretString, current: versions.current?.secretString };
      },
    };
    const d = deps({ selectRotator: async () => rotator });

    await runRotationStep(event('setSecret'), d);
    await runRotationStep(event('testSecret'), d);

    expect(seen).toEqual({
      set: { current: 'old-api-key-value', pending: 'pending-value', previous: 'older-value' },
      test: { pending: 'pending-value', current: 'old-api-key-value' },
    });
  });

  it('does not read AWSPREVIOUS for a rotator that says it does not use it', async () => {
    secret.addVersion(OLD, 'older-value', ['AWSPREVIOUS']).addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const rotator: Rotator = {
      name: 'no-previous',
      usesPreviousVersion: false,
      createPending: async () => 'unused',
      setSecret: async ({ previous }) => {
        expect(previous).toBeUndefined();
      },
      testSecret: async () => {},
    };

    await runRotationStep(event('setSecret'), deps({ selectRotator: async () => rotator }));

    const stagesRead = smMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.VersionStage);
    expect(stagesRead.sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('does not fail setSecret when another writer moved AWSPREVIOUS between DescribeSecret and the read (it is only a fallback)', async () => {
    secret.addVersion(OLD, 'older-value', ['AWSPREVIOUS']).addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const { rotator, seen } = recordingSetSecret();
    // The label moves away after DescribeSecret answered, as another client's
    // UpdateSecretVersionStage would: GetSecretValue of OLD with AWSPREVIOUS is then not found.
    smMock.on(DescribeSecretCommand).callsFake((input) => {
      const described = secret.describe(input);
      secret.addVersion('33333333-3333-4333-8333-333333333333', 'newer-value', ['AWSPREVIOUS']);
      return described;
    });

    const outcome = await runRotationStep(event('setSecret'), deps({ selectRotator: async () => rotator }));

    expect(outcome).toBe('completed');
    // The version DescribeSecret showed as AWSPREVIOUS, read by its id.
    expect(seen.previous).toEqual({ versionId: OLD, secretString: 'older-value' });
  });

  it('goes on without AWSPREVIOUS when it cannot be read at all', async () => {
    secret.addVersion(OLD, 'older-value', ['AWSPREVIOUS']).addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const { rotator, seen } = recordingSetSecret();
    smMock
      .on(GetSecretValueCommand, { VersionId: OLD })
      .rejects(new ResourceNotFoundException({ $metadata: {}, message: 'version deleted' }));

    const outcome = await runRotationStep(event('setSecret'), deps({ selectRotator: async () => rotator }));

    expect(outcome).toBe('completed');
    expect(seen.called).toBe(true);
    expect(seen.previous).toBeUndefined();
  });

  it('reads the described AWSCURRENT by id when another writer moved the label after DescribeSecret', async () => {
    secret.addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const { rotator, seen } = recordingSetSecret();
    smMock.on(DescribeSecretCommand).callsFake((input) => {
      const described = secret.describe(input);
      secret.put({
        SecretId: secret.arn,
        ClientRequestToken: 'writer-version',
        SecretString: 'written-by-another',
      });
      return described;
    });

    const outcome = await runRotationStep(event('setSecret'), deps({ selectRotator: async () => rotator }));

    expect(outcome).toBe('completed');
    expect(seen.current).toEqual({ versionId: CURRENT, secretString: 'old-api-key-value' });
  });

  it('wraps a rotator failure outside the contract in StepFailedError, carrying the cause', async () => {
    secret.addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const driverError = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const rotator: Rotator = {
      name: 'flaky',
      createPending: async () => 'unused',
      setSecret: async () => {
        throw driverError;
      },
      testSecret: async () => {},
    };

    const error = await runRotationStep(
      event('setSecret'),
      deps({ selectRotator: async () => rotator }),
    ).catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'StepFailedError',
      step: 'setSecret',
      rotator: 'flaky',
      cause: driverError,
    });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});

describe('finishSecret', () => {
  it('moves AWSCURRENT to the token with RemoveFromVersionId in one write; AWSPENDING stays on the new current version', async () => {
    secret.addVersion(TOKEN, 'pending-value', ['AWSPENDING']);

    await expect(runRotationStep(event('finishSecret'), deps())).resolves.toBe('completed');

    expect(smMock).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: secret.arn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: CURRENT,
    });
    expect(secret.stagesOf(TOKEN)).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(secret.stagesOf(CURRENT)).toEqual(['AWSPREVIOUS']);
    expect(smMock).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
  });

  it("runs the rotator's finishSecret before moving the label", async () => {
    secret.addVersion(TOKEN, 'pending-value', ['AWSPENDING']);
    const order: string[] = [];
    smMock.on(UpdateSecretVersionStageCommand).callsFake((input) => {
      order.push(`label ${input.VersionStage}`);
      return secret.updateStage(input);
    });
    const rotator: Rotator = {
      name: 'with-finish',
      createPending: async () => 'unused',
      setSecret: async () => {},
      testSecret: async () => {},
      finishSecret: async ({ current, pending }) => {
        order.push(`rotator ${current.secretString}->${pending.secretString}`);
      },
    };

    await runRotationStep(event('finishSecret'), deps({ selectRotator: async () => rotator }));

    expect(order).toEqual(['rotator old-api-key-value->pending-value', 'label AWSCURRENT']);
  });
});

describe('a whole rotation', () => {
  it('warm container: new value current, old value previous, 7 Secrets Manager calls (2 writes)', async () => {
    const outcomes = await rotate();

    expect(outcomes).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(secret.stagesOf(TOKEN)).toContain('AWSCURRENT');
    expect(secret.stagesOf(CURRENT)).toEqual(['AWSPREVIOUS']);
    expect(secret.valueOf(TOKEN)).not.toBe('old-api-key-value');
    expect(smMock.calls()).toHaveLength(7);
    expect(writes()).toBe(2);
    expect(smMock.commandCalls(DescribeSecretCommand)).toHaveLength(4);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('cold container for every step: still correct, 12 calls (each step re-reads what it needs)', async () => {
    for (const step of STEPS) {
      cache.clear();
      await runRotationStep(event(step), deps());
    }

    expect(secret.stagesOf(TOKEN)).toContain('AWSCURRENT');
    // 4 DescribeSecret + 6 GetSecretValue (current in each step, pending in set and test)
    // + 1 PutSecretValue + 1 UpdateSecretVersionStage; AWS's templates make about 14.
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(6);
    expect(smMock.calls()).toHaveLength(12);
  });

  it('every step run twice in a row changes nothing the second time', async () => {
    for (const step of STEPS) {
      await runRotationStep(event(step), deps());
      const after = secret.snapshot();
      const writesBefore = writes();
      await runRotationStep(event(step), deps());
      expect(secret.snapshot()).toEqual(after);
      expect(writes()).toBe(writesBefore);
    }
    expect(secret.stagesOf(TOKEN)).toContain('AWSCURRENT');
  });

  it('logs the secret ARN but never a secret value', async () => {
    const selectRotator: RotatorSelector = createRotatorSelector({});
    await rotate(deps({ selectRotator }));

    const text = logs.text();
    expect(text).toContain(secret.arn);
    for (const id of [CURRENT, TOKEN]) {
      const value = secret.valueOf(id);
      expect(value).toBeDefined();
      expect(text).not.toContain(value as string);
    }
  });
});
