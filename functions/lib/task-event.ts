/**
 * The envelope every state-machine Task passes to its function:
 * `{ task, state: $, executionId: $$.Execution.Id, executionName?: $$.Execution.Name, eventBusName? }`
 * (statemachines/*.asl.json). One parser for the key-rotation and secret-fleet functions; each
 * step checks the parts of `state` it reads, with {@link need}.
 *
 * Unknown fields are refused (both functions): the state machines pass exactly these fields, so
 * an extra one is a mistake in a Task's Parameters (a misspelt `eventBusName`, say) that would
 * otherwise surface later as a confusing "needs ..." error, or not at all.
 */

import { minLength, optional, picklist, pipe, strictObject, string } from 'valibot';
import { InvalidInputError } from './errors.js';
import { jsonObject, objectMessage, parseInput } from './schema.js';

export interface TaskEvent<Task extends string, State = Record<string, unknown>> {
  task: Task;
  state: State;
  executionId: string;
  executionName?: string;
  eventBusName?: string;
}

export interface TaskEventOptions {
  /** Whether `executionName` is required (key rotation names its successor key after it). */
  readonly executionName: boolean;
}

const requiredFix = (field: 'executionId' | 'executionName') =>
  `is required: pass "${field}.$": "$$.Execution.${field === 'executionId' ? 'Id' : 'Name'}"`;

const executionField = (field: 'executionId' | 'executionName') =>
  pipe(string(requiredFix(field)), minLength(1, requiredFix(field)));

/** The fixes for a missing field, named in the message. */
const MISSING = {
  task: 'is required: the Task\'s Parameters name the step ("task": "plan")',
  state: 'is required: pass "state.$": "$"',
  executionId: requiredFix('executionId'),
  executionName: requiredFix('executionName'),
};

/** Builds the parser of one function's task events; `tasks` are the task names it runs. */
export const taskEventParser = <Task extends string>(tasks: readonly Task[], options: TaskEventOptions) => {
  const envelope = {
    // `picklist` compares with the list itself, so names every object inherits (toString,
    // constructor, __proto__) are not tasks.
    task: picklist(tasks, (issue) => `must be one of ${tasks.join(', ')}; got ${describeTask(issue.input)}`),
    state: jsonObject('must be the execution state object ("state.$": "$")'),
    executionId: executionField('executionId'),
    eventBusName: optional(string('must be the name of an EventBridge bus')),
  };
  // Without `executionName` among the entries, the strict object refuses it as unknown.
  const entries = options.executionName
    ? { ...envelope, executionName: executionField('executionName') }
    : envelope;
  const schema = pipe(
    jsonObject('must be a JSON object { task, state, executionId, ... }'),
    strictObject(entries as typeof envelope, objectMessage(MISSING)),
  );
  return (event: unknown): TaskEvent<Task> =>
    parseInput(schema, event, 'Invalid task event') as TaskEvent<Task>;
};

/** A task name as it was sent (names are not secret), shortened. */
const describeTask = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value.slice(0, 64))
    : value === undefined
      ? 'nothing'
      : typeof value;

/**
 * A value a step needs from the state: present (neither missing nor null), or an
 * {@link InvalidInputError} naming the field and the step that should have written it.
 */
export const need = <T>(value: T | undefined | null, field: string, task: string): T => {
  if (value === undefined || value === null) {
    throw new InvalidInputError(
      `Task '${task}' needs '${field}' in its state: the state machine did not run the step that writes it.`,
    );
  }
  return value;
};
