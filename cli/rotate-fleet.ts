import {
  DEFAULT_WRITE_QUOTA_PERCENT,
  SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
} from '../functions/secret-fleet/quota.js';
import type { FleetSummary } from '../functions/secret-fleet/summary.js';
import type { FleetPlan, FleetProgress } from '../functions/secret-fleet/types.js';
import { optionalInteger, parseOptions } from './args.js';
import type { WorkflowLocation } from './deployed-workflow.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io, note } from './io.js';
import {
  DEPLOYED_OPTIONS,
  FILTER_OPTION,
  OUTPUT_OPTION,
  outputOption,
  parseSecretFilter,
  TARGET_OPTIONS,
} from './options.js';
import { alignColumns } from './report/table.js';
import { resolveTarget, type Target } from './target.js';

export const summary =
  'Rotate every secret matching a filter that is due, overdue or stuck (the fleet workflow)';

export const help = `Usage: rekey rotate-fleet --filter tag:KEY=VALUE | --filter name-prefix:PREFIX
                          [--dry-run] [--wait] [--output table|json] [--max-rotations N]
                          [--write-quota-percent P] [--max-concurrency N]
                          [--endpoint-url URL] [--region R] [--event-bus NAME] [--stall-timeout SECONDS]
                          [--state-machine-arn ARN | --stack-name NAME]

Runs the secret-fleet workflow: lists every secret matching the filter, classifies each (due,
overdue, stuck, failed, rotating, healthy, disabled, empty), and rotates at most --max-rotations
of the due, overdue, stuck and failed ones, oldest due first (run it again for the rest). The
rotations are paced by a token bucket at --write-quota-percent of Secrets Manager's write quota
(50 writes/s per account and Region; each rotation makes 2 writes, a repair 1 more). Shows
progress (rotated / failed / remaining, writes/s against the quota), then a summary with each
failure and its cause, and publishes one summary event (detail-type 'Secret Fleet Rotation
Summary'). Never prints a secret value.

With --endpoint-url the workflow runs in this process (statemachines/secret-fleet-rotation.asl.json
through aws-local-stepfunctions), every call going to that endpoint, and always to its end.
Without it, it starts the deployed state machine: --state-machine-arn, or the output
SecretFleetStateMachineArn of the CloudFormation stack --stack-name (default 'rekey').

Options:
  --filter F              tag:KEY=VALUE (exact tag) or name-prefix:PREFIX; give both to require both.
  --dry-run               Classify and print the plan; change nothing, publish nothing.
  --wait                  Deployed workflow: follow the execution (progress per batch) and print the summary.
  --output table|json     How to print the result (default table).
  --max-rotations N       Rotations started by this run, oldest due first (default 300).
  --write-quota-percent P Share of the write quota the fleet takes, 1-100 (default 90).
  --max-concurrency N     Rotations running at once, 1-100 (default 50).
  --endpoint-url URL      Run locally against this AWS-compatible endpoint (e.g. 'rekey local').
  --region R              Region (default AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1).
  --event-bus NAME        Bus for the summary event when running locally (default 'rekey', the
                          stack's: the only one the fleet function's role may publish to).
  --stall-timeout S       A rotation with no change for S seconds has failed (default 300; 10
                          with --endpoint-url: RotateSecret answers before the steps run, as
                          on AWS, and a local rotation changes the secret well within that).
  --state-machine-arn ARN The deployed fleet state machine.
  --stack-name NAME       Stack to read SecretFleetStateMachineArn from (default rekey).
  -h, --help              Show this help.

Exit codes: 0 every rotation succeeded (or the dry run / start worked), 1 a rotation or the
execution failed, 2 usage error.`;

// The shapes the fleet function returns (type-only imports: nothing is loaded at run time).
type Summary = FleetSummary;
type Plan = FleetPlan;
type Progress = Pick<
  FleetProgress,
  'rotated' | 'failed' | 'remaining' | 'inFlight' | 'writes' | 'busySeconds'
>;

/** Prints lines of the result on standard output. */
const printer = (io: Io) => (text: string) => io.stdout(`${text}\n`);

const short = (text: string | undefined, max = 100) =>
  !text ? '' : text.length > max ? `${text.slice(0, max - 1)}…` : text;

const byClass = (counts: Partial<Record<string, number>> | undefined) =>
  Object.entries(counts ?? {})
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

/** One progress line: rotated / failed / remaining, and the write rate against the quota. */
export const progressLine = (p: Progress, quota: { perSecond: number; percent: number }): string => {
  const rate = p.busySeconds > 0 ? p.writes / p.busySeconds : 0;
  return `  ${p.rotated} rotated, ${p.failed} failed, ${p.remaining + p.inFlight.length} remaining · ${rate.toFixed(1)} writes/s (quota ${quota.perSecond}/s, fleet share ${quota.percent}%)`;
};

const printSummary = (io: Io, summary: Summary, output: string) => {
  const out = printer(io);
  if (output === 'json') return out(JSON.stringify(summary, null, 2));
  const c = summary.counts;
  if (summary.failures.length > 0) {
    const rows = summary.failures.map((f) => [
      f.name,
      f.classification,
      short(`${f.error}: ${f.reason}`, 160),
    ]);
    out(alignColumns([['FAILED SECRET', 'FOUND', 'CAUSE'], ...rows]));
    if (summary.failuresOmitted > 0)
      out(`…and ${summary.failuresOmitted} more failures (each is in the fleet function's log).`);
    out('');
  }
  out(
    `${c.matched} matched (${byClass(c.byClassification)}): ${c.rotated} rotated, ${c.failed} failed, ${c.skipped} left alone.`,
  );
  const p = summary.pacing;
  if (p && p.writes > 0) {
    out(
      `${p.writes} writes in ${p.seconds} s: ${p.writesPerSecond} writes/s against a quota of ${p.writeQuotaPerSecond}/s (fleet share ${p.writeQuotaPercent}%).`,
    );
  }
  if (c.deferred > 0)
    out(
      `${c.deferred} more secrets need a rotation than one run takes (--max-rotations); run again for them.`,
    );
  if (summary.stoppedBy)
    out(
      `The run stopped early (${summary.stoppedBy.error}: ${summary.stoppedBy.reason}); ${c.remaining} not started. Run again.`,
    );
  if (c.failed > 0)
    out("Failed rotations keep their AWSCURRENT. Run 'rekey doctor' for the fix, then run this again.");
};

const printPlan = (io: Io, plan: Plan, output: string) => {
  const out = printer(io);
  if (output === 'json') return out(JSON.stringify({ dryRun: true, plan }, null, 2));
  const rows = plan.preview.map((c) => [c.name, c.classification, c.action, short(c.reason)]);
  if (rows.length > 0) out(alignColumns([['SECRET', 'FOUND', 'WOULD', 'WHY'], ...rows]));
  if (plan.selected > rows.length) out(`…and ${plan.selected - rows.length} more.`);
  out(
    `\nDry run: ${plan.matched} matched (${byClass(plan.counts)}); ${plan.selected} would be rotated, oldest due first` +
      `${plan.deferred > 0 ? `, ${plan.deferred} left for later runs (--max-rotations)` : ''}. Nothing was changed.`,
  );
};

const exitCodeOf = (result: unknown): number => {
  const summary = result as Partial<Summary>;
  return (summary.counts?.failed ?? 0) > 0 || summary.stoppedBy ? 1 : 0;
};

const render = (io: Io, result: unknown, output: string): number => {
  if ((result as { dryRun?: boolean }).dryRun) {
    printPlan(io, (result as { plan: Plan }).plan, output);
    return 0;
  }
  printSummary(io, result as Summary, output);
  return exitCodeOf(result);
};

/** Runs the workflow in this process (local/workflows/), every call going to the target's endpoint. */
const runLocally = async (
  io: Io,
  target: Target,
  input: Record<string, unknown>,
  eventBus: string | undefined,
) => {
  const { fleetOptionsOf, runFleetLocally } = await import('../local/workflows/secret-fleet.js');
  const options = fleetOptionsOf(input);
  const quota = { perSecond: options.writeQuotaPerSecond, percent: options.writeQuotaPercent };
  return runFleetLocally({
    region: target.region,
    accountId: target.accountId,
    endpoint: target.endpoint ?? '',
    input,
    ...(eventBus ? { eventBusName: eventBus } : {}),
    onPlan: (plan) =>
      note(
        io,
        `Planned: ${plan.matched} matched, ${plan.candidates} need a rotation, ${plan.selected} this run.\n`,
      ),
    onProgress: (p) => note(io, `${progressLine(p, quota)}\n`),
  });
};

/** The latest batch progress of a deployed execution, from its history (undefined when none yet). */
const latestProgress = async (
  sfn: import('@aws-sdk/client-sfn').SFNClient,
  executionArn: string,
): Promise<Progress | undefined> => {
  const { GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  try {
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 30 }),
    );
    for (const event of history.events ?? []) {
      const output = event.taskSucceededEventDetails?.output;
      if (!output) continue;
      const parsed = JSON.parse(output) as Partial<Progress>;
      if (typeof parsed.rotated === 'number' && Array.isArray(parsed.inFlight)) return parsed as Progress;
    }
  } catch {
    // Progress is a courtesy (it needs states:GetExecutionHistory): the summary comes anyway.
  }
  return undefined;
};

/** Starts the deployed workflow; with --wait follows it and prints its summary. */
const runDeployed = async (
  io: Io,
  target: Target,
  input: Record<string, unknown>,
  values: {
    wait?: boolean;
    output: string;
    where: WorkflowLocation;
    quota: { perSecond: number; percent: number };
    pollMs: number;
  },
): Promise<number> => {
  const { startWorkflow } = await import('./deployed-workflow.js');
  const execution = await startWorkflow(target, values.where, input);
  const { executionArn } = execution;
  if (!values.wait) {
    if (values.output === 'json') io.stdout(`${JSON.stringify({ executionArn })}\n`);
    else io.stdout(`Started ${executionArn}\nFollow it with --wait, or in the Step Functions console.\n`);
    return 0;
  }
  note(io, `Started ${executionArn}\n`);
  const ended = await execution.follow({
    pollMs: values.pollMs,
    onPoll: async (status, elapsedMs) => {
      if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') return;
      const progress = await latestProgress(execution.sfn, executionArn);
      const seconds = Math.round(elapsedMs / 1000);
      note(
        io,
        progress ? `${progressLine(progress, values.quota)} (${seconds} s)\n` : `  running (${seconds} s)\n`,
      );
    },
  });
  if (!ended.error) return render(io, ended.output ?? {}, values.output);
  io.stderr(
    `The execution ended ${ended.status}: ${ended.error.Error} ${ended.error.Cause}\n` +
      'See the execution in the Step Functions console; the state that failed names the cause.\n',
  );
  return 1;
};

/** `rekey rotate-fleet`. */
export const run = async (argv: string[], io: Io = defaultIo, pollMs = 5000): Promise<number> => {
  const { values } = parseOptions(argv, {
    ...TARGET_OPTIONS,
    ...DEPLOYED_OPTIONS,
    ...OUTPUT_OPTION,
    ...FILTER_OPTION,
    'dry-run': { type: 'boolean' },
    'max-concurrency': { type: 'string' },
    'max-rotations': { type: 'string' },
    'write-quota-percent': { type: 'string' },
    'event-bus': { type: 'string' },
    'stall-timeout': { type: 'string' },
  });
  const filter = parseSecretFilter(values.filter, { required: true });
  const output = outputOption(values.output, ['table', 'json']);
  // --endpoint-url, else AWS_ENDPOINT_URL: with either the workflow runs here, never a deployed stack.
  const target = resolveTarget({ endpointUrl: values['endpoint-url'], region: values.region });
  const input: Record<string, unknown> = { filter };
  if (values['dry-run']) input.dryRun = true;
  const maxConcurrency = optionalInteger(values['max-concurrency'], '--max-concurrency', {
    min: 1,
    max: 100,
  });
  if (maxConcurrency !== undefined) input.maxConcurrency = maxConcurrency;
  const maxRotations = optionalInteger(values['max-rotations'], '--max-rotations', {
    min: 1,
    max: 1_000_000,
  });
  if (maxRotations !== undefined) input.maxRotations = maxRotations;
  const percent = optionalInteger(values['write-quota-percent'], '--write-quota-percent', {
    min: 1,
    max: 100,
  });
  if (percent !== undefined) input.writeQuotaPercent = percent;
  const local = target.endpoint !== undefined;
  // Locally a rotation takes milliseconds once its steps start after RotateSecret answers: check
  // every second, and call one still unchanged after 10 s failed.
  if (local) input.pollSeconds = 1;
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

  if (!local) {
    return runDeployed(io, target, input, {
      ...(values.wait ? { wait: true } : {}),
      output,
      where: {
        stateMachineArn: values['state-machine-arn'],
        stackName: values['stack-name'],
        outputKey: 'SecretFleetStateMachineArn',
      },
      pollMs,
      quota: {
        perSecond: SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
        percent: percent ?? DEFAULT_WRITE_QUOTA_PERCENT,
      },
    });
  }
  const run = await runLocally(io, target, input, values['event-bus']);
  if (run.error) {
    const { causeMessage } = await import('../functions/secret-fleet/summary.js');
    io.stderr(`The fleet workflow failed: ${run.error.Error}: ${causeMessage(run.error.Cause) ?? ''}\n`);
    return 1;
  }
  return render(io, run.output, output);
};
