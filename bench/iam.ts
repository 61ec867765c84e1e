/**
 * `npx tsx bench/iam.ts`: what IAM evaluation costs on the endpoint's hot path. GetSecretValue
 * (a secret under a customer managed key, so each call is also checked as the KMS Decrypt
 * Secrets Manager makes) and KMS Encrypt (identity policy and key policy), each with 8
 * concurrent SDK callers signing as a caller with a policy (`--iam-policy`, conditions on tags
 * and on kms:ViaService). The same endpoint is measured with `--iam enforce` and `--iam off` in
 * alternating rounds, so both see the same machine load. Goal: enforce at least 0.7× of off.
 *
 * Writes bench/results/iam.json and bench/IAM.md.
 */

import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { CreateKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readPolicy } from '../local/core/iam/policy.js';
import { startLocalEndpoint } from '../local/endpoint.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const CALLERS = 8;
const ROUND_MS = 1_500;
const ROUNDS = 10;
const GOAL = 0.7;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CALLER = 'AKIABENCHCALLER00001';

const policy = readPolicy('bench', {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'TaggedSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`,
      Condition: { StringEquals: { 'secretsmanager:ResourceTag/team': 'payments' } },
    },
    {
      Sid: 'KeyThroughSecretsManager',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
      Condition: { StringLike: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
    },
    {
      Sid: 'EncryptWithTaggedKeys',
      Effect: 'Allow',
      Action: 'kms:Encrypt',
      Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`,
      Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } },
    },
    {
      Sid: 'NoDeletes',
      Effect: 'Deny',
      Action: ['kms:ScheduleKeyDeletion', 'secretsmanager:DeleteSecret'],
      Resource: '*',
    },
  ],
});

const endpoint = await startLocalEndpoint({ iamPolicies: new Map([[CALLER, policy]]) });
const config = (accessKeyId: string) => ({
  endpoint: endpoint.url,
  region: REGION,
  credentials: { accessKeyId, secretAccessKey: 'x' },
  maxAttempts: 1,
});
const owner = { sm: new SecretsManagerClient(config(ACCOUNT)), kms: new KMSClient(config(ACCOUNT)) };
const key = await owner.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'payments' }] }));
const keyId = key.KeyMetadata?.KeyId ?? '';
const secrets: string[] = [];
for (let i = 0; i < 100; i += 1) {
  const created = await owner.sm.send(
    new CreateSecretCommand({
      Name: `bench/iam-${i}`,
      SecretString: `value-${i}-0123456789abcdef`,
      KmsKeyId: key.KeyMetadata?.Arn,
      Tags: [{ Key: 'team', Value: 'payments' }],
    }),
  );
  secrets.push(created.ARN ?? '');
}

type Operation = 'GetSecretValue' | 'Encrypt';
const plaintext = new TextEncoder().encode('0123456789abcdef0123456789abcdef');

/** Calls per second over one round, with CALLERS clients each running calls back to back. */
const round = async (operation: Operation): Promise<number> => {
  const deadline = Date.now() + ROUND_MS;
  let calls = 0;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      const sm = new SecretsManagerClient(config(CALLER));
      const kms = new KMSClient(config(CALLER));
      try {
        for (let i = c; Date.now() < deadline; i += CALLERS) {
          if (operation === 'GetSecretValue') {
            await sm.send(new GetSecretValueCommand({ SecretId: secrets[i % secrets.length] }));
          } else {
            await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
          }
          calls += 1;
        }
      } finally {
        sm.destroy();
        kms.destroy();
      }
    }),
  );
  return calls / ((Date.now() - start) / 1000);
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const results: Record<string, { enforce: number; off: number; ratio: number }> = {};
for (const operation of ['GetSecretValue', 'Encrypt'] as const) {
  const perMode = { enforce: [] as number[], off: [] as number[] };
  // A warm-up round, then alternating rounds: both modes see the same load on a shared machine.
  endpoint.iam.mode = 'enforce';
  await round(operation);
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const mode of r % 2 === 0 ? (['enforce', 'off'] as const) : (['off', 'enforce'] as const)) {
      endpoint.iam.mode = mode;
      perMode[mode].push(await round(operation));
    }
  }
  const enforce = Math.round(median(perMode.enforce));
  const off = Math.round(median(perMode.off));
  results[operation] = { enforce, off, ratio: Math.round((enforce / off) * 100) / 100 };
  console.log(`${operation}: enforce ${enforce}/s, off ${off}/s, ratio ${results[operation]?.ratio}`);
}
const denials = endpoint.iam.auditLog().length;
await endpoint.close();
if (denials > 0) throw new Error(`the benchmark's calls were refused ${denials} times: its policy is wrong`);

const date = new Date().toISOString();
const machine = {
  node: process.version,
  cpus: cpus().length,
  loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
};
await writeFile(
  new URL('results/iam.json', import.meta.url),
  `${JSON.stringify({ date, machine, callers: CALLERS, roundMs: ROUND_MS, rounds: ROUNDS, goal: GOAL, results }, null, 2)}\n`,
);
const rows = Object.entries(results).map(
  ([op, r]) => `| ${op} | ${r.enforce} | ${r.off} | ${r.ratio} | ${r.ratio >= GOAL ? 'met' : 'NOT met'} |`,
);
await writeFile(
  new URL('IAM.md', import.meta.url),
  `# IAM evaluation on the local endpoint's hot path

Written by \`npx tsx bench/iam.ts\` on ${date} (${machine.node}, ${machine.cpus} cores, load average ${machine.loadAverage1m} at the end: the machine was shared, so absolute rates vary; the ratio compares rounds run under the same load). Raw numbers: \`results/iam.json\`.

${CALLERS} concurrent SDK callers signing as a caller with a policy (\`--iam-policy\`: conditions on
resource tags and kms:ViaService, a Deny statement), against one endpoint whose mode alternates
between \`--iam enforce\` and \`--iam off\` every ${ROUND_MS / 1000} s round (median of ${ROUNDS} rounds each).
GetSecretValue reads a secret under a customer managed key, so each call is also checked as the
kms:Decrypt Secrets Manager makes (identity policy and key policy); Encrypt is checked against
the identity policy and the key policy. Goal: enforce at least ${GOAL}× of off.

| operation | enforce (calls/s) | off (calls/s) | ratio | goal ${GOAL} |
|---|---|---|---|---|
${rows.join('\n')}
`,
);
