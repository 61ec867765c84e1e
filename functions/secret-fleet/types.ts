/**
 * The data the fleet steps pass to each other through the state machine. Everything is plain
 * JSON (dates as ISO strings) and none of it is a secret value.
 */

/** Which secrets a fleet run covers: a tag (exact key and value), a name prefix, or both (AND). */
export interface FleetFilter {
  tag?: { key: string; value: string };
  namePrefix?: string;
}

/** The execution input after checking, with every default filled in. */
export interface FleetOptions {
  filter: FleetFilter;
  /** Assess and report only: no repair, no rotation, no event. */
  dryRun: boolean;
  /** Map concurrency actually used (the request lowered to the quota bound, see quota.ts). */
  maxConcurrency: number;
  /** The concurrency the caller asked for, when it did. */
  requestedMaxConcurrency?: number;
  /** Seconds between checks of a running rotation (and the pacing unit of quota.ts). */
  pollSeconds: number;
  /** A rotation whose secret has not changed for this long while AWSPENDING sits on its token has failed. */
  stallTimeoutSeconds: number;
  /** A rotation not finished after this long has failed, progress or not. */
  maxWaitSeconds: number;
  /** AWSPENDING on a secret unchanged for less than this is a rotation still running, left alone. */
  stuckAfterSeconds: number;
  /** Past NextRotationDate by more than this is overdue rather than due. */
  overdueAfterSeconds: number;
  /** At most this many secrets per execution (state payload and history stay within limits). */
  maxSecrets: number;
}

/** What ListSecrets tells about one secret, with dates as ISO strings. */
export interface SecretSnapshot {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: { AutomaticallyAfterDays?: number; Duration?: string; ScheduleExpression?: string };
  lastRotatedDate?: string;
  nextRotationDate?: string;
  lastChangedDate?: string;
  /** Version id → staging labels (only versions that carry a label). */
  versionStages: Record<string, string[]>;
}

export type Classification =
  /** NextRotationDate has come (or the secret was never rotated). */
  | 'due'
  /** NextRotationDate passed more than `overdueAfterSeconds` ago: scheduled rotations are not happening. */
  | 'overdue'
  /** AWSPENDING left on a version other than AWSCURRENT, and that version holds no value. */
  | 'stuck'
  /** AWSPENDING left on a version other than AWSCURRENT that holds a value: the last rotation failed after createSecret. */
  | 'failed'
  /** AWSPENDING on another version, but the secret changed recently: a rotation is running. */
  | 'rotating'
  /** Rotation is on and not due yet. */
  | 'healthy'
  /** Rotation is off (or has no function): the fleet does not rotate it. */
  | 'disabled'
  /** No AWSCURRENT version: there is nothing to rotate from. */
  | 'empty';

/** What the fleet will do with a candidate. */
export type CandidateAction =
  /** Start a new rotation. */
  | 'rotate'
  /** Clear the valueless AWSPENDING, then start a new rotation. */
  | 'clear-then-rotate'
  /** Finish the failed rotation: RotateSecret with its pending version id as ClientRequestToken. */
  | 'resume';

export interface Assessment {
  arn: string;
  name: string;
  classification: Classification;
  /** Why, in words an operator can act on. */
  reason: string;
  /** The version AWSPENDING sits on, when it is not AWSCURRENT. */
  pendingVersionId?: string;
  nextRotationDate?: string;
}

export interface Candidate extends Assessment {
  classification: 'due' | 'overdue' | 'stuck' | 'failed';
  action: CandidateAction;
}

/** Output of the Assess step (and the plan a dry run reports). */
export interface FleetPlan {
  options: FleetOptions;
  /** Secrets that matched the filter (at most `maxSecrets`). */
  matched: number;
  /** More secrets matched than `maxSecrets`; the rest wait for the next run. */
  truncated: boolean;
  candidates: Candidate[];
  /** Secrets left alone, with the reason. */
  skipped: Assessment[];
  counts: Partial<Record<Classification, number>>;
}

/** One Map iteration's result, as the iterator's last Pass state builds it. */
export interface ItemResult {
  arn: string;
  name: string;
  classification: string;
  outcome: 'rotated' | 'failed';
  /** What the repair step did: none, cleared, resume. */
  repair?: string;
  versionId?: string;
  checks?: number;
  /** Error name (a name from errors.ts, or a Step Functions error). */
  error?: string;
  /** Why it failed: the error message or the watch's reason. */
  reason?: string;
  cause?: string;
}
