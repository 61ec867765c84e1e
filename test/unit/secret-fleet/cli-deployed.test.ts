import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../cli/rotate-fleet.js';

/** `rekey rotate-fleet` without --endpoint-url: starts the deployed state machine found from the stack. */

const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:rekey-secret-fleet-rotation';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:rekey-secret-fleet-rotation:run-1';
let stdout = '';
let stderr = '';

beforeEach(() => {
  sfn.reset();
  cfn.reset();
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('rekey rotate-fleet against the deployed stack', () => {
  it('reads the state machine from the stack output and starts it with the filter as input', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'ops-rekey',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [{ OutputKey: 'SecretFleetStateMachineArn', OutputValue: MACHINE }],
        },
      ],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });

    const code = await run([
      '--filter',
      'tag:team=payments',
      '--filter',
      'name-prefix:prod/',
      '--max-concurrency',
      '12',
      '--region',
      'eu-west-1',
      '--stack-name',
      'ops-rekey',
      '--output',
      'json',
    ]);

    expect(code).toBe(0);
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'ops-rekey' });
    const input = JSON.parse(
      sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}',
    ) as unknown;
    expect(input).toEqual({
      filter: { tag: { key: 'team', value: 'payments' }, namePrefix: 'prod/' },
      maxConcurrency: 12,
    });
    expect(JSON.parse(stdout)).toEqual({ executionArn: EXECUTION });
  });

  it('with --wait prints the summary of a finished execution and exits 1 when a rotation failed', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      startDate: new Date(),
      status: 'SUCCEEDED',
      output: JSON.stringify({
        complete: true,
        counts: {
          matched: 2,
          candidates: 2,
          selected: 2,
          deferred: 0,
          rotated: 1,
          failed: 1,
          skipped: 0,
          remaining: 0,
          byClassification: { due: 1, stuck: 1 },
        },
        pacing: {
          writes: 5,
          seconds: 2,
          writesPerSecond: 2.5,
          writeQuotaPerSecond: 50,
          writeQuotaPercent: 90,
        },
        failures: [
          { name: 'prod/b', classification: 'stuck', error: 'RotationFailedError', reason: 'no change' },
        ],
        failuresOmitted: 0,
      }),
    });

    const code = await run([
      '--filter',
      'name-prefix:prod/',
      '--region',
      'eu-west-1',
      '--state-machine-arn',
      MACHINE,
      '--wait',
    ]);

    expect(code).toBe(1);
    expect(cfn).not.toHaveReceivedAnyCommand();
    expect(stdout).toMatch(/prod\/b\s+stuck\s+RotationFailedError: no change/);
    expect(stdout).toContain('2 matched (1 due, 1 stuck): 1 rotated, 1 failed, 0 left alone.');
    expect(stdout).toContain('5 writes in 2 s: 2.5 writes/s against a quota of 50/s (fleet share 90%).');
  });

  it('with --wait shows the latest batch progress while the execution runs', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const running = { executionArn: EXECUTION, stateMachineArn: MACHINE, startDate: new Date() };
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ ...running, status: 'RUNNING' })
      .resolves({
        ...running,
        status: 'SUCCEEDED',
        output: JSON.stringify({
          complete: true,
          counts: {
            matched: 300,
            candidates: 300,
            selected: 300,
            deferred: 0,
            rotated: 300,
            failed: 0,
            skipped: 0,
            remaining: 0,
          },
          failures: [],
          failuresOmitted: 0,
        }),
      });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 9, timestamp: new Date(), type: 'TaskStateEntered' },
        {
          id: 8,
          timestamp: new Date(),
          type: 'TaskSucceeded',
          taskSucceededEventDetails: {
            resource: 'invoke',
            resourceType: 'lambda',
            output: JSON.stringify({
              rotated: 120,
              failed: 1,
              remaining: 170,
              inFlight: [{}, {}],
              writes: 242,
              busySeconds: 5.5,
            }),
          },
        },
      ],
    });
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const pending = run([
        '--filter',
        'name-prefix:prod/',
        '--region',
        'eu-west-1',
        '--state-machine-arn',
        MACHINE,
        '--wait',
      ]);
      await vi.advanceTimersByTimeAsync(5000);
      expect(await pending).toBe(0);
    } finally {
      vi.useRealTimers();
    }

    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: EXECUTION,
      reverseOrder: true,
    });
    expect(stderr).toMatch(
      /120 rotated, 1 failed, 172 remaining · 44\.0 writes\/s \(quota 50\/s, fleet share 90%\)/,
    );
    expect(stdout).toContain('300 matched');
  });

  it('says how to proceed when the stack has no fleet output', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'rekey', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });
    await expect(run(['--filter', 'name-prefix:prod/', '--region', 'eu-west-1'])).rejects.toThrow(
      /no output SecretFleetStateMachineArn.*--state-machine-arn/,
    );
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(stderr).toBe('');
  });

  it('names the stack, the Region and the flags that fix it when the stack does not exist', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id rekey-staging does not exist'), { name: 'ValidationError' }),
      );
    await expect(
      run(['--filter', 'name-prefix:prod/', '--region', 'eu-west-1', '--stack-name', 'rekey-staging']),
    ).rejects.toThrow(
      /stack rekey-staging was not found in eu-west-1: pass --stack-name \(or --state-machine-arn\).*--endpoint-url/,
    );
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'rekey-staging' });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(stdout).toBe('');
  });
});
