import { AwsError } from '../../aws-error.js';

/** Key policies: the default one KMS gives a new key, and the checks PutKeyPolicy documents. */

/** The default key policy: the account's root principal may use every KMS action on the key. */
export const defaultPolicy = (account: string): string =>
  JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );

/** Key policies must be JSON documents with statements (MalformedPolicyDocumentException). */
export const checkPolicy = (policy: string | undefined, account: string): string => {
  if (policy === undefined) return defaultPolicy(account);
  if (Buffer.byteLength(policy) > 32_768) {
    throw new AwsError('LimitExceededException', 'Policy is larger than the 32 KB a key policy may hold.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocumentException', 'Policy is not valid JSON.');
  }
  const statement = (doc as { Statement?: unknown } | null)?.Statement;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    (typeof statement !== 'object' && !Array.isArray(statement))
  ) {
    throw new AwsError('MalformedPolicyDocumentException', 'Policy must be a JSON object with a Statement.');
  }
  return policy;
};
