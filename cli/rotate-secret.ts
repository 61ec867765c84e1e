import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { integerOption, parseOptionsAndPositionals } from './args.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io } from './io.js';
import { TARGET_OPTIONS } from './options.js';
import { clientFor, resolveTarget } from './target.js';

export const summary = 'Rotate one secret now (RotateSecret), optionally following it to the end';

export const help = `Usage: rekey rotate-secret SECRET [--wait] [--token T] [--endpoint-url URL] [--region R]
                           [--timeout SECONDS] [--interval SECONDS]

Starts a rotation of SECRET (name or ARN) with RotateSecret, using the rotation function and
schedule already configured on the secret. Never prints a secret value.

Options:
  --wait                 Follow the rotation to its end, printing each phase, and exit 1 if it fails.
                         A failure is reported as soon as the rotation function reports it, with the
                         step and the error: read from the rotation log of 'rekey local', or on AWS
                         from the function's CloudWatch Logs (needs logs:FilterLogEvents).
  --token T              ClientRequestToken (the new version id, 32-64 characters). Pass the version id
                         a failed rotation left AWSPENDING on to finish that rotation instead of
                         starting a new one. Default: a new UUID.
  --endpoint-url URL     An AWS-compatible endpoint such as 'rekey local' (http://127.0.0.1:4566).
                         Without it, AWS_ENDPOINT_URL, else AWS itself (credentials from the usual
                         AWS settings).
  --region R             Region (default AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1).
  --timeout SECONDS      With --wait: the rotation has failed when the secret did not change for this
                         long while AWSPENDING sits on the new version. Default: 8 × the rotation
                         function's timeout (lambda:GetFunctionConfiguration; template.yaml's for
                         'rekey local'), else 3600.
  --interval SECONDS     With --wait: seconds between checks (default 2).
  -h, --help             Show this help.

Exit codes: 0 started (with --wait: finished), 1 it could not start or it failed, 2 usage error.`;

const seconds = (text: string | undefined, option: string, fallback: number, min: number): number =>
  integerOption(text, option, { min, max: 86_400, unit: 'seconds', fallback });

const PHASES: Record<string, string> = {
  pending: 'pending: the new version carries AWSPENDING; the rotation function runs its four steps',
  finished: 'finished: the new version is AWSCURRENT',
};

/** `rekey rotate-secret`: RotateSecret, and with --wait the rotation followed to its end. */
export const run = async (argv: string[], io: Io = defaultIo): Promise<number> => {
  const out = (line: string) => io.stdout(`${line}\n`);
  const { values, positionals } = parseOptionsAndPositionals(argv, OPTIONS);
  if (positionals.length !== 1 || !positionals[0]) {
    throw new UsageError(
      positionals.length === 0
        ? 'SECRET is required: rekey rotate-secret SECRET (a name or ARN).'
        : `One SECRET only; got ${positionals.join(', ')}.`,
    );
  }
  const secretId = positionals[0];
  // The global Web Crypto: importing node:crypto would cost every `rekey --help` its load.
  const token = values.token ?? crypto.randomUUID();
  if (token.length < 32 || token.length > 64) {
    throw new UsageError('--token must be 32 to 64 characters (a version id or a UUID).');
  }
  const timeoutOption =
    values.timeout === undefined ? undefined : seconds(values.timeout, '--timeout', 3600, 0);
  const interval = seconds(values.interval, '--interval', 2, 1);
  const target = resolveTarget({ endpointUrl: values['endpoint-url'], region: values.region });

  // Loaded here so `--help` stays fast and free of SDK imports.
  const sdk = await import('@aws-sdk/client-secrets-manager');
  const { createClients } = await import('../functions/secret-fleet/clients.js');
  const { foreignPending } = await import('../functions/secret-fleet/assess.js');
  const { checkRotation } = await import('../functions/secret-fleet/watch.js');
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  const { createRotationInspector, describeFailure } = await import('./report/rotation-failure.js');
  const clients = createClients(target);
  const inspector = createRotationInspector({
    region: target.region,
    endpoint: target.endpoint,
    accountId: target.accountId,
    lambda: clientFor(target, LambdaClient),
    logs: clientFor(target, CloudWatchLogsClient),
  });

  let described: DescribeSecretCommandOutput;
  try {
    described = await clients.secrets.send(new sdk.DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    if (error instanceof sdk.ResourceNotFoundException) {
      io.stderr(`Secret ${secretId} does not exist in ${target.region}. Check the name and --region.\n`);
      return 1;
    }
    throw error;
  }
  const arn = described.ARN ?? secretId;
  const name = described.Name ?? secretId;
  const pending = foreignPending(described.VersionIdsToStages ?? {});
  if (pending && pending !== token) {
    io.stderr(
      `A previous rotation of ${name} did not finish: AWSPENDING is on version ${pending}.\n` +
        `Finish it once its cause is fixed: rekey rotate-secret ${name} --token ${pending} --wait\n` +
        `Run 'rekey doctor' to see what went wrong and the safe fix.\n`,
    );
    return 1;
  }
  if (described.VersionIdsToStages?.[token]?.includes('AWSCURRENT')) {
    out(`Version ${token} of ${name} is already AWSCURRENT: that rotation has finished.`);
    return 0;
  }

  const startedAt = clients.now().toISOString();
  try {
    await clients.secrets.send(new sdk.RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
  } catch (error) {
    if (error instanceof sdk.InvalidRequestException || error instanceof sdk.InvalidParameterException) {
      io.stderr(
        `Secrets Manager refused to rotate ${name}: ${error.message}\n` +
          "If no rotation function is configured, turn rotation on first (see the README, 'Rotating an existing secret').\n",
      );
      return 1;
    }
    throw error;
  }
  out(`Rotation of ${name} started: new version ${token}.`);
  if (!values.wait) {
    out(`Follow it with: rekey rotate-secret ${name} --token ${token} --wait`);
    return 0;
  }

  const lambdaArn = described.RotationLambdaARN;
  const stall = timeoutOption === undefined ? await inspector.stuckAfter(lambdaArn) : undefined;
  const timeout = timeoutOption ?? stall?.seconds ?? 0;
  out(
    `  waiting; the rotation counts as failed when its function reports a failed step, or after ${timeout} s without progress${stall ? ` (${stall.basis})` : ''}`,
  );
  let previous: Awaited<ReturnType<typeof checkRotation>> | undefined;
  for (;;) {
    const state = await checkRotation(clients, {
      arn,
      token,
      startedAt,
      ...(previous ? { previous } : {}),
      options: { stallTimeoutSeconds: timeout, maxWaitSeconds: 86_400 },
    });
    if (state.phase && state.phase !== previous?.phase && PHASES[state.phase])
      out(`  ${PHASES[state.phase]}`);
    // The function's own report of a failed step ends the wait at once; DescribeSecret alone
    // would only show it after `timeout` seconds without change.
    const failure =
      state.status === 'finished'
        ? undefined
        : await inspector.failureOf({
            secretArn: arn,
            token,
            ...(lambdaArn ? { lambdaArn } : {}),
            startedAt: new Date(startedAt),
          });
    if (state.status === 'finished') {
      out(`Rotation of ${name} finished: version ${token} is AWSCURRENT.`);
      return 0;
    }
    if (state.status === 'failed' || failure) {
      const why = failure ? describeFailure(failure) : (state.reason ?? 'the rotation did not finish');
      // AWSCURRENT did not move, but whether it still logs in is not known here: a failed
      // setSecret may have changed the password already. Only a probe can tell.
      io.stderr(
        `Rotation of ${name} failed: ${why}\n` +
          `AWSPENDING stays on version ${token}; AWSCURRENT was not moved. Whether it still works is not\n` +
          `checked here: run 'rekey doctor --probe' to log in with it and get the fix, then\n` +
          `finish this rotation once the cause is fixed: rekey rotate-secret ${name} --token ${token} --wait\n`,
      );
      for (const n of inspector.notes) io.stderr(`Note: ${n}\n`);
      return 1;
    }
    previous = state;
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
  }
};

const OPTIONS = {
  ...TARGET_OPTIONS,
  wait: { type: 'boolean' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
} as const;
