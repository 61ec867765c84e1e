/**
 * What the local Secrets Manager keeps: plain JSON records (a snapshot is a structured clone), one
 * per secret, each with its versions. The rules over them are in `versions.ts` and `model.ts`.
 */
import type { RotationRules } from './schedule.js';

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';
export const PENDING = 'AWSPENDING';

export interface Tag {
  Key: string;
  Value: string;
}

/** A secret value: SecretString or SecretBinary, never both. */
export interface SecretValue {
  secretString?: string;
  /** Base64, exactly as the JSON protocol carries SecretBinary. */
  secretBinary?: string;
}

export interface VersionRecord extends SecretValue {
  versionId: string;
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

export interface ReplicaStatus {
  Region: string;
  KmsKeyId?: string;
  Status: 'InSync' | 'Failed' | 'InProgress';
  StatusMessage: string;
}

export interface SecretRecord {
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

/** The Region of a secret, from its ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:...`). */
export const regionOf = (secret: SecretRecord): string => secret.arn.split(':')[3] ?? '';
export const accountOf = (secret: SecretRecord): string => secret.arn.split(':')[4] ?? '';

/** Drops `undefined` fields so responses look like AWS's (absent, not null). */
export const compact = <T extends Record<string, unknown>>(obj: T): T =>
  Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
