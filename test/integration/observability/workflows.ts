/**
 * Runs each function of rekey the way it runs on AWS, against the local endpoint, through the
 * paths that publish events and metrics: secret rotations (one succeeding, one failing at its
 * database), key rotations (succeeded; imported material never arriving, rolled back before the
 * swap; a crash after the swap, rolled back), a fleet run (rotated, failed, skipped) and a
 * certificate sweep plus an ACM event (several finding classes, a renewal requested). Returns
 * every event published on the buses, as EventBridge delivers them to targets.
 */
import { randomInt, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHandler as createCertificateHandler } from '../../../functions/certificate-expiry/handler.js';
import { DEFAULT_THRESHOLDS } from '../../../functions/certificate-expiry/thresholds.js';
import { createClients as createFleetClients } from '../../../functions/secret-fleet/clients.js';
import { createHandler as createFleetHandler } from '../../../functions/secret-fleet/handler.js';
import { readEvents } from '../../../local/core/admin-client.js';
import { rotationSucceeded, waitForRotation } from '../../../local/rotation-wait.js';
import type { RecordedEvent } from '../../../local/services/eventbridge/index.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { runStateMachine } from '../../helpers/state-machine.js';
import { loadEvent } from '../../unit/certificate-expiry/events.js';
import { newAccount, now } from '../certificate-expiry/env.js';
import {
  aliasName,
  createAliasedKey,
  type Harness,
  publishedEvents,
  realHandler,
  rotate,
  startHarness,
} from '../key-rotation/helpers.js';
import { startFleetEndpoint } from '../secret-fleet/helpers.js';

/** An event as EventBridge delivers it to a target: what the local endpoint records, without its bus. */
export type DeliveredEvent = Omit<RecordedEvent, 'event-bus-name'>;

const eventsOn = async (
  endpoint: TestEndpoint,
  account: string,
  region: string,
  bus: string,
): Promise<RecordedEvent[]> => {
  return (await readEvents({ endpointUrl: endpoint.url, region, account }, { eventBusName: bus })).events;
};

/** One generated secret rotated to the end, and one PostgreSQL secret whose server refuses connections. */
export const rotateSecrets = async (): Promise<{ generated: string; postgres: string }> => {
  const endpoint = await startTestEndpoint({ defaultFunctions: true });
  try {
    const account = String(randomInt(100_000_000_000, 999_999_999_999));
    const sm = new SecretsManagerClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: account, secretAccessKey: 'local' },
    });
    const functionArn = `arn:aws:lambda:us-east-1:${account}:function:rekey-secret-rotation`;
    const local = { endpointUrl: endpoint.url, region: 'us-east-1', account };
    const generated =
      (
        await sm.send(
          new CreateSecretCommand({
            Name: `metrics-${randomUUID()}/api-key`,
            SecretString: JSON.stringify({ password: 'initial-value' }),
            Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
          }),
        )
      ).ARN ?? '';
    const started = await sm.send(
      new RotateSecretCommand({
        SecretId: generated,
        RotationLambdaARN: functionArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    // As against AWS: RotateSecret answers before the steps run; wait for them to succeed.
    await rotationSucceeded({ sm, secretId: generated, token: started.VersionId, local });

    const postgres =
      (
        await sm.send(
          new CreateSecretCommand({
            Name: `metrics-${randomUUID()}/db`,
            // Port 1 on loopback refuses connections: setSecret fails at the database.
            SecretString: JSON.stringify({
              engine: 'postgres',
              host: '127.0.0.1',
              port: 1,
              username: 'app',
              password: 'initial-password-value',
              dbname: 'app',
            }),
          }),
        )
      ).ARN ?? '';
    const failing = await sm.send(
      new RotateSecretCommand({
        SecretId: postgres,
        RotationLambdaARN: functionArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    const outcome = await waitForRotation({ sm, secretId: postgres, token: failing.VersionId, local });
    if (outcome.failure?.step !== 'setSecret') {
      throw new Error(`expected the PostgreSQL rotation to fail at setSecret; it ${outcome.status}`);
    }
    return { generated, postgres };
  } finally {
    await endpoint.close();
  }
};

/** Three key rotations: one succeeds, one waits for key material that never comes, one crashes after the swap. */
export const rotateKeys = async (): Promise<{ events: RecordedEvent[]; aliases: string[] }> => {
  const h: Harness = await startHarness();
  try {
    const good = aliasName('metrics-ecc');
    await createAliasedKey(h, good, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const succeeded = await rotate(h, { alias: good, force: true });
    if (succeeded.error) throw new Error(`the key rotation failed: ${JSON.stringify(succeeded.error)}`);

    const crashed = aliasName('metrics-crash');
    await createAliasedKey(h, crashed, {});
    await rotate(
      h,
      { alias: crashed, force: true },
      {
        tasks: {
          'Swap Alias': async (input: unknown) => {
            await realHandler(h)(input);
            throw Object.assign(new Error('injected after the swap'), { name: 'InjectedFailureError' });
          },
        },
      },
    );

    // Last: it moves the handler's clock past the import deadline.
    const external = aliasName('metrics-external');
    await createAliasedKey(h, external, { Origin: 'EXTERNAL' });
    await rotate(
      h,
      { alias: external, force: true, importTimeoutSeconds: 60, importPollSeconds: 1 },
      {
        tasks: {
          'Check Key Material Import': async (input: unknown) => {
            h.shiftClock(120_000);
            return realHandler(h)(input);
          },
        },
      },
    );
    const events = (await publishedEvents(h)) as unknown as RecordedEvent[];
    return { events, aliases: [good, crashed, external] };
  } finally {
    await h.close();
  }
};

/** A fleet run over four secrets: two due (rotated), one whose target refuses (failed), one with rotation off (skipped). */
export const rotateFleet = async (): Promise<RecordedEvent[]> => {
  const account = String(randomInt(100_000_000_000, 999_999_999_999));
  const region = 'us-east-1';
  const rotationFunction = 'rekey-it-metrics-rotation';
  const refusing = new Set<string>();
  const { endpoint, sm, credentials } = await startFleetEndpoint({
    account,
    region,
    rotationFunction,
    beforeStep: ({ Step, SecretId }) => {
      if (Step === 'setSecret' && refusing.has(SecretId)) throw new Error('injected: the target refused');
    },
  });
  try {
    const tag = randomUUID();
    const create = async (name: string, rotateEvery?: number) => {
      const arn =
        (
          await sm.send(
            new CreateSecretCommand({
              Name: `metrics-fleet-${tag}/${name}`,
              SecretString: JSON.stringify({ password: `initial-${randomUUID()}` }),
              Tags: [
                { Key: 'rekey-it:metrics', Value: tag },
                { Key: 'rekey:rotator', Value: 'generated' },
              ],
            }),
          )
        ).ARN ?? '';
      if (rotateEvery !== undefined) {
        const started = await sm.send(
          new RotateSecretCommand({
            SecretId: arn,
            RotationLambdaARN: `arn:aws:lambda:${region}:${account}:function:${rotationFunction}`,
            RotationRules: { AutomaticallyAfterDays: rotateEvery },
          }),
        );
        // The first rotation finishes before the fleet runs (RotateSecret answers before its steps).
        await rotationSucceeded({
          sm,
          secretId: arn,
          token: started.VersionId,
          local: { endpointUrl: endpoint.url, region, account },
        });
      }
      return arn;
    };
    await create('due-1', 1);
    await create('due-2', 1);
    refusing.add(await create('refusing', 1));
    await create('rotation-off');
    endpoint.clock.advance(2 * 86_400_000);

    const fleetArn = `arn:aws:lambda:${region}:${account}:function:rekey-secret-fleet`;
    const clients = createFleetClients({
      region,
      endpoint: endpoint.url,
      credentials,
      now: () => endpoint.clock.now(),
    });
    const run = await runStateMachine({
      aslPath: 'statemachines/secret-fleet-rotation.asl.json',
      substitutions: { SecretFleetFunctionArn: fleetArn, EventBusName: 'default' },
      tasks: { [fleetArn]: createFleetHandler(clients) },
      waitOverrides: { 'Wait For Rotation': 1, 'Pause After Error': 1 },
      // RotateSecret answers before the steps run, as on AWS: the refusing rotation is failed
      // after 5 s without change, not at the first check (the others change within that).
      input: {
        filter: { tag: { key: 'rekey-it:metrics', value: tag } },
        stallTimeoutSeconds: 5,
        pollSeconds: 1,
      },
      region,
      accountId: account,
    });
    if (run.error) throw new Error(`the fleet run failed: ${JSON.stringify(run.error)}`);
    return await eventsOn(endpoint, account, region, 'default');
  } finally {
    await endpoint.close();
  }
};

/** A sweep of one Region with findings of several classes, and one ACM event, through the function's handler. */
export const sweepCertificates = async (): Promise<RecordedEvent[]> => {
  const endpoint = await startTestEndpoint({ defaultFunctions: true });
  try {
    const t = await newAccount(endpoint);
    await t.importCertificate(10);
    await t.seed(20, { renewalStatus: 'FAILED', renewalStatusReason: 'DOMAIN_VALIDATION_DENIED' });
    await t.seed(12, { renewalStatus: 'PENDING_VALIDATION' });
    await t.seed(25, { type: 'PRIVATE', inUseBy: [] });
    await t.seed(200);
    const handler = createCertificateHandler({
      clients: t.clients,
      settings: () => ({
        busName: t.bus,
        regions: ['us-east-1'],
        thresholds: DEFAULT_THRESHOLDS,
        concurrency: 4,
        homeRegion: 'us-east-1',
      }),
      now: () => now(endpoint),
      backoff: { baseMs: 20 },
    });
    await handler({ task: 'sweepRegion', region: 'us-east-1', thresholds: [...DEFAULT_THRESHOLDS] });

    // ACM's own event for a certificate that expires in 40 days: within the 45-day threshold.
    const soon = await t.seed(40);
    const event = loadEvent('acm-certificate-approaching-expiration');
    event.account = t.account;
    event.resources = [soon];
    await handler(event);
    return await eventsOn(endpoint, t.account, 'us-east-1', t.bus);
  } finally {
    await endpoint.close();
  }
};
