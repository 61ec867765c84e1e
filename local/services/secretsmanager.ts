/**
 * AWS Secrets Manager for the local endpoint (JSON 1.1, `X-Amz-Target: secretsmanager.*`).
 *
 * Behaviour follows the Secrets Manager API reference, including the parts other emulators get
 * wrong: a bare GetSecretValue reads AWSCURRENT, a staging label sits on one version at a time,
 * moving AWSCURRENT moves AWSPREVIOUS, reusing a ClientRequestToken with other data is
 * ResourceExistsException, and RotateSecret refuses while AWSPENDING sits on a version other than
 * AWSCURRENT.
 *
 * RotateSecret answers at once and runs the function's four steps after the response, as AWS
 * does; `syncRotation` runs them before answering instead. Failures are reported as AWS reports
 * them, out of band: RotateSecret still answers 200, and the failure is recorded in a per-secret
 * rotation log served at `/_rekey/secretsmanager/rotations` (with `InProgress` while steps run).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, invalidParameter, invalidRequest } from '../aws-error.js';
import { FunctionInvocationError, type LambdaRegistry, parseLambdaArn } from '../lambdas.js';
import type { Clock } from '../server.js';
import type { LocalService, RequestContext } from '../types.js';
import { secretsManagerAuthorization } from './secretsmanager/authorization.js';
import { generatePassword } from './secretsmanager/password.js';
import {
  isCron,
  nextRotationDate,
  type RotationRules,
  validateRotationRules,
} from './secretsmanager/schedule.js';

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
/**
 * "Secrets Manager removes unlabeled versions when there are more than 100, but it does not remove
 * versions created less than 24 hours ago" (Secrets Manager quotas).
 */
const MAX_VERSIONS = 100;
const PRUNE_AFTER_MS = 24 * 3_600_000;
const MAX_POLICY_CHARS = 20_480;
const MAX_BATCH_IDS = 20;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;
const MAX_VALUE_BYTES = 65_536;
const MAX_TAGS = 50;
const MAX_ROTATION_LOG = 100;
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];
const FILTER_VALUE = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface Tag {
  Key: string;
  Value: string;
}

interface VersionRecord {
  versionId: string;
  secretString?: string;
  /** Base64, exactly as the JSON protocol carries SecretBinary. */
  secretBinary?: string;
  stages: string[];
  createdMs: number;
  lastAccessedMs?: number;
}

/** One invocation of a rotation step (or a check around it); never holds a secret value. */
export interface RotationLogEntry {
  clientRequestToken: string;
  step: string;
  outcome: 'succeeded' | 'failed';
  errorType?: string;
  message?: string;
  /** Epoch seconds. */
  time: number;
}

interface SecretRecord {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  versions: VersionRecord[];
  createdMs: number;
  lastChangedMs: number;
  lastAccessedMs?: number;
  deletedMs?: number;
  deletionMs?: number;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  lastRotatedMs?: number;
  nextRotationMs?: number;
  rotationLog: RotationLogEntry[];
  /** The resource policy, as the JSON text PutResourcePolicy received. */
  resourcePolicy?: string;
  /** On a replica: the Region of its primary secret. */
  primaryRegion?: string;
  /** On a primary: its replicas, as ReplicationStatus reports them. */
  replicas?: ReplicaStatus[];
}

interface ReplicaStatus {
  Region: string;
  KmsKeyId?: string;
  Status: 'InSync' | 'Failed' | 'InProgress';
  StatusMessage: string;
}

interface Snapshot {
  /** Key `ACCOUNT/REGION`: Secrets Manager is a regional service, secrets are per account and Region. */
  scopes: Record<string, SecretRecord[]>;
}

type Input = Record<string, unknown>;

/** Length of the `-XXXXXX` suffix Secrets Manager appends to a secret's name in its ARN. */
const ARN_SUFFIX = 7;

/**
 * The secrets of one account and Region, indexed by name, ARN and partial ARN (the ARN without
 * its random suffix), so a lookup costs the same with ten secrets or ten thousand. Secrets
 * scheduled for deletion are kept apart too, so purging them does not walk every secret.
 */
class Scope {
  readonly #byName = new Map<string, SecretRecord>();
  readonly #byArn = new Map<string, SecretRecord>();
  readonly #byPartialArn = new Map<string, SecretRecord>();
  readonly scheduled = new Set<SecretRecord>();

  public get size(): number {
    return this.#byName.size;
  }
  public get(name: string): SecretRecord | undefined {
    return this.#byName.get(name);
  }
  public byArn(arn: string): SecretRecord | undefined {
    return this.#byArn.get(arn) ?? this.#byPartialArn.get(arn);
  }
  public values(): IterableIterator<SecretRecord> {
    return this.#byName.values();
  }
  public set(secret: SecretRecord): void {
    this.delete(secret.name);
    this.#byName.set(secret.name, secret);
    this.#byArn.set(secret.arn, secret);
    this.#byPartialArn.set(secret.arn.slice(0, -ARN_SUFFIX), secret);
    if (secret.deletionMs !== undefined) this.scheduled.add(secret);
  }
  public delete(name: string): void {
    const secret = this.#byName.get(name);
    if (!secret) return;
    this.#byName.delete(name);
    this.#byArn.delete(secret.arn);
    this.#byPartialArn.delete(secret.arn.slice(0, -ARN_SUFFIX));
    this.scheduled.delete(secret);
  }
}

const regionOf = (secret: SecretRecord): string => secret.arn.split(':')[3] ?? '';

/** `ACCOUNT/REGION` of a secret, from its ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:...`). */
const scopeKeyOf = (secret: SecretRecord): string => {
  const [, , , region, account] = secret.arn.split(':');
  return `${account}/${region}`;
};

/** Operations that change nothing a restart must keep (GetSecretValue's day-rounded access date aside). */
const READ_ONLY = /^(Describe|Get|List|BatchGet|Validate)/;

// ---------------------------------------------------------------------------------------------
// Input helpers: every message names the field and what would be valid.

const optString = (input: Input, field: string, max = 65_536): string | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${field} must be a string.`);
  if (value.length > max) throw invalidParameter(`${field} must be at most ${max} characters.`);
  return value;
};

const reqString = (input: Input, field: string, max?: number): string => {
  const value = optString(input, field, max);
  if (value === undefined || value === '') throw invalidParameter(`${field} is required.`);
  return value;
};

const optBool = (input: Input, field: string): boolean | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${field} must be a boolean.`);
  return value;
};

const optInt = (input: Input, field: string, min: number, max: number): number | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`${field} must be an integer from ${min} to ${max}.`);
  }
  return value;
};

const clientToken = (input: Input): string | undefined => {
  const token = optString(input, 'ClientRequestToken');
  if (token !== undefined && (token.length < 32 || token.length > 64)) {
    throw invalidParameter('ClientRequestToken must be 32 to 64 characters long (a UUID works).');
  }
  return token;
};

/** SecretString or SecretBinary (never both), within the 64 KB quota. */
const secretValue = (input: Input): { secretString?: string; secretBinary?: string } | undefined => {
  const secretString = optString(input, 'SecretString', Number.MAX_SAFE_INTEGER);
  const secretBinary = optString(input, 'SecretBinary', Number.MAX_SAFE_INTEGER);
  if (secretString !== undefined && secretBinary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString !== undefined) {
    if (Buffer.byteLength(secretString, 'utf8') > MAX_VALUE_BYTES) {
      throw invalidParameter(`SecretString must be at most ${MAX_VALUE_BYTES} bytes.`);
    }
    return { secretString };
  }
  if (secretBinary !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secretBinary))
      throw invalidParameter('SecretBinary must be base64 encoded.');
    const size = Buffer.from(secretBinary, 'base64').length;
    if (size < 1 || size > MAX_VALUE_BYTES) {
      throw invalidParameter(`SecretBinary must be 1 to ${MAX_VALUE_BYTES} bytes.`);
    }
    return { secretBinary };
  }
  return undefined;
};

const parseTags = (value: unknown, field = 'Tags'): Tag[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter(`${field} must be a list of {Key, Value}.`);
  return value.map((tag, i) => {
    const t = (tag ?? {}) as Input;
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) {
      throw invalidParameter(`${field}[${i}].Key must be a string of 1 to 128 characters.`);
    }
    const v = t.Value ?? '';
    if (typeof v !== 'string' || v.length > 256) {
      throw invalidParameter(`${field}[${i}].Value must be a string of at most 256 characters.`);
    }
    return { Key: t.Key, Value: v };
  });
};

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
/** LastAccessedDate is reported to the day: AWS rounds it down to midnight UTC. */
const dayOf = (ms: number): number => Math.floor(ms / 86_400_000) * 86_400_000;
const randomSuffix = (): string => [...randomBytes(6)].map((b) => SUFFIX_ALPHABET[b % 62]).join('');

/** Drops `undefined` fields so responses look like AWS's (absent, not null). */
const compact = <T extends Record<string, unknown>>(obj: T): T =>
  Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;

// ---------------------------------------------------------------------------------------------

/**
 * Creates the Secrets Manager service of the local endpoint. Rotation functions are invoked
 * through `lambdas` (in-process or remote); `clock` stamps every date.
 */
export const createSecretsManager = (deps: {
  lambdas: LambdaRegistry;
  clock: Clock;
  /** Called when state changed outside a request (a rotation running after its response). */
  onBackgroundChange?: () => void;
  /** Run RotateSecret's steps before answering (the old local behaviour), not after. */
  syncRotation?: boolean;
}): LocalService => {
  const { lambdas, clock } = deps;
  let scopes = new Map<string, Scope>();
  /** Secrets changed since the journal last took them: `ACCOUNT/REGION/NAME` → record, null when removed. */
  const changed = new Map<string, SecretRecord | null>();
  /** Secrets the operation running now has looked up (handle() marks them changed when it writes). */
  let found: SecretRecord[] = [];
  /** Rotations running after their RotateSecret answered, by secret. */
  const inFlight = new Map<SecretRecord, Promise<void>>();

  const markChanged = (secret: SecretRecord, removed = false) => {
    changed.set(`${scopeKeyOf(secret)}/${secret.name}`, removed ? null : secret);
  };

  const scopeFor = (key: string): Scope => {
    let scope = scopes.get(key);
    if (!scope) {
      scope = new Scope();
      scopes.set(key, scope);
    }
    return scope;
  };
  const scopeOf = (ctx: RequestContext): Scope => scopeFor(`${ctx.accountId}/${ctx.region}`);

  /** Removes secrets whose recovery window has ended, as AWS does at the scheduled date. */
  const purge = (scope: Scope) => {
    const now = clock.now().getTime();
    for (const secret of scope.scheduled) {
      if (secret.deletionMs !== undefined && secret.deletionMs <= now) {
        scope.delete(secret.name);
        markChanged(secret, true);
      }
    }
  };

  /** Resolves a SecretId given as a name, a full ARN or a partial ARN (without the random suffix). */
  const find = (ctx: RequestContext, secretId: string): SecretRecord => {
    const scope = scopeOf(ctx);
    purge(scope);
    const secret = secretId.startsWith('arn:') ? scope.byArn(secretId) : scope.get(secretId);
    if (!secret) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    found.push(secret);
    return secret;
  };

  const findLive = (ctx: RequestContext, input: Input): SecretRecord => {
    const secret = find(ctx, reqString(input, 'SecretId', 2048));
    if (secret.deletedMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    return secret;
  };

  /** A secret the caller may change: live, and not a replica (replicas follow their primary). */
  const findWritable = (ctx: RequestContext, input: Input): SecretRecord => {
    const secret = findLive(ctx, input);
    if (secret.primaryRegion !== undefined) {
      throw invalidRequest(
        `Operation is not permitted on a replica secret. Change the primary secret in ${secret.primaryRegion}; its replicas follow.`,
      );
    }
    return secret;
  };

  /** Copies a primary's values, labels and metadata to its replicas, as replication does. */
  const syncReplicas = (primary: SecretRecord) => {
    for (const status of primary.replicas ?? []) {
      if (status.Status !== 'InSync') continue;
      const replica = scopeFor(`${scopeKeyOf(primary).split('/')[0]}/${status.Region}`).get(primary.name);
      if (!replica || replica.primaryRegion === undefined) continue;
      replica.versions = structuredClone(primary.versions);
      replica.description = primary.description;
      replica.tags = structuredClone(primary.tags);
      replica.lastChangedMs = primary.lastChangedMs;
      replica.deletedMs = primary.deletedMs;
      markChanged(replica);
    }
  };

  const holderOf = (secret: SecretRecord, stage: string) =>
    secret.versions.find((v) => v.stages.includes(stage));
  const versionById = (secret: SecretRecord, id: string) => secret.versions.find((v) => v.versionId === id);

  const removeStage = (secret: SecretRecord, stage: string) => {
    for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== stage);
  };

  /**
   * Attaches `stage` to `version`, taking it off any other version (a label sits on one version
   * at a time). Moving AWSCURRENT moves AWSPREVIOUS to the version it left.
   */
  const attachStage = (secret: SecretRecord, version: VersionRecord, stage: string) => {
    if (version.stages.includes(stage)) return;
    const previousHolder = holderOf(secret, stage);
    removeStage(secret, stage);
    version.stages.push(stage);
    if (stage === CURRENT && previousHolder && previousHolder !== version) {
      removeStage(secret, PREVIOUS);
      previousHolder.stages.push(PREVIOUS);
    }
  };

  /** Removes the oldest deprecated (unlabelled) versions beyond the ~100 versions AWS keeps. */
  const prunable = (v: VersionRecord, now: number) =>
    v.stages.length === 0 && v.createdMs <= now - PRUNE_AFTER_MS;
  const prune = (secret: SecretRecord) => {
    const now = clock.now().getTime();
    while (secret.versions.length > MAX_VERSIONS) {
      const index = secret.versions.findIndex((v) => prunable(v, now));
      if (index < 0) return;
      secret.versions.splice(index, 1);
    }
  };

  const sameValue = (v: VersionRecord, value: { secretString?: string; secretBinary?: string }) =>
    v.secretString === value.secretString && v.secretBinary === value.secretBinary;
  const hasValue = (v: VersionRecord) => v.secretString !== undefined || v.secretBinary !== undefined;

  /**
   * Stores a value as version `token` with `stages`: the shared rule of CreateSecret,
   * PutSecretValue and UpdateSecret. An existing version with the same data is a no-op; with other
   * data it is ResourceExistsException (versions are immutable). A valueless version (the rotation
   * placeholder RotateSecret creates) may receive its value once.
   */
  const putVersion = (
    secret: SecretRecord,
    token: string,
    value: { secretString?: string; secretBinary?: string },
    stages: string[],
    now: number,
  ): VersionRecord => {
    const existing = versionById(secret, token);
    if (existing && hasValue(existing)) {
      if (sameValue(existing, value)) return existing;
      throw new AwsError(
        'ResourceExistsException',
        `A version with ClientRequestToken ${token} already exists with different data; you can't modify an existing version, you can only create new versions. Use a new ClientRequestToken.`,
      );
    }
    if (
      !existing &&
      secret.versions.length >= MAX_VERSIONS &&
      !secret.versions.some((v) => prunable(v, now))
    ) {
      throw new AwsError(
        'LimitExceededException',
        `The secret already has ${secret.versions.length} versions and none can be removed: Secrets Manager removes only unlabelled versions older than 24 hours. Update the value less often (at most once every 10 minutes is recommended) or remove labels from old versions.`,
      );
    }
    // "If this operation creates the first version for the secret, then Secrets Manager
    // automatically attaches the staging label AWSCURRENT to the new version." (PutSecretValue)
    const labels = secret.versions.length === 0 && !stages.includes(CURRENT) ? [...stages, CURRENT] : stages;
    const version: VersionRecord = existing ?? { versionId: token, stages: [], createdMs: now };
    if (value.secretString !== undefined) version.secretString = value.secretString;
    if (value.secretBinary !== undefined) version.secretBinary = value.secretBinary;
    if (!existing) secret.versions.push(version);
    for (const stage of labels) attachStage(secret, version, stage);
    secret.lastChangedMs = now;
    // "Manually updating the secret value by calling PutSecretValue or UpdateSecret is considered
    // a valid rotation" (RotationRulesType): an interval schedule counts from it.
    if (
      labels.includes(CURRENT) &&
      secret.rotationEnabled &&
      secret.rotationRules &&
      !isCron(secret.rotationRules)
    ) {
      secret.nextRotationMs = nextRotationDate(secret.rotationRules, now, now);
    }
    prune(secret);
    return version;
  };

  const versionStagesInput = (input: Input): string[] | undefined => {
    const stages = input.VersionStages;
    if (stages === undefined || stages === null) return undefined;
    if (
      !Array.isArray(stages) ||
      stages.length < 1 ||
      stages.length > 20 ||
      !stages.every((s) => typeof s === 'string' && s.length >= 1 && s.length <= 256)
    ) {
      throw invalidParameter(
        'VersionStages must be a list of 1 to 20 staging labels (strings of 1 to 256 characters).',
      );
    }
    return [...new Set(stages as string[])];
  };

  const describe = (secret: SecretRecord) =>
    compact({
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      RotationEnabled: secret.rotationEnabled,
      RotationLambdaARN: secret.rotationLambdaArn,
      RotationRules: secret.rotationRules,
      LastRotatedDate: seconds(secret.lastRotatedMs),
      LastChangedDate: seconds(secret.lastChangedMs),
      LastAccessedDate: seconds(secret.lastAccessedMs),
      DeletedDate: seconds(secret.deletedMs),
      NextRotationDate: secret.rotationEnabled ? seconds(secret.nextRotationMs) : undefined,
      Tags: secret.tags.length ? secret.tags : undefined,
      CreatedDate: seconds(secret.createdMs),
      PrimaryRegion: secret.primaryRegion ?? (secret.replicas?.length ? regionOf(secret) : undefined),
      ReplicationStatus: secret.replicas?.length ? secret.replicas.map((r) => compact({ ...r })) : undefined,
    });

  /** A version's value as GetSecretValue returns it; reading it stamps the access date (to the day). */
  const readValue = (secret: SecretRecord, version: VersionRecord, ctx: RequestContext) => {
    const today = dayOf(ctx.now.getTime());
    version.lastAccessedMs = today;
    secret.lastAccessedMs = today;
    return compact({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: [...version.stages],
      CreatedDate: seconds(version.createdMs),
    });
  };

  /** Versions with at least one label; unlabelled ones are deprecated and not reported. */
  const stagesMap = (secret: SecretRecord) =>
    Object.fromEntries(
      secret.versions.filter((v) => v.stages.length).map((v) => [v.versionId, [...v.stages]]),
    );

  const log = (secret: SecretRecord, entry: Omit<RotationLogEntry, 'time'>) => {
    secret.rotationLog.push({ ...entry, time: clock.now().getTime() / 1000 });
    markChanged(secret);
    if (secret.rotationLog.length > MAX_ROTATION_LOG)
      secret.rotationLog.splice(0, secret.rotationLog.length - MAX_ROTATION_LOG);
  };

  /** Invokes one rotation step; returns false (after logging it) when the step failed. */
  const runStep = async (
    secret: SecretRecord,
    arn: string,
    step: string,
    token: string,
    ctx: RequestContext,
  ): Promise<boolean> => {
    const payload = {
      Step: step,
      SecretId: secret.arn,
      ClientRequestToken: token,
      RotationToken: randomUUID(),
    };
    try {
      await lambdas.invoke(arn, payload, ctx);
      log(secret, { clientRequestToken: token, step, outcome: 'succeeded' });
      return true;
    } catch (error) {
      const errorType =
        error instanceof FunctionInvocationError
          ? error.errorType
          : error instanceof AwsError
            ? error.type
            : error instanceof Error
              ? error.name
              : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      log(secret, { clientRequestToken: token, step, outcome: 'failed', errorType, message });
      return false;
    }
  };

  /**
   * Runs a rotation's steps: after the response, as AWS does ("RotateSecret ... returns
   * immediately; the rotation runs asynchronously"), or before it with `syncRotation`. A secret
   * runs one rotation at a time; `/_rekey/secretsmanager/rotations` reports `InProgress`.
   */
  const startRotation = async (secret: SecretRecord, work: () => Promise<void>): Promise<void> => {
    const running = work()
      .catch((error: unknown) => {
        // runStep catches what a function throws; this is an emulator fault. Logged, never thrown.
        log(secret, {
          clientRequestToken: '-',
          step: 'rotation',
          outcome: 'failed',
          errorType: 'InternalFailure',
          message: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        inFlight.delete(secret);
        markChanged(secret);
        deps.onBackgroundChange?.();
      });
    inFlight.set(secret, running);
    if (deps.syncRotation) await running;
  };

  /** The four steps with one token; a failed step ends the rotation (AWSPENDING stays behind). */
  const rotate = async (secret: SecretRecord, lambdaArn: string, token: string, ctx: RequestContext) => {
    for (const step of STEPS) {
      if (!(await runStep(secret, lambdaArn, step, token, ctx))) return;
    }
    const finished = versionById(secret, token);
    if (finished?.stages.includes(CURRENT)) {
      const done = clock.now().getTime();
      secret.lastRotatedMs = done;
      if (secret.rotationRules) secret.nextRotationMs = nextRotationDate(secret.rotationRules, done, done);
      markChanged(secret);
    } else {
      log(secret, {
        clientRequestToken: token,
        step: 'finishSecret',
        outcome: 'failed',
        errorType: 'RotationIncompleteError',
        message: `The function finished every step but version ${token} is not AWSCURRENT; the rotation is not complete.`,
      });
    }
  };

  /**
   * RotateImmediately false: AWS tests the configuration by running only testSecret: "The test
   * creates an AWSPENDING version of the secret and then removes it." The test version carries
   * the current value, so the function can read and test it exactly as in a rotation.
   */
  const testConfiguration = async (
    secret: SecretRecord,
    lambdaArn: string,
    now: number,
    ctx: RequestContext,
  ) => {
    const current = holderOf(secret, CURRENT);
    const testToken = randomUUID();
    if (!current) {
      log(secret, {
        clientRequestToken: testToken,
        step: 'testSecret',
        outcome: 'failed',
        errorType: 'ResourceNotFoundException',
        message: 'The secret has no AWSCURRENT version to test rotation with.',
      });
      return;
    }
    const previousPending = holderOf(secret, PENDING);
    secret.versions.push({
      versionId: testToken,
      ...compact({ secretString: current.secretString, secretBinary: current.secretBinary }),
      stages: [],
      createdMs: now,
    });
    const test = versionById(secret, testToken);
    if (test) attachStage(secret, test, PENDING);
    await runStep(secret, lambdaArn, 'testSecret', testToken, ctx);
    secret.versions = secret.versions.filter((v) => v.versionId !== testToken);
    if (previousPending && versionById(secret, previousPending.versionId)) {
      attachStage(secret, previousPending, PENDING);
    }
  };

  // -------------------------------------------------------------------------------------------

  const operations: Record<string, (input: Input, ctx: RequestContext) => Promise<unknown> | unknown> = {
    CreateSecret(input, ctx) {
      const name = reqString(input, 'Name', 512);
      if (!NAME_PATTERN.test(name)) {
        throw invalidParameter(
          'Name must be 1 to 512 characters: letters, digits and /_+=.@- only (it is case-sensitive).',
        );
      }
      const token = clientToken(input);
      const value = secretValue(input);
      const description = optString(input, 'Description', 2048);
      const kmsKeyId = optString(input, 'KmsKeyId', 2048);
      const tags = parseTags(input.Tags);
      if (tags.length > MAX_TAGS) throw invalidParameter(`Tags: a secret can have at most ${MAX_TAGS} tags.`);
      const scope = scopeOf(ctx);
      purge(scope);
      const now = ctx.now.getTime();
      const existing = scope.get(name);
      if (existing) {
        if (existing.deletedMs !== undefined) {
          throw invalidRequest(
            `You can't create this secret because a secret with the name ${name} is already scheduled for deletion. Restore it with RestoreSecret or choose another name.`,
          );
        }
        // A retried CreateSecret (same token, same data) is answered like the first call.
        const version = token ? versionById(existing, token) : undefined;
        if (version && value && sameValue(version, value)) {
          return { ARN: existing.arn, Name: existing.name, VersionId: version.versionId };
        }
        throw new AwsError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret: SecretRecord = {
        arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-${randomSuffix()}`,
        name,
        tags,
        versions: [],
        createdMs: now,
        lastChangedMs: now,
        rotationEnabled: false,
        rotationLog: [],
        ...compact({ description, kmsKeyId }),
      };
      // Without a value AWS creates the secret with no version at all.
      const version = value ? putVersion(secret, token ?? randomUUID(), value, [CURRENT], now) : undefined;
      scope.set(secret);
      markChanged(secret);
      return compact({ ARN: secret.arn, Name: secret.name, VersionId: version?.versionId });
    },

    DescribeSecret(input, ctx) {
      // DescribeSecret still answers for a secret scheduled for deletion (it reports DeletedDate).
      const secret = find(ctx, reqString(input, 'SecretId', 2048));
      return { ...describe(secret), VersionIdsToStages: stagesMap(secret) };
    },

    GetSecretValue(input, ctx) {
      const secret = findLive(ctx, input);
      const versionId = optString(input, 'VersionId', 64);
      const versionStage = optString(input, 'VersionStage', 256);
      let version: VersionRecord | undefined;
      if (versionId !== undefined) {
        version = versionById(secret, versionId);
        // VersionId and VersionStage must name the same version.
        if (!version || (versionStage !== undefined && !version.stages.includes(versionStage))) {
          throw new AwsError(
            'ResourceNotFoundException',
            versionStage === undefined
              ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
              : `Secrets Manager can't find the specified secret value for VersionId: ${versionId} and staging label: ${versionStage}`,
          );
        }
      } else {
        const stage = versionStage ?? CURRENT;
        version = holderOf(secret, stage);
        if (!version) {
          throw new AwsError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        }
      }
      // The rotation placeholder has no value until the function's createSecret step stores one.
      if (!hasValue(version)) {
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${version.versionId}`,
        );
      }
      return readValue(secret, version, ctx);
    },

    PutSecretValue(input, ctx) {
      const secret = findWritable(ctx, input);
      const token = clientToken(input) ?? randomUUID();
      const value = secretValue(input);
      if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
      const stages = versionStagesInput(input) ?? [CURRENT];
      // RotationToken identifies the rotation function's call; accepted, never stored or logged.
      optString(input, 'RotationToken', 256);
      const version = putVersion(secret, token, value, stages, ctx.now.getTime());
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: [...version.stages],
      };
    },

    UpdateSecret(input, ctx) {
      const secret = findWritable(ctx, input);
      const token = clientToken(input) ?? randomUUID();
      const value = secretValue(input);
      const description = optString(input, 'Description', 2048);
      const kmsKeyId = optString(input, 'KmsKeyId', 2048);
      const now = ctx.now.getTime();
      if (description !== undefined) secret.description = description;
      if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
      secret.lastChangedMs = now;
      const version = value ? putVersion(secret, token, value, [CURRENT], now) : undefined;
      return compact({ ARN: secret.arn, Name: secret.name, VersionId: version?.versionId });
    },

    UpdateSecretVersionStage(input, ctx) {
      const secret = findWritable(ctx, input);
      const stage = reqString(input, 'VersionStage', 256);
      const moveTo = optString(input, 'MoveToVersionId', 64);
      const removeFrom = optString(input, 'RemoveFromVersionId', 64);
      if (moveTo === undefined && removeFrom === undefined) {
        throw invalidParameter('Specify MoveToVersionId, RemoveFromVersionId or both.');
      }
      const holder = holderOf(secret, stage);
      if (removeFrom !== undefined) {
        if (!versionById(secret, removeFrom)) {
          throw new AwsError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the version ${removeFrom}.`,
          );
        }
        if (holder?.versionId !== removeFrom) {
          throw invalidParameter(
            `The staging label ${stage} is not attached to version ${removeFrom}${holder ? `; it is attached to version ${holder.versionId}` : ''}.`,
          );
        }
      }
      if (moveTo === undefined) {
        if (stage === CURRENT) {
          throw invalidParameter(
            "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.",
          );
        }
        removeStage(secret, stage);
      } else {
        const target = versionById(secret, moveTo);
        if (!target)
          throw new AwsError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the version ${moveTo}.`,
          );
        // Moving a label that sits on another version requires naming that version.
        if (holder && holder !== target && removeFrom !== holder.versionId) {
          throw invalidParameter(
            `The staging label ${stage} is currently attached to version ${holder.versionId}. To move it to version ${moveTo}, specify RemoveFromVersionId ${holder.versionId}.`,
          );
        }
        attachStage(secret, target, stage);
      }
      secret.lastChangedMs = ctx.now.getTime();
      prune(secret);
      return { ARN: secret.arn, Name: secret.name };
    },

    ListSecrets(input, ctx) {
      const scope = scopeOf(ctx);
      purge(scope);
      const includeDeleted = optBool(input, 'IncludePlannedDeletion') ?? false;
      const maxResults = optInt(input, 'MaxResults', 1, 100) ?? 100;
      const sortOrder = optString(input, 'SortOrder') ?? 'asc';
      if (sortOrder !== 'asc' && sortOrder !== 'desc')
        throw invalidParameter('SortOrder must be asc or desc.');
      const sortBy = optString(input, 'SortBy') ?? 'created-date';
      const sortKeys: Record<string, (s: SecretRecord) => number | string> = {
        'created-date': (s) => s.createdMs,
        'last-accessed-date': (s) => s.lastAccessedMs ?? 0,
        'last-changed-date': (s) => s.lastChangedMs,
        name: (s) => s.name,
      };
      const sortKey = sortKeys[sortBy];
      if (!sortKey) throw invalidParameter(`SortBy must be one of ${Object.keys(sortKeys).join(', ')}.`);
      const filters = parseFilters(input.Filters);
      const matching = [...scope.values()]
        .filter((s) => includeDeleted || s.deletedMs === undefined)
        .filter((s) => filters.every((f) => f(s)))
        .sort((a, b) => {
          const ka = sortKey(a);
          const kb = sortKey(b);
          const order = ka < kb ? -1 : ka > kb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
          return sortOrder === 'asc' ? order : -order;
        });
      const start = decodeToken(input.NextToken);
      const page = matching.slice(start, start + maxResults);
      const next = start + maxResults < matching.length ? encodeToken(start + maxResults) : undefined;
      return compact({
        SecretList: page.map((s) => ({ ...describe(s), SecretVersionsToStages: stagesMap(s) })),
        NextToken: next,
      });
    },

    ListSecretVersionIds(input, ctx) {
      const secret = find(ctx, reqString(input, 'SecretId', 2048));
      const includeDeprecated = optBool(input, 'IncludeDeprecated') ?? false;
      const maxResults = optInt(input, 'MaxResults', 1, 100) ?? 100;
      const versions = secret.versions.filter((v) => includeDeprecated || v.stages.length > 0);
      const start = decodeToken(input.NextToken);
      const page = versions.slice(start, start + maxResults);
      return compact({
        ARN: secret.arn,
        Name: secret.name,
        Versions: page.map((v) =>
          compact({
            VersionId: v.versionId,
            VersionStages: [...v.stages],
            LastAccessedDate: seconds(v.lastAccessedMs),
            CreatedDate: seconds(v.createdMs),
          }),
        ),
        NextToken: start + maxResults < versions.length ? encodeToken(start + maxResults) : undefined,
      });
    },

    GetRandomPassword(input) {
      return { RandomPassword: generatePassword(input) };
    },

    async RotateSecret(input, ctx) {
      const secret = findWritable(ctx, input);
      const token = clientToken(input) ?? randomUUID();
      const lambdaArn = optString(input, 'RotationLambdaARN', 2048) ?? secret.rotationLambdaArn;
      const rules =
        input.RotationRules === undefined ? undefined : validateRotationRules(input.RotationRules);
      const immediately = optBool(input, 'RotateImmediately') ?? true;
      if (!lambdaArn) {
        throw invalidRequest(
          'No Lambda rotation function ARN is associated with this secret: pass RotationLambdaARN (for example the rekey-secret-rotation function this endpoint serves).',
        );
      }
      if (!parseLambdaArn(lambdaArn)) {
        throw invalidParameter(`RotationLambdaARN ${lambdaArn} is not a Lambda function ARN.`);
      }
      if (!lambdas.canInvoke(lambdaArn)) {
        throw new AwsError(
          'AccessDeniedException',
          `Secrets Manager cannot invoke the specified Lambda function ${lambdaArn}: this endpoint does not serve it. Use one of the functions 'rekey local' lists, or start it with --lambda-endpoint URL.`,
        );
      }
      // AWSPENDING on a version other than AWSCURRENT means a rotation is still in progress. AWS
      // reattempts that rotation with its own ClientRequestToken; a caller passing that same token
      // reattempts it too (the function's createSecret finds the pending value and goes on).
      const pending = holderOf(secret, PENDING);
      if (pending && !pending.stages.includes(CURRENT) && pending.versionId !== token) {
        throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
      }
      const now = ctx.now.getTime();
      secret.rotationLambdaArn = lambdaArn;
      if (rules) secret.rotationRules = rules;
      secret.rotationEnabled = true;
      secret.lastChangedMs = now;
      if (secret.rotationRules)
        secret.nextRotationMs = nextRotationDate(secret.rotationRules, secret.lastRotatedMs, now);

      if (!immediately) {
        await startRotation(secret, () => testConfiguration(secret, lambdaArn, now, ctx));
        return { ARN: secret.arn, Name: secret.name };
      }

      // The placeholder AWSPENDING version: no value until the function's createSecret stores one.
      if (!versionById(secret, token)) {
        if (secret.versions.length >= MAX_VERSIONS) prune(secret);
        const placeholder: VersionRecord = { versionId: token, stages: [], createdMs: now };
        secret.versions.push(placeholder);
        attachStage(secret, placeholder, PENDING);
        prune(secret);
      }
      await startRotation(secret, () => rotate(secret, lambdaArn, token, ctx));
      return { ARN: secret.arn, Name: secret.name, VersionId: token };
    },

    BatchGetSecretValue(input, ctx) {
      const ids = input.SecretIdList;
      const hasFilters = input.Filters !== undefined && input.Filters !== null;
      if ((ids === undefined || ids === null) === !hasFilters) {
        throw invalidParameter('Specify either SecretIdList or Filters, not both (and not neither).');
      }
      const currentValueOf = (secret: SecretRecord) => {
        const version = holderOf(secret, CURRENT);
        return version && hasValue(version) ? readValue(secret, version, ctx) : undefined;
      };
      if (hasFilters) {
        // As ListSecrets with the same filters, then each secret's AWSCURRENT value.
        const maxResults = optInt(input, 'MaxResults', 1, MAX_BATCH_IDS) ?? MAX_BATCH_IDS;
        const scope = scopeOf(ctx);
        purge(scope);
        const filters = parseFilters(input.Filters);
        const matching = [...scope.values()]
          .filter((s) => s.deletedMs === undefined && filters.every((f) => f(s)))
          .sort((a, b) => a.createdMs - b.createdMs || (a.name < b.name ? -1 : 1));
        const start = decodeToken(input.NextToken);
        const page = matching.slice(start, start + maxResults);
        return compact({
          SecretValues: page.map(currentValueOf).filter((v) => v !== undefined),
          Errors: [],
          NextToken: start + maxResults < matching.length ? encodeToken(start + maxResults) : undefined,
        });
      }
      if (input.MaxResults !== undefined || input.NextToken !== undefined) {
        throw invalidParameter(
          'MaxResults and NextToken apply only with Filters; SecretIdList is answered at once.',
        );
      }
      if (
        !Array.isArray(ids) ||
        ids.length < 1 ||
        ids.length > MAX_BATCH_IDS ||
        !ids.every((id) => typeof id === 'string' && id.length >= 1 && id.length <= 2048)
      ) {
        throw invalidParameter(`SecretIdList must list 1 to ${MAX_BATCH_IDS} secret names or ARNs.`);
      }
      const values: unknown[] = [];
      const errors: unknown[] = [];
      for (const id of ids as string[]) {
        try {
          const secret = find(ctx, id);
          if (secret.deletedMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
          const value = currentValueOf(secret);
          if (!value) {
            throw new AwsError(
              'ResourceNotFoundException',
              "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
            );
          }
          values.push(value);
        } catch (error) {
          if (!(error instanceof AwsError)) throw error;
          errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
        }
      }
      return { SecretValues: values, Errors: errors };
    },

    ValidateResourcePolicy(input, ctx) {
      const policy = reqString(input, 'ResourcePolicy', MAX_POLICY_CHARS);
      const secretId = optString(input, 'SecretId', 2048);
      if (secretId !== undefined) find(ctx, secretId);
      const problems = policyProblems(policy);
      return {
        PolicyValidationPassed: problems.length === 0,
        ValidationErrors: problems.map((ErrorMessage) => ({ CheckName: 'JSON_SCHEMA_CHECK', ErrorMessage })),
      };
    },

    PutResourcePolicy(input, ctx) {
      const secret = findWritable(ctx, input);
      const policy = reqString(input, 'ResourcePolicy', MAX_POLICY_CHARS);
      const problems = policyProblems(policy);
      if (problems.length) {
        throw new AwsError(
          'MalformedPolicyDocumentException',
          `The resource policy has errors: ${problems.join(' ')}`,
        );
      }
      // BlockPublicPolicy defaults to true in the API (the console and CLI pass it explicitly).
      if ((optBool(input, 'BlockPublicPolicy') ?? true) && grantsBroadAccess(policy)) {
        throw new AwsError(
          'PublicPolicyException',
          'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret: it allows Principal "*" without a condition. Name the principals, add a condition, or pass BlockPublicPolicy false.',
        );
      }
      secret.resourcePolicy = policy;
      secret.lastChangedMs = ctx.now.getTime();
      return { ARN: secret.arn, Name: secret.name };
    },

    GetResourcePolicy(input, ctx) {
      const secret = findLive(ctx, input);
      return compact({ ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.resourcePolicy });
    },

    DeleteResourcePolicy(input, ctx) {
      const secret = findWritable(ctx, input);
      secret.resourcePolicy = undefined;
      secret.lastChangedMs = ctx.now.getTime();
      return { ARN: secret.arn, Name: secret.name };
    },

    ReplicateSecretToRegions(input, ctx) {
      const secret = findWritable(ctx, input);
      const add = input.AddReplicaRegions;
      if (!Array.isArray(add) || add.length < 1) {
        throw invalidParameter('AddReplicaRegions must list at least one {Region, KmsKeyId}.');
      }
      const force = optBool(input, 'ForceOverwriteReplicaSecret') ?? false;
      const requested = add.map((raw, i) => {
        const entry = (raw ?? {}) as Input;
        const region = entry.Region;
        if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
          throw invalidParameter(`AddReplicaRegions[${i}].Region must be a Region ID such as eu-west-1.`);
        }
        if (region === ctx.region) {
          throw invalidParameter(
            `AddReplicaRegions[${i}].Region ${region} is the Region of the primary secret.`,
          );
        }
        const kmsKeyId = entry.KmsKeyId;
        if (kmsKeyId !== undefined && typeof kmsKeyId !== 'string') {
          throw invalidParameter(`AddReplicaRegions[${i}].KmsKeyId must be a string.`);
        }
        return { region, kmsKeyId: kmsKeyId as string | undefined };
      });
      const replicas = secret.replicas ?? [];
      for (const { region, kmsKeyId } of requested) {
        if (replicas.some((r) => r.Region === region)) {
          throw invalidParameter(`The secret is already replicated to ${region}.`);
        }
        const target = scopeFor(`${ctx.accountId}/${region}`);
        purge(target);
        const existing = target.get(secret.name);
        const status: ReplicaStatus = compact({
          Region: region,
          KmsKeyId: kmsKeyId ?? 'alias/aws/secretsmanager',
          Status: 'InSync' as const,
          StatusMessage: 'Replication succeeded',
        });
        if (existing && !force) {
          status.Status = 'Failed';
          status.StatusMessage = `Replication failed: a secret named ${secret.name} already exists in ${region}. Pass ForceOverwriteReplicaSecret to overwrite it.`;
        } else {
          const replica: SecretRecord = {
            arn: secret.arn.replace(`:${ctx.region}:`, `:${region}:`),
            name: secret.name,
            tags: [],
            versions: [],
            createdMs: ctx.now.getTime(),
            lastChangedMs: ctx.now.getTime(),
            rotationEnabled: false,
            rotationLog: [],
            primaryRegion: ctx.region,
            ...compact({ kmsKeyId }),
          };
          target.set(replica);
          markChanged(replica);
        }
        replicas.push(status);
      }
      secret.replicas = replicas;
      syncReplicas(secret);
      return { ARN: secret.arn, ReplicationStatus: replicas.map((r) => compact({ ...r })) };
    },

    RemoveRegionsFromReplication(input, ctx) {
      const secret = findWritable(ctx, input);
      const remove = input.RemoveReplicaRegions;
      if (!Array.isArray(remove) || remove.length < 1 || !remove.every((r) => typeof r === 'string')) {
        throw invalidParameter('RemoveReplicaRegions must list at least one Region.');
      }
      const replicas = secret.replicas ?? [];
      for (const region of remove as string[]) {
        if (!replicas.some((r) => r.Region === region)) {
          throw invalidParameter(`The secret is not replicated to ${region}.`);
        }
        const target = scopeFor(`${ctx.accountId}/${region}`);
        const replica = target.get(secret.name);
        if (replica?.primaryRegion === ctx.region) {
          target.delete(replica.name);
          markChanged(replica, true);
        }
      }
      secret.replicas = replicas.filter((r) => !(remove as string[]).includes(r.Region));
      if (!secret.replicas.length) secret.replicas = undefined;
      return { ARN: secret.arn, ReplicationStatus: (secret.replicas ?? []).map((r) => compact({ ...r })) };
    },

    CancelRotateSecret(input, ctx) {
      const secret = findWritable(ctx, input);
      // Turns rotation off; the function ARN and rules stay so RotateSecret can turn it on again.
      // Labels are left as they are: the docs ask the caller to clean up a partial AWSPENDING.
      secret.rotationEnabled = false;
      secret.nextRotationMs = undefined;
      secret.lastChangedMs = ctx.now.getTime();
      const pending = holderOf(secret, PENDING);
      return compact({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: pending && !pending.stages.includes(CURRENT) ? pending.versionId : undefined,
      });
    },

    TagResource(input, ctx) {
      const secret = findLive(ctx, input);
      const tags = parseTags(input.Tags);
      if (tags.length === 0) throw invalidParameter('Tags must list at least one {Key, Value}.');
      const merged = new Map(secret.tags.map((t) => [t.Key, t.Value]));
      for (const t of tags) merged.set(t.Key, t.Value);
      if (merged.size > MAX_TAGS) throw invalidParameter(`Tags: a secret can have at most ${MAX_TAGS} tags.`);
      secret.tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
      secret.lastChangedMs = ctx.now.getTime();
      return {};
    },

    UntagResource(input, ctx) {
      const secret = findLive(ctx, input);
      const keys = input.TagKeys;
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
        throw invalidParameter('TagKeys must be a list of tag keys.');
      }
      secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
      secret.lastChangedMs = ctx.now.getTime();
      return {};
    },

    DeleteSecret(input, ctx) {
      const secret = find(ctx, reqString(input, 'SecretId', 2048));
      const window = optInt(input, 'RecoveryWindowInDays', 7, 30);
      const force = optBool(input, 'ForceDeleteWithoutRecovery') ?? false;
      if (force && window !== undefined) {
        throw invalidParameter(
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (secret.replicas?.length) {
        throw invalidRequest(
          `The secret ${secret.name} has replicas in ${secret.replicas.map((r) => r.Region).join(', ')}: remove them with RemoveRegionsFromReplication before deleting it.`,
        );
      }
      if (secret.primaryRegion !== undefined) {
        throw invalidRequest(
          `Operation is not permitted on a replica secret: remove ${regionOf(secret)} from replication on the primary secret in ${secret.primaryRegion}.`,
        );
      }
      const now = ctx.now.getTime();
      if (force) {
        scopeOf(ctx).delete(secret.name);
        markChanged(secret, true);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: now / 1000 };
      }
      if (secret.deletedMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
      secret.deletedMs = now;
      secret.deletionMs = now + (window ?? 30) * 86_400_000;
      scopeOf(ctx).scheduled.add(secret);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionMs / 1000 };
    },

    RestoreSecret(input, ctx) {
      const secret = find(ctx, reqString(input, 'SecretId', 2048));
      secret.deletedMs = undefined;
      secret.deletionMs = undefined;
      scopeOf(ctx).scheduled.delete(secret);
      secret.lastChangedMs = ctx.now.getTime();
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  return {
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    async handle(operation, input, ctx) {
      const run = operations[operation];
      if (!run) {
        throw new AwsError(
          'UnknownOperationException',
          `The local Secrets Manager does not implement ${operation}. It serves: ${Object.keys(operations).join(', ')}.`,
        );
      }
      // Operations run synchronously up to their first await, so the secrets found until then are
      // the ones this operation changes; a failed write may still have changed them (rotation log).
      found = [];
      let result: unknown;
      try {
        result = run(input, ctx);
      } finally {
        const touched = found;
        found = [];
        if (!READ_ONLY.test(operation)) {
          for (const secret of touched) {
            markChanged(secret);
            if (secret.replicas?.length) syncReplicas(secret);
          }
        }
      }
      return result;
    },
    journal: {
      drainChanges() {
        const out = [...changed];
        changed.clear();
        return out;
      },
      *entries() {
        for (const [key, scope] of scopes) {
          for (const secret of scope.values()) yield [`${key}/${secret.name}`, secret] as [string, unknown];
        }
      },
      applyRecord(key, value) {
        const [account, region, ...name] = key.split('/');
        const scope = scopeFor(`${account}/${region}`);
        if (value === null) scope.delete(name.join('/'));
        else scope.set(value as SecretRecord);
      },
    },
    admin: {
      /** The rotation log of one secret: steps, outcomes, error types and messages, never values. */
      async rotations(body, ctx) {
        const secret = find(ctx, reqString(body, 'SecretId', 2048));
        return {
          ARN: secret.arn,
          Name: secret.name,
          InProgress: inFlight.has(secret),
          Rotations: secret.rotationLog,
        };
      },
    },
    // IAM checks per operation (secretsmanager/authorization.ts); a lookup here never purges.
    authorization: secretsManagerAuthorization({
      secret: (ctx, secretId) => {
        const scope = scopes.get(`${ctx.accountId}/${ctx.region}`);
        return secretId.startsWith('arn:') ? scope?.byArn(secretId) : scope?.get(secretId);
      },
    }),
    async finishBackgroundWork() {
      // Rotations still running finish (or fail) before the endpoint stops.
      while (inFlight.size) await Promise.all(inFlight.values());
    },
    snapshot(): Snapshot {
      const out: Snapshot = { scopes: {} };
      for (const [key, scope] of scopes) {
        if (scope.size) out.scopes[key] = structuredClone([...scope.values()]);
      }
      return out;
    },
    restore(state) {
      const snapshot = (state ?? { scopes: {} }) as Snapshot;
      if (typeof snapshot.scopes !== 'object' || snapshot.scopes === null) {
        throw new Error('Secrets Manager state must be an object with "scopes".');
      }
      scopes = new Map();
      for (const [key, secrets] of Object.entries(snapshot.scopes)) {
        const scope = scopeFor(key);
        for (const secret of structuredClone(secrets)) scope.set(secret);
      }
    },
  };
};

// ---------------------------------------------------------------------------------------------
// ListSecrets filters and pagination.

/** Splits text into words at case changes, letter/digit changes and punctuation, as the console search does. */
const words = (text: string): string[] =>
  text
    .split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());

const parseFilters = (value: unknown): Array<(s: SecretRecord) => boolean> => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 10)
    throw invalidParameter('Filters must be a list of at most 10 filters.');
  return value.map((raw, i) => {
    const filter = (raw ?? {}) as Input;
    const key = filter.Key;
    if (typeof key !== 'string' || !FILTER_KEYS.includes(key)) {
      throw invalidParameter(`Filters[${i}].Key must be one of ${FILTER_KEYS.join(', ')}.`);
    }
    const values = filter.Values;
    if (
      !Array.isArray(values) ||
      values.length < 1 ||
      values.length > 10 ||
      !values.every((v) => typeof v === 'string' && v.length <= 512 && FILTER_VALUE.test(v))
    ) {
      throw invalidParameter(
        `Filters[${i}].Values must be 1 to 10 strings of letters, digits, spaces and :_@/+=.-! (a leading ! negates).`,
      );
    }
    const matchOne = (secret: SecretRecord, term: string): boolean => {
      switch (key) {
        case 'name':
          return secret.name.startsWith(term);
        case 'description':
          return (
            (secret.description ?? '').toLowerCase().startsWith(term.toLowerCase()) &&
            secret.description !== undefined
          );
        case 'tag-key':
          return secret.tags.some((t) => t.Key.startsWith(term));
        case 'tag-value':
          return secret.tags.some((t) => t.Value.startsWith(term));
        case 'primary-region':
          return (secret.primaryRegion ?? (secret.replicas?.length ? regionOf(secret) : undefined)) === term;
        case 'owning-service':
          // Local secrets are not owned by another service.
          return false;
        default: {
          const haystack = [
            secret.name,
            secret.description ?? '',
            ...secret.tags.flatMap((t) => [t.Key, t.Value]),
          ].flatMap(words);
          return words(term).some((w) => haystack.some((h) => h.startsWith(w)));
        }
      }
    };
    const positive = (values as string[]).filter((v) => !v.startsWith('!'));
    const negative = (values as string[]).filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    return (secret: SecretRecord) =>
      (positive.length === 0 || positive.some((v) => matchOne(secret, v))) &&
      !negative.some((v) => matchOne(secret, v));
  });
};

const encodeToken = (offset: number): string => Buffer.from(JSON.stringify({ offset })).toString('base64url');

const decodeToken = (value: unknown): number => {
  if (value === undefined || value === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(value), 'base64url').toString('utf8')) as {
      offset?: unknown;
    };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) {
      return parsed.offset;
    }
  } catch {
    // fall through to the error below
  }
  throw new AwsError(
    'InvalidNextTokenException',
    'The NextToken value is invalid: pass the NextToken of the previous response.',
  );
};

// ---------------------------------------------------------------------------------------------
// Resource policies.

/** What is wrong with a resource policy's shape (empty when nothing): parsed, never quoted back. */
const policyProblems = (text: string): string[] => {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return ['The policy is not valid JSON.'];
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy))
    return ['The policy must be a JSON object.'];
  const doc = policy as Record<string, unknown>;
  const problems: string[] = [];
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    problems.push('Version must be 2012-10-17.');
  }
  const statements = Array.isArray(doc.Statement)
    ? doc.Statement
    : doc.Statement === undefined
      ? []
      : [doc.Statement];
  if (statements.length === 0) problems.push('The policy needs a Statement.');
  for (const [i, raw] of statements.entries()) {
    const st = (raw ?? {}) as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
      problems.push(`Statement[${i}].Effect must be Allow or Deny.`);
    if (st.Action === undefined && st.NotAction === undefined)
      problems.push(`Statement[${i}] needs Action or NotAction.`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) {
      problems.push(`Statement[${i}] needs a Principal (a resource policy names who it applies to).`);
    }
  }
  return problems;
};

/** Whether an Allow statement grants Principal "*" (or AWS "*") without any condition. */
const grantsBroadAccess = (text: string): boolean => {
  const doc = JSON.parse(text) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.some((raw) => {
    const st = (raw ?? {}) as { Effect?: unknown; Principal?: unknown; Condition?: unknown };
    if (st.Effect !== 'Allow' || st.Condition !== undefined) return false;
    const principal = st.Principal;
    if (principal === '*') return true;
    const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
};
