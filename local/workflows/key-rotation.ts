import { createClients } from '../../functions/key-rotation/clients.js';
import { createHandler } from '../../functions/key-rotation/handler.js';
import { DEFAULT_ACCOUNT_ID } from '../defaults.js';
import { KEY_ROTATION_ASL } from '../statemachines.js';
import { type ExecutionEvent, runWorkflow, type WorkflowRun } from './run.js';

export interface LocalKeyRotationOptions {
  /** The local endpoint (or any AWS-compatible endpoint) the KMS, EventBridge and Secrets Manager calls go to. */
  endpointUrl: string;
  alias: string;
  region: string;
  accountId?: string;
  force?: boolean;
  periodDays?: number;
  gracePeriodSeconds?: number;
  retentionSeconds?: number;
  pendingWindowInDays?: number;
  importTimeoutSeconds?: number;
  importPollSeconds?: number;
  reencrypt?: { ciphertexts?: string[]; secretId?: string };
  eventBusName?: string;
  executionName?: string;
  onEvent?: (event: ExecutionEvent) => void;
}

/**
 * Runs `statemachines/key-rotation.asl.json` locally: every Task goes to the real key-rotation
 * handler, whose clients point at `endpointUrl`. Waits last as the input says (grace and
 * retention in seconds), so a short run needs short values.
 */
export const runKeyRotationLocally = async (options: LocalKeyRotationOptions): Promise<WorkflowRun> => {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const handler = createHandler(
    createClients({
      region: options.region,
      endpoint: options.endpointUrl,
      credentials: { accessKeyId: accountId, secretAccessKey: 'local' },
    }),
  );
  const functionArn = `arn:aws:lambda:${options.region}:${accountId}:function:rekey-key-rotation`;
  const input: Record<string, unknown> = { alias: options.alias };
  for (const key of [
    'force',
    'periodDays',
    'gracePeriodSeconds',
    'retentionSeconds',
    'pendingWindowInDays',
    'importTimeoutSeconds',
    'importPollSeconds',
    'reencrypt',
  ] as const) {
    if (options[key] !== undefined) input[key] = options[key];
  }
  return runWorkflow({
    aslPath: KEY_ROTATION_ASL,
    substitutions: { KeyRotationFunctionArn: functionArn, EventBusName: options.eventBusName ?? 'default' },
    tasks: { [functionArn]: handler },
    input,
    region: options.region,
    accountId,
    stateMachineName: 'rekey-key-rotation',
    ...(options.executionName ? { executionName: options.executionName } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
};
