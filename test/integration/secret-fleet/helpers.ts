/**
 * Shared set-up of the secret-fleet integration tests: a local endpoint of their own with the
 * real rotation function registered, a Secrets Manager client acting as the test's account, and
 * the staging-label look-ups both files assert with.
 */

import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger as functionLogger } from '../../../functions/lib/logger.js';
import { createClients } from '../../../functions/secret-fleet/clients.js';
import { createHandler } from '../../../functions/secret-fleet/handler.js';
import type { FleetSummary } from '../../../functions/secret-fleet/summary.js';
import { SECRETS_MANAGER_RETRY } from '../../../functions/secret-rotation/handler.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { runStateMachine, type WorkflowRun } from '../../helpers/state-machine.js';
import { type QuotaProxy, startQuotaProxy } from './quota-proxy.js';

/** The stack's event bus (template.yaml's EventBusName default): the only one the fleet role may publish to. */
export const FLEET_EVENT_BUS = 'rekey';

export interface FleetEndpoint {
  readonly endpoint: TestEndpoint;
  /** Acts as `account` in `region`. */
  readonly sm: SecretsManagerClient;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly account: string;
  readonly region: string;
  /** Where the fleet and the rotation function send their calls: the quota proxy when there is one. */
  readonly url: string;
  /** The write quota enforced in front of the endpoint (with `writeQuotaPerSecond`). */
  readonly quota?: QuotaProxy;
  close(): Promise<void>;
}

/**
 * Starts a local endpoint on a random port and registers the real rotation function (silent
 * logs) under `rotationFunction`. `beforeStep` runs before every step the endpoint invokes and
 * may throw to make that step fail, as a broken target would.
 */
export const startFleetEndpoint = async (options: {
  account: string;
  region: string;
  rotationFunction: string;
  beforeStep?: (event: { Step: string; SecretId: string }) => void;
  /** Enforce Secrets Manager's write quota (ThrottlingException over it) on the fleet and the rotation function. */
  writeQuotaPerSecond?: number;
}): Promise<FleetEndpoint> => {
  const { account, region, writeQuotaPerSecond } = options;
  functionLogger.setLogLevel('SILENT');
  let quota: QuotaProxy | undefined;
  const rotationArn = `arn:aws:lambda:${region}:${account}:function:${options.rotationFunction}`;
  const endpoint = await startTestEndpoint({
    account,
    region,
    defaultFunctions: true,
    // The fleet role may start rotations of rekey's function and of those the deployer lists.
    templateParameters: { AdditionalRotationFunctionArns: rotationArn },
    // Retries as the deployed function has them (throttling is waited out, not a failure).
    rotation: {
      name: options.rotationFunction,
      retry: SECRETS_MANAGER_RETRY,
      ...(options.beforeStep && { beforeStep: options.beforeStep }),
    },
    ...(writeQuotaPerSecond !== undefined && {
      front: async (url: string) => {
        quota = await startQuotaProxy(url, writeQuotaPerSecond);
        return quota;
      },
    }),
  });
  const sm = new SecretsManagerClient(endpoint.clientConfig);
  // The stack creates its bus; the fleet function publishes its summary there.
  await new EventBridgeClient(endpoint.clientConfig).send(
    new CreateEventBusCommand({ Name: FLEET_EVENT_BUS }),
  );
  return {
    endpoint,
    sm,
    credentials: endpoint.credentials,
    account,
    region,
    url: endpoint.callUrl,
    ...(quota ? { quota } : {}),
    close: async () => {
      sm.destroy();
      await endpoint.stop();
    },
  };
};

/** Staging labels by version id. */
export const stagesOf = async (sm: SecretsManagerClient, arn: string): Promise<Record<string, string[]>> =>
  (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};

/** The version that carries `label`, if any. */
export const holder = (stages: Record<string, string[]>, label: string): string | undefined =>
  Object.entries(stages).find(([, labels]) => labels.includes(label))?.[0];

export interface FleetRun {
  run: WorkflowRun;
  summary: FleetSummary;
  /** The largest task input or output the state machine carried, in bytes. */
  largestState: number;
  /** History events as AWS would record them: StateEntered/Exited, plus Scheduled, Started, Succeeded per task. */
  historyEvents: number;
}

/**
 * Runs statemachines/secret-fleet-rotation.asl.json once: every Task to the real fleet handler,
 * its calls through the quota proxy (when there is one), time from the endpoint's clock.
 */
export const runFleet = async (fleet: FleetEndpoint, input: Record<string, unknown>): Promise<FleetRun> => {
  const functionArn = `arn:aws:lambda:${fleet.region}:${fleet.account}:function:rekey-secret-fleet`;
  const handler = createHandler(
    createClients({
      region: fleet.region,
      endpoint: fleet.url,
      // As deployed: the fleet function signs as its role (template.yaml's policies apply).
      credentials: fleet.endpoint.functionConfig('SecretFleetFunction').credentials,
      now: () => fleet.endpoint.clock.now(),
    }),
  );
  let largestState = 0;
  let historyEvents = 2; // ExecutionStarted and the end event
  const run = await runStateMachine({
    aslPath: 'statemachines/secret-fleet-rotation.asl.json',
    substitutions: { SecretFleetFunctionArn: functionArn, EventBusName: FLEET_EVENT_BUS },
    tasks: {
      [functionArn]: async (event) => {
        const output = await handler(event);
        largestState = Math.max(largestState, JSON.stringify(event).length, JSON.stringify(output).length);
        return output;
      },
    },
    input,
    region: fleet.region,
    accountId: fleet.account,
    onEvent: (event) => {
      if (event.type === 'StateEntered') historyEvents += event.state?.type === 'Task' ? 4 : 1;
      if (event.type === 'StateExited') historyEvents += 1;
    },
  });
  return { run, summary: run.output as FleetSummary, largestState, historyEvents };
};
