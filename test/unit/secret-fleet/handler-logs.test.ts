import { readFileSync } from 'node:fs';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../../functions/lib/logger.js';
import { createClients } from '../../../functions/secret-fleet/clients.js';
import { createHandler } from '../../../functions/secret-fleet/handler.js';
import { captureLogs } from '../secret-rotation/helpers.js';

const sm = mockClient(SecretsManagerClient);
const planEvent = JSON.parse(
  readFileSync(new URL('../../../events/secret-fleet-plan.json', import.meta.url), 'utf8'),
) as { executionId: string };

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  sm.reset();
  logger.setLogLevel('INFO');
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  logger.setLogLevel('SILENT');
});

describe('secret-fleet handler logs', () => {
  it('puts the task and execution on its success lines, not only on its failure line', async () => {
    sm.on(ListSecretsCommand).resolves({ SecretList: [] });
    const handler = createHandler(
      createClients({ region: 'us-east-1', now: () => new Date('2026-11-22T12:00:00Z') }),
    );

    await handler(structuredClone(planEvent));

    const planned = logs.entries().filter((e) => e.message === 'Planned the fleet run');
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({ task: 'plan', execution: planEvent.executionId });
  });

  it('refuses a field the state machine never sends, naming it', async () => {
    const handler = createHandler(createClients({ region: 'us-east-1' }));

    await expect(handler({ ...structuredClone(planEvent), eventBusname: 'typo' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('eventBusname: unknown field'),
    });
    expect(sm.calls()).toHaveLength(0);
  });
});
