import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../lib/config.js';
import { InvalidInputError, messageOf } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SecretValueCache } from './cache.js';
import {
  RotationError,
  RotationNotEnabledError,
  SecretFormatError,
  StepFailedError,
  TokenNotStagedError,
} from './errors.js';
import type { RotationEvent, RotationStep } from './event.js';
import type { RotatorSelector } from './rotators/index.js';
import type { PasswordPolicy, Rotator, RotatorContext, SecretVersion } from './rotators/types.js';

/**
 * The four-step rotation protocol of Secrets Manager. This module owns every staging-label
 * rule; rotators only produce, apply, test and clean up credentials.
 *
 * Every step starts with DescribeSecret and checks, as AWS's rotation templates do:
 * - rotation is enabled, else `RotationNotEnabledError`;
 * - the ClientRequestToken is a version of the secret, else `TokenNotStagedError`;
 * - that version already carries AWSCURRENT: the rotation has finished, nothing to do
 *   (an AWSPENDING label on it is expected and stays, see finishSecret);
 * - else it must carry AWSPENDING, else `TokenNotStagedError`.
 *
 * AWSPENDING left on another version by an earlier failed rotation: the token's own version
 * is the one being rotated in, and a label sits on one version at a time, so when the token
 * lacks AWSPENDING because an older version has it, the step refuses and says how to abandon
 * the old rotation (remove its label). It never moves the label itself: the old pending
 * credential may already be applied to the target (a database user), and silently
 * discarding it would leave the target and the secret disagreeing. RotateSecret refuses to
 * start in that state too.
 *
 * Calls to Secrets Manager per rotation, with a warm container (the usual case: the four
 * invocations of one rotation follow each other): 4 DescribeSecret, 1 GetSecretValue
 * (AWSCURRENT), 1 PutSecretValue, 1 UpdateSecretVersionStage = 7, of which 2 are writes
 * (the account-wide write quota the fleet paces against). AWS's templates make ~14.
 * The savings, and why each is safe:
 * - Values are cached by (ARN, VersionId) (see cache.ts): versions are immutable.
 * - createSecret puts the pending value without first reading whether it exists: if the
 *   version already holds a value, PutSecretValue with the same token and different data
 *   is refused with ResourceExistsException, which means "already created"; the stored value
 *   is kept and the freshly made one is discarded (and not cached). A same-data retry is
 *   accepted as idempotent. Rotators' createPending therefore must not touch the target.
 * - Passwords are generated locally (password.ts), not with GetRandomPassword.
 * - Tags come with DescribeSecret.
 * A cold container adds GetSecretValue calls for the versions it has not seen.
 */

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** What a step did, for logs, tests and the benchmark. */
export type StepOutcome =
  /** The step ran its work. */
  | 'completed'
  /** createSecret found the pending version already holding a value (a retry). */
  | 'already-created'
  /** The token is already AWSCURRENT: the rotation finished earlier. */
  | 'already-current';

export interface ProtocolDeps {
  readonly secretsManager: SecretsManagerClient;
  /** Per-invocation logger; the protocol appends the secret ARN and the rotator's name. */
  readonly logger: Logger;
  readonly cache: SecretValueCache;
  readonly selectRotator: RotatorSelector;
  /** The function's default password policy (from its environment). */
  readonly passwordDefaults: PasswordPolicy;
  readonly generatePassword: (policy: PasswordPolicy) => Promise<string>;
}

type VersionStages = Readonly<Record<string, readonly string[]>>;

/** The version carrying `stage`, if any. */
export const versionWithStage = (versions: VersionStages, stage: string): string | undefined =>
  Object.entries(versions).find(([, stages]) => stages.includes(stage))?.[0];

/** Errors that already say what went wrong and are part of the contract pass through unchanged. */
const isContractError = (error: unknown): boolean =>
  error instanceof RotationError ||
  error instanceof InvalidInputError ||
  error instanceof ConfigurationError ||
  error instanceof SecretsManagerServiceException;

/**
 * Runs one step of a rotation. Safe to run any number of times: each step finds out from the
 * secret's staging labels (and the pending value) what is already done.
 */
export const runRotationStep = async (event: RotationEvent, deps: ProtocolDeps): Promise<StepOutcome> => {
  const { secretsManager, logger, cache } = deps;
  const { step, token } = event;

  const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: event.secretId }));
  const arn = described.ARN ?? event.secretId;
  logger.appendKeys({ secretArn: arn });
  // Staging labels and version ids are not secret; they are what an operator needs to see.
  logger.debug('Secret described', { versionIdsToStages: described.VersionIdsToStages ?? {} });

  if (described.RotationEnabled !== true) throw new RotationNotEnabledError(arn);
  const versions: VersionStages = described.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages?.includes(AWSCURRENT)) {
    logger.info('Version is already AWSCURRENT: the rotation has finished, nothing to do');
    return 'already-current';
  }
  if (!stages?.includes(AWSPENDING)) {
    const pendingElsewhere = versionWithStage(versions, AWSPENDING);
    const problem = stages
      ? 'it does not carry AWSPENDING, so it is not the version a rotation is bringing in.'
      : 'it is not a version of the secret (DescribeSecret lists no such version with a staging label).';
    const fix = pendingElsewhere
      ? ` AWSPENDING is on version ${pendingElsewhere}, left by an earlier rotation that did not finish. Finish that rotation (invoke the steps with its version id as ClientRequestToken), or abandon it by removing the label (UpdateSecretVersionStage with VersionStage AWSPENDING and RemoveFromVersionId ${pendingElsewhere}), then rotate again.`
      : ' Secrets Manager creates that version, labelled AWSPENDING, when a rotation starts: start rotations with RotateSecret, and pass its version id as ClientRequestToken when invoking the function by hand.';
    throw new TokenNotStagedError(arn, token, `${problem}${fix}`);
  }
  const currentId = versionWithStage(versions, AWSCURRENT);
  if (!currentId) {
    throw new StepFailedError(
      step,
      undefined,
      `secret ${arn} has no AWSCURRENT version to rotate from. Give it a value with PutSecretValue first.`,
    );
  }

  const tags = Object.fromEntries(
    (described.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])),
  );
  const read = (versionId: string, stage: string) => readVersion(deps, arn, versionId, stage, step);
  const current = await read(currentId, AWSCURRENT);
  const rotator = await deps.selectRotator({
    secretArn: arn,
    tags,
    current,
    passwordDefaults: deps.passwordDefaults,
  });
  logger.appendKeys({ rotator: rotator.name });
  const ctx: RotatorContext = {
    secretArn: arn,
    token,
    tags,
    secretsManager,
    logger,
    getSecretValue: (secretId) => readCurrentOf(secretsManager, secretId),
    otherVersions: (exclude) => readOtherVersions(deps, arn, exclude),
    generatePassword: deps.generatePassword,
  };
  const call = <T>(what: () => Promise<T>) => callRotator(step, rotator, what);

  switch (step) {
    case 'createSecret': {
      if (cache.get(arn, token) !== undefined) {
        logger.info('Pending version already has a value (this container wrote it); nothing to create');
        return 'already-created';
      }
      const value = await call(() => rotator.createPending(current, ctx));
      if (typeof value !== 'string' || value.length === 0) {
        throw new StepFailedError(step, rotator.name, 'the rotator produced an empty pending value.');
      }
      try {
        await secretsManager.send(
          new PutSecretValueCommand({
            SecretId: arn,
            ClientRequestToken: token,
            SecretString: value,
            VersionStages: [AWSPENDING],
            ...(event.rotationToken === undefined ? {} : { RotationToken: event.rotationToken }),
          }),
        );
      } catch (error) {
        if (error instanceof ResourceExistsException) {
          // The version already holds a different value: an earlier createSecret of this
          // rotation stored it. Keep that one; the value made now was never stored.
          logger.info('Pending version already has a value; kept it and discarded the new one');
          return 'already-created';
        }
        throw error;
      }
      cache.set(arn, token, value);
      logger.info('Created the pending version');
      return 'completed';
    }
    case 'setSecret': {
      const pending = await read(token, AWSPENDING);
      const previousId = versionWithStage(versions, AWSPREVIOUS);
      const previous =
        rotator.usesPreviousVersion !== false && previousId !== undefined && previousId !== token
          ? await readFallback(deps, arn, previousId, AWSPREVIOUS)
          : undefined;
      await call(() => rotator.setSecret({ current, pending, ...(previous ? { previous } : {}) }, ctx));
      logger.info('Applied the pending credential to the target');
      return 'completed';
    }
    case 'testSecret': {
      const pending = await read(token, AWSPENDING);
      await call(() => rotator.testSecret({ pending, current }, ctx));
      logger.info('Tested the pending credential');
      return 'completed';
    }
    case 'finishSecret': {
      const { finishSecret } = rotator;
      if (finishSecret) {
        const pending = await read(token, AWSPENDING);
        await call(() => finishSecret.call(rotator, { current, pending }, ctx));
      }
      // Moving AWSCURRENT with RemoveFromVersionId is required when the label is on another
      // version; Secrets Manager then moves AWSPREVIOUS to that version by itself.
      await secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: AWSCURRENT,
          MoveToVersionId: token,
          RemoveFromVersionId: currentId,
        }),
      );
      // One write, as in AWS's own rotation templates: AWSPENDING stays on the version that is
      // now AWSCURRENT. The Secrets Manager documentation allows that (RotateSecret moves the
      // label to the next rotation's version), and dropping it would cost every rotation a
      // second UpdateSecretVersionStage against the account's shared write quota.
      logger.info('Moved AWSCURRENT to the new version', { previousVersionId: currentId });
      return 'completed';
    }
    default:
      return assertNever(step);
  }
};

const assertNever = (step: never): never => {
  throw new InvalidInputError(`Unknown rotation step ${String(step)}.`);
};

/** Runs a rotator method; errors outside the contract become `StepFailedError` with the cause carried. */
const callRotator = async <T>(step: RotationStep, rotator: Rotator, what: () => Promise<T>): Promise<T> => {
  try {
    return await what();
  } catch (error) {
    if (isContractError(error)) throw error;
    throw new StepFailedError(step, rotator.name, messageOf(error), { cause: error });
  }
};

/** Reads a version's value through the cache; `stage` is checked by Secrets Manager too. */
const readVersion = async (
  deps: ProtocolDeps,
  arn: string,
  versionId: string,
  stage: string,
  step: RotationStep,
): Promise<SecretVersion> => {
  const cached = deps.cache.get(arn, versionId);
  if (cached !== undefined) return { versionId, secretString: cached };
  let output: Awaited<ReturnType<typeof getValue>>;
  try {
    try {
      output = await getValue(deps.secretsManager, arn, versionId, stage);
    } catch (error) {
      // Another writer moved the label since DescribeSecret. Versions never change, and the
      // step works from what DescribeSecret showed, so read that version by its id alone.
      if (!(error instanceof ResourceNotFoundException) || stage === AWSPENDING) throw error;
      deps.logger.info('The label moved since DescribeSecret; reading the described version by id', {
        versionId,
        stage,
      });
      output = await getValue(deps.secretsManager, arn, versionId);
    }
  } catch (error) {
    if (error instanceof ResourceNotFoundException && stage === AWSPENDING) {
      // Secrets Manager creates the AWSPENDING version empty when a rotation starts.
      throw new StepFailedError(
        step,
        undefined,
        `the AWSPENDING version ${versionId} has no value yet: createSecret must run (and succeed) before ${step}.`,
        { cause: error },
      );
    }
    throw error;
  }
  const secretString = requireSecretString(output, `version ${versionId} (${stage}) of ${arn}`);
  deps.cache.set(arn, versionId, secretString);
  return { versionId, secretString };
};

/**
 * Reads a version that is only a fallback (AWSPREVIOUS): another writer may have moved its
 * label or deleted it since DescribeSecret, which must not fail the step. `undefined` then.
 */
const readFallback = async (
  deps: ProtocolDeps,
  arn: string,
  versionId: string,
  stage: string,
): Promise<SecretVersion | undefined> => {
  try {
    return await readVersion(deps, arn, versionId, stage, 'setSecret');
  } catch (error) {
    deps.logger.warn('Could not read a fallback version; continuing without it', {
      versionId,
      stage,
      cause: error instanceof Error ? error.name : 'unknown',
    });
    return undefined;
  }
};

/** How many unlabelled versions, newest first, {@link readOtherVersions} reads. */
export const RECENT_UNLABELLED_VERSIONS = 5;

/** See `RotatorContext.otherVersions`. */
const readOtherVersions = async (
  deps: ProtocolDeps,
  arn: string,
  exclude: readonly string[],
): Promise<SecretVersion[]> => {
  const listed: { id: string; labelled: boolean; created: number }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true, NextToken: nextToken }),
    );
    for (const version of page.Versions ?? []) {
      if (version.VersionId === undefined || exclude.includes(version.VersionId)) continue;
      listed.push({
        id: version.VersionId,
        labelled: (version.VersionStages ?? []).length > 0,
        created: version.CreatedDate?.getTime() ?? 0,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  const newestFirst = (a: { created: number }, b: { created: number }) => b.created - a.created;
  const chosen = [
    ...listed.filter((v) => v.labelled).sort(newestFirst),
    ...listed
      .filter((v) => !v.labelled)
      .sort(newestFirst)
      .slice(0, RECENT_UNLABELLED_VERSIONS),
  ];
  const versions: SecretVersion[] = [];
  for (const { id } of chosen) {
    const cached = deps.cache.get(arn, id);
    if (cached !== undefined) {
      versions.push({ versionId: id, secretString: cached });
      continue;
    }
    try {
      const output = await deps.secretsManager.send(
        new GetSecretValueCommand({ SecretId: arn, VersionId: id }),
      );
      if (typeof output.SecretString !== 'string') continue;
      deps.cache.set(arn, id, output.SecretString);
      versions.push({ versionId: id, secretString: output.SecretString });
    } catch {
      // Deleted or deprecated away meanwhile: not a candidate.
    }
  }
  return versions;
};

const getValue = (client: SecretsManagerClient, arn: string, versionId: string, stage?: string) =>
  client.send(
    new GetSecretValueCommand({
      SecretId: arn,
      VersionId: versionId,
      ...(stage === undefined ? {} : { VersionStage: stage }),
    }),
  );

const requireSecretString = (output: { SecretString?: string | undefined }, what: string): string => {
  if (typeof output.SecretString !== 'string') {
    throw new SecretFormatError(
      `${what} holds SecretBinary, not SecretString; rotation handles text secrets only. Store the value as SecretString.`,
    );
  }
  return output.SecretString;
};

/**
 * Reads another secret's AWSCURRENT value for a rotator (e.g. the superuser secret named by
 * `masterarn`). Not cached: without a DescribeSecret of that secret there is no version id
 * to key on, and AWSCURRENT moves when that secret rotates.
 */
const readCurrentOf = async (client: SecretsManagerClient, secretId: string): Promise<SecretVersion> => {
  const output = await client.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: AWSCURRENT }),
  );
  return {
    versionId: output.VersionId ?? '',
    secretString: requireSecretString(output, `the AWSCURRENT version of ${secretId}`),
  };
};
