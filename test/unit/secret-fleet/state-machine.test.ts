/**
 * The fleet ASL's routing with stubbed tasks, through aws-local-stepfunctions: the loop of
 * batches, its bound, and a batch that fails for good. (The real handler over the local endpoint
 * runs in test/integration/secret-fleet/.)
 */
import { describe, expect, it } from 'vitest';
import { runStateMachine } from '../../helpers/state-machine.js';

const ASL = 'statemachines/secret-fleet-rotation.asl.json';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:rekey-secret-fleet';
const substitutions = { SecretFleetFunctionArn: FN, EventBusName: 'rekey-test' };
const input = { filter: { namePrefix: 'app/' } };

type TaskEvent = { task: string; state: Record<string, unknown> };
const progress = (batches: number, done: boolean) => ({ batches, done, rotated: batches, inFlight: [] });

/** Plan, then `batch` for each batch, then the summary (which echoes what it was given). */
const stubs = (batch: (n: number) => unknown) => {
  let batches = 0;
  const summaries: Record<string, unknown>[] = [];
  const fn = async (raw: unknown) => {
    const event = raw as TaskEvent;
    if (event.task === 'plan') return { options: { dryRun: false }, plan: {}, progress: progress(0, false) };
    if (event.task === 'batch') return batch(++batches);
    summaries.push(event.state);
    return {
      complete: !event.state.stopped,
      ...(event.state.stopped ? { stoppedBy: { error: 'States.Timeout', reason: 'batch timed out' } } : {}),
    };
  };
  return { fn, summaries, batches: () => batches };
};

describe('secret-fleet state machine', () => {
  it('loops over batches until one says done, then publishes one summary', async () => {
    const s = stubs((n) => progress(n, n === 3));
    const run = await runStateMachine({ aslPath: ASL, substitutions, tasks: { [FN]: s.fn }, input });

    expect(run.error).toBeUndefined();
    expect(s.batches()).toBe(3);
    expect(run.states.filter((x) => x === 'Publish Summary')).toHaveLength(1);
    expect(run.states.at(-1)).toBe('Done');
  });

  it('stops after 2,000 batches, far below the 25,000-event history limit, and still publishes the summary', async () => {
    const s = stubs((n) => progress(n, false));
    const run = await runStateMachine({ aslPath: ASL, substitutions, tasks: { [FN]: s.fn }, input });

    expect(run.error).toBeUndefined();
    expect(s.batches()).toBe(2000);
    // AWS records 2 events per state entered and left, plus 3 per Lambda task.
    const tasks = run.states.filter((x) => ['Plan Fleet Run', 'Rotate Batch', 'Publish Summary'].includes(x));
    expect(2 * run.states.length + 3 * tasks.length).toBeLessThan(15_000);
    expect(s.summaries).toHaveLength(1);
  }, 60_000);

  it('publishes the summary of a run whose batch failed for good, then fails the execution', async () => {
    const s = stubs((n) => {
      if (n === 2) throw Object.assign(new Error('Task timed out'), { name: 'States.Timeout' });
      return progress(n, false);
    });
    const run = await runStateMachine({ aslPath: ASL, substitutions, tasks: { [FN]: s.fn }, input });

    expect(s.summaries).toHaveLength(1);
    expect(s.summaries[0]?.stopped).toMatchObject({ Error: 'States.Timeout' });
    expect(run.error).toMatchObject({ Error: 'FleetRunStoppedError', Cause: 'batch timed out' });
  });

  it('a dry run reports the plan and rotates nothing', async () => {
    const s = stubs(() => {
      throw new Error('no batch in a dry run');
    });
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: {
        [FN]: async (raw) =>
          (raw as TaskEvent).task === 'plan'
            ? { options: { dryRun: true }, plan: { selected: 2 }, progress: progress(0, false) }
            : s.fn(raw),
      },
      input: { ...input, dryRun: true },
    });

    expect(run.output).toEqual({ dryRun: true, plan: { selected: 2 }, options: { dryRun: true } });
    expect(s.batches()).toBe(0);
  });
});
