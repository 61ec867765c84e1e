/**
 * Every sample event in events/ (the files `sam local invoke -e` takes) is accepted by the
 * handler it is for: the handler's own edge parser takes it, and the real handler, run against an
 * empty local endpoint, gets past its input checks to the AWS call that finds nothing there.
 * A copy with a required field removed is refused naming that field, so acceptance means something.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients as certificateClients } from '../../functions/certificate-expiry/clients.js';
import { createHandler as certificateHandler } from '../../functions/certificate-expiry/handler.js';
import { createClients as keyClients } from '../../functions/key-rotation/clients.js';
import { createHandler as keyHandler, parseTaskEvent } from '../../functions/key-rotation/handler.js';
import { parseRotationInput } from '../../functions/key-rotation/plan.js';
import { parseScheduleInput } from '../../functions/key-rotation/schedule.js';
import { createClients as fleetClients } from '../../functions/secret-fleet/clients.js';
import {
  createHandler as fleetHandler,
  parseTaskEvent as parseFleetTask,
} from '../../functions/secret-fleet/handler.js';
import { parseFleetInput } from '../../functions/secret-fleet/options.js';
import { parseRotationEvent } from '../../functions/secret-rotation/event.js';
import { createHandler as rotationHandler } from '../../functions/secret-rotation/handler.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const dir = new URL('../../events/', import.meta.url).pathname;
const load = (file: string): Record<string, unknown> =>
  structuredClone(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>);
const credentials = { accessKeyId: '123456789012', secretAccessKey: 'local' };
const without = (event: Record<string, unknown>, key: string) => {
  const copy = structuredClone(event);
  delete copy[key];
  return copy;
};
const failureOf = async (work: () => Promise<unknown>): Promise<Error | undefined> => {
  try {
    await work();
    return undefined;
  } catch (error) {
    return error as Error;
  }
};

let endpoint: TestEndpoint;
beforeAll(async () => {
  endpoint = await startTestEndpoint();
});
afterAll(async () => {
  await endpoint.close();
});

/** The certificate-expiry handler with its clients on the local endpoint and no retry waits. */
const certificateHandlerOnEndpoint = () =>
  certificateHandler({
    clients: certificateClients({ endpoint: endpoint.url, credentials, homeRegion: 'us-east-1' }),
    settings: () => ({
      homeRegion: 'us-east-1',
      busName: 'default',
      regions: ['us-east-1'],
      thresholds: [45, 30, 14, 7, 3, 1],
      concurrency: 2,
    }),
    backoff: { attempts: 1, baseMs: 1, maxMs: 1 },
  });

/** Which checks apply to each sample, by file name; every file must be claimed by one. */
const checks: { pattern: RegExp; check: (file: string) => Promise<void> }[] = [
  {
    pattern: /^secret-rotation-.*\.json$/,
    check: async (file) => {
      const event = load(file);
      expect(parseRotationEvent(event).secretId).toBe(event.SecretId);
      const handle = rotationHandler({
        secretsManager: new SecretsManagerClient({
          endpoint: endpoint.url,
          region: 'us-east-1',
          credentials,
        }),
      });
      expect((await failureOf(() => handle(event)))?.name).toBe('ResourceNotFoundException');
      expect((await failureOf(() => handle(without(event, 'ClientRequestToken'))))?.message).toMatch(
        /ClientRequestToken/,
      );
    },
  },
  {
    pattern: /^acm-certificate-.*\.json$/,
    check: async (file) => {
      const event = load(file);
      const handle = certificateHandlerOnEndpoint();
      // Parsed, then DescribeCertificate found nothing: an event about a deleted certificate is no error.
      const result = (await handle(event)) as { outcome: string; certificateArn: string };
      expect(result).toMatchObject({
        outcome: 'CERTIFICATE_NOT_FOUND',
        certificateArn: (event.resources as string[])[0],
      });
      expect((await failureOf(() => handle(without(event, 'resources'))))?.name).toBe('InvalidInputError');
    },
  },
  {
    pattern: /^acm-sweep-input\.json$/,
    check: async (file) => {
      const input = load(file);
      const handle = certificateHandlerOnEndpoint();
      const plan = (await handle({ task: 'plan', request: input })) as { regions: string[] };
      expect(plan.regions).toEqual(expect.arrayContaining(input.regions as string[]));
      expect((await failureOf(() => handle({ task: 'plan', request: { regions: 'nowhere' } })))?.name).toBe(
        'InvalidInputError',
      );
    },
  },
  {
    pattern: /^key-rotation-input\.json$/,
    check: async (file) => {
      const input = load(file);
      expect(parseRotationInput(input).alias).toBe(input.alias);
      expect(() => parseRotationInput(without(input, 'alias'))).toThrow(/alias/);
    },
  },
  {
    pattern: /^key-rotation-schedule\.json$/,
    check: async (file) => {
      const event = load(file);
      expect(parseScheduleInput(event).aliasPattern).toBe(event.aliasPattern);
      expect(() => parseScheduleInput(without(event, 'aliasPattern'))).toThrow(/aliasPattern/);
      // The empty endpoint holds no alias: the schedule checks nothing and starts nothing.
      process.env.KEY_ROTATION_STATE_MACHINE_ARN =
        'arn:aws:states:us-east-1:123456789012:stateMachine:rekey-key-rotation';
      try {
        const handle = keyHandler(keyClients({ region: 'us-east-1', endpoint: endpoint.url, credentials }));
        expect(await handle(event)).toMatchObject({ started: [], notDue: [], skipped: [] });
      } finally {
        delete process.env.KEY_ROTATION_STATE_MACHINE_ARN;
      }
    },
  },
  {
    pattern: /^key-rotation-.*-task\.json$/,
    check: async (file) => {
      const event = load(file);
      expect(parseTaskEvent(event).task).toBe(event.task);
      const handle = keyHandler(keyClients({ region: 'us-east-1', endpoint: endpoint.url, credentials }));
      expect((await failureOf(() => handle(event)))?.name).toBe('AliasNotFoundError');
      expect((await failureOf(() => handle(without(event, 'task'))))?.message).toMatch(/task/);
    },
  },
  {
    pattern: /^secret-fleet-input\.json$/,
    check: async (file) => {
      const input = load(file);
      expect(parseFleetInput(input).maxConcurrency).toBe(input.maxConcurrency);
      expect(() => parseFleetInput({ ...input, maxConcurrency: 'many' })).toThrow(/maxConcurrency/);
    },
  },
  {
    pattern: /^secret-fleet-(plan|batch)\.json$/,
    check: async (file) => {
      const event = load(file);
      expect(parseFleetTask(event).task).toBe(event.task);
      const handle = fleetHandler(fleetClients({ region: 'us-east-1', endpoint: endpoint.url, credentials }));
      const failure = await failureOf(() => handle(event));
      // An empty account: the plan finds nothing; the batch records its running rotation's
      // secret as gone (a failure in its progress, not a failed task).
      expect(failure).toBeUndefined();
      expect((await failureOf(() => handle(without(event, 'state'))))?.message).toMatch(/state/);
    },
  },
];

describe('events/', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has a check for every sample event', () => {
    const unclaimed = files.filter((f) => !checks.some((c) => c.pattern.test(f)));
    expect(unclaimed).toEqual([]);
  });

  for (const file of files) {
    const entry = checks.find((c) => c.pattern.test(file));
    if (entry) it(`${file} is accepted by its handler`, () => entry.check(file));
  }
});
