import { InvalidInputError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { measureStep } from '../lib/metrics.js';
import { type BatchHooks, runBatch } from './batch.js';
import { defaultClients, type FleetClients } from './clients.js';
import { recordFleetMetrics } from './metrics.js';
import { parseFleetInput } from './options.js';
import { planFleet } from './plan.js';
import { buildSummary, publishSummary } from './summary.js';
import type { FleetOptions, FleetPlan, FleetProgress } from './types.js';

/**
 * One Lambda function serves every Task of `statemachines/secret-fleet-rotation.asl.json`. Each
 * Task passes `{ task, state, executionId: $$.Execution.Id }` (plus `eventBusName` for the
 * summary). Nothing in the state grows with the fleet: the plan carries counts and a cutoff key,
 * each batch returns counts, at most `maxConcurrency` running rotations and at most 50 failures.
 *
 * | task    | state                                   | result (ResultPath)                    |
 * |---------|-----------------------------------------|----------------------------------------|
 * | plan    | the execution input                     | `{options, plan, progress}` ($.run)    |
 * | batch   | `$.run`                                 | FleetProgress ($.run.progress)         |
 * | summary | `$` (run, and `stopped` when a batch failed) | FleetSummary ($.summary)          |
 */
export interface FleetTaskEvent {
  task: string;
  state: Record<string, unknown>;
  executionId: string;
  eventBusName?: string;
}

/** What the Plan step hands to the batches and the summary. */
export interface FleetRun {
  options: FleetOptions;
  plan: FleetPlan;
  progress: FleetProgress;
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

type Step = (clients: FleetClients, event: FleetTaskEvent, hooks: BatchHooks) => Promise<unknown>;

const TASKS = {
  plan: async (c, e) => {
    const options = parseFleetInput(e.state);
    const { plan, progress } = await planFleet(c, options);
    logger.info('Planned the fleet run', {
      matched: plan.matched,
      candidates: plan.candidates,
      selected: plan.selected,
      deferred: plan.deferred,
      counts: plan.counts,
    });
    return { options, plan, progress } satisfies FleetRun;
  },
  batch: async (c, e, hooks) => {
    const options = parseFleetInput(need<Record<string, unknown>>(e.state, 'options', e.task));
    const progress = need<FleetProgress>(e.state, 'progress', e.task);
    const next = await runBatch(c, options, progress, e.executionId, hooks);
    logger.info('Batch done', {
      batch: next.batches,
      rotated: next.rotated,
      failed: next.failed,
      remaining: next.remaining,
      inFlight: next.inFlight.length,
      writes: next.writes,
    });
    return next;
  },
  summary: async (c, e) => {
    const run = need<FleetRun>(e.state, 'run', e.task);
    const stopped = e.state.stopped as { Error?: string; Cause?: string } | undefined;
    const summary = buildSummary(run.options, run.plan, run.progress, e.executionId, stopped);
    if (!e.eventBusName) throw new InvalidInputError("Task 'summary' needs 'eventBusName'.");
    const eventId = await publishSummary(c, e.eventBusName, summary);
    logger.info('Published the fleet summary', { eventId, counts: summary.counts, pacing: summary.pacing });
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

/** Builds the handler over a set of clients (the local runner and tests pass their own, and may watch batches). */
export const createHandler =
  (clients: FleetClients, hooks: BatchHooks = {}) =>
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
        TASKS[parsed.task as FleetTask](clients, parsed, hooks),
      );
      recordFleetMetrics(parsed.task, parsed.state, result);
      // Step Functions carries JSON: drop `undefined` now.
      return JSON.parse(JSON.stringify(result ?? {}));
    } catch (error) {
      log.warn('Fleet step failed', { error: error as Error });
      throw error;
    }
  };

/** The Lambda entry point (template.yaml: `Handler: handler.handler`). */
export const handler = createHandler(defaultClients);
