import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/secret-fleet/clients.js';
import { RotationInProgressError } from '../../../functions/secret-fleet/errors.js';
import { decideRepair, repairStuckSecret } from '../../../functions/secret-fleet/repair.js';
import type { Candidate } from '../../../functions/secret-fleet/types.js';

const sm = mockClient(SecretsManagerClient);
const clients = createClients({ region: 'us-east-1' });
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf';
const stuck: Candidate = {
  arn: ARN,
  name: 'app',
  classification: 'stuck',
  action: 'clear-then-rotate',
  pendingVersionId: 'v2',
  reason: 'test',
};
const notFound = () => new ResourceNotFoundException({ message: "can't find", $metadata: {} });

beforeEach(() => {
  sm.reset();
});

describe('decideRepair', () => {
  it('clears only a pending version known to hold no value', () => {
    expect(decideRepair({ assessedVersionId: 'v2', pendingNow: 'v2', hasValue: false })).toMatchObject({
      action: 'cleared',
      versionId: 'v2',
    });
  });

  it.each([true, undefined])(
    'never clears when the value is %s: it resumes the rotation instead',
    (hasValue) => {
      expect(decideRepair({ assessedVersionId: 'v2', pendingNow: 'v2', hasValue })).toMatchObject({
        action: 'resume',
        resumeToken: 'v2',
      });
    },
  );

  it('leaves a pending version that appeared after the assessment to its rotation', () => {
    expect(decideRepair({ assessedVersionId: 'v2', pendingNow: 'v3', hasValue: false })).toBe('busy');
  });

  it('has nothing to do when AWSPENDING is gone', () => {
    expect(
      decideRepair({ assessedVersionId: 'v2', pendingNow: undefined, hasValue: undefined }),
    ).toMatchObject({
      action: 'none',
    });
  });
});

describe('repairStuckSecret', () => {
  it('removes AWSPENDING from the empty placeholder, and only that label', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(UpdateSecretVersionStageCommand).resolves({});

    const result = await repairStuckSecret(clients, stuck);

    expect(result.action).toBe('cleared');
    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: ARN,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: 'v2',
    });
    // It asked for the pending version's value by id and stage, and returned nothing of it.
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      VersionId: 'v2',
      VersionStage: 'AWSPENDING',
    });
  });

  it('does not touch a placeholder that received a value since the assessment: resume instead', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v2', SecretString: 'never-shown' });

    const result = await repairStuckSecret(clients, stuck);

    expect(result).toMatchObject({ action: 'resume', resumeToken: 'v2' });
    expect(JSON.stringify(result)).not.toContain('never-shown');
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('refuses when another rotation took AWSPENDING meanwhile, touching nothing', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v3: ['AWSPENDING'] } });

    await expect(repairStuckSecret(clients, stuck)).rejects.toBeInstanceOf(RotationInProgressError);
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('is safe to run twice: the second run finds the label gone', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } })
      .resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(UpdateSecretVersionStageCommand).resolves({});

    expect((await repairStuckSecret(clients, stuck)).action).toBe('cleared');
    expect((await repairStuckSecret(clients, stuck)).action).toBe('none');
    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
  });

  it('treats a label that left between the look and the call as already repaired', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(UpdateSecretVersionStageCommand).rejects(
      new InvalidParameterException({ message: 'not attached', $metadata: {} }),
    );

    expect((await repairStuckSecret(clients, stuck)).action).toBe('none');
  });

  it('repairs nothing for candidates that are not stuck', async () => {
    const failed: Candidate = { ...stuck, classification: 'failed', action: 'resume' };
    expect((await repairStuckSecret(clients, failed)).action).toBe('none');
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});
