import { InvalidInputError } from '../lib/errors.js';
import { withInvocationLogger } from '../lib/invocation.js';
import type { Logger } from '../lib/logger.js';
import { measureStep } from '../lib/metrics.js';
import { need, type TaskEvent, taskEventParser } from '../lib/task-event.js';
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
export type FleetTaskEvent = TaskEvent<string>;

/** What the Plan step hands to the batches and the summary. */
export interface FleetRun {
  options: FleetOptions;
  plan: FleetPlan;
  progress: FleetProgress;
}

/** A field a step needs from its state (see functions/lib/task-event.ts). */
const fromState = <T>(event: FleetTaskEvent, field: string): T =>
  need(event.state[field], field, event.task) as T;

type Step = (
  clients: FleetClients,
  event: FleetTaskEvent,
  hooks: BatchHooks,
  log: Logger,
) => Promise<unknown>;

const TASKS = {
  plan: async (c, e, _hooks, log) => {
    const options = parseFleetInput(e.state);
    const { plan, progress } = await planFleet(c, options);
    log.info('Planned the fleet run', {
      matched: plan.matched,
      candidates: plan.candidates,
      selected: plan.selected,
      deferred: plan.deferred,
      counts: plan.counts,
    });
    return { options, plan, progress } satisfies FleetRun;
  },
  batch: async (c, e, hooks, log) => {
    const options = parseFleetInput(fromState<Record<string, unknown>>(e, 'options'));
    const progress = fromState<FleetProgress>(e, 'progress');
    const next = await runBatch(c, options, progress, e.executionId, hooks);
    log.info('Batch done', {
      batch: next.batches,
      rotated: next.rotated,
      failed: next.failed,
      remaining: next.remaining,
      inFlight: next.inFlight.length,
      writes: next.writes,
    });
    return next;
  },
  summary: async (c, e, _hooks, log) => {
    const run = fromState<FleetRun>(e, 'run');
    const stopped = e.state.stopped as { Error?: string; Cause?: string } | undefined;
    const summary = buildSummary(run.options, run.plan, run.progress, e.executionId, stopped);
    if (!e.eventBusName) throw new InvalidInputError("Task 'summary' needs 'eventBusName'.");
    const eventId = await publishSummary(c, e.eventBusName, summary);
    log.info('Published the fleet summary', { eventId, counts: summary.counts, pacing: summary.pacing });
    return summary;
  },
} satisfies Record<string, Step>;

export type FleetTask = keyof typeof TASKS;
export const FLEET_TASKS = Object.keys(TASKS) as FleetTask[];

/**
 * Checks the event's envelope (functions/lib/task-event.ts: unknown fields are refused); each
 * step checks the parts of the state it reads.
 */
export const parseTaskEvent: (event: unknown) => FleetTaskEvent = taskEventParser(FLEET_TASKS, {
  executionName: false,
});

/**
 * Builds the handler over a set of clients (the local runner and tests pass their own, and may
 * watch batches). Every line of an invocation, its success lines included, carries the task, the
 * execution and (for a one-secret state) the secret's ARN.
 */
export const createHandler = (clients: FleetClients, hooks: BatchHooks = {}) =>
  withInvocationLogger<FleetTaskEvent, unknown>(
    {
      parse: parseTaskEvent,
      keys: (event) => {
        const secret = event.state.secret as { arn?: unknown } | undefined;
        return {
          task: event.task,
          execution: event.executionId,
          ...(typeof secret?.arn === 'string' ? { secretArn: secret.arn } : {}),
        };
      },
      failureMessage: 'Fleet step failed',
      // Throttling and failed rotations are retried or caught by the state machine.
      failureLevel: 'warn',
    },
    async (event, log) => {
      const result = await measureStep<unknown>({ task: event.task }, () =>
        TASKS[event.task as FleetTask](clients, event, hooks, log),
      );
      recordFleetMetrics(event.task, event.state, result);
      // Step Functions carries JSON: drop `undefined` now.
      return JSON.parse(JSON.stringify(result ?? {}));
    },
  );

/** The Lambda entry point (template.yaml: `Handler: handler.handler`). */
export const handler = createHandler(defaultClients);
