/**
 * Starting a deployed rekey workflow and following it, for the commands that run one
 * (`rotate-key`, `rotate-fleet`): the state machine from `--state-machine-arn` or from an output
 * of the CloudFormation stack `--stack-name`, StartExecution with the command's input, and with
 * `--wait` DescribeExecution until the execution ends. Loaded only by a deployed run.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DEFAULT_STACK_NAME } from './options.js';
import { clientFor, type Target } from './target.js';

/** Which state machine to start: the ARN given, else the stack output `outputKey` of `stackName`. */
export interface WorkflowLocation {
  readonly stateMachineArn?: string | undefined;
  /** Default {@link DEFAULT_STACK_NAME}. */
  readonly stackName?: string | undefined;
  /** The template's output naming the state machine (`KeyRotationStateMachineArn`, ...). */
  readonly outputKey: string;
}

/** The stack or its output is missing: the message says which, where, and the flags that fix it. */
export class WorkflowNotFoundError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'WorkflowNotFoundError';
  }
}

/**
 * The state machine's ARN: `stateMachineArn` when given, else the stack's output. A stack that
 * does not exist in the target's Region, or has no such output, is a {@link WorkflowNotFoundError}.
 */
export const findStateMachine = async (target: Target, where: WorkflowLocation): Promise<string> => {
  if (where.stateMachineArn) return where.stateMachineArn;
  const stackName = where.stackName ?? DEFAULT_STACK_NAME;
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const stacks = await clientFor(target, CloudFormationClient).send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    outputs = stacks.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    // CloudFormation answers a stack that does not exist with ValidationError ("Stack with id
    // NAME does not exist").
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      throw new WorkflowNotFoundError(
        `stack ${stackName} was not found in ${target.region}: pass --stack-name (or --state-machine-arn) and --region, or --endpoint-url to run locally.`,
      );
    }
    throw error;
  }
  const arn = outputs.find((o) => o.OutputKey === where.outputKey)?.OutputValue;
  if (!arn) {
    throw new WorkflowNotFoundError(
      `stack ${stackName} has no output ${where.outputKey}: deploy the current template, or pass --state-machine-arn.`,
    );
  }
  return arn;
};

/** How an execution ended: its status, its output (parsed) and, unless it succeeded, its error. */
export interface EndedExecution {
  readonly executionArn: string;
  readonly status: string;
  readonly output: unknown;
  readonly error?: { Error: string; Cause: string };
}

/** A started execution of a deployed workflow. */
export interface StartedExecution {
  readonly executionArn: string;
  /** The Step Functions client the execution was started with (for its history). */
  readonly sfn: SFNClient;
  /**
   * Polls the execution every `pollMs` until it ends. `onPoll` runs after each look, the last
   * one included (progress from the history, states entered since the previous look).
   */
  follow(options: {
    pollMs: number;
    onPoll?: (status: string, elapsedMs: number) => Promise<void> | void;
  }): Promise<EndedExecution>;
}

/** Finds the state machine ({@link findStateMachine}) and starts it with `input` (as JSON). */
export const startWorkflow = async (
  target: Target,
  where: WorkflowLocation,
  input: Record<string, unknown>,
): Promise<StartedExecution> => {
  const stateMachineArn = await findStateMachine(target, where);
  const sfn = clientFor(target, SFNClient);
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn ?? '';
  return {
    executionArn,
    sfn,
    async follow({ pollMs, onPoll }) {
      const startedMs = Date.now();
      for (;;) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        const status = described.status ?? 'UNKNOWN';
        await onPoll?.(status, Date.now() - startedMs);
        if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
          return {
            executionArn,
            status,
            output: described.output ? (JSON.parse(described.output) as unknown) : undefined,
            ...(status === 'SUCCEEDED'
              ? {}
              : { error: { Error: described.error ?? status, Cause: described.cause ?? '' } }),
          };
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
};
