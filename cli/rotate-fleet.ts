import { fileURLToPath } from 'node:url';
import { optionalInteger, parseOptions } from './args.js';
import { UsageError } from './errors.js';
import { alignColumns } from './report/table.js';
import { type AwsTarget, awsTarget } from './rotate-secret.js';
import { endpointFrom } from './target.js';

export const summary =
  'Rotate every secret matching a filter that is due, overdue or stuck (the fleet workflow)';

export const help = `Usage: rekey rotate-fleet --filter tag:KEY=VALUE | --filter name-prefix:PREFIX
                          [--dry-run] [--wait] [--output table|json] [--max-concurrency N]
                          [--endpoint-url URL] [--region R] [--event-bus NAME] [--stall-timeout SECONDS]
                          [--state-machine-arn ARN | --stack-name NAME]

Runs the secret-fleet workflow: lists the secrets matching the filter, classifies each (due,
overdue, stuck, failed, rotating, healthy, disabled, empty), repairs what is safe, rotates the
due, overdue, stuck and failed ones with bounded concurrency, and publishes one summary event
(detail-type 'Secret Fleet Rotation Summary'). Never prints a secret value.

With --endpoint-url the workflow runs in this process (statemachines/secret-fleet-rotation.asl.json
through aws-local-stepfunctions), every call going to that endpoint, and always to its end.
Without it, it starts the deployed state machine: --state-machine-arn, or the output
SecretFleetStateMachineArn of the CloudFormation stack --stack-name (default 'rekey').

Options:
  --filter F              tag:KEY=VALUE (exact tag) or name-prefix:PREFIX; give both to require both.
  --dry-run               Classify and print the plan; change nothing, publish nothing.
  --wait                  Deployed workflow: follow the execution to its end and print the summary.
  --output table|json     How to print the result (default table).
  --max-concurrency N     Rotations at once, 1-40; lowered to what the Secrets Manager write quota allows.
  --endpoint-url URL      Run locally against this AWS-compatible endpoint (e.g. 'rekey local').
  --region R              Region (default AWS_REGION, or us-east-1 with --endpoint-url).
  --event-bus NAME        Bus for the summary event when running locally (default 'default').
  --stall-timeout S       A rotation with no change for S seconds has failed. Default 10 with
                          --endpoint-url: RotateSecret answers before the steps run (as on AWS),
                          and a local rotation changes the secret well within that.
  --state-machine-arn ARN The deployed fleet state machine.
  --stack-name NAME       Stack to read SecretFleetStateMachineArn from (default rekey).
  -h, --help              Show this help.

Exit codes: 0 every rotation succeeded (or the dry run / start worked), 1 a rotation or the
execution failed, 2 usage error.`;

const ASL = fileURLToPath(new URL('../statemachines/secret-fleet-rotation.asl.json', import.meta.url));

interface Filter {
  tag?: { key: string; value: string };
  namePrefix?: string;
}

/** Parses the --filter options into the workflow's filter. */
export const parseFilters = (values: string[] | undefined): Filter => {
  if (!values?.length) {
    throw new UsageError('--filter is required: --filter tag:KEY=VALUE or --filter name-prefix:PREFIX.');
  }
  const filter: Filter = {};
  for (const value of values) {
    const tag = /^tag:([^=]+)=(.*)$/.exec(value);
    if (tag?.[1] !== undefined && tag[2] !== undefined) {
      if (filter.tag) throw new UsageError('Give at most one --filter tag:KEY=VALUE.');
      filter.tag = { key: tag[1], value: tag[2] };
    } else if (value.startsWith('name-prefix:') && value.length > 'name-prefix:'.length) {
      if (filter.namePrefix !== undefined)
        throw new UsageError('Give at most one --filter name-prefix:PREFIX.');
      filter.namePrefix = value.slice('name-prefix:'.length);
    } else {
      throw new UsageError(`--filter '${value}' is not tag:KEY=VALUE or name-prefix:PREFIX.`);
    }
  }
  return filter;
};

interface Outcome {
  name: string;
  classification: string;
  outcome: string;
  repair?: string;
  versionId?: string;
  error?: string;
  reason?: string;
}
interface Summary {
  counts: { matched: number; rotated: number; failed: number; skipped: number; candidates: number };
  truncated?: boolean;
  secrets: Outcome[];
}
interface Plan {
  matched: number;
  truncated: boolean;
  options: { maxConcurrency: number };
  candidates: { name: string; classification: string; action: string; reason: string }[];
  skipped: { name: string; classification: string; reason: string }[];
}

const out = (text: string) => process.stdout.write(`${text}\n`);

const short = (text: string | undefined, max = 100) =>
  !text ? '' : text.length > max ? `${text.slice(0, max - 1)}…` : text;

const printSummary = (summary: Summary, output: string) => {
  if (output === 'json') return out(JSON.stringify(summary, null, 2));
  const order: Record<string, number> = { failed: 0, rotated: 1, skipped: 2 };
  const rows = [...summary.secrets]
    .sort((a, b) => (order[a.outcome] ?? 3) - (order[b.outcome] ?? 3) || a.name.localeCompare(b.name))
    .map((s) => [
      s.name,
      s.classification,
      s.repair ? `${s.outcome} (${s.repair})` : s.outcome,
      short(
        s.outcome === 'rotated'
          ? `version ${s.versionId ?? ''}`
          : s.error
            ? `${s.error}: ${s.reason ?? ''}`
            : s.reason,
      ),
    ]);
  out(alignColumns([['SECRET', 'FOUND', 'OUTCOME', 'DETAIL'], ...rows]));
  const c = summary.counts;
  out(`\n${c.matched} matched: ${c.rotated} rotated, ${c.failed} failed, ${c.skipped} left alone.`);
  if (summary.truncated) out('More secrets matched than one run takes (maxSecrets); run again for the rest.');
  if (c.failed > 0)
    out("Failed rotations keep their AWSCURRENT. Run 'rekey doctor' for the fix, then run this again.");
};

const printPlan = (plan: Plan, output: string) => {
  if (output === 'json') return out(JSON.stringify({ dryRun: true, plan }, null, 2));
  const rows = [
    ...plan.candidates.map((c) => [c.name, c.classification, c.action, short(c.reason)]),
    ...plan.skipped.map((s) => [s.name, s.classification, 'leave alone', short(s.reason)]),
  ];
  out(alignColumns([['SECRET', 'FOUND', 'WOULD', 'WHY'], ...rows]));
  out(
    `\nDry run: ${plan.matched} matched, ${plan.candidates.length} would be rotated (at most ${plan.options.maxConcurrency} at once). Nothing was changed.`,
  );
};

const exitCodeOf = (result: unknown): number => {
  const counts = (result as { counts?: { failed?: number } }).counts;
  return (counts?.failed ?? 0) > 0 ? 1 : 0;
};

const render = (result: unknown, output: string): number => {
  if ((result as { dryRun?: boolean }).dryRun) {
    printPlan((result as { plan: Plan }).plan, output);
    return 0;
  }
  printSummary(result as Summary, output);
  return exitCodeOf(result);
};

/** Runs the ASL in this process with every Task going to the fleet handler, clients at the endpoint. */
const runLocally = async (target: AwsTarget, input: Record<string, unknown>, eventBus: string) => {
  const { runWorkflow } = await import('../local/workflows.js');
  const { createClients } = await import('../functions/secret-fleet/clients.js');
  const { createHandler } = await import('../functions/secret-fleet/handler.js');
  const functionArn = `arn:aws:lambda:${target.region}:${target.accountId}:function:rekey-secret-fleet`;
  let rotating = 0;
  let done = 0;
  const run = await runWorkflow({
    aslPath: ASL,
    substitutions: { SecretFleetFunctionArn: functionArn, EventBusName: eventBus },
    tasks: { [functionArn]: createHandler(createClients(target)) },
    // Pacing waits protect the AWS quota; a local endpoint has none, so checks follow quickly.
    waitOverrides: { 'Wait For Rotation': 100, 'Pause After Error': 0 },
    input,
    region: target.region,
    accountId: target.accountId,
    stateMachineName: 'rekey-secret-fleet-rotation',
    onEvent: (event) => {
      if (event.type !== 'StateEntered' || !event.state) return;
      const name = event.state.name;
      if (name === 'Start Rotation') rotating++;
      if (['Rotation Succeeded', 'Rotation Failed', 'Record Error'].includes(name)) {
        done++;
        if (done % 10 === 0) process.stderr.write(`  ${done}/${rotating} rotations done\n`);
      }
      if (['List Secrets', 'Assess Secrets', 'Publish Summary'].includes(name))
        process.stderr.write(`${name}…\n`);
    },
  });
  return run;
};

/** The deployed state machine's ARN: given, or from the stack's SecretFleetStateMachineArn output. */
const stateMachineArn = async (
  target: AwsTarget,
  arn: string | undefined,
  stackName: string,
): Promise<string> => {
  if (arn) return arn;
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = new CloudFormationClient({ region: target.region });
  try {
    const stacks = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const output = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'SecretFleetStateMachineArn');
    if (!output?.OutputValue) {
      throw new Error(
        `stack ${stackName} has no output SecretFleetStateMachineArn: deploy the current template, or pass --state-machine-arn.`,
      );
    }
    return output.OutputValue;
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError') {
      throw new Error(
        `stack ${stackName} was not found in ${target.region}: pass --stack-name (or --state-machine-arn), or --endpoint-url to run locally.`,
      );
    }
    throw error;
  } finally {
    cfn.destroy();
  }
};

/** Starts the deployed workflow; with --wait follows it and prints its summary. */
const runDeployed = async (
  target: AwsTarget,
  input: Record<string, unknown>,
  values: { wait?: boolean; output: string; arn?: string; stackName: string },
): Promise<number> => {
  const { SFNClient, StartExecutionCommand, DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
  const machine = await stateMachineArn(target, values.arn, values.stackName);
  const sfn = new SFNClient({ region: target.region });
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine, input: JSON.stringify(input) }),
    );
    const executionArn = started.executionArn ?? '';
    if (!values.wait) {
      if (values.output === 'json') out(JSON.stringify({ executionArn }));
      else out(`Started ${executionArn}\nFollow it with --wait, or in the Step Functions console.`);
      return 0;
    }
    process.stderr.write(`Started ${executionArn}\n`);
    const startedMs = Date.now();
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') {
        process.stderr.write(`  running (${Math.round((Date.now() - startedMs) / 1000)} s)\n`);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      if (execution.status === 'SUCCEEDED')
        return render(JSON.parse(execution.output ?? '{}') as unknown, values.output);
      process.stderr.write(
        `The execution ended ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}\n` +
          'See the execution in the Step Functions console; the state that failed names the cause.\n',
      );
      return 1;
    }
  } finally {
    sfn.destroy();
  }
};

/** `rekey rotate-fleet`. */
export const run = async (argv: string[]): Promise<number> => {
  const { values } = parseOptions(argv, {
    filter: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    wait: { type: 'boolean' },
    output: { type: 'string' },
    'max-concurrency': { type: 'string' },
    'endpoint-url': { type: 'string' },
    region: { type: 'string' },
    'event-bus': { type: 'string' },
    'stall-timeout': { type: 'string' },
    'state-machine-arn': { type: 'string' },
    'stack-name': { type: 'string' },
  });
  const filter = parseFilters(values.filter);
  // --endpoint-url, else AWS_ENDPOINT_URL: with either the workflow runs here, never a deployed stack.
  values['endpoint-url'] ??= endpointFrom(undefined);
  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json')
    throw new UsageError(`--output must be table or json; got '${output}'.`);
  const input: Record<string, unknown> = { filter };
  if (values['dry-run']) input.dryRun = true;
  const maxConcurrency = optionalInteger(values['max-concurrency'], '--max-concurrency', { min: 1, max: 40 });
  if (maxConcurrency !== undefined) input.maxConcurrency = maxConcurrency;
  const local = values['endpoint-url'] !== undefined;
  const stall = optionalInteger(values['stall-timeout'] ?? (local ? '10' : undefined), '--stall-timeout', {
    min: 0,
    max: 3600,
    unit: 'seconds',
  });
  if (stall !== undefined) input.stallTimeoutSeconds = stall;
  if (local && (values['state-machine-arn'] || values['stack-name'])) {
    throw new UsageError(
      '--endpoint-url runs the workflow locally: drop --state-machine-arn and --stack-name.',
    );
  }
  const target = awsTarget(values['endpoint-url'], values.region);

  if (!local) {
    return runDeployed(target, input, {
      ...(values.wait ? { wait: true } : {}),
      output,
      ...(values['state-machine-arn'] ? { arn: values['state-machine-arn'] } : {}),
      stackName: values['stack-name'] ?? 'rekey',
    });
  }
  const run = await runLocally(target, input, values['event-bus'] ?? 'default');
  if (run.error) {
    const { causeMessage } = await import('../functions/secret-fleet/summary.js');
    process.stderr.write(
      `The fleet workflow failed: ${run.error.Error}: ${causeMessage(run.error.Cause) ?? ''}\n`,
    );
    return 1;
  }
  return render(run.output, output);
};
