import { number, strictObject, string } from 'valibot';
import { describe, expect, it } from 'vitest';
import { parseTaskEvent as parseKeyTask } from '../../../functions/key-rotation/handler.js';
import { parseInput } from '../../../functions/lib/schema.js';
import { need } from '../../../functions/lib/task-event.js';
import { parseTaskEvent as parseFleetTask } from '../../../functions/secret-fleet/handler.js';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:rekey:run-1';
const keyTask = { task: 'plan', state: {}, executionId: EXECUTION, executionName: 'run-1' };
const fleetTask = { task: 'plan', state: {}, executionId: EXECUTION };

describe('task events (one parser for key rotation and the fleet)', () => {
  it('accepts the envelope the state machines send', () => {
    expect(parseKeyTask({ ...keyTask, eventBusName: 'rekey' })).toMatchObject({
      task: 'plan',
      eventBusName: 'rekey',
    });
    expect(parseFleetTask(fleetTask)).toMatchObject({ task: 'plan', executionId: EXECUTION });
  });

  it('refuses unknown fields in both functions, naming them', () => {
    expect(() => parseKeyTask({ ...keyTask, eventBusname: 'typo' })).toThrowError(
      /eventBusname: unknown field/,
    );
    expect(() => parseFleetTask({ ...fleetTask, extra: 1 })).toThrowError(/extra: unknown field/);
    // The fleet's Tasks do not pass an execution name.
    expect(() => parseFleetTask({ ...fleetTask, executionName: 'run-1' })).toThrowError(
      /executionName: unknown field/,
    );
  });

  it('names every missing or malformed field with its fix', () => {
    expect(() => parseKeyTask({ task: 'plan', state: {} })).toThrowError(
      'Invalid task event: executionId: is required: pass "executionId.$": "$$.Execution.Id"; executionName: is required: pass "executionName.$": "$$.Execution.Name".',
    );
    expect(() => parseFleetTask({ ...fleetTask, executionId: '' })).toThrowError(/executionId: is required/);
    expect(() => parseFleetTask({ ...fleetTask, eventBusName: 7 })).toThrowError(
      /eventBusName: must be the name of an EventBridge bus/,
    );
    expect(() => parseFleetTask('plan')).toThrowError(/event: must be a JSON object/);
  });

  it('refuses names every object inherits as tasks', () => {
    for (const task of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(() => parseFleetTask({ ...fleetTask, task })).toThrowError(
        /task: must be one of plan, batch, summary/,
      );
    }
  });

  it('needs a state field present and not null, naming the field and the task', () => {
    expect(need({ a: 1 }, 'state.plan', 'swapAlias')).toEqual({ a: 1 });
    for (const missing of [undefined, null]) {
      expect(() => need(missing, 'state.plan', 'swapAlias')).toThrowError(
        "Task 'swapAlias' needs 'state.plan' in its state: the state machine did not run the step that writes it.",
      );
    }
  });
});

describe('parseInput', () => {
  it('never quotes the value it refuses in its default messages', () => {
    const schema = strictObject({ keyId: string(), count: number() });
    const call = () =>
      parseInput(schema, { keyId: 12345678, count: 'a-very-secret-looking-value' }, 'Invalid input');
    expect(call).toThrowError('Invalid input: keyId: expected a string; count: expected a number.');
    expect(call).not.toThrowError(/12345678|a-very-secret-looking-value/);
  });
});
