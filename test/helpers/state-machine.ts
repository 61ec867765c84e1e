/**
 * Runs a state machine of `statemachines/` in the test process through aws-local-stepfunctions.
 *
 * ```ts
 * const run = await runStateMachine({
 *   aslPath: 'statemachines/key-rotation.asl.json',
 *   substitutions: { KeyRotationFunctionArn: arn, EventBusName: 'default' },
 *   tasks: { [arn]: handler, 'Swap Alias': failingSwap }, // by Resource or state name; the name wins
 *   waitOverrides: { 'Wait Grace Period': 50 },           // ms
 *   input: { alias: 'alias/x', force: true },
 * });
 * expect(run.error).toBeUndefined();
 * expect(run.states).toContain('Swap Alias');
 * ```
 *
 * - `${Placeholder}`s are filled from `substitutions`; a missing one fails the run.
 * - Every Task state must map to a function in `tasks`; an unmapped Task fails the run before
 *   it starts (UnmappedTaskError), so a test can never reach a real Lambda.
 * - Retry pauses are 0 ms unless `retryDelayMs` says otherwise, so retries do not slow tests.
 * - Resolves (never rejects for a failed execution) with `output` or `error` ({ Error, Cause }),
 *   `states` (names of the states entered, in order) and the execution id and name.
 */
import { resolve } from 'node:path';
import {
  type RunWorkflowOptions,
  runWorkflow,
  type TaskFunction,
  type WorkflowRun,
} from '../../local/workflows/run.js';

export type { TaskFunction, WorkflowRun };
export type RunStateMachineOptions = RunWorkflowOptions;

const root = new URL('../..', import.meta.url).pathname;

/** Runs one execution of the ASL file (path relative to the repository root, or absolute). */
export const runStateMachine = (options: RunStateMachineOptions): Promise<WorkflowRun> =>
  runWorkflow({ retryDelayMs: 0, ...options, aslPath: resolve(root, options.aslPath) });
