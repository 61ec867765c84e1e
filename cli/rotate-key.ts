import type { WorkflowRun } from '../local/workflows.js';
import { optionalInteger, parseEndpoint, parseOptionsAndPositionals } from './args.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io, silenceLogs } from './io.js';

export const summary =
  'Rotate the KMS key behind an alias now (alias swap), deployed or against a local endpoint';

export const help = `Usage: rekey rotate-key ALIAS [--force] [--grace-seconds N] [--retention-seconds N]
                        [--period-days N] [--pending-window-days N] [--region R]
                        [--endpoint-url URL | --state-machine-arn ARN | --stack-name NAME] [--wait]
                        [--output text|json]

Rotates the KMS key behind ALIAS by alias swap: creates a successor that copies the key's
spec, usage, origin, description, policy, tags and Regions, proves it works, points the alias
at it, keeps the old key enabled through a grace period, then disables it and schedules its
deletion. A failure rolls back and publishes a 'Key Rotation Failed' event.

Without --endpoint-url, starts the deployed key-rotation state machine (StartExecution) and
prints the execution ARN; --wait follows it to the end. With --endpoint-url, runs the same
state machine in this process against that endpoint (e.g. the one 'rekey local' serves): the
swap happens as soon as the successor is verified, and the grace and retention waits last as
configured unless the flags shorten them.

Options:
  --force                    Rotate even if the key is not due.
  --period-days N            Rotation period; the key is due N days after it went into service (default 365).
  --grace-seconds N          Seconds the old key stays enabled after the swap (default 604800, 7 days).
  --retention-seconds N      Seconds the old key stays disabled before its deletion is scheduled (default 7 days).
  --pending-window-days N    PendingWindowInDays of the old key's deletion, 7-30 (default 30).
  --import-timeout-seconds N EXTERNAL keys: how long to wait for key material (default 86400).
  --region R                 Region of the alias (default AWS_REGION, else us-east-1).
  --endpoint-url URL         Run locally against this endpoint instead of starting the deployed workflow.
  --event-bus NAME           Local runs: EventBridge bus for the rotation events (default 'default').
  --state-machine-arn ARN    Deployed runs: the key-rotation state machine.
  --stack-name NAME          Deployed runs: read KeyRotationStateMachineArn from this stack's outputs (default rekey).
  --wait                     Deployed runs: follow the execution, printing each state, until it ends.
  --output FORMAT            text (default) or json (the execution output or error).
  -h, --help                 Show this help.

Exit codes: 0 rotated, not due, or started (without --wait); 1 the rotation failed; 2 usage error.`;

interface RotationOutput {
  plan?: { alias?: string; keyArn?: string; due?: boolean; reason?: string; warnings?: string[] };
  successor?: { keyArn?: string };
  swap?: { swappedAt?: string };
  retirementCheck?: { grants?: unknown[] };
  predecessorDeletion?: { keys?: { region: string; keyArn: string; deletionDate?: string }[] };
}

/** Prints the outcome of a rotation: the chain of keys, or why nothing happened, or the failure. */
export const formatRotation = (outcome: {
  output?: unknown;
  error?: { Error: string; Cause: string };
}): string => {
  if (outcome.error) {
    let cause = outcome.error.Cause;
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: string };
      if (parsed.errorMessage) cause = parsed.errorMessage;
    } catch {
      // A plain-text cause.
    }
    return `Rotation failed: ${outcome.error.Error}: ${cause}\n`;
  }
  const out = (outcome.output ?? {}) as RotationOutput;
  const lines: string[] = [];
  for (const warning of out.plan?.warnings ?? []) lines.push(`Warning: ${warning}`);
  if (out.plan?.due === false) {
    lines.push(
      `${out.plan.alias}: not due (${out.plan.reason}); nothing changed. Use --force to rotate now.`,
    );
  } else {
    lines.push(
      `${out.plan?.alias}: ${out.plan?.keyArn}`,
      `  -> ${out.successor?.keyArn} (in service since ${out.swap?.swappedAt})`,
    );
    for (const key of out.predecessorDeletion?.keys ?? []) {
      lines.push(
        `  old key in ${key.region} disabled, deletion scheduled for ${key.deletionDate ?? 'unknown'}`,
      );
    }
    const grants = out.retirementCheck?.grants?.length ?? 0;
    if (grants > 0) lines.push(`  the old key had ${grants} grant(s); move them to the successor`);
  }
  return `${lines.join('\n')}\n`;
};

const runLocally = async (
  io: Io,
  options: {
    endpointUrl: string;
    alias: string;
    region: string;
    json: boolean;
    eventBus?: string;
    input: Record<string, number | boolean | undefined>;
  },
): Promise<WorkflowRun> => {
  await silenceLogs();
  const { runKeyRotationLocally } = await import('../local/workflows.js');
  const { DEFAULT_ACCOUNT_ID } = await import('../local/server.js');
  const env = process.env;
  const accountId =
    env.AWS_ACCESS_KEY_ID && /^\d{12}$/.test(env.AWS_ACCESS_KEY_ID)
      ? env.AWS_ACCESS_KEY_ID
      : DEFAULT_ACCOUNT_ID;
  return runKeyRotationLocally({
    endpointUrl: options.endpointUrl,
    alias: options.alias,
    region: options.region,
    accountId,
    ...(options.eventBus ? { eventBusName: options.eventBus } : {}),
    ...Object.fromEntries(Object.entries(options.input).filter(([, v]) => v !== undefined)),
    onEvent: (event) => {
      if (!options.json && event.type === 'StateEntered' && event.state) io.stderr(`  ${event.state.name}\n`);
    },
  });
};

/** Finds the state machine: the flag, else the stack output. */
const stateMachineArnOf = async (
  region: string,
  arn: string | undefined,
  stackName: string,
): Promise<string> => {
  if (arn) return arn;
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = new CloudFormationClient({ region });
  try {
    const stacks = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const output = stacks.Stacks?.[0]?.Outputs?.find(
      (o) => o.OutputKey === 'KeyRotationStateMachineArn',
    )?.OutputValue;
    if (!output) {
      throw new UsageError(
        `Stack ${stackName} has no output KeyRotationStateMachineArn: deploy the current template, or pass --state-machine-arn.`,
      );
    }
    return output;
  } finally {
    cfn.destroy();
  }
};

const runDeployed = async (
  io: Io,
  options: {
    alias: string;
    region: string;
    json: boolean;
    wait: boolean;
    arn: string;
    input: Record<string, number | boolean | undefined>;
    pollMs: number;
  },
): Promise<number> => {
  const { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } =
    await import('@aws-sdk/client-sfn');
  const sfn = new SFNClient({ region: options.region });
  try {
    const input = Object.fromEntries(
      Object.entries({ alias: options.alias, ...options.input }).filter(([, v]) => v !== undefined),
    );
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: options.arn, input: JSON.stringify(input) }),
    );
    const executionArn = started.executionArn ?? '';
    if (!options.json) io.stdout(`Started ${executionArn}\n`);
    if (!options.wait) {
      if (options.json) io.stdout(`${JSON.stringify({ executionArn })}\n`);
      return 0;
    }
    const seen = new Set<number>();
    for (;;) {
      const history = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: false, maxResults: 1000 }),
      );
      for (const event of history.events ?? []) {
        const name = event.stateEnteredEventDetails?.name;
        if (name && event.id !== undefined && !seen.has(event.id)) {
          seen.add(event.id);
          if (!options.json) io.stderr(`  ${name}\n`);
        }
      }
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') {
        const output = described.output ? (JSON.parse(described.output) as unknown) : undefined;
        const error =
          described.status === 'SUCCEEDED'
            ? undefined
            : { Error: described.error ?? described.status ?? 'FAILED', Cause: described.cause ?? '' };
        io.stdout(
          options.json
            ? `${JSON.stringify({ executionArn, status: described.status, output, error })}\n`
            : formatRotation({ output, ...(error ? { error } : {}) }),
        );
        return error ? 1 : 0;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
  } finally {
    sfn.destroy();
  }
};

/**
 * `rekey rotate-key ALIAS`: runs the key rotation locally (`--endpoint-url`) or starts the
 * deployed state machine. Resolves to the exit code; throws UsageError for bad arguments.
 */
export const run = async (argv: string[], io: Io = defaultIo, pollMs = 5000): Promise<number> => {
  const { values, positionals } = parseOptionsAndPositionals(argv, OPTIONS);
  if (positionals.length !== 1 || !positionals[0]) {
    throw new UsageError('give exactly one ALIAS, e.g. rekey rotate-key alias/payments-signing --force.');
  }
  const alias = positionals[0];
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(`--output must be text or json; got '${output}'.`);
  const json = output === 'json';
  const region = values.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1');
  const input = {
    force: values.force === true ? true : undefined,
    periodDays: optionalInteger(values['period-days'], '--period-days'),
    gracePeriodSeconds: optionalInteger(values['grace-seconds'], '--grace-seconds'),
    retentionSeconds: optionalInteger(values['retention-seconds'], '--retention-seconds'),
    pendingWindowInDays: optionalInteger(values['pending-window-days'], '--pending-window-days'),
    importTimeoutSeconds: optionalInteger(values['import-timeout-seconds'], '--import-timeout-seconds'),
  };
  if (values['endpoint-url'] !== undefined) {
    if (values.wait || values['state-machine-arn'] || values['stack-name']) {
      throw new UsageError(
        '--endpoint-url runs the workflow here; --wait, --state-machine-arn and --stack-name are for deployed runs.',
      );
    }
    const result = await runLocally(io, {
      endpointUrl: parseEndpoint(values['endpoint-url']),
      alias,
      region,
      json,
      ...(values['event-bus'] ? { eventBus: values['event-bus'] } : {}),
      input,
    });
    io.stdout(
      json
        ? `${JSON.stringify({ executionArn: result.executionId, output: result.output, error: result.error })}\n`
        : formatRotation(result),
    );
    return result.error ? 1 : 0;
  }
  const arn = await stateMachineArnOf(region, values['state-machine-arn'], values['stack-name'] ?? 'rekey');
  return runDeployed(io, { alias, region, json, wait: values.wait === true, arn, input, pollMs });
};

const OPTIONS = {
  force: { type: 'boolean' },
  'period-days': { type: 'string' },
  'grace-seconds': { type: 'string' },
  'retention-seconds': { type: 'string' },
  'pending-window-days': { type: 'string' },
  'import-timeout-seconds': { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  'event-bus': { type: 'string' },
  'state-machine-arn': { type: 'string' },
  'stack-name': { type: 'string' },
  wait: { type: 'boolean' },
  output: { type: 'string' },
} as const;
