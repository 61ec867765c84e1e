/**
 * How the key-rotation role is allowed to act on each key, without any tag granting anything:
 *
 * - the key being rotated sits behind the managed alias pattern (IAM: `kms:ResourceAliases`);
 * - an unproven successor is reached through a statement rekey writes into the successor's own
 *   key policy at CreateKey/ReplicateKey, naming rekey's role. A key policy is written by whoever
 *   may PutKeyPolicy on that key, so nobody can hand rekey another key by tagging it. The
 *   statement is removed once the successor is in service (Record Rotation Evidence), so the
 *   successor ends with exactly its predecessor's policy;
 * - a predecessor, once the managed alias has moved away, keeps a second alias in the stack's own
 *   retiring namespace (`alias/rekey-retiring/<stack>/<key id>`), created while it still had the
 *   managed alias. Disabling and deletion are granted only on keys behind one of the two alias
 *   namespaces; creating an alias in them is governed by IAM on the alias name.
 *
 * KMS documents that a new key's tags and aliases may take up to five minutes to affect
 * authorization: AccessDenied on a key that changed hands moments ago is retried by the state
 * machine (`KeyAuthorizationPendingError`) for a bounded time, never forever.
 */
import { ConfigurationError, optionalString } from '../lib/config.js';
import { KeyAuthorizationPendingError } from './errors.js';

/** Where the role's rights on unproven successors and retiring keys come from. */
export interface KeyAccess {
  /** ARN of rekey's role (the key-policy principal on successors); unset = no statement written. */
  readonly roleArn?: string;
  /** Prefix of the retiring aliases, ending in `/` (`alias/rekey-retiring/<stack>/`). */
  readonly retiringAliasPrefix: string;
}

export const DEFAULT_RETIRING_ALIAS_PREFIX = 'alias/rekey-retiring/';

/** Sid of the statement rekey adds to an unproven successor's key policy. */
export const SUCCESSOR_STATEMENT_SID = 'rekey-unproven-successor';

/**
 * What rekey does with an unproven successor, granted by its key policy: read it, copy the old
 * key's tags and replicas onto it, prove it works (every key usage), point the alias at it (the
 * new key's side of UpdateAlias), re-encrypt to it, restore its policy, and delete it when the
 * rotation is rolled back before the swap.
 */
export const SUCCESSOR_KEY_POLICY_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:ReplicateKey',
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:Sign',
  'kms:Verify',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:ReEncryptTo',
  'kms:UpdateAlias',
  'kms:ScheduleKeyDeletion',
] as const;

/** Reads the access configuration once (the template sets both variables). */
export const keyAccessFromEnv = (env: NodeJS.ProcessEnv = process.env): KeyAccess => {
  const prefix = optionalString('REKEY_RETIRING_ALIAS_PREFIX', env) ?? DEFAULT_RETIRING_ALIAS_PREFIX;
  if (!/^alias\/[a-zA-Z0-9/_-]+\/$/.test(prefix) || prefix.startsWith('alias/aws/')) {
    throw new ConfigurationError(
      `Environment variable REKEY_RETIRING_ALIAS_PREFIX must be an alias prefix such as alias/rekey-retiring/my-stack/ (ending in /, not under alias/aws/); got '${prefix}'.`,
    );
  }
  const roleArn = optionalString('REKEY_ROLE_ARN', env);
  if (roleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn)) {
    throw new ConfigurationError(
      `Environment variable REKEY_ROLE_ARN must be the ARN of an IAM role (arn:aws:iam::123456789012:role/name); got '${roleArn}'.`,
    );
  }
  return { ...(roleArn ? { roleArn } : {}), retiringAliasPrefix: prefix };
};

/**
 * Whether an alias is a retiring alias (every stack's namespace starts with the default prefix):
 * rekey's own mark on an old key being retired, not an alias anyone uses or rotates.
 */
export const isRetiringAlias = (name: string | undefined): boolean =>
  name?.startsWith(DEFAULT_RETIRING_ALIAS_PREFIX) === true;

/** The retiring alias of a key (its key id is unique in its Region). */
export const retiringAliasOf = (access: KeyAccess, keyId: string): string =>
  `${access.retiringAliasPrefix}${keyId}`;

type PolicyDocument = { Version?: string; Statement: Record<string, unknown>[] | Record<string, unknown> };

const parsePolicy = (policy: string): PolicyDocument => {
  const parsed = JSON.parse(policy) as PolicyDocument;
  const statements = parsed.Statement === undefined ? [] : parsed.Statement;
  return { ...parsed, Statement: Array.isArray(statements) ? statements : [statements] };
};

/** The old key's policy plus rekey's successor statement (replacing an earlier copy of it). */
export const withSuccessorStatement = (policy: string, roleArn: string): string => {
  const doc = parsePolicy(policy);
  const statements = (doc.Statement as Record<string, unknown>[]).filter(
    (s) => s.Sid !== SUCCESSOR_STATEMENT_SID,
  );
  statements.push({
    Sid: SUCCESSOR_STATEMENT_SID,
    Effect: 'Allow',
    Principal: { AWS: roleArn },
    Action: [...SUCCESSOR_KEY_POLICY_ACTIONS],
    Resource: '*',
  });
  return JSON.stringify({ ...doc, Statement: statements });
};

/** Whether a key policy still carries rekey's successor statement. */
export const hasSuccessorStatement = (policy: string | undefined): boolean =>
  policy !== undefined &&
  (parsePolicy(policy).Statement as Record<string, unknown>[]).some((s) => s.Sid === SUCCESSOR_STATEMENT_SID);

/** KMS: "it might take up to five minutes" for a new tag or alias to affect authorization. */
export const AUTHORIZATION_PROPAGATION_MS = 5 * 60 * 1000;

/**
 * Runs `work`; an AccessDeniedException within five minutes of `since` (when the key was
 * created or its alias moved) becomes KeyAuthorizationPendingError, which the state machine
 * retries with backoff for a bounded time. Later, AccessDenied is a real denial and propagates.
 */
export const allowingPropagation = async <T>(
  since: string | Date | undefined,
  now: Date,
  what: string,
  work: () => Promise<T>,
): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    const started = since === undefined ? Number.NaN : new Date(since).getTime();
    if (
      error instanceof Error &&
      error.name === 'AccessDeniedException' &&
      now.getTime() - started < AUTHORIZATION_PROPAGATION_MS
    ) {
      throw new KeyAuthorizationPendingError(
        `${what} was denied less than five minutes after the key was created or its alias moved; KMS documents up to five minutes before new tags and aliases take effect in authorization, so the step is retried.`,
        { cause: error },
      );
    }
    throw error;
  }
};
