/**
 * The key schedule against the local endpoint's KMS: every managed key that is due gets one
 * execution of the real key-rotation state machine, with its own period from its tag; keys
 * outside the managed alias pattern are never touched, however they are tagged. Step Functions'
 * StartExecution is served by a small AWS JSON 1.0 endpoint that runs each execution with the
 * local state-machine runner, and refuses a name already used, as Step Functions does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TagResourceCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/key-rotation/clients.js';
import { createHandler } from '../../../functions/key-rotation/handler.js';
import type { ScheduleResult } from '../../../functions/key-rotation/schedule.js';
import type { WorkflowRun } from '../../helpers/state-machine.js';
import { ACCOUNT, aliasName, createAliasedKey, describeKey, REGION, rotate, useHarness } from './helpers.js';

const h = useHarness();
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:rekey-key-rotation`;
let sfn: Server;
let sfnUrl: string;
/** Started executions by name; each runs when the test says so, so the two schedule calls see the same keys. */
const started = new Map<string, Record<string, unknown>>();
const runs: Promise<WorkflowRun>[] = [];

beforeAll(async () => {
  sfn = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const input = JSON.parse(body) as { stateMachineArn: string; name: string; input: string };
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (
        req.headers['x-amz-target'] !== 'AWSStepFunctions.StartExecution' ||
        input.stateMachineArn !== STATE_MACHINE_ARN
      ) {
        res
          .writeHead(400)
          .end(JSON.stringify({ __type: 'StateMachineDoesNotExist', message: input.stateMachineArn }));
        return;
      }
      if (started.has(input.name)) {
        res.writeHead(400).end(
          JSON.stringify({
            __type: 'ExecutionAlreadyExists',
            message: `Execution Already Exists: '${input.name}'`,
          }),
        );
        return;
      }
      started.set(input.name, JSON.parse(input.input) as Record<string, unknown>);
      res.writeHead(200).end(
        JSON.stringify({
          executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
          startDate: Date.now() / 1000,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => sfn.listen(0, '127.0.0.1', resolve));
  sfnUrl = `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`;
});

afterAll(async () => {
  delete process.env.KEY_ROTATION_STATE_MACHINE_ARN;
  await Promise.allSettled(runs);
  await new Promise((resolve) => sfn?.close(resolve));
});

describe('key schedule', () => {
  it("starts one rotation per due managed key, honours each key's period tag, and leaves other keys alone", async () => {
    // Under the template's default ManagedKeyAliasPattern (alias/rekey/*): the keys the deployed role may rotate.
    const namespace = `rekey/sched${Date.now()}`;
    const due = await createAliasedKey(h, `alias/${namespace}/due`, {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
    });
    const ownPeriod = await createAliasedKey(h, `alias/${namespace}/own-period`, {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
    });
    await h.kms().send(
      new TagResourceCommand({
        KeyId: ownPeriod.KeyId,
        Tags: [{ TagKey: 'rekey:rotation-period-days', TagValue: '400' }],
      }),
    );
    const outside = await createAliasedKey(h, aliasName(`${namespace}-outside`), {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
    });
    await h.kms().send(
      new TagResourceCommand({
        KeyId: outside.KeyId,
        Tags: [{ TagKey: 'rekey:rotation-period-days', TagValue: '1' }],
      }),
    );
    const badTag = await createAliasedKey(h, `alias/${namespace}/bad-tag`, {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
    });
    await h.kms().send(
      new TagResourceCommand({
        KeyId: badTag.KeyId,
        Tags: [{ TagKey: 'rekey:rotation-period-days', TagValue: 'soon' }],
      }),
    );
    // 366 days later: due under the default 365-day period, not under the key's own 400.
    h.shiftClock(366 * 86_400_000);
    const clients = {
      ...h.clients,
      sfn: createClients({
        region: REGION,
        endpoint: sfnUrl,
        credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
      }).sfn,
    };
    const handler = createHandler(clients);
    process.env.KEY_ROTATION_STATE_MACHINE_ARN = STATE_MACHINE_ARN;
    const event = {
      task: 'scheduleDueKeys',
      aliasPattern: `alias/${namespace}/*`,
      periodDays: 365,
      gracePeriodSeconds: 0,
      retentionSeconds: 0,
      pendingWindowInDays: 7,
    };

    const first = (await handler(event)) as ScheduleResult;
    const second = (await handler(event)) as ScheduleResult;

    expect(first.started.map((k) => k.alias)).toEqual([`alias/${namespace}/due`]);
    expect(first.notDue.map((k) => [k.alias, k.periodDays])).toEqual([
      [`alias/${namespace}/own-period`, 400],
    ]);
    expect(first.skipped).toEqual([
      expect.objectContaining({
        alias: `alias/${namespace}/bad-tag`,
        reason: expect.stringMatching(/rekey:rotation-period-days.*'soon'/),
      }),
    ]);
    expect(JSON.stringify(first)).not.toContain(outside.KeyId);
    // The same day again: the execution exists already, nothing new starts.
    expect(second.started).toEqual([
      expect.objectContaining({ alias: `alias/${namespace}/due`, alreadyStarted: true }),
    ]);
    expect(started.size).toBe(1);
    for (const input of started.values()) runs.push(rotate(h, input));
    const [run] = await Promise.all(runs);
    expect(run?.error).toBeUndefined();
    expect((await describeKey(h, `alias/${namespace}/due`)).KeyId).not.toBe(due.KeyId);
    expect((await describeKey(h, `alias/${namespace}/own-period`)).KeyId).toBe(ownPeriod.KeyId);
    expect((await describeKey(h, outside.KeyId ?? '')).KeyState).toBe('Enabled');
  });

  it('rejects a schedule input it does not understand, naming the field', async () => {
    const handler = createHandler(h.clients);
    await expect(handler({ task: 'scheduleDueKeys', aliasPattern: 'rekey/*' })).rejects.toThrow(
      /aliasPattern/,
    );
    await expect(
      handler({ task: 'scheduleDueKeys', aliasPattern: 'alias/x/*', periodDays: 0 }),
    ).rejects.toThrow(/periodDays/);
    await expect(
      handler({ task: 'scheduleDueKeys', aliasPattern: 'alias/x/*', colour: 'red' }),
    ).rejects.toThrow(/colour/);
  });
});
