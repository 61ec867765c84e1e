import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createClients } from '../functions/key-rotation/clients.js';
import { createHandler } from '../functions/key-rotation/handler.js';
import { functionCredentials, LOCAL_STACK_NAME, TemplateIdentities } from './core/iam/identities.js';
import { DEFAULT_ACCOUNT_ID } from './server.js';

/**
 * Runs the project's state machines in-process through `aws-local-stepfunctions`, with every
 * Task mapped to a local function, never to a real Lambda. Used by the CLI (`--endpoint-url`)
 * and, through `test/helpers/state-machine.ts`, by the tests.
 */

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type Handler = TaskHandlers[string];

/** One execution event of aws-local-stepfunctions (the package does not export the type). */
export interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string };
  Error?: string;
  Cause?: unknown;
}

/** A Task implementation: receives the Task's effective input (after Parameters), returns its result. */
export type TaskFunction = (input: unknown) => Promise<unknown>;

export interface RunWorkflowOptions {
  /** Path of an `*.asl.json` file (JSONPath ASL). */
  aslPath: string;
  /** Values of `${Name}` placeholders, as template.yaml's DefinitionSubstitutions would give. */
  substitutions: Record<string, string>;
  /**
   * Task implementations keyed by state name or by (substituted) Resource; the state name wins.
   * A Task state with neither is refused before the run starts.
   */
  tasks: Record<string, TaskFunction>;
  input: unknown;
  /** Milliseconds each named Wait state pauses instead of its configured time. */
  waitOverrides?: Record<string, number>;
  /** Pause before each retry in ms instead of the Retry backoff (default: the real backoff). */
  retryDelayMs?: number;
  /** Execution name (`$$.Execution.Name`); a UUID when unset. */
  executionName?: string;
  /** State machine name in the execution ARN (`$$.Execution.Id`). */
  stateMachineName?: string;
  region?: string;
  accountId?: string;
  /** Called with each execution event as it happens (progress display). */
  onEvent?: (event: ExecutionEvent) => void;
}

export interface WorkflowRun {
  /** The execution output when it succeeded. */
  output?: unknown;
  /** Error name and cause when it failed. */
  error?: { Error: string; Cause: string };
  /** Names of the states entered, in order (repeats included). */
  states: string[];
  executionId: string;
  executionName: string;
}

/** A Task state had no local implementation: the run would otherwise call a real Lambda. */
export class UnmappedTaskError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnmappedTaskError';
  }
}

/** Reads an ASL file and fills its `${Name}` placeholders; an unknown placeholder is an error. */
export const loadDefinition = async (
  aslPath: string,
  substitutions: Record<string, string>,
): Promise<unknown> => {
  const text = await readFile(aslPath, 'utf8');
  const filled = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) {
      throw new Error(`${aslPath} uses \${${name}} but no substitution was given for it.`);
    }
    // The value lands inside a JSON string.
    return JSON.stringify(value).slice(1, -1);
  });
  return JSON.parse(filled) as unknown;
};

type StateDef = {
  Type?: string;
  Resource?: string;
  Iterator?: Machine;
  ItemProcessor?: Machine;
  Branches?: Machine[];
};
type Machine = { States?: Record<string, StateDef> };

/** Every Task state (name, Resource), including those inside Map and Parallel states. */
export const taskStatesOf = (machine: Machine): { name: string; resource: string }[] => {
  const out: { name: string; resource: string }[] = [];
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    if (state.Type === 'Task') out.push({ name, resource: state.Resource ?? '' });
    for (const nested of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
      if (nested) out.push(...taskStatesOf(nested));
    }
  }
  return out;
};

/** Names of the states with a Retry field (to shorten their retry pauses). */
const retryableStatesOf = (machine: Machine): string[] => {
  const out: string[] = [];
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    if ('Retry' in state) out.push(name);
    for (const nested of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
      if (nested) out.push(...retryableStatesOf(nested));
    }
  }
  return out;
};

/** Runs one execution to its end and reports output or error and the states it went through. */
export const runWorkflow = async (options: RunWorkflowOptions): Promise<WorkflowRun> => {
  const definition = (await loadDefinition(options.aslPath, options.substitutions)) as Machine;
  const handlers: TaskHandlers = {};
  for (const { name, resource } of taskStatesOf(definition)) {
    const fn = options.tasks[name] ?? options.tasks[resource];
    if (!fn) {
      throw new UnmappedTaskError(
        `Task state '${name}' (Resource ${resource}) has no local implementation: map its name or resource in 'tasks'.`,
      );
    }
    handlers[name] = fn as Handler;
  }
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const executionName = options.executionName ?? randomUUID();
  const stateMachineName = options.stateMachineName ?? 'local';
  const executionId = `arn:aws:states:${region}:${accountId}:execution:${stateMachineName}:${executionName}`;
  const retryIntervalOverrides =
    options.retryDelayMs === undefined
      ? undefined
      : Object.fromEntries(retryableStatesOf(definition).map((name) => [name, options.retryDelayMs ?? 0]));

  const machine = new StateMachine(definition as StateMachineDefinition);
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      ...(options.waitOverrides ? { waitTimeOverrides: options.waitOverrides } : {}),
      ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
    },
    context: {
      Execution: { Id: executionId, Name: executionName },
      StateMachine: {
        Id: `arn:aws:states:${region}:${accountId}:stateMachine:${stateMachineName}`,
        Name: stateMachineName,
      },
    },
  });
  const states: string[] = [];
  let error: WorkflowRun['error'];
  const logs = (async () => {
    for await (const raw of execution.eventLogs) {
      const event = raw as ExecutionEvent;
      if (event.type === 'StateEntered' && event.state) states.push(event.state.name);
      if (event.type === 'ExecutionFailed')
        error = { Error: event.Error ?? 'Error', Cause: String(event.Cause ?? '') };
      options.onEvent?.(event);
    }
  })();
  let output: unknown;
  try {
    output = await execution.result;
  } catch (thrown) {
    error ??= { Error: thrown instanceof Error ? thrown.name : 'Error', Cause: String(thrown) };
  }
  await logs;
  return { ...(error ? { error } : { output }), states, executionId, executionName };
};

/**
 * The bus the local workflow publishes to unless told otherwise: the stack's (template.yaml's
 * EventBusName default), the only one the function's role may publish to.
 */
export const LOCAL_EVENT_BUS = 'rekey';

/** The retiring-alias namespace of local key rotations: the stack's, as template.yaml sets it. */
export const LOCAL_RETIRING_ALIAS_PREFIX = `alias/rekey-retiring/${LOCAL_STACK_NAME}/`;

/** The key-rotation function's logical id in template.yaml: the role its steps run under. */
export const KEY_ROTATION_FUNCTION = 'KeyRotationFunction';

/** Where the key-rotation workflow lives in the repository. */
export const KEY_ROTATION_ASL = fileURLToPath(
  new URL('../statemachines/key-rotation.asl.json', import.meta.url),
);

export interface LocalKeyRotationOptions {
  /** The local endpoint (or any AWS-compatible endpoint) the KMS, EventBridge and Secrets Manager calls go to. */
  endpointUrl: string;
  alias: string;
  region: string;
  accountId?: string;
  force?: boolean;
  periodDays?: number;
  gracePeriodSeconds?: number;
  retentionSeconds?: number;
  pendingWindowInDays?: number;
  importTimeoutSeconds?: number;
  importPollSeconds?: number;
  reencrypt?: { ciphertexts?: string[]; secretId?: string };
  eventBusName?: string;
  executionName?: string;
  onEvent?: (event: ExecutionEvent) => void;
}

/**
 * Runs `statemachines/key-rotation.asl.json` locally: every Task goes to the real key-rotation
 * handler, whose clients point at `endpointUrl`. Waits last as the input says (grace and
 * retention in seconds), so a short run needs short values.
 */
export const runKeyRotationLocally = async (options: LocalKeyRotationOptions): Promise<WorkflowRun> => {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  // As deployed: the handler signs as its role (the endpoint enforces the role's policies), names
  // that role in unproven successors' key policies, and gives retiring keys an alias in the
  // stack's namespace (template.yaml's REKEY_ROLE_ARN and REKEY_RETIRING_ALIAS_PREFIX).
  const role = new TemplateIdentities().role(KEY_ROTATION_FUNCTION, accountId, options.region);
  const handler = createHandler(
    createClients({
      region: options.region,
      endpoint: options.endpointUrl,
      credentials: functionCredentials(KEY_ROTATION_FUNCTION, accountId),
      access: { roleArn: role.roleArn, retiringAliasPrefix: LOCAL_RETIRING_ALIAS_PREFIX },
    }),
  );
  const functionArn = `arn:aws:lambda:${options.region}:${accountId}:function:rekey-key-rotation`;
  const input: Record<string, unknown> = { alias: options.alias };
  for (const key of [
    'force',
    'periodDays',
    'gracePeriodSeconds',
    'retentionSeconds',
    'pendingWindowInDays',
    'importTimeoutSeconds',
    'importPollSeconds',
    'reencrypt',
  ] as const) {
    if (options[key] !== undefined) input[key] = options[key];
  }
  return runWorkflow({
    aslPath: KEY_ROTATION_ASL,
    substitutions: {
      KeyRotationFunctionArn: functionArn,
      EventBusName: options.eventBusName ?? LOCAL_EVENT_BUS,
    },
    tasks: { [functionArn]: handler },
    input,
    region: options.region,
    accountId,
    stateMachineName: 'rekey-key-rotation',
    ...(options.executionName ? { executionName: options.executionName } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
};
