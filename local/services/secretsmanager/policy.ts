/**
 * Resource policies: PutResourcePolicy (with BlockPublicPolicy), GetResourcePolicy,
 * DeleteResourcePolicy and ValidateResourcePolicy. The policy is kept as the JSON text received;
 * checks report its shape, never quote it back.
 */
import { AwsError } from '../../aws-error.js';
import { liveSecret, type Operation, writableSecret } from './context.js';
import { compact } from './records.js';

const MAX_POLICY_CHARS = 20_480;

/** What is wrong with a resource policy's shape (empty when nothing): parsed, never quoted back. */
export const policyProblems = (text: string): string[] => {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return ['The policy is not valid JSON.'];
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy))
    return ['The policy must be a JSON object.'];
  const doc = policy as Record<string, unknown>;
  const problems: string[] = [];
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    problems.push('Version must be 2012-10-17.');
  }
  const statements = Array.isArray(doc.Statement)
    ? doc.Statement
    : doc.Statement === undefined
      ? []
      : [doc.Statement];
  if (statements.length === 0) problems.push('The policy needs a Statement.');
  for (const [i, raw] of statements.entries()) {
    const st = (raw ?? {}) as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
      problems.push(`Statement[${i}].Effect must be Allow or Deny.`);
    if (st.Action === undefined && st.NotAction === undefined)
      problems.push(`Statement[${i}] needs Action or NotAction.`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) {
      problems.push(`Statement[${i}] needs a Principal (a resource policy names who it applies to).`);
    }
  }
  return problems;
};

/** Whether an Allow statement grants Principal "*" (or AWS "*") without any condition. */
export const grantsBroadAccess = (text: string): boolean => {
  const doc = JSON.parse(text) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.some((raw) => {
    const st = (raw ?? {}) as { Effect?: unknown; Principal?: unknown; Condition?: unknown };
    if (st.Effect !== 'Allow' || st.Condition !== undefined) return false;
    const principal = st.Principal;
    if (principal === '*') return true;
    const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
};

export const policyOperations: Record<string, Operation> = {
  ValidateResourcePolicy(input, ctx, { model }) {
    const policy = input.reqString('ResourcePolicy', { max: MAX_POLICY_CHARS });
    const secretId = input.optString('SecretId', { max: 2048 });
    if (secretId !== undefined) model.find(ctx.accountId, ctx.region, secretId, ctx.now.getTime());
    const problems = policyProblems(policy);
    return {
      PolicyValidationPassed: problems.length === 0,
      ValidationErrors: problems.map((ErrorMessage) => ({ CheckName: 'JSON_SCHEMA_CHECK', ErrorMessage })),
    };
  },

  PutResourcePolicy(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    const policy = input.reqString('ResourcePolicy', { max: MAX_POLICY_CHARS });
    const problems = policyProblems(policy);
    if (problems.length) {
      throw new AwsError(
        'MalformedPolicyDocumentException',
        `The resource policy has errors: ${problems.join(' ')}`,
      );
    }
    // BlockPublicPolicy defaults to true in the API (the console and CLI pass it explicitly).
    if ((input.optBool('BlockPublicPolicy') ?? true) && grantsBroadAccess(policy)) {
      throw new AwsError(
        'PublicPolicyException',
        'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret: it allows Principal "*" without a condition. Name the principals, add a condition, or pass BlockPublicPolicy false.',
      );
    }
    secret.resourcePolicy = policy;
    secret.lastChangedMs = ctx.now.getTime();
    return { ARN: secret.arn, Name: secret.name };
  },

  GetResourcePolicy(input, ctx, service) {
    const secret = liveSecret(service, ctx, input);
    return compact({ ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.resourcePolicy });
  },

  DeleteResourcePolicy(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    secret.resourcePolicy = undefined;
    secret.lastChangedMs = ctx.now.getTime();
    return { ARN: secret.arn, Name: secret.name };
  },
};
