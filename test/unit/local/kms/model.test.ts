import { describe, expect, it } from 'vitest';
import { Clock } from '../../../../local/server.js';
import { aliasesIn, createAlias, deleteAlias, updateAlias } from '../../../../local/services/kms/aliases.js';
import {
  addGrant,
  checkGrantRequest,
  grantsOf,
  retireGrant,
  revokeGrant,
} from '../../../../local/services/kms/grants.js';
import {
  cancelDeletion,
  requireUsable,
  scheduleDeletion,
  setEnabled,
} from '../../../../local/services/kms/key-states.js';
import { DAY_MS, type KeyRecord, KmsModel } from '../../../../local/services/kms/model.js';
import { checkPolicy, defaultPolicy } from '../../../../local/services/kms/policy.js';
import {
  MAX_ON_DEMAND_ROTATIONS,
  rotateOnDemand,
  rotationStatus,
  setRotation,
} from '../../../../local/services/kms/rotation.js';
import { thrown } from '../../../helpers/thrown.js';

const ACCOUNT = '111122223333';
const scope = { accountId: ACCOUNT, region: 'eu-west-1' };
const T0 = Date.parse('2026-01-01T00:00:00Z');

const setup = () => {
  const clock = new Clock();
  const model = new KmsModel(clock);
  const add = (keyId: string, extra: Partial<KeyRecord> = {}, region = scope.region): KeyRecord => {
    const key: KeyRecord = { ...model.newKeyRecord(ACCOUNT, keyId, region, T0), Material: 'bTE=', ...extra };
    model.addKey(key);
    return key;
  };
  return { clock, model, add };
};

/** The AWS exception type `run` throws. */
const typeOf = (run: () => unknown): string | undefined => thrown(run).type;

describe('KMS model: resolving identifiers', () => {
  it('finds a key by ID, key ARN, and (where allowed) alias name or alias ARN', () => {
    const { model, add } = setup();
    const key = add('k1');
    createAlias(model, scope, 'alias/app', () => key, T0);
    expect(model.resolve(scope, 'k1', 'KeyId')).toBe(key);
    expect(model.resolve(scope, key.Arn, 'KeyId')).toBe(key);
    expect(model.resolve(scope, 'alias/app', 'KeyId', { alias: true })).toBe(key);
    expect(model.resolve(scope, `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/app`, 'KeyId', { alias: true })).toBe(
      key,
    );
    expect(typeOf(() => model.resolve(scope, 'alias/app', 'KeyId'))).toBe('NotFoundException');
    expect(typeOf(() => model.resolve({ ...scope, region: 'us-east-1' }, key.Arn, 'KeyId'))).toBe(
      'NotFoundException',
    );
  });

  it('creates the AWS managed key behind alias/aws/<service> on first DescribeKey-style lookup', () => {
    const { model } = setup();
    const key = model.resolve(scope, 'alias/aws/s3', 'KeyId', { alias: true, awsManaged: true });
    expect(key.KeyManager).toBe('AWS');
    expect(key.RotationEnabled).toBe(true);
    expect(model.resolve(scope, 'alias/aws/s3', 'KeyId', { alias: true })).toBe(key);
  });

  it('gives ARN, policy, aliases and tags for authorization, and nothing for an unknown key', () => {
    const { model, add } = setup();
    const key = add('k1', { Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
    createAlias(model, scope, 'alias/b', () => key, T0);
    createAlias(model, scope, 'alias/a', () => key, T0);
    expect(model.keyForAuthorization(ACCOUNT, 'eu-west-1', 'alias/a')).toEqual({
      arn: key.Arn,
      keyId: 'k1',
      policy: defaultPolicy(ACCOUNT),
      aliases: ['alias/a', 'alias/b'],
      tags: [{ TagKey: 'team', TagValue: 'blue' }],
    });
    expect(model.keyForAuthorization(ACCOUNT, 'eu-west-1', 'missing')).toBeUndefined();
    expect(model.keyForAuthorization('999999999999', 'eu-west-1', 'k1')).toBeUndefined();
  });
});

describe('KMS model: key states', () => {
  it('refuses cryptographic use unless Enabled, with the documented exception per state', () => {
    const { add } = setup();
    expect(typeOf(() => requireUsable(add('a', { KeyState: 'Disabled' })))).toBe('DisabledException');
    expect(typeOf(() => requireUsable(add('b', { KeyState: 'PendingImport' })))).toBe(
      'KMSInvalidStateException',
    );
    expect(typeOf(() => requireUsable(add('c', { KeyState: 'PendingDeletion' })))).toBe(
      'KMSInvalidStateException',
    );
    expect(() => requireUsable(add('d'))).not.toThrow();
  });

  it('schedules deletion, deletes the key and its aliases when the window ends, and cancel brings it back Disabled', () => {
    const { model, add } = setup();
    const key = add('k1');
    createAlias(model, scope, 'alias/gone', () => key, T0);
    scheduleDeletion(model, key, 7, T0);
    expect(key.KeyState).toBe('PendingDeletion');
    expect(key.DeletionDate).toBe(T0 + 7 * DAY_MS);
    expect(typeOf(() => setEnabled(key, true))).toBe('KMSInvalidStateException');
    cancelDeletion(key);
    expect(key.KeyState).toBe('Disabled');
    expect(typeOf(() => cancelDeletion(key))).toBe('KMSInvalidStateException');

    scheduleDeletion(model, key, 7, T0);
    model.sweep(T0 + 7 * DAY_MS - 1);
    expect(model.region(ACCOUNT, scope.region).keys.k1).toBeDefined();
    model.sweep(T0 + 7 * DAY_MS);
    expect(model.region(ACCOUNT, scope.region).keys.k1).toBeUndefined();
    expect(aliasesIn(model, scope)).toEqual([]);
  });

  it('makes a multi-Region primary wait for its replicas before its own window starts', () => {
    const { model, add } = setup();
    const primary = add('mrk-1', { MultiRegion: true, PrimaryRegion: 'eu-west-1' });
    const replica = add('mrk-1', { MultiRegion: true, PrimaryRegion: 'eu-west-1' }, 'us-east-1');
    scheduleDeletion(model, primary, 7, T0);
    expect(primary.KeyState).toBe('PendingReplicaDeletion');
    scheduleDeletion(model, replica, 7, T0);
    model.sweep(T0 + 7 * DAY_MS);
    expect(model.replicasOf(primary)).toEqual([]);
    expect(primary.KeyState).toBe('PendingDeletion');
    expect(primary.DeletionDate).toBe(T0 + 14 * DAY_MS);
  });

  it('expires imported material at ValidTo and waits for a reimport', () => {
    const { model, add } = setup();
    const key = add('ext', {
      Origin: 'EXTERNAL',
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: T0 + DAY_MS,
    });
    model.sweep(T0 + DAY_MS);
    expect(key.Material).toBeUndefined();
    expect(key.KeyState).toBe('PendingImport');
  });

  it('refuses management of AWS managed keys', () => {
    const { add } = setup();
    expect(typeOf(() => setEnabled(add('aws', { KeyManager: 'AWS' }), false))).toBe(
      'UnsupportedOperationException',
    );
  });
});

describe('KMS model: aliases', () => {
  it('refuses the reserved alias/aws/ prefix and a second alias of the same name', () => {
    const { model, add } = setup();
    const key = add('k1');
    expect(typeOf(() => createAlias(model, scope, 'alias/aws/x', () => key, T0))).toBe(
      'InvalidAliasNameException',
    );
    createAlias(model, scope, 'alias/x', () => key, T0);
    expect(typeOf(() => createAlias(model, scope, 'alias/x', () => key, T0))).toBe('AlreadyExistsException');
  });

  it('UpdateAlias retargets only to a key of the same type and usage', () => {
    const { model, add } = setup();
    const a = add('a');
    const b = add('b');
    const rsa = add('rsa', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    createAlias(model, scope, 'alias/app', () => a, T0);
    updateAlias(model, scope, 'alias/app', () => b, T0 + 1);
    expect(aliasesIn(model, scope, 'b').map((x) => x.LastUpdatedDate)).toEqual([T0 + 1]);
    expect(typeOf(() => updateAlias(model, scope, 'alias/app', () => rsa, T0))).toBe('ValidationException');
    deleteAlias(model, scope, 'alias/app');
    expect(typeOf(() => deleteAlias(model, scope, 'alias/app'))).toBe('NotFoundException');
  });
});

describe('KMS model: grants', () => {
  it('accepts only grant operations the key supports, and constraints only on symmetric keys', () => {
    const { add } = setup();
    const sym = add('sym');
    const ecc = add('ecc', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(
      typeOf(() => checkGrantRequest(sym, { grantee: 'p', operations: ['Sign'], constraints: undefined })),
    ).toBe('ValidationException');
    expect(
      typeOf(() => checkGrantRequest(sym, { grantee: 'p', operations: [], constraints: undefined })),
    ).toBe('ValidationException');
    expect(
      typeOf(() =>
        checkGrantRequest(ecc, {
          grantee: 'p',
          operations: ['Sign'],
          constraints: { EncryptionContextEquals: {} },
        }),
      ),
    ).toBe('ValidationException');
    expect(
      checkGrantRequest(ecc, { grantee: 'p', operations: ['Sign', 'Verify'], constraints: undefined }),
    ).toEqual(['Sign', 'Verify']);
  });

  it('is idempotent by Name, lists without tokens, and retires by token or revokes by ID', () => {
    const { add } = setup();
    const key = add('k1');
    const request = {
      grantee: 'arn:aws:iam::111122223333:role/a',
      name: 'n',
      operations: ['Decrypt'],
      constraints: undefined,
    };
    const first = addGrant(key, request, ACCOUNT, T0);
    const again = addGrant(key, request, ACCOUNT, T0);
    expect(again.GrantId).toBe(first.GrantId);
    expect(key.Grants).toHaveLength(1);
    expect(grantsOf(key, {})[0]).not.toHaveProperty('GrantToken');
    const other = addGrant(key, { ...request, name: 'm' }, ACCOUNT, T0);
    retireGrant([key], { token: first.GrantToken });
    expect(grantsOf(key, {}).map((g) => g.GrantId)).toEqual([other.GrantId]);
    revokeGrant(key, other.GrantId);
    expect(typeOf(() => revokeGrant(key, other.GrantId))).toBe('NotFoundException');
    expect(typeOf(() => retireGrant([key], {}))).toBe('ValidationException');
  });
});

describe('KMS model: rotation', () => {
  it('reports the next automatic rotation from when rotation was enabled and its period', () => {
    const { model, add } = setup();
    const key = add('k1');
    expect(rotationStatus(model, key)).toEqual({ enabled: false });
    setRotation(key, true, () => 90, T0);
    expect(rotationStatus(model, key)).toEqual({
      enabled: true,
      periodInDays: 90,
      nextRotation: T0 + 90 * DAY_MS,
    });
    setRotation(key, false, () => undefined, T0);
    expect(key.RotationPeriodInDays).toBeUndefined();
  });

  it('refuses rotation on asymmetric keys and on replicas', () => {
    const { model, add } = setup();
    const rsa = add('rsa', { KeySpec: 'RSA_2048' });
    expect(typeOf(() => rotationStatus(model, rsa))).toBe('UnsupportedOperationException');
    const replica = add('mrk-2', { MultiRegion: true, PrimaryRegion: 'us-east-1' });
    expect(typeOf(() => setRotation(replica, true, () => undefined, T0))).toBe(
      'UnsupportedOperationException',
    );
  });

  it('on demand: keeps earlier material, rotates replicas with the primary, and stops at the documented limit', () => {
    const { model, add } = setup();
    const primary = add('mrk-1', { MultiRegion: true, PrimaryRegion: 'eu-west-1', Material: 'b2xk' });
    const replica = add(
      'mrk-1',
      { MultiRegion: true, PrimaryRegion: 'eu-west-1', Material: 'b2xk' },
      'us-east-1',
    );
    rotateOnDemand(model, primary, 'bmV3', T0);
    for (const k of [primary, replica]) {
      expect(k.Material).toBe('bmV3');
      expect(k.PreviousMaterials).toEqual(['b2xk']);
      expect(k.Rotations).toEqual([{ RotationDate: T0, RotationType: 'ON_DEMAND' }]);
    }
    for (let i = 1; i < MAX_ON_DEMAND_ROTATIONS; i++) rotateOnDemand(model, primary, `m${i}`, T0);
    expect(typeOf(() => rotateOnDemand(model, primary, 'one-more', T0))).toBe('LimitExceededException');
  });
});

describe('KMS model: key policies and snapshots', () => {
  it('gives the default policy when none is given and refuses malformed or oversized ones', () => {
    expect(JSON.parse(checkPolicy(undefined, ACCOUNT)).Statement[0].Principal.AWS).toBe(
      `arn:aws:iam::${ACCOUNT}:root`,
    );
    expect(typeOf(() => checkPolicy('{', ACCOUNT))).toBe('MalformedPolicyDocumentException');
    expect(typeOf(() => checkPolicy('{"Version":"2012-10-17"}', ACCOUNT))).toBe(
      'MalformedPolicyDocumentException',
    );
    expect(typeOf(() => checkPolicy(`{"Statement":[],"x":"${'a'.repeat(33_000)}"}`, ACCOUNT))).toBe(
      'LimitExceededException',
    );
  });

  it('round-trips keys and aliases of every account and Region through a snapshot', () => {
    const { model, add, clock } = setup();
    const key = add('k1');
    add('k2', {}, 'us-east-1');
    createAlias(model, scope, 'alias/app', () => key, T0);
    const copy = new KmsModel(clock);
    copy.restore(JSON.parse(JSON.stringify(model.snapshot())));
    expect(copy.resolve(scope, 'alias/app', 'KeyId', { alias: true }).Arn).toBe(key.Arn);
    expect(copy.resolve({ ...scope, region: 'us-east-1' }, 'k2', 'KeyId').KeyId).toBe('k2');
    expect(() => copy.restore({ version: 2 })).toThrow(/version 1/);
  });
});
