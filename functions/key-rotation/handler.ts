import { requiredString } from '../lib/config.js';
import { withInvocationLogger } from '../lib/invocation.js';
import { measureStep } from '../lib/metrics.js';
import { need, type TaskEvent, taskEventParser } from '../lib/task-event.js';
import { defaultClients, type KeyRotationClients } from './clients.js';
import { publishAwaitingKeyMaterial, publishFailure, publishSuccess } from './events.js';
import { recordEvidence } from './evidence.js';
import { recordKeyRotationMetrics } from './metrics.js';
import { planRotation } from './plan.js';
import { reencryptCiphertexts } from './reencrypt.js';
import { checkPredecessorUnused, disablePredecessor, schedulePredecessorDeletion } from './retire.js';
import { rollBackAfterSwap, rollBackBeforeSwap } from './rollback.js';
import { parseScheduleInput, type ScheduleInput, scheduleDueKeys } from './schedule.js';
import { checkKeyMaterialImport, createSuccessor } from './successor.js';
import { swapAlias } from './swap.js';
import type { ExecutionRef, KeyPlan, SuccessorKey, WorkflowState } from './types.js';
import { verifySuccessor } from './verify.js';

/**
 * One Lambda function serves every Task of `statemachines/key-rotation.asl.json`: each Task
 * passes `{ task, state: $, executionId: $$.Execution.Id, executionName: $$.Execution.Name }`
 * (plus `eventBusName` for the publishing tasks) and writes the result at its own ResultPath.
 * One function keeps one role, one log group and one ARN to substitute; the steps stay
 * separate domain modules.
 */
export interface KeyRotationTaskEvent extends TaskEvent<string, WorkflowState> {
  executionName: string;
}

type Step = (
  clients: KeyRotationClients,
  event: KeyRotationTaskEvent,
  execution: ExecutionRef,
) => Promise<unknown>;

const planOf = (e: KeyRotationTaskEvent): KeyPlan => need(e.state.plan, 'state.plan', e.task);
const successorOf = (e: KeyRotationTaskEvent): SuccessorKey =>
  need(e.state.successor, 'state.successor', e.task);
const busOf = (e: KeyRotationTaskEvent): string => need(e.eventBusName, 'eventBusName', e.task);

const TASKS = {
  plan: (c, e) => planRotation(c, e.state),
  createSuccessor: (c, e, x) => createSuccessor(c, planOf(e), x),
  announceKeyMaterialImport: (c, e, x) => publishAwaitingKeyMaterial(c, e.state, x, busOf(e)),
  checkKeyMaterialImport: (c, e) => checkKeyMaterialImport(c, planOf(e), successorOf(e)),
  verifySuccessor: (c, e) => verifySuccessor(c, successorOf(e)),
  swapAlias: (c, e) => swapAlias(c, planOf(e), successorOf(e)),
  recordEvidence: (c, e, x) =>
    recordEvidence(c, planOf(e), successorOf(e), x, need(e.state.swap, 'state.swap', e.task).swappedAt),
  reencrypt: (c, e, x) => reencryptCiphertexts(c, planOf(e), successorOf(e), x, e.state.swap?.swappedAt),
  checkPredecessorUnused: (c, e) => checkPredecessorUnused(c, planOf(e)),
  disablePredecessor: (c, e) => disablePredecessor(c, planOf(e), e.state.swap?.swappedAt),
  schedulePredecessorDeletion: (c, e) => schedulePredecessorDeletion(c, planOf(e)),
  rollBackBeforeSwap: (c, e, x) => rollBackBeforeSwap(c, e.state, x),
  rollBackAfterSwap: (c, e, x) => rollBackAfterSwap(c, e.state, x),
  publishSuccess: (c, e, x) => publishSuccess(c, e.state, x, busOf(e)),
  publishFailure: (c, e, x) => publishFailure(c, e.state, x, busOf(e)),
} satisfies Record<string, Step>;

export type KeyRotationTask = keyof typeof TASKS;
export const KEY_ROTATION_TASKS = Object.keys(TASKS) as KeyRotationTask[];

/**
 * Checks the event's envelope (functions/lib/task-event.ts: unknown fields are refused); each
 * step checks the parts of the state it reads.
 */
export const parseTaskEvent = (event: unknown): KeyRotationTaskEvent =>
  parseKeyRotationTask(event) as KeyRotationTaskEvent;
const parseKeyRotationTask = taskEventParser(KEY_ROTATION_TASKS, { executionName: true });

/** What one invocation runs: a Task of an execution, or the key schedule (EventBridge Scheduler, outside any execution). */
type KeyRotationInvocation =
  | { readonly kind: 'task'; readonly event: KeyRotationTaskEvent }
  | { readonly kind: 'schedule'; readonly input: ScheduleInput };

const parseInvocation = (event: unknown): KeyRotationInvocation =>
  typeof event === 'object' && event !== null && (event as { task?: unknown }).task === 'scheduleDueKeys'
    ? { kind: 'schedule', input: parseScheduleInput(event as Record<string, unknown>) }
    : { kind: 'task', event: parseTaskEvent(event) };

/** Builds the handler over a set of clients (the local runner and tests pass their own). */
export const createHandler = (clients: KeyRotationClients) =>
  withInvocationLogger<KeyRotationInvocation, unknown>(
    {
      parse: parseInvocation,
      keys: (invocation) =>
        invocation.kind === 'schedule'
          ? { task: 'scheduleDueKeys' }
          : { task: invocation.event.task, execution: invocation.event.executionId },
      failureMessage: 'Key rotation step failed',
    },
    async (invocation) => {
      if (invocation.kind === 'schedule') {
        const stateMachineArn = requiredString(
          'KEY_ROTATION_STATE_MACHINE_ARN',
          'the key schedule starts executions of the key-rotation state machine',
        );
        return JSON.parse(JSON.stringify(await scheduleDueKeys(clients, invocation.input, stateMachineArn)));
      }
      const parsed = invocation.event;
      const execution = { id: parsed.executionId, name: parsed.executionName };
      const result = await measureStep<unknown>({ task: parsed.task }, () =>
        TASKS[parsed.task as KeyRotationTask](clients, parsed, execution),
      );
      recordKeyRotationMetrics(parsed.task, parsed.state, result);
      // Step Functions carries JSON: drop `undefined` and turn Dates into strings now.
      return JSON.parse(JSON.stringify(result ?? {}));
    },
  );

/** The Lambda entry point (template.yaml: `Handler: handler.handler`). */
export const handler = createHandler(defaultClients);
