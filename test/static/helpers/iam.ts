/**
 * IAM facts the static tests share: which SDK commands a set of source files can send (as IAM
 * actions), and what AWS requires besides the action itself for some of them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** IAM service prefix of each SDK client package the functions may import. */
const IAM_PREFIX: Record<string, string> = {
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-kms': 'kms',
  '@aws-sdk/client-acm': 'acm',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-elasticache': 'elasticache',
  '@aws-sdk/client-memorydb': 'memorydb',
  // Not @aws-sdk/client-sts: the IAM key rotator calls GetCallerIdentity signed with the new
  // access key, not as the function's role (and that action needs no permission anyway).
};

/** SDK commands whose IAM permission has another name. */
const PERMISSIONS_OF: Record<string, string[]> = {
  'kms:ReEncrypt': ['kms:ReEncryptFrom', 'kms:ReEncryptTo'],
};

/**
 * What AWS requires besides the action itself, from the service documentation:
 * - RotateSecret: "you also need lambda:InvokeFunction permissions on the rotation function".
 * - GetSecretValue / PutSecretValue of a secret under a customer managed key: kms:Decrypt /
 *   kms:GenerateDataKey ("Lambda rotation function execution role permissions").
 * - CreateKey with Tags: kms:TagResource in a policy not restricted to particular keys; with a
 *   Policy: the policy must let the caller PutKeyPolicy (the lock-out safety check).
 */
export const REQUIRED_WITH: Record<string, string[]> = {
  'secretsmanager:RotateSecret': ['lambda:InvokeFunction'],
  'secretsmanager:GetSecretValue': ['kms:Decrypt'],
  'secretsmanager:PutSecretValue': ['kms:GenerateDataKey'],
  'kms:CreateKey': ['kms:TagResource', 'kms:PutKeyPolicy'],
};

/** The SDK commands a set of source files can send, as IAM actions (`kms:Encrypt`). */
export const actionsSentBy = async (root: string, files: string[]): Promise<Set<string>> => {
  const actions = new Set<string>();
  for (const file of files) {
    const source = await readFile(join(root, file), 'utf8');
    for (const match of source.matchAll(
      /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g,
    )) {
      const prefix = IAM_PREFIX[match[2] ?? ''];
      if (!prefix || match[0].includes('import type')) continue;
      for (const name of (match[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/)[0] ?? '')) {
        if (!name.endsWith('Command') || name.startsWith('type ')) continue;
        const action = `${prefix}:${name.slice(0, -7)}`;
        for (const permission of PERMISSIONS_OF[action] ?? [action]) actions.add(permission);
      }
    }
  }
  return actions;
};

/** The actions the code sends plus what AWS requires with them. */
export const requiredActions = (sent: Set<string>): Set<string> => {
  const required = new Set(sent);
  for (const action of sent) for (const extra of REQUIRED_WITH[action] ?? []) required.add(extra);
  return required;
};
