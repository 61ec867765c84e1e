import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { type CallCounter, countCalls } from '../../../functions/secret-rotation/call-counter.js';
import type { LocalEndpoint } from '../../../local/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { captureLogs } from '../../unit/secret-rotation/helpers.js';
import { readRotationLog } from '../helpers/database-rotation.js';
import { startRotationEndpoint } from '../helpers/rotation-endpoint.js';

/**
 * Generated secrets rotated through the local endpoint: RotateSecret invokes the real handler
 * in-process (registered as rekey-secret-rotation), which talks back to the endpoint over
 * HTTP with the SDK. Values are compared, never printed.
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const FUNCTION = 'rekey-secret-rotation';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`;
const CRASH_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-it-crash`;
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
let counter: CallCounter;
let cache: SecretValueCache;
let handler: (event: unknown) => Promise<void>;
let logs: ReturnType<typeof captureLogs>;
const created: string[] = [];

beforeAll(async () => {
  const started = await startRotationEndpoint(ACCOUNT, REGION);
  ({ endpoint, sm, cache, handler } = started);
  // The function has its own client, so the counter sees only the function's calls.
  counter = countCalls(started.functionClient);
});

afterAll(async () => {
  for (const id of created) {
    await sm.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  }
  sm.destroy();
  await endpoint.close();
});

beforeEach(() => {
  logs = captureLogs();
  cache.clear();
  counter.reset();
});

afterEach(() => {
  logs.restore();
});

const createSecret = async (value: string, tags: Record<string, string> = {}): Promise<string> => {
  const output = await sm.send(
    new CreateSecretCommand({
      Name: `rekey-it/generated-${randomUUID().slice(0, 8)}`,
      SecretString: value,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const arn = output.ARN ?? '';
  created.push(arn);
  return arn;
};

const rotate = async (secretId: string, options: { functionArn?: string; token?: string } = {}) => {
  const output = await sm.send(
    new RotateSecretCommand({
      SecretId: secretId,
      RotationLambdaARN: options.functionArn ?? FUNCTION_ARN,
      RotationRules: { AutomaticallyAfterDays: 30 },
      ...(options.token ? { ClientRequestToken: options.token } : {}),
    }),
  );
  // RotateSecret answers before the steps run, as on AWS: wait for them to end, either way.
  await waitForRotation({ sm, secretId, token: output.VersionId, local: localLog() });
  return output.VersionId ?? '';
};

const localLog = () => ({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT });

interface VersionState {
  readonly stages: string[];
  readonly value: string | undefined;
}

/** Every version of the secret with its labels and value (undefined for an empty placeholder). */
const snapshot = async (secretId: string): Promise<Record<string, VersionState>> => {
  const listed = await sm.send(
    new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
  );
  const out: Record<string, VersionState> = {};
  for (const version of listed.Versions ?? []) {
    const id = version.VersionId ?? '';
    let value: string | undefined;
    try {
      value = (await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: id }))).SecretString;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    out[id] = { stages: [...(version.VersionStages ?? [])].sort(), value };
  }
  return out;
};

const holder = (state: Record<string, VersionState>, stage: string) =>
  Object.entries(state).find(([, v]) => v.stages.includes(stage));

const valueAt = (state: Record<string, VersionState>, stage: string): string => {
  const value = holder(state, stage)?.[1].value;
  if (value === undefined) throw new Error(`no value at ${stage}`);
  return value;
};

/** The endpoint's record of the function's step outcomes (error types and messages). */
const rotationLog = (secretId: string) => readRotationLog(endpoint.url, secretId);

/** Asserts that no value the secret ever held shows up in the function's logs or the rotation log. */
const expectNoValueLeaked = async (secretId: string) => {
  const values = Object.values(await snapshot(secretId))
    .map((v) => v.value)
    .filter((v): v is string => v !== undefined);
  const printed = `${logs.text()}\n${JSON.stringify(await rotationLog(secretId))}`;
  for (const value of values) {
    const credentials = [value, ...Object.values(tryJson(value) ?? {}).filter((v) => typeof v === 'string')];
    for (const credential of credentials.filter((c) => c.length >= 8)) {
      expect(printed.includes(credential), 'a secret value was printed').toBe(false);
      expect(printed.includes(JSON.stringify(credential).slice(1, -1)), 'a secret value was printed').toBe(
        false,
      );
    }
  }
};

const tryJson = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** Starts a rotation whose function dies at once, leaving the empty AWSPENDING placeholder. */
const startInterruptedRotation = async (secretId: string): Promise<string> => {
  const token = await rotate(secretId, { functionArn: CRASH_ARN });
  const state = await snapshot(secretId);
  expect(state[token]).toEqual({ stages: ['AWSPENDING'], value: undefined });
  return token;
};

const event = (secretId: string, token: string, step: string) => ({
  Step: step,
  SecretId: secretId,
  ClientRequestToken: token,
});

describe('generated secrets through RotateSecret', () => {
  it('rotates a plain-string secret twice: a new value each time, the old one at AWSPREVIOUS, at most 7 calls per rotation', async () => {
    const arn = await createSecret('initial-plain-api-key-0001');
    const values = ['initial-plain-api-key-0001'];

    for (let round = 0; round < 2; round++) {
      counter.reset();
      const token = await rotate(arn);

      const state = await snapshot(arn);
      expect(state[token]?.stages).toContain('AWSCURRENT');
      // AWSPENDING is absent or stays on the new AWSCURRENT version (finishSecret makes one write).
      expect(holder(state, 'AWSPENDING') ?? holder(state, 'AWSCURRENT')).toEqual(holder(state, 'AWSCURRENT'));
      expect(valueAt(state, 'AWSPREVIOUS')).toBe(values.at(-1));
      const next = valueAt(state, 'AWSCURRENT');
      expect(values).not.toContain(next);
      expect(next).toHaveLength(32);
      values.push(next);
      // The second rotation reads nothing: its AWSCURRENT is the value this warm container
      // wrote in the first one, and versions are immutable.
      expect(counter.byOperation()).toEqual({
        DescribeSecret: 4,
        ...(round === 0 ? { GetSecretValue: 1 } : {}),
        PutSecretValue: 1,
        UpdateSecretVersionStage: 1,
      });
    }
    expect((await rotationLog(arn)).every((entry) => entry.outcome === 'succeeded')).toBe(true);
    await expectNoValueLeaked(arn);
  });

  it('rotates one field of a JSON secret twice, keeping the other fields as written', async () => {
    const initial =
      '{\n  "client": "billing",\n  "apiKey": "initial-json-api-key-0001",\n  "limits": {"rps": 10, "apiKey": "inner"},\n  "id": 12345678901234567890\n}';
    const arn = await createSecret(initial, {
      'rekey:field': 'apiKey',
      'rekey:password-length': '40',
      'rekey:exclude-punctuation': 'true',
    });
    let previous = initial;

    for (let round = 0; round < 2; round++) {
      await rotate(arn);

      const state = await snapshot(arn);
      const current = valueAt(state, 'AWSCURRENT');
      expect(valueAt(state, 'AWSPREVIOUS')).toBe(previous);
      // AWSPENDING is absent or stays on the new AWSCURRENT version (finishSecret makes one write).
      expect(holder(state, 'AWSPENDING') ?? holder(state, 'AWSCURRENT')).toEqual(holder(state, 'AWSCURRENT'));
      const apiKey = (JSON.parse(current) as { apiKey: string }).apiKey;
      expect(apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
      const previousKey = (JSON.parse(previous) as { apiKey: string }).apiKey;
      expect(apiKey).not.toBe(previousKey);
      // Everything but the key is byte-for-byte the text the owner wrote.
      expect(current.replace(JSON.stringify(apiKey), '"initial-json-api-key-0001"')).toBe(initial);
      previous = current;
    }
    await expectNoValueLeaked(arn);
  });
});

describe('rotation configured without rotating now', () => {
  it('RotateImmediately=false: the testSecret configuration check passes and the secret is unchanged', async () => {
    const arn = await createSecret('{"username":"app","password":"initial-later-key-0001"}');
    const before = await snapshot(arn);

    await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: FUNCTION_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await waitForRotation({ sm, secretId: arn, local: localLog() });

    expect(await rotationLog(arn)).toEqual([
      expect.objectContaining({ step: 'testSecret', outcome: 'succeeded' }),
    ]);
    expect(await snapshot(arn)).toEqual(before);
    await expectNoValueLeaked(arn);
  });
});

describe('every step is safe to run twice', () => {
  it('running each step twice through the handler changes nothing the second time', async () => {
    const arn = await createSecret('{"username":"app","password":"initial-password-0001"}');
    const token = await startInterruptedRotation(arn);

    for (const step of STEPS) {
      await handler(event(arn, token, step));
      const after = await snapshot(arn);
      cache.clear(); // the retry may land on another container
      await handler(event(arn, token, step));
      expect(await snapshot(arn)).toEqual(after);
    }

    const state = await snapshot(arn);
    expect(state[token]?.stages).toContain('AWSCURRENT');
    expect(valueAt(state, 'AWSPREVIOUS')).toBe('{"username":"app","password":"initial-password-0001"}');
    // AWSPENDING is absent or stays on the new AWSCURRENT version (finishSecret makes one write).
    expect(holder(state, 'AWSPENDING') ?? holder(state, 'AWSCURRENT')).toEqual(holder(state, 'AWSCURRENT'));
    await expectNoValueLeaked(arn);
  });
});

describe('interrupted rotations', () => {
  it.each([0, 1, 2, 3])(
    'after %i step(s) ran, RotateSecret with the same token completes one consistent rotation',
    async (completed) => {
      const initial = `initial-interrupted-key-${completed}-0001`;
      const arn = await createSecret(initial);
      const token = await startInterruptedRotation(arn);
      for (const step of STEPS.slice(0, completed)) await handler(event(arn, token, step));
      const pendingBefore = (await snapshot(arn))[token]?.value;

      // A new rotation is refused while this one is unfinished (AWSPENDING on another version).
      await expect(rotate(arn)).rejects.toMatchObject({ name: 'InvalidRequestException' });
      cache.clear(); // the reattempt runs on a fresh container
      expect(await rotate(arn, { token })).toBe(token);

      const state = await snapshot(arn);
      expect(state[token]?.stages).toContain('AWSCURRENT');
      expect(valueAt(state, 'AWSPREVIOUS')).toBe(initial);
      // AWSPENDING is absent or stays on the new AWSCURRENT version (finishSecret makes one write).
      expect(holder(state, 'AWSPENDING') ?? holder(state, 'AWSCURRENT')).toEqual(holder(state, 'AWSCURRENT'));
      expect(valueAt(state, 'AWSCURRENT')).not.toBe(initial);
      // Once createSecret had stored a value, the reattempt kept it rather than making another.
      if (completed >= 1) expect(valueAt(state, 'AWSCURRENT')).toBe(pendingBefore);
      expect(Object.keys(state)).toHaveLength(2);
      await expectNoValueLeaked(arn);
    },
  );
});

describe('failures name the problem and leave the secret unchanged', () => {
  it.each([
    ['a non-object event', () => 'createSecret', /must be a JSON object/],
    [
      'an event without ClientRequestToken',
      (arn: string) => ({ Step: 'createSecret', SecretId: arn }),
      /ClientRequestToken/,
    ],
    [
      'an unknown step',
      (arn: string, token: string) => ({ ...event(arn, token, 'rotateSecret') }),
      /Step must be one of createSecret, setSecret, testSecret, finishSecret/,
    ],
    [
      'a token that is not a version of the secret',
      (arn: string) => event(arn, randomUUID(), 'createSecret'),
      /is not a version of the secret/,
    ],
  ])('%s', async (_, makeEvent, message) => {
    const arn = await createSecret('initial-failure-key-0001');
    const token = await startInterruptedRotation(arn);
    const before = await snapshot(arn);

    await expect(handler(makeEvent(arn, token))).rejects.toThrow(message);

    expect(await snapshot(arn)).toEqual(before);
    await expectNoValueLeaked(arn);
  });

  it('a secret without rotation enabled', async () => {
    const arn = await createSecret('initial-disabled-key-0001');
    const before = await snapshot(arn);
    const currentId = Object.keys(before)[0] ?? '';

    const error = await handler(event(arn, currentId, 'createSecret')).catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'RotationNotEnabledError',
      message: expect.stringContaining('not enabled for rotation'),
    });
    expect(await snapshot(arn)).toEqual(before);
  });

  it.each([
    [
      'database credentials without engine',
      '{"host":"db.internal","port":5432,"username":"app","password":"initial-db-password-0001"}',
      'RotatorNotFoundError',
      /looks like database credentials.*"engine".*rekey:rotator=generated/,
    ],
    [
      'a JSON array',
      '["initial-array-key-0001","initial-array-key-0002"]',
      'SecretFormatError',
      /JSON an array/,
    ],
  ])('%s: createSecret refuses it, AWSCURRENT untouched', async (_, value, errorType, message) => {
    const arn = await createSecret(value);

    const token = await rotate(arn);

    const state = await snapshot(arn);
    expect(valueAt(state, 'AWSCURRENT')).toBe(value);
    expect(state[token]).toEqual({ stages: ['AWSPENDING'], value: undefined });
    const failure = (await rotationLog(arn)).find((entry) => entry.outcome === 'failed');
    expect(failure).toMatchObject({ step: 'createSecret', errorType });
    expect(failure?.message).toMatch(message);
    await expectNoValueLeaked(arn);
  });

  it('a JSON secret that does not parse: createSecret fails with SecretFormatError, AWSCURRENT untouched', async () => {
    const malformed = '{"client": "billing", "apiKey": "initial-malformed-key-0001",';
    const arn = await createSecret(malformed, { 'rekey:field': 'apiKey' });

    const token = await rotate(arn);

    const state = await snapshot(arn);
    expect(valueAt(state, 'AWSCURRENT')).toBe(malformed);
    // Only Secrets Manager's own empty placeholder was added; the function wrote nothing.
    expect(state[token]).toEqual({ stages: ['AWSPENDING'], value: undefined });
    expect(Object.keys(state)).toHaveLength(2);
    const failure = (await rotationLog(arn)).find((entry) => entry.outcome === 'failed');
    expect(failure).toMatchObject({ step: 'createSecret', errorType: 'SecretFormatError' });
    expect(failure?.message).toMatch(/not valid JSON.*rekey:field/);
    expect(failure?.message).not.toContain('initial-malformed-key-0001');
    await expectNoValueLeaked(arn);
  });
});
