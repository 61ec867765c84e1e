import type { Tag } from '@aws-sdk/client-kms';

/**
 * The JSON the state machine carries from step to step. Each Task writes its result under
 * one key (its `ResultPath`), so the state tells which steps have run: the failure handlers
 * use that to name the step that failed and to choose the roll-back.
 */

/** What the caller may pass when starting an execution (validated by `parseRotationInput`). */
export interface RotationOptions {
  /** `alias/NAME` (a bare NAME or an alias ARN is accepted and normalised). */
  alias: string;
  /** Rotate even when the key is not due (on-demand rotation). */
  force: boolean;
  /** Rotation period: the key is due this many days after it went into service. */
  periodDays: number;
  /** How long the predecessor stays enabled after the swap, for old ciphertexts and signatures. */
  gracePeriodSeconds: number;
  /** How long the predecessor stays disabled (recoverable by EnableKey) before its deletion is scheduled. */
  retentionSeconds: number;
  /** PendingWindowInDays of the predecessor's ScheduleKeyDeletion (7-30). */
  pendingWindowInDays: number;
  /** EXTERNAL origin: how long to wait for the caller to import key material into the successor. */
  importTimeoutSeconds: number;
  /** EXTERNAL origin: seconds between checks for imported key material. */
  importPollSeconds: number;
  /** Optional re-encryption of caller-supplied ciphertexts under the successor. */
  reencrypt?: ReEncryptRequest;
}

export interface ReEncryptRequest {
  /** Base64 ciphertexts to re-encrypt; the results are returned in the execution output. */
  ciphertexts?: string[];
  /** A Secrets Manager secret whose SecretString is a JSON array of base64 ciphertexts; a new version holds the results. */
  secretId?: string;
}

/** One Region copy of a key (multi-Region replicas have the same key id, their own ARN). */
export interface RegionalKey {
  region: string;
  keyArn: string;
}

/** A replica of the old key with what its successor replica must copy. */
export interface ReplicaPlan extends RegionalKey {
  policy: string;
  tags: Tag[];
  description: string;
}

/** Result of the Plan step. */
export interface KeyPlan extends RotationOptions {
  region: string;
  keyArn: string;
  keyId: string;
  keySpec: string;
  keyUsage: string;
  origin: string;
  description: string;
  multiRegion: boolean;
  customKeyStoreId?: string;
  /** The default key policy of the old key, copied to the successor. */
  policy: string;
  /** The old key's tags without rekey:* and aws:* tags: what the successor gets. */
  tags: Tag[];
  /** The old key's rekey:* tags as they were, restored if a swap is rolled back. */
  rekeyTags: Tag[];
  replicas: ReplicaPlan[];
  /** Regions where the alias points at the old key: the swap happens in each of them. */
  aliasRegions: string[];
  /** When the key went into service (rekey:rotated-at tag, else CreationDate). */
  inServiceSince: string;
  ageDays: number;
  due: boolean;
  reason: string;
  warnings: string[];
  reencryptRequested: boolean;
}

/** Result of Create Successor Key (and of each import check). */
export interface SuccessorKey {
  keyArn: string;
  keyId: string;
  region: string;
  /** When the successor was created (bounds the wait for KMS authorization to see it). */
  createdAt?: string;
  replicas: RegionalKey[];
  /** True while key material has not been imported into every Region of an EXTERNAL successor. */
  pendingImport: boolean;
  /** Regions still waiting for key material. */
  pendingImportRegions: string[];
  importDeadline?: string;
  importInstructions?: string;
  /** True when a retry found the successor made by an earlier attempt of this execution. */
  reused: boolean;
}

export interface FailureInfo {
  Error: string;
  Cause?: string;
}

/** The whole execution state, as Task states receive it through `"state.$": "$"`. */
export interface WorkflowState {
  plan?: KeyPlan;
  successor?: SuccessorKey;
  verification?: unknown;
  swap?: { swappedAt: string };
  evidence?: unknown;
  reencryption?: unknown;
  retirementCheck?: unknown;
  predecessorDisabled?: unknown;
  predecessorDeletion?: unknown;
  failure?: FailureInfo;
  rollback?: unknown;
  rollbackFailure?: FailureInfo;
  [inputField: string]: unknown;
}

/** Which execution runs the step (from the context object `$$.Execution`). */
export interface ExecutionRef {
  /** Execution ARN (`$$.Execution.Id`). */
  id: string;
  /** Execution name (`$$.Execution.Name`), the rotation id in tags. */
  name: string;
}
