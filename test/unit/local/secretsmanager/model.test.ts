import { describe, expect, it } from 'vitest';
import type { AwsError } from '../../../../local/aws-error.js';
import { SecretsModel } from '../../../../local/services/secretsmanager/model.js';
import type { SecretRecord } from '../../../../local/services/secretsmanager/records.js';
import {
  addPendingPlaceholder,
  attachStage,
  holderOf,
  MAX_VERSIONS,
  putVersion,
  stagesMap,
  versionById,
} from '../../../../local/services/secretsmanager/versions.js';
import { thrown as thrownBy } from '../../../helpers/thrown.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const TOKEN_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const TOKEN_B = 'aaaaaaaa-0000-4000-8000-000000000002';
const TOKEN_C = 'aaaaaaaa-0000-4000-8000-000000000003';

const newSecret = (name = 'app/db'): SecretRecord => ({
  arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`,
  name,
  tags: [{ Key: 'team', Value: 'payments' }],
  versions: [],
  createdMs: NOW,
  lastChangedMs: NOW,
  rotationEnabled: false,
  rotationLog: [],
});

const thrown = (run: () => unknown): AwsError => thrownBy<AwsError>(run);

describe('version and staging-label rules', () => {
  it('gives the first version AWSCURRENT even when other labels were asked for', () => {
    const secret = newSecret();

    putVersion(secret, TOKEN_A, { secretString: 'one' }, ['custom'], NOW);

    expect(stagesMap(secret)).toEqual({ [TOKEN_A]: ['custom', 'AWSCURRENT'] });
  });

  it('moves AWSPREVIOUS to the version AWSCURRENT left, and keeps each label on one version', () => {
    const secret = newSecret();
    putVersion(secret, TOKEN_A, { secretString: 'one' }, ['AWSCURRENT'], NOW);
    putVersion(secret, TOKEN_B, { secretString: 'two' }, ['AWSCURRENT'], NOW);
    putVersion(secret, TOKEN_C, { secretString: 'three' }, ['AWSCURRENT'], NOW);

    expect(stagesMap(secret)).toEqual({ [TOKEN_B]: ['AWSPREVIOUS'], [TOKEN_C]: ['AWSCURRENT'] });
    expect(holderOf(secret, 'AWSPREVIOUS')?.versionId).toBe(TOKEN_B);
  });

  it('answers a repeated token with the same data as a no-op and refuses it with other data', () => {
    const secret = newSecret();
    const first = putVersion(secret, TOKEN_A, { secretString: 'one' }, ['AWSCURRENT'], NOW);

    const again = putVersion(secret, TOKEN_A, { secretString: 'one' }, ['AWSCURRENT'], NOW + 1);
    const other = thrown(() => putVersion(secret, TOKEN_A, { secretString: 'two' }, ['AWSCURRENT'], NOW));

    expect(again).toBe(first);
    expect(secret.versions).toHaveLength(1);
    expect(other.type).toBe('ResourceExistsException');
    expect(other.message).not.toContain('two');
  });

  it('lets the AWSPENDING placeholder receive its value once, without moving AWSCURRENT', () => {
    const secret = newSecret();
    putVersion(secret, TOKEN_A, { secretString: 'one' }, ['AWSCURRENT'], NOW);

    addPendingPlaceholder(secret, TOKEN_B, NOW);
    addPendingPlaceholder(secret, TOKEN_B, NOW);
    putVersion(secret, TOKEN_B, { secretString: 'two' }, ['AWSPENDING'], NOW);

    expect(secret.versions).toHaveLength(2);
    expect(stagesMap(secret)).toEqual({ [TOKEN_A]: ['AWSCURRENT'], [TOKEN_B]: ['AWSPENDING'] });
    expect(versionById(secret, TOKEN_B)?.secretString).toBe('two');
  });

  it('keeps 100 versions, pruning only unlabelled ones older than 24 hours', () => {
    const secret = newSecret();
    for (let i = 0; i < MAX_VERSIONS; i++) {
      putVersion(
        secret,
        `token-${String(i).padStart(40, '0')}`,
        { secretString: `v${i}` },
        ['AWSCURRENT'],
        NOW,
      );
    }

    const full = thrown(() => putVersion(secret, TOKEN_A, { secretString: 'x' }, ['AWSCURRENT'], NOW + 1));
    putVersion(secret, TOKEN_B, { secretString: 'y' }, ['AWSCURRENT'], NOW + DAY);

    expect(full.type).toBe('LimitExceededException');
    expect(secret.versions).toHaveLength(MAX_VERSIONS);
    expect(versionById(secret, `token-${'0'.repeat(40)}`)).toBeUndefined();
    expect(holderOf(secret, 'AWSCURRENT')?.versionId).toBe(TOKEN_B);
  });

  it('attaching a label a version already holds changes nothing', () => {
    const secret = newSecret();
    const version = putVersion(secret, TOKEN_A, { secretString: 'one' }, ['AWSCURRENT'], NOW);
    putVersion(secret, TOKEN_B, { secretString: 'two' }, ['AWSPENDING'], NOW);

    attachStage(secret, version, 'AWSCURRENT');

    expect(stagesMap(secret)).toEqual({ [TOKEN_A]: ['AWSCURRENT'], [TOKEN_B]: ['AWSPENDING'] });
  });
});

describe('SecretsModel', () => {
  it('finds a secret by name, ARN and partial ARN, only in its own account and Region', () => {
    const model = new SecretsModel();
    const secret = newSecret();
    model.store.at(ACCOUNT, REGION).set(secret);

    const ids = [secret.name, secret.arn, secret.arn.slice(0, -7)];

    for (const id of ids) expect(model.find(ACCOUNT, REGION, id, NOW)).toBe(secret);
    expect(thrown(() => model.find(ACCOUNT, 'us-east-1', secret.name, NOW)).type).toBe(
      'ResourceNotFoundException',
    );
    expect(thrown(() => model.find('999999999999', REGION, secret.arn, NOW)).type).toBe(
      'ResourceNotFoundException',
    );
  });

  it('purges a secret once its recovery window has ended, journaling the removal', () => {
    const model = new SecretsModel();
    const secret = { ...newSecret(), deletedMs: NOW, deletionMs: NOW + 7 * DAY };
    model.store.at(ACCOUNT, REGION).set(secret);

    const during = model.scope(ACCOUNT, REGION, NOW + 7 * DAY - 1).get(secret.name);
    const after = model.scope(ACCOUNT, REGION, NOW + 7 * DAY).get(secret.name);

    expect(during).toBe(secret);
    expect(after).toBeUndefined();
    expect(model.journal.drainChanges()).toEqual([[`${ACCOUNT}/${REGION}/${secret.name}`, null]]);
  });

  it('looks up what authorization needs, without the value, and never creates a scope', () => {
    const model = new SecretsModel();
    const secret = { ...newSecret(), kmsKeyId: 'alias/app', resourcePolicy: '{"Version":"2012-10-17"}' };
    putVersion(secret, TOKEN_A, { secretString: 'do-not-leak' }, ['AWSCURRENT'], NOW);
    model.store.at(ACCOUNT, REGION).set(secret);

    const facts = model.lookup(ACCOUNT, REGION, secret.arn);

    expect(facts).toEqual({
      arn: secret.arn,
      name: 'app/db',
      tags: [{ Key: 'team', Value: 'payments' }],
      kmsKeyId: 'alias/app',
      resourcePolicy: '{"Version":"2012-10-17"}',
      versions: [{ versionId: TOKEN_A, stages: ['AWSCURRENT'] }],
      deleted: false,
    });
    expect(JSON.stringify(facts)).not.toContain('do-not-leak');
    expect(model.lookup(ACCOUNT, 'ap-south-1', 'app/db')).toBeUndefined();
    expect(model.store.peek(ACCOUNT, 'ap-south-1')).toBeUndefined();
  });

  it('round-trips every scope through a snapshot and through journal records', () => {
    const model = new SecretsModel();
    const secret = newSecret();
    putVersion(secret, TOKEN_A, { secretString: 'one' }, ['AWSCURRENT'], NOW);
    model.store.at(ACCOUNT, REGION).set(secret);
    model.markChanged(secret);

    const fromSnapshot = new SecretsModel();
    fromSnapshot.restore(JSON.parse(JSON.stringify(model.snapshot())));
    const fromJournal = new SecretsModel();
    for (const [key, value] of model.journal.drainChanges()) fromJournal.journal.applyRecord(key, value);

    for (const copy of [fromSnapshot, fromJournal]) {
      const found = copy.find(ACCOUNT, REGION, secret.arn, NOW);
      expect(found.name).toBe('app/db');
      expect(stagesMap(found)).toEqual({ [TOKEN_A]: ['AWSCURRENT'] });
    }
  });
});
