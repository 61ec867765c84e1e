import type { WorkflowRun } from '../local/workflows.js';
import { optionalInteger, parseOptionsAndPositionals } from './args.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io, note, silenceLogs } from './io.js';
import { createProgress } from './progress.js';
import { resolveTarget, type Target } from './target.js';

export const summary =
  'Rotate the KMS key behind an alias now (alias swap), deployed or against a local endpoint';

/** Grace and retention of a local run unless flags say otherwise: a demo, not a production key. */
export const LOCAL_WAIT_SECONDS = 5;

export const help = `Usage: rekey rotate-key ALIAS [--force] [--grace-seconds N] [--retention-seconds N]
                        [--period-days N] [--pending-window-days N] [--region R]
                        [--endpoint-url URL | --state-machine-arn ARN | --stack-name NAME] [--wait]
                        [--output text|json]

Rotates the KMS key behind ALIAS by alias swap: creates a successor that copies the key's
spec, usage, origin, description, policy, tags and Regions, proves it works, points the alias
at it, keeps the old key enabled through a grace period, then disables it and schedules its
deletion. A failure rolls back and publishes a 'Key Rotation Failed' event.

Without an endpoint, starts the deployed key-rotation state machine (StartExecution) and
prints the execution ARN; --wait follows it to the end. With --endpoint-url (or
AWS_ENDPOINT_URL), runs the same state machine in this process against that endpoint (e.g. the
one 'rekey local' serves): the swap happens as soon as the successor is verified, and the
grace and retention waits are ${LOCAL_WAIT_SECONDS} s each unless the flags say otherwise (deployed: 7 days).
A local rotation stopped before the alias swap (Ctrl+C, a crash) is resumed by running the
same command again: the old key's rekey:pending-rotation tag names it; 'rekey doctor' lists it.

Options:
  --force                    Rotate even if the key is not due.
  --period-days N            Rotation period; the key is due N days after it went into service (default 365).
  --grace-seconds N          Seconds the old key stays enabled after the swap (default 604800, 7 days;
                             local runs ${LOCAL_WAIT_SECONDS}).
  --retention-seconds N      Seconds the old key stays disabled before its deletion is scheduled
                             (default 7 days; local runs ${LOCAL_WAIT_SECONDS}).
  --pending-window-days N    PendingWindowInDays of the old key's deletion, 7-30 (default 30).
  --import-timeout-seconds N EXTERNAL keys: how long to wait for key material (default 86400).
  --region R                 Region of the alias (default AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1).
  --endpoint-url URL         Run locally against this endpoint instead of starting the deployed workflow
                             (default AWS_ENDPOINT_URL).
  --event-bus NAME           Local runs: EventBridge bus for the rotation events (default 'rekey', the
                             stack's bus, which the function's role may publish to).
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

/**
 * The execution name of a rotation of this alias's key that began and never reached the swap
 * (the key still carries rekey:pending-rotation), so running again resumes it: the successor
 * step finds the key that rotation made by its tags instead of making another.
 */
export const interruptedRotation = async (target: Target, alias: string): Promise<string | undefined> => {
  const { DescribeKeyCommand, KMSClient, ListResourceTagsCommand, NotFoundException } = await import(
    '@aws-sdk/client-kms'
  );
  const { TAG, tagValue } = await import('../functions/key-rotation/tags.js');
  const kms = new KMSClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  });
  try {
    // ListResourceTags takes a key id or ARN, never an alias.
    const key = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyMetadata?.KeyId ?? alias }));
    return tagValue(tags.Tags, TAG.pendingRotation);
  } catch (error) {
    // A missing alias is the plan step's to report, with its own words.
    if (error instanceof NotFoundException) return undefined;
    throw error;
  } finally {
    kms.destroy();
  }
};

/**
 * Finishes the retirement a local rotation of this alias left undone (stopped after the swap),
 * before anything else: the old key is disabled and its deletion scheduled. Returns what to print.
 */
const finishInterruptedRetirement = async (
  io: Io,
  target: Target,
  alias: string,
  options: { json: boolean; retentionSeconds: number; pendingWindowInDays: number },
): Promise<string | undefined> => {
  const { createClients } = await import('../functions/key-rotation/clients.js');
  const { findUnfinishedRetirement, finishRetirement } = await import('./key-retirement.js');
  const { LOCAL_RETIRING_ALIAS_PREFIX } = await import('../local/workflows.js');
  const clients = createClients({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    credentials: target.credentials ?? { accessKeyId: target.accountId, secretAccessKey: 'local' },
    // The namespace the local workflow gave the old key's retiring alias.
    access: { retiringAliasPrefix: LOCAL_RETIRING_ALIAS_PREFIX },
  });
  const found = await findUnfinishedRetirement(clients.kms(target.region), alias, target.region);
  if (!found) return undefined;
  if (!options.json) {
    note(
      io,
      `Finishing the retirement of ${found.predecessorKeyId}, interrupted after the swap of ${found.rotatedAt}: ${alias} already uses ${found.keyArn}.\n`,
    );
  }
  const keys = await finishRetirement(clients, found, {
    retentionSeconds: options.retentionSeconds,
    pendingWindowInDays: options.pendingWindowInDays,
    progress: options.json ? { step: () => {}, wait: () => {}, end: () => {} } : createProgress(io),
  });
  return keys
    .map((k) => `  old key in ${k.region} disabled, deletion scheduled for ${k.deletionDate ?? 'unknown'}\n`)
    .join('');
};

const runLocally = async (
  io: Io,
  target: Target,
  options: {
    alias: string;
    json: boolean;
    eventBus?: string;
    input: Record<string, number | boolean | undefined>;
    executionName?: string;
  },
): Promise<WorkflowRun> => {
  await silenceLogs();
  const { runKeyRotationLocally } = await import('../local/workflows.js');
  const waits: Record<string, number | undefined> = {
    'Wait Grace Period': options.input.gracePeriodSeconds as number | undefined,
    'Wait Retention Period': options.input.retentionSeconds as number | undefined,
  };
  const progress = createProgress(io);
  // Ctrl+C (or SIGTERM) stops the run where it is; nothing here can finish it in the background.
  const stop = (signal: NodeJS.Signals) => {
    progress.end();
    io.stderr(
      `\nStopped (${signal}) before the rotation of ${options.alias} finished. Run the same command again to finish it; 'rekey doctor' lists it until then.\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runKeyRotationLocally({
      endpointUrl: target.endpoint ?? '',
      alias: options.alias,
      region: target.region,
      accountId: target.accountId,
      ...(options.eventBus ? { eventBusName: options.eventBus } : {}),
      ...(options.executionName ? { executionName: options.executionName } : {}),
      ...Object.fromEntries(Object.entries(options.input).filter(([, v]) => v !== undefined)),
      onEvent: (event) => {
        if (options.json || event.type !== 'StateEntered' || !event.state) return;
        const { name, type } = event.state;
        if (type === 'Choice') return;
        const seconds = waits[name];
        if (type === 'Wait' && seconds !== undefined) progress.wait(name, seconds);
        else progress.step(name);
      },
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    progress.end();
  }
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
    const progress = createProgress(io);
    for (;;) {
      const history = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: false, maxResults: 1000 }),
      );
      for (const event of history.events ?? []) {
        const name = event.stateEnteredEventDetails?.name;
        if (name && event.id !== undefined && !seen.has(event.id)) {
          seen.add(event.id);
          if (!options.json) progress.step(name);
        }
      }
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') {
        progress.end();
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
  const target = resolveTarget({ endpointUrl: values['endpoint-url'], region: values.region });
  const region = target.region;
  const input = {
    force: values.force === true ? true : undefined,
    periodDays: optionalInteger(values['period-days'], '--period-days'),
    gracePeriodSeconds: optionalInteger(values['grace-seconds'], '--grace-seconds'),
    retentionSeconds: optionalInteger(values['retention-seconds'], '--retention-seconds'),
    pendingWindowInDays: optionalInteger(values['pending-window-days'], '--pending-window-days'),
    importTimeoutSeconds: optionalInteger(values['import-timeout-seconds'], '--import-timeout-seconds'),
  };
  if (target.endpoint !== undefined) {
    if (values.wait || values['state-machine-arn'] || values['stack-name']) {
      throw new UsageError(
        'An endpoint (--endpoint-url or AWS_ENDPOINT_URL) runs the workflow here; --wait, --state-machine-arn and --stack-name are for deployed runs.',
      );
    }
    const shortened: string[] = [];
    if (input.gracePeriodSeconds === undefined) {
      input.gracePeriodSeconds = LOCAL_WAIT_SECONDS;
      shortened.push('grace period');
    }
    if (input.retentionSeconds === undefined) {
      input.retentionSeconds = LOCAL_WAIT_SECONDS;
      shortened.push('retention period');
    }
    if (shortened.length && !json) {
      note(
        io,
        `Local run against ${target.endpoint}: ${shortened.join(' and ')} ${LOCAL_WAIT_SECONDS} s instead of 7 days ` +
          '(--grace-seconds and --retention-seconds change them).\n',
      );
    }
    const resumed = await interruptedRotation(target, alias);
    if (resumed) {
      // The rotation was begun, so it is due whatever the key's age says now.
      input.force = true;
      if (!json) {
        note(
          io,
          `Resuming rotation ${resumed}, interrupted before the alias swap (${alias}'s key carries rekey:pending-rotation).\n`,
        );
      }
    }
    if (!resumed) {
      const finished = await finishInterruptedRetirement(io, target, alias, {
        json,
        retentionSeconds: input.retentionSeconds ?? LOCAL_WAIT_SECONDS,
        pendingWindowInDays: input.pendingWindowInDays ?? 30,
      });
      if (finished && !json) io.stdout(finished);
    }
    const result = await runLocally(io, target, {
      alias,
      json,
      ...(values['event-bus'] ? { eventBus: values['event-bus'] } : {}),
      input,
      ...(resumed ? { executionName: resumed } : {}),
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
