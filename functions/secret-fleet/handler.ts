import { InvalidInputError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { measureStep } from '../lib/metrics.js';
import { assessFleet } from './assess.js';
import { defaultClients, type FleetClients } from './clients.js';
import { listSecrets } from './list.js';
import { recordFleetMetrics } from './metrics.js';
import { parseFleetInput } from './options.js';
import { type RepairResult, repairStuckSecret } from './repair.js';
import { type RotationStarted, startRotation } from './rotate.js';
import { buildSummary, publishSummary } from './summary.js';
import type { Candidate, FleetOptions, FleetPlan, ItemResult, SecretSnapshot } from './types.js';
import { checkRotation, type WatchState } from './watch.js';

/**
 * One Lambda function serves every Task of `statemachines/secret-fleet-rotation.asl.json`. Each
 * Task passes `{ task, state: $, executionId: $$.Execution.Id }` (plus `eventBusName` for the
 * summary) and writes the result at its own ResultPath:
 *
 * | task    | reads from state                         | result (ResultPath)                      |
 * |---------|------------------------------------------|------------------------------------------|
 * | list    | the execution input                      | `{options, secrets, truncated}` ($.fleet)|
 * | assess  | fleet                                    | FleetPlan ($.fleet)                      |
 * | repair  | secret                                   | RepairResult ($.repair)                  |
 * | rotate  | secret, repair                           | RotationStarted ($.rotation)             |
 * | watch   | secret, rotation, watch, options         | WatchState ($.watch)                     |
 * | summary | fleet, results                           | FleetSummary ($.summary)                 |
 */
export interface FleetTaskEvent {
  task: string;
  state: Record<string, unknown>;
  executionId: string;
  eventBusName?: string;
}

const need = <T>(state: Record<string, unknown>, field: string, task: string): T => {
  const value = state[field];
  if (value === undefined || value === null) {
    throw new InvalidInputError(
      `Task '${task}' needs '${field}' in its state: the state machine did not run the step that writes it.`,
    );
  }
  return value as T;
};

type Step = (clients: FleetClients, event: FleetTaskEvent) => Promise<unknown>;

const TASKS = {
  list: async (c, e) => {
    const options = parseFleetInput(e.state);
    const listed = await listSecrets(c, options.filter, options.maxSecrets);
    logger.info('Listed secrets', { matched: listed.secrets.length, truncated: listed.truncated });
    return { options, ...listed };
  },
  assess: async (c, e) => {
    const fleet = need<{ options: FleetOptions; secrets: SecretSnapshot[]; truncated: boolean }>(
      e.state,
      'fleet',
      e.task,
    );
    const plan = await assessFleet(c, fleet.options, fleet);
    logger.info('Assessed secrets', { counts: plan.counts, candidates: plan.candidates.length });
    return plan;
  },
  repair: (c, e) => repairStuckSecret(c, need<Candidate>(e.state, 'secret', e.task)),
  rotate: (c, e) => {
    const repair = e.state.repair as RepairResult | undefined;
    return startRotation(c, need<Candidate>(e.state, 'secret', e.task), repair, e.executionId);
  },
  watch: (c, e) => {
    const secret = need<Candidate>(e.state, 'secret', e.task);
    const rotation = need<RotationStarted>(e.state, 'rotation', e.task);
    return checkRotation(c, {
      arn: secret.arn,
      token: rotation.token,
      startedAt: rotation.startedAt,
      previous: (e.state.watch ?? {}) as Partial<WatchState>,
      options: need<FleetOptions>(e.state, 'options', e.task),
    });
  },
  summary: async (c, e) => {
    const plan = need<FleetPlan>(e.state, 'fleet', e.task);
    const results = (e.state.results ?? []) as ItemResult[];
    const summary = buildSummary(plan, results, e.executionId);
    if (!e.eventBusName) throw new InvalidInputError("Task 'summary' needs 'eventBusName'.");
    const eventId = await publishSummary(c, e.eventBusName, summary);
    logger.info('Published the fleet summary', { eventId, counts: summary.counts });
    return summary;
  },
} satisfies Record<string, Step>;

export type FleetTask = keyof typeof TASKS;
export const FLEET_TASKS = Object.keys(TASKS) as FleetTask[];

/** Checks the event's envelope; each step checks the parts of the state it reads. */
export const parseTaskEvent = (event: unknown): FleetTaskEvent => {
  if (typeof event !== 'object' || event === null)
    throw new InvalidInputError('The event must be a JSON object.');
  const e = event as Record<string, unknown>;
  // hasOwn, not `in`: inherited names such as 'toString' would pass `in` and run as a task.
  if (typeof e.task !== 'string' || !Object.hasOwn(TASKS, e.task)) {
    throw new InvalidInputError(
      `Field 'task' must be one of ${FLEET_TASKS.join(', ')}; got ${JSON.stringify(e.task)}.`,
    );
  }
  if (typeof e.state !== 'object' || e.state === null || Array.isArray(e.state)) {
    throw new InvalidInputError('Field \'state\' must be the state object ("state.$": "$").');
  }
  if (typeof e.executionId !== 'string' || e.executionId === '') {
    throw new InvalidInputError(
      'Field \'executionId\' is required: pass "executionId.$": "$$.Execution.Id".',
    );
  }
  if (e.eventBusName !== undefined && typeof e.eventBusName !== 'string') {
    throw new InvalidInputError("Field 'eventBusName' must be a string.");
  }
  for (const key of Object.keys(e)) {
    if (!['task', 'state', 'executionId', 'eventBusName'].includes(key)) {
      throw new InvalidInputError(
        `Unknown field '${key}': the event has task, state, executionId and eventBusName.`,
      );
    }
  }
  return e as unknown as FleetTaskEvent;
};

/** Builds the handler over a set of clients (the local runner and tests pass their own). */
export const createHandler =
  (clients: FleetClients) =>
  async (event: unknown): Promise<unknown> => {
    const parsed = parseTaskEvent(event);
    const secret = parsed.state.secret as { arn?: string } | undefined;
    const log = logger.createChild({
      persistentKeys: {
        task: parsed.task,
        execution: parsed.executionId,
        ...(secret?.arn ? { secretArn: secret.arn } : {}),
      },
    });
    try {
      const result = await measureStep<unknown>({ task: parsed.task }, () =>
        TASKS[parsed.task as FleetTask](clients, parsed),
      );
      recordFleetMetrics(parsed.task, result);
      // Step Functions carries JSON: drop `undefined` now.
      return JSON.parse(JSON.stringify(result ?? {}));
    } catch (error) {
      log.warn('Fleet step failed', { error: error as Error });
      throw error;
    }
  };

/** The Lambda entry point (template.yaml: `Handler: handler.handler`). */
export const handler = createHandler(defaultClients);
