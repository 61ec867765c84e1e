/**
 * The key-rotation ASL on its own: validated with asl-validator, then run through the local
 * harness with stub tasks to check its routing — which state runs after a failure at each step,
 * which roll-back it takes, and that the failure ends in a failed execution naming the error.
 * The real steps are exercised against the local endpoint in test/integration/key-rotation.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../local/workflows/run.js';
import { runStateMachine } from '../../helpers/state-machine.js';

type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: () => string };
// asl-validator ships CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const ASL = 'statemachines/key-rotation.asl.json';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:rekey-key-rotation';
const substitutions = { KeyRotationFunctionArn: FN, EventBusName: 'rekey-test' };

type TaskInput = { task: string; state: Record<string, unknown>; eventBusName?: string };

/** Stub results per task: just enough shape for the Choice states. */
const stubResults = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  plan: {
    due: true,
    gracePeriodSeconds: 0,
    retentionSeconds: 0,
    importPollSeconds: 0,
    reencryptRequested: false,
  },
  createSuccessor: { keyArn: 'arn:successor', pendingImport: false },
  ...overrides,
});

const stubTasks = (
  options: { results?: Record<string, unknown>; failAt?: string; calls?: TaskInput[] } = {},
) => {
  const results = stubResults(options.results);
  return async (raw: unknown) => {
    const input = raw as TaskInput;
    options.calls?.push(input);
    if (input.task === options.failAt) {
      const error = new Error(`injected failure in ${input.task}`);
      error.name = 'InjectedError';
      throw error;
    }
    return results[input.task] ?? { ok: input.task };
  };
};

describe('key-rotation state machine definition', () => {
  it('is valid Amazon States Language with every ARN a placeholder', async () => {
    // Prepare
    const text = await readFile(ASL, 'utf8');
    // Validated as deployed: after DefinitionSubstitutions filled the placeholders.
    const definition = (await loadDefinition(ASL, substitutions)) as Record<string, unknown>;

    // Act
    const { isValid, errorsText } = aslValidator(definition, { checkArn: true, checkPaths: true });

    // Assess
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
    expect(text).not.toMatch(/arn:aws/);
    const placeholders = new Set([...text.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]));
    expect(placeholders).toEqual(new Set(['KeyRotationFunctionArn', 'EventBusName']));
  });

  it('retries throttling with backoff, a delay cap and full jitter on every Task', async () => {
    const definition = JSON.parse(await readFile(ASL, 'utf8')) as {
      States: Record<string, { Type: string; Retry?: Record<string, unknown>[] }>;
    };
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, state] of tasks) {
      const throttling = state.Retry?.find((r) =>
        (r.ErrorEquals as string[]).includes('ThrottlingException'),
      );
      expect(throttling, name).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2, MaxDelaySeconds: 60 });
      expect(throttling?.ErrorEquals).toEqual(
        expect.arrayContaining(['KMS.ThrottlingException', 'Lambda.ServiceException']),
      );
    }
  });
});

describe('key-rotation state machine routing', () => {
  it('runs plan → create → verify → swap → evidence → grace → retire → success event in order', async () => {
    const calls: TaskInput[] = [];
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: { [FN]: stubTasks({ calls }) },
      input: { alias: 'alias/x' },
    });

    expect(run.error).toBeUndefined();
    expect(calls.map((c) => c.task)).toEqual([
      'plan',
      'createSuccessor',
      'verifySuccessor',
      'swapAlias',
      'recordEvidence',
      'checkPredecessorUnused',
      'disablePredecessor',
      'schedulePredecessorDeletion',
      'publishSuccess',
    ]);
    expect(run.states).toEqual(expect.arrayContaining(['Wait Grace Period', 'Wait Retention Period']));
    expect(run.states.at(-1)).toBe('Rotation Succeeded');
    // Every task gets the whole state and the execution from the context object.
    expect(calls[1]?.state.plan).toMatchObject({ due: true });
    expect(calls.at(-1)?.eventBusName).toBe('rekey-test');
    expect(calls[0]).toMatchObject({ executionId: run.executionId, executionName: run.executionName });
  });

  it('stops without changing anything when the key is not due', async () => {
    const calls: TaskInput[] = [];
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: { [FN]: stubTasks({ calls, results: { plan: { due: false, reason: 'not yet' } } }) },
      input: { alias: 'alias/x' },
    });

    expect(run.error).toBeUndefined();
    expect(calls.map((c) => c.task)).toEqual(['plan']);
    expect(run.states.at(-1)).toBe('Rotation Not Due');
  });

  it('loops on the import check until key material is imported', async () => {
    let checks = 0;
    const base = stubTasks({ results: { createSuccessor: { keyArn: 'arn:s', pendingImport: true } } });
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: {
        [FN]: base,
        'Check Key Material Import': async () => ({ keyArn: 'arn:s', pendingImport: ++checks < 3 }),
      },
      input: { alias: 'alias/x' },
    });

    expect(run.error).toBeUndefined();
    expect(checks).toBe(3);
    expect(run.states.filter((s) => s === 'Wait For Key Material Import')).toHaveLength(3);
    expect(run.states).toContain('Announce Key Material Import');
  });

  it('waits for imported material longer each time, so the longest allowed wait stays far below the history limit', async () => {
    // Prepare: the plan allows a 30-day wait polled every second; the material never comes.
    const deadline = 30 * 86_400;
    let waited = 0;
    let checks = 0;
    const base = stubTasks({
      results: {
        plan: {
          due: true,
          gracePeriodSeconds: 0,
          retentionSeconds: 0,
          importPollSeconds: 1,
          reencryptRequested: false,
        },
        createSuccessor: { keyArn: 'arn:s', pendingImport: true },
      },
    });
    // Act
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: {
        [FN]: base,
        'Check Key Material Import': async (raw) => {
          checks++;
          // A loop that does not lengthen its wait would go on for 2.6 million checks: stop it.
          if (checks > 800) throw Object.assign(new Error('too many checks'), { name: 'TooManyChecksError' });
          waited += (raw as TaskInput).state.importWait
            ? ((raw as TaskInput).state.importWait as { seconds: number }).seconds
            : 0;
          if (waited < deadline) return { keyArn: 'arn:s', pendingImport: true };
          const error = new Error('No key material was imported in time.');
          error.name = 'KeyMaterialImportTimeoutError';
          throw error;
        },
      },
      waitOverrides: { 'Wait For Key Material Import': 0 },
      input: { alias: 'alias/x' },
    });

    // Assess: the deadline ended the wait (and rolled back), after few enough checks that the
    // execution's history (about 11 events per check) stays far below 25,000 events.
    expect(run.states).toContain('Roll Back Before Swap');
    expect(waited).toBeGreaterThanOrEqual(deadline);
    expect(checks).toBeLessThan(800);
    expect(run.states.length * 2).toBeLessThan(12_500);
  });

  it.each([
    ['plan', 'Publish Failure Event'],
    ['createSuccessor', 'Roll Back Before Swap'],
    ['verifySuccessor', 'Roll Back Before Swap'],
    ['swapAlias', 'Roll Back After Swap'],
    ['recordEvidence', 'Roll Back After Swap'],
    ['checkPredecessorUnused', 'Publish Failure Event'],
    ['disablePredecessor', 'Publish Failure Event'],
    ['schedulePredecessorDeletion', 'Publish Failure Event'],
  ])(
    'a failure in %s goes to %s, publishes the failure event and fails the execution',
    async (task, next) => {
      const calls: TaskInput[] = [];
      const run = await runStateMachine({
        aslPath: ASL,
        substitutions,
        tasks: { [FN]: stubTasks({ calls, failAt: task }) },
        input: { alias: 'alias/x' },
      });

      const names = calls.map((c) => c.task);
      const failedAt = names.indexOf(task);
      expect(run.states[run.states.indexOf(next, 1)]).toBe(next);
      expect(names.slice(failedAt + 1)).toEqual(
        next === 'Publish Failure Event'
          ? ['publishFailure']
          : [next === 'Roll Back Before Swap' ? 'rollBackBeforeSwap' : 'rollBackAfterSwap', 'publishFailure'],
      );
      const failureCall = calls.find((c) => c.task === 'publishFailure');
      expect(failureCall?.state.failure).toEqual({
        Error: 'InjectedError',
        Cause: `injected failure in ${task}`,
      });
      expect(run.error).toEqual({ Error: 'InjectedError', Cause: `injected failure in ${task}` });
      expect(run.states.at(-1)).toBe('Rotation Failed');
    },
  );

  it('still publishes the failure event when the roll-back itself fails', async () => {
    const calls: TaskInput[] = [];
    const tasks = stubTasks({ calls, failAt: 'verifySuccessor' });
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: {
        [FN]: tasks,
        'Roll Back Before Swap': async () => {
          throw Object.assign(new Error('rollback broke'), { name: 'KMSInternalError' });
        },
      },
      input: { alias: 'alias/x' },
    });

    const failureCall = calls.find((c) => c.task === 'publishFailure');
    expect(failureCall?.state.rollbackFailure).toEqual({
      Error: 'KMSInternalError',
      Cause: 'rollback broke',
    });
    expect(run.error?.Error).toBe('InjectedError');
  });

  it('refuses to run when a Task has no local implementation', async () => {
    await expect(
      runStateMachine({ aslPath: ASL, substitutions, tasks: {}, input: { alias: 'alias/x' } }),
    ).rejects.toThrow(/Task state 'Plan Rotation'.*no local implementation/);
  });

  it('refuses to run with a placeholder left unfilled', async () => {
    await expect(
      runStateMachine({
        aslPath: ASL,
        substitutions: { KeyRotationFunctionArn: FN },
        tasks: { [FN]: stubTasks() },
        input: {},
      }),
    ).rejects.toThrow(/\$\{EventBusName\}/);
  });
});
