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
  /** At most this many rotations are started per run, oldest due first; the rest wait for the next run. */
  maxRotations: number;
  /** The account's Secrets Manager write quota (PutSecretValue + UpdateSecretVersionStage), per second. */
  writeQuotaPerSecond: number;
  /** The share of that quota the fleet's writes take, in percent (see quota.ts). */
  writeQuotaPercent: number;
  /** Rotations started and not yet finished at any time (they are watched, and carried between batches). */
  maxConcurrency: number;
  /** Seconds between checks of a running rotation. */
  pollSeconds: number;
  /** A rotation whose secret has not changed for this long while AWSPENDING sits on its token has failed. */
  stallTimeoutSeconds: number;
  /** A rotation not finished after this long has failed, progress or not. */
  maxWaitSeconds: number;
  /** AWSPENDING on a secret unchanged for less than this is a rotation still running, left alone. */
  stuckAfterSeconds: number;
  /** Past NextRotationDate by more than this is overdue rather than due. */
  overdueAfterSeconds: number;
  /** Seconds one batch (one Lambda invocation) starts rotations for before handing over to the next. */
  batchSeconds: number;
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

/**
 * The order in which candidates are rotated: oldest due first (ms since the epoch: the rotation
 * date, 0 for a secret never rotated, the last change for an unfinished rotation), then by ARN.
 * The plan fixes the last selected key (the cutoff); each batch takes the candidates after the
 * last key it started (the cursor) up to the cutoff, so no list of secrets is ever carried.
 */
export interface SortKey {
  due: number;
  arn: string;
}

/** A rotation started and not yet seen to end (carried in the state between batches: bounded by maxConcurrency). */
export interface InFlight {
  arn: string;
  name: string;
  classification: string;
  token: string;
  startedAt: string;
  /** What the repair did before the rotation (cleared, resume). */
  repair?: string;
  resumed: boolean;
  watch?: { checks: number; lastChangedDate?: string; progressAt?: string };
}

/** One secret the run failed to rotate, with the cause; never a value. */
export interface FleetFailure {
  arn: string;
  name: string;
  classification: string;
  /** Error name (from errors.ts) or the failed watch's RotationFailedError. */
  error: string;
  reason: string;
  versionId?: string;
}

/** What the Plan step found: counts only, whatever the size of the fleet. */
export interface FleetPlan {
  /** Secrets that matched the filter. */
  matched: number;
  /** Secrets that need a rotation (due, overdue, stuck, failed). */
  candidates: number;
  /** Candidates this run rotates (at most maxRotations, oldest due first). */
  selected: number;
  /** Candidates over the cap, left for the next run. */
  deferred: number;
  counts: Partial<Record<Classification, number>>;
  /** Skipped secrets with their reason, by classification: the first few names only. */
  examples: Partial<Record<Classification, string[]>>;
  /** The selected candidates, oldest due first, at most PREVIEW_LIMIT (dry run and people). */
  preview: Candidate[];
}

/** The run's progress, carried between batches at `$.progress`: bounded whatever the fleet size. */
export interface FleetProgress {
  /** When the plan ran (ISO). */
  startedAt: string;
  /** The last selected candidate's key; null when nothing was selected. */
  cutoff: SortKey | null;
  /** The last candidate a batch started; null before the first. */
  cursor: SortKey | null;
  /** Rotations started (RotateSecret accepted). */
  started: number;
  rotated: number;
  failed: number;
  /** Valueless AWSPENDING labels removed before rotating. */
  cleared: number;
  /** Failed rotations finished with their own pending version. */
  resumed: number;
  /** Selected candidates not started yet (as the last batch saw them). */
  remaining: number;
  /** Writes caused: 2 per rotation started, 1 per repair. */
  writes: number;
  /** Seconds spent in batches (for the write rate against the quota). */
  busySeconds: number;
  batches: number;
  inFlight: InFlight[];
  /** At most MAX_FAILURES, the rest counted in failuresOmitted (every failure is also logged). */
  failures: FleetFailure[];
  failuresOmitted: number;
  /** Nothing left to start or watch. */
  done: boolean;
}
