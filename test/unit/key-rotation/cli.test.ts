/**
 * `rekey rotate-key` against the deployed workflow (StartExecution, --wait following the
 * execution) and its usage errors, with Step Functions and CloudFormation mocked.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/rotate-key.js';
import { captureIo } from '../../helpers/cli-io.js';

const sfnMock = mockClient(SFNClient);
const cfnMock = mockClient(CloudFormationClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:rekey-key-rotation';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:rekey-key-rotation:e1';

beforeEach(() => {
  sfnMock.reset();
  cfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
});

describe('rotate-key on the deployed workflow', () => {
  it("starts the stack's state machine with the rotation input", async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: 'rekey-prod' }).resolves({
      Stacks: [
        {
          StackName: 'rekey-prod',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'KeyRotationStateMachineArn', OutputValue: MACHINE }],
        },
      ],
    });
    const printed = captureIo();

    const code = await run(
      ['alias/orders', '--stack-name', 'rekey-prod', '--force', '--grace-seconds', '3600'],
      printed.io,
    );

    expect(code).toBe(0);
    expect(printed.stdout).toContain(`Started ${EXECUTION}`);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      input: JSON.stringify({ alias: 'alias/orders', force: true, gracePeriodSeconds: 3600 }),
    });
  });

  it('with --wait, prints each state and the failure, exiting 1', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 2,
          type: 'TaskStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Plan Rotation' },
        },
        {
          id: 5,
          type: 'TaskStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Publish Failure Event' },
        },
      ],
    });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        status: 'RUNNING',
        executionArn: EXECUTION,
        stateMachineArn: MACHINE,
        startDate: new Date(),
      })
      .resolves({
        status: 'FAILED',
        executionArn: EXECUTION,
        stateMachineArn: MACHINE,
        startDate: new Date(),
        error: 'KeyNotRotatableError',
        cause: JSON.stringify({
          errorType: 'KeyNotRotatableError',
          errorMessage: 'alias/orders points at an AWS managed key',
        }),
      });
    const printed = captureIo();

    const code = await run(['alias/orders', '--state-machine-arn', MACHINE, '--wait'], printed.io, 1);

    expect(code).toBe(1);
    expect(printed.stderr.match(/Plan Rotation/g)).toHaveLength(1);
    expect(printed.stderr).toContain('Publish Failure Event');
    expect(printed.stdout).toContain(
      'Rotation failed: KeyNotRotatableError: alias/orders points at an AWS managed key',
    );
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
  });
});

describe('rotate-key without its deployed state machine', () => {
  it('names the stack, the Region and the flags that fix it when the stack does not exist', async () => {
    cfnMock
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id rekey does not exist'), { name: 'ValidationError' }));
    const printed = captureIo();

    await expect(run(['alias/orders', '--region', 'eu-west-1'], printed.io)).rejects.toThrow(
      /stack rekey was not found in eu-west-1: pass --stack-name \(or --state-machine-arn\).*--endpoint-url/,
    );
    expect(cfnMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'rekey' });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(printed.stdout).toBe('');
  });

  it('says how to proceed when the stack has no key-rotation output', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'rekey', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });

    await expect(run(['alias/orders'], captureIo().io)).rejects.toThrow(
      /stack rekey has no output KeyRotationStateMachineArn: deploy the current template, or pass --state-machine-arn/,
    );
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('rotate-key usage errors', () => {
  it.each([
    [[], /exactly one ALIAS/],
    [['alias/a', 'alias/b'], /exactly one ALIAS/],
    [['alias/a', '--grace-seconds', 'soon'], /--grace-seconds must be a whole number/],
    [['alias/a', '--endpoint-url', 'localhost:4566'], /--endpoint-url must be an http\(s\) URL/],
    [['alias/a', '--endpoint-url', 'http://127.0.0.1:1', '--wait'], /--wait.*deployed runs/],
    [['alias/a', '--colour'], /Unknown option '--colour'/],
  ])('%j is refused with a usage error', async (argv, message) => {
    await expect(run(argv, captureIo().io)).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(message),
    });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
