import { requiredString } from '../lib/config.js';
import { InvalidInputError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { measureStep } from '../lib/metrics.js';
import { defaultClients, type KeyRotationClients } from './clients.js';
import { publishAwaitingKeyMaterial, publishFailure, publishSuccess } from './events.js';
import { recordEvidence } from './evidence.js';
import { recordKeyRotationMetrics } from './metrics.js';
import { planRotation } from './plan.js';
import { reencryptCiphertexts } from './reencrypt.js';
import { checkPredecessorUnused, disablePredecessor, schedulePredecessorDeletion } from './retire.js';
import { rollBackAfterSwap, rollBackBeforeSwap } from './rollback.js';
import { parseScheduleInput, scheduleDueKeys } from './schedule.js';
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
export interface KeyRotationTaskEvent {
  /** One of `KEY_ROTATION_TASKS`. */
  task: string;
  state: WorkflowState;
  executionId: string;
  executionName: string;
  eventBusName?: string;
}

type Step = (
  clients: KeyRotationClients,
  event: KeyRotationTaskEvent,
  execution: ExecutionRef,
) => Promise<unknown>;

const need = <T>(value: T | undefined, field: string, task: string): T => {
  if (value === undefined) {
    throw new InvalidInputError(
      `Task '${task}' needs '${field}' in its state: the state machine did not run the step that writes it.`,
    );
  }
  return value;
};
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

/** Checks the event's envelope; each step checks the parts of the state it reads. */
export const parseTaskEvent = (event: unknown): KeyRotationTaskEvent => {
  if (typeof event !== 'object' || event === null)
    throw new InvalidInputError('The event must be a JSON object.');
  const e = event as Record<string, unknown>;
  // hasOwn, not `in`: inherited names such as 'toString' would pass `in` and run as a task.
  if (typeof e.task !== 'string' || !Object.hasOwn(TASKS, e.task)) {
    throw new InvalidInputError(
      `Field 'task' must be one of ${KEY_ROTATION_TASKS.join(', ')}; got ${JSON.stringify(e.task)}.`,
    );
  }
  if (typeof e.state !== 'object' || e.state === null || Array.isArray(e.state)) {
    throw new InvalidInputError('Field \'state\' must be the execution state object ("state.$": "$").');
  }
  for (const field of ['executionId', 'executionName'] as const) {
    if (typeof e[field] !== 'string' || e[field] === '') {
      throw new InvalidInputError(
        `Field '${field}' is required: pass "${field}.$": "$$.Execution.${field === 'executionId' ? 'Id' : 'Name'}".`,
      );
    }
  }
  if (e.eventBusName !== undefined && typeof e.eventBusName !== 'string') {
    throw new InvalidInputError("Field 'eventBusName' must be a string.");
  }
  return e as unknown as KeyRotationTaskEvent;
};

/** Builds the handler over a set of clients (the local runner and tests pass their own). */
export const createHandler =
  (clients: KeyRotationClients) =>
  async (event: unknown): Promise<unknown> => {
    // The key schedule (EventBridge Scheduler) invokes the function directly, outside any execution.
    if (
      typeof event === 'object' &&
      event !== null &&
      (event as { task?: unknown }).task === 'scheduleDueKeys'
    ) {
      logger.appendKeys({ task: 'scheduleDueKeys' });
      try {
        const input = parseScheduleInput(event as Record<string, unknown>);
        const stateMachineArn = requiredString(
          'KEY_ROTATION_STATE_MACHINE_ARN',
          'the key schedule starts executions of the key-rotation state machine',
        );
        return JSON.parse(JSON.stringify(await scheduleDueKeys(clients, input, stateMachineArn)));
      } catch (error) {
        logger.error('Key schedule failed', { error: error as Error });
        throw error;
      } finally {
        logger.removeKeys(['task']);
      }
    }
    const parsed = parseTaskEvent(event);
    const execution = { id: parsed.executionId, name: parsed.executionName };
    logger.appendKeys({ task: parsed.task, execution: execution.id });
    try {
      const result = await measureStep<unknown>({ task: parsed.task }, () =>
        TASKS[parsed.task as KeyRotationTask](clients, parsed, execution),
      );
      recordKeyRotationMetrics(parsed.task, parsed.state, result);
      // Step Functions carries JSON: drop `undefined` and turn Dates into strings now.
      return JSON.parse(JSON.stringify(result ?? {}));
    } catch (error) {
      logger.error('Key rotation step failed', { error: error as Error });
      throw error;
    } finally {
      logger.removeKeys(['task', 'execution']);
    }
  };

/** The Lambda entry point (template.yaml: `Handler: handler.handler`). */
export const handler = createHandler(defaultClients);
