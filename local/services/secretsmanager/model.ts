/**
 * The secrets of every account and Region, on the shared `RegionalStore`, journaled one secret at
 * a time for `--state FILE`. Finding a secret by name, ARN or partial ARN; purging secrets whose
 * recovery window ended; the read-only lookup other modules (IAM authorization) use.
 */
import { AwsError } from '../../aws-error.js';
import { EntityJournal, RegionalStore, type ScopeId } from '../../core/store.js';
import { accountOf, compact, regionOf, type SecretRecord, type Tag } from './records.js';

export const NOT_FOUND = "Secrets Manager can't find the specified secret.";
export const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

/** Length of the `-XXXXXX` suffix Secrets Manager appends to a secret's name in its ARN. */
const ARN_SUFFIX = 7;

/**
 * The secrets of one account and Region, indexed by name, ARN and partial ARN (the ARN without
 * its random suffix), so a lookup costs the same with ten secrets or ten thousand. Secrets
 * scheduled for deletion are kept apart too, so purging them does not walk every secret.
 */
export class SecretScope {
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
  /** A SecretId as the API takes it: a name, a full ARN or a partial ARN (without the random suffix). */
  public byId(secretId: string): SecretRecord | undefined {
    return secretId.startsWith('arn:') ? this.byArn(secretId) : this.get(secretId);
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

/**
 * What authorization needs to know about a secret (IAM condition keys, the resource policy, the
 * KMS key Secrets Manager calls as the caller): a copy, never a secret value.
 */
export interface SecretFacts {
  readonly arn: string;
  readonly name: string;
  /** The stored tags themselves, read-only: authorization runs on every request, so no copy. */
  readonly tags: readonly Readonly<Tag>[];
  readonly kmsKeyId?: string;
  readonly resourcePolicy?: string;
  readonly rotationLambdaArn?: string;
  /** On a replica: the Region of its primary. */
  readonly primaryRegion?: string;
  /** Version IDs and their staging labels (no values). */
  readonly versions: readonly { readonly versionId: string; readonly stages: readonly string[] }[];
  /** Scheduled for deletion. */
  readonly deleted: boolean;
}

/** The secrets of every account and Region. */
export class SecretsModel {
  public readonly store = new RegionalStore<SecretScope>(() => new SecretScope());
  public readonly journal = new EntityJournal<SecretScope, SecretRecord>(this.store, {
    entities: function* (scope) {
      for (const secret of scope.values()) yield [secret.name, secret];
    },
    apply: (scope, name, secret) => (secret === null ? scope.delete(name) : scope.set(secret)),
  });
  /** Secrets found since `takeTouched()` last ran: the ones the running operation may change. */
  #touched: SecretRecord[] = [];

  /** Records that `secret` changed (or was removed), for the journal. */
  public markChanged(secret: SecretRecord, removed = false): void {
    const scope: ScopeId = { account: accountOf(secret), region: regionOf(secret) };
    this.journal.mark(scope, secret.name, removed ? null : secret);
  }

  /** The secrets of `account` in `region`, after removing those whose recovery window ended at `now`. */
  public scope(account: string, region: string, now: number): SecretScope {
    const scope = this.store.at(account, region);
    for (const secret of scope.scheduled) {
      if (secret.deletionMs !== undefined && secret.deletionMs <= now) {
        scope.delete(secret.name);
        this.markChanged(secret, true);
      }
    }
    return scope;
  }

  /** Resolves a SecretId (name, ARN or partial ARN); ResourceNotFoundException when there is none. */
  public find(account: string, region: string, secretId: string, now: number): SecretRecord {
    const secret = this.scope(account, region, now).byId(secretId);
    if (!secret) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    this.#touched.push(secret);
    return secret;
  }

  /** The secrets `find` returned since the last call (the provider journals them after a write). */
  public takeTouched(): SecretRecord[] {
    const touched = this.#touched;
    this.#touched = [];
    return touched;
  }

  /** Copies a primary's values, labels and metadata to its replicas, as replication does. */
  public syncReplicas(primary: SecretRecord): void {
    for (const status of primary.replicas ?? []) {
      if (status.Status !== 'InSync') continue;
      const replica = this.store.at(accountOf(primary), status.Region).get(primary.name);
      if (!replica || replica.primaryRegion === undefined) continue;
      replica.versions = structuredClone(primary.versions);
      replica.description = primary.description;
      replica.tags = structuredClone(primary.tags);
      replica.lastChangedMs = primary.lastChangedMs;
      replica.deletedMs = primary.deletedMs;
      this.markChanged(replica);
    }
  }

  /**
   * Read-only facts about a secret for authorization (IAM conditions such as
   * `secretsmanager:ResourceTag/...`, `secretsmanager:KmsKeyId`, the resource policy), by the
   * SecretId a request names (name, ARN or partial ARN). Undefined when there is no such secret.
   * Never purges, never creates a scope, never returns a value.
   */
  public lookup(account: string, region: string, secretId: string): SecretFacts | undefined {
    const secret = this.store.peek(account, region)?.byId(secretId);
    if (!secret) return undefined;
    return {
      arn: secret.arn,
      name: secret.name,
      tags: secret.tags,
      ...compact({
        kmsKeyId: secret.kmsKeyId,
        resourcePolicy: secret.resourcePolicy,
        rotationLambdaArn: secret.rotationLambdaArn,
        primaryRegion: secret.primaryRegion,
      }),
      versions: secret.versions.map((v) => ({ versionId: v.versionId, stages: v.stages })),
      deleted: secret.deletedMs !== undefined,
    };
  }

  /** Every secret as JSON data keyed `ACCOUNT/REGION` (the `--state` snapshot of old). */
  public snapshot(): Record<string, SecretRecord[]> {
    return this.store.snapshot((scope) => (scope.size ? structuredClone([...scope.values()]) : undefined));
  }

  public restore(scopes: unknown): void {
    this.store.restore(
      scopes,
      (secrets: SecretRecord[]) => {
        const scope = new SecretScope();
        for (const secret of structuredClone(secrets)) scope.set(secret);
        return scope;
      },
      'Secrets Manager state "scopes"',
    );
  }
}
