/**
 * AWS's documented request quotas, per account and Region, answered with `ThrottlingException`
 * as AWS answers them. Each rule is a token bucket that holds one second of requests and refills
 * at the documented rate; operations a quota names together share one bucket.
 *
 * Sources:
 * - Secrets Manager: "AWS Secrets Manager quotas" (User Guide, reference_limits), checked
 *   against the page: the combined write quota of 50/s, 10,000/s for DescribeSecret and
 *   GetSecretValue, 50/s for the resource-policy operations.
 * - KMS: "Request quotas" (Developer Guide, requests-per-second): the shared cryptographic-
 *   operation quota (symmetric 5,500/s, the smallest Regional default; asymmetric 500/s) and
 *   the management APIs' rates. The management rates below were not re-read against the current
 *   table: check them there before relying on an exact figure.
 * - ACM: the per-operation request rates of the ACM quotas table (DescribeCertificate 10/s, as
 *   the local ACM's throttle route already assumes); the others likewise not re-read.
 * Operations a table does not name are not limited.
 */
import { AwsError } from './aws-error.js';

interface Rule {
  /** The bucket shared by the operations of one quota. */
  group: string;
  perSecond: number;
}

const rules = (groups: Record<string, [number, string[]]>): Map<string, Rule> => {
  const out = new Map<string, Rule>();
  for (const [group, [perSecond, operations]] of Object.entries(groups)) {
    for (const operation of operations) out.set(operation, { group, perSecond });
  }
  return out;
};

const SECRETS_MANAGER = rules({
  'resource-policy': [
    50,
    ['DeleteResourcePolicy', 'GetResourcePolicy', 'PutResourcePolicy', 'ValidateResourcePolicy'],
  ],
  read: [10_000, ['DescribeSecret', 'GetSecretValue']],
  write: [
    50,
    [
      'PutSecretValue',
      'RemoveRegionsFromReplication',
      'ReplicateSecretToRegions',
      'StopReplicationToReplica',
      'UpdateSecret',
      'UpdateSecretVersionStage',
    ],
  ],
  restore: [50, ['RestoreSecret']],
  rotate: [50, ['RotateSecret', 'CancelRotateSecret']],
  tag: [50, ['TagResource', 'UntagResource']],
  create: [50, ['CreateSecret']],
  delete: [50, ['DeleteSecret']],
  list: [100, ['ListSecrets']],
  versions: [50, ['ListSecretVersionIds']],
  password: [50, ['GetRandomPassword']],
  batch: [100, ['BatchGetSecretValue']],
});

const KMS_CRYPTO = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateRandom',
  'ReEncrypt',
  'GenerateMac',
  'VerifyMac',
];
const KMS = rules({
  'crypto-symmetric': [5_500, KMS_CRYPTO],
  'crypto-asymmetric': [
    500,
    ['Sign', 'Verify', 'GetPublicKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext'],
  ],
  CreateKey: [50, ['CreateKey']],
  aliases: [50, ['CreateAlias', 'UpdateAlias', 'DeleteAlias']],
  DescribeKey: [2_000, ['DescribeKey']],
  GetKeyPolicy: [1_000, ['GetKeyPolicy']],
  GetKeyRotationStatus: [1_000, ['GetKeyRotationStatus']],
  ListAliases: [500, ['ListAliases']],
  ListKeys: [500, ['ListKeys']],
  ListResourceTags: [500, ['ListResourceTags']],
  ListGrants: [100, ['ListGrants']],
  ListKeyRotations: [100, ['ListKeyRotations']],
  'key-state': [5, ['EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion']],
  'key-rotation': [5, ['EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand']],
  tags: [5, ['TagResource', 'UntagResource']],
  PutKeyPolicy: [5, ['PutKeyPolicy']],
  ReplicateKey: [5, ['ReplicateKey']],
  import: [5, ['GetParametersForImport', 'ImportKeyMaterial', 'DeleteImportedKeyMaterial']],
});

const ACM = rules({
  DescribeCertificate: [10, ['DescribeCertificate']],
  ListCertificates: [8, ['ListCertificates']],
  GetCertificate: [10, ['GetCertificate']],
  ExportCertificate: [5, ['ExportCertificate']],
  ImportCertificate: [1, ['ImportCertificate']],
  RequestCertificate: [5, ['RequestCertificate']],
  RenewCertificate: [10, ['RenewCertificate']],
  DeleteCertificate: [10, ['DeleteCertificate']],
  tags: [5, ['AddTagsToCertificate', 'RemoveTagsFromCertificate']],
  ListTagsForCertificate: [10, ['ListTagsForCertificate']],
  account: [1, ['GetAccountConfiguration', 'PutAccountConfiguration']],
});

const BY_SERVICE = new Map<string, Map<string, Rule>>([
  ['secretsmanager', SECRETS_MANAGER],
  ['TrentService', KMS],
  ['CertificateManager', ACM],
]);

/** The documented rate of an operation (requests per second), if AWS limits it. */
export const quotaOf = (targetPrefix: string, operation: string): number | undefined =>
  BY_SERVICE.get(targetPrefix)?.get(operation)?.perSecond;

/**
 * The token buckets of one endpoint. `take` throws ThrottlingException when the caller's account
 * and Region have used the second's share of a quota. Wall time, not the endpoint's test clock:
 * callers back off in real time.
 */
export class Quotas {
  readonly #buckets = new Map<string, { tokens: number; last: number }>();
  readonly #now: () => number;

  public constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  public take(targetPrefix: string, operation: string, accountId: string, region: string): void {
    const rule = BY_SERVICE.get(targetPrefix)?.get(operation);
    if (!rule) return;
    const key = `${accountId}/${region}/${targetPrefix}/${rule.group}`;
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: rule.perSecond, last: now };
    bucket.tokens = Math.min(rule.perSecond, bucket.tokens + ((now - bucket.last) / 1000) * rule.perSecond);
    bucket.last = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      throw new AwsError(
        'ThrottlingException',
        `Rate exceeded: ${operation} is limited to ${rule.perSecond} requests per second per account and Region (AWS's documented quota). Retry with backoff, as the AWS SDKs do.`,
      );
    }
    bucket.tokens -= 1;
  }
}
