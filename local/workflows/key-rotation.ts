import { createClients } from '../../functions/key-rotation/clients.js';
import { createHandler } from '../../functions/key-rotation/handler.js';
import { functionCredentials, LOCAL_STACK_NAME, TemplateIdentities } from '../core/iam/identities.js';
import { DEFAULT_ACCOUNT_ID } from '../defaults.js';
import { KEY_ROTATION_ASL } from '../statemachines.js';
import { type ExecutionEvent, runWorkflow, type WorkflowRun } from './run.js';

/**
 * The bus the local workflow publishes to unless told otherwise: the stack's (template.yaml's
 * EventBusName default), the only one the function's role may publish to.
 */
export const LOCAL_EVENT_BUS = 'rekey';

/** The retiring-alias namespace of local key rotations: the stack's, as template.yaml sets it. */
export const LOCAL_RETIRING_ALIAS_PREFIX = `alias/rekey-retiring/${LOCAL_STACK_NAME}/`;

/** The key-rotation function's logical id in template.yaml: the role its steps run under. */
export const KEY_ROTATION_FUNCTION = 'KeyRotationFunction';

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
  // As deployed: the handler signs as its role (the endpoint enforces the role's policies), names
  // that role in unproven successors' key policies, and gives retiring keys an alias in the
  // stack's namespace (template.yaml's REKEY_ROLE_ARN and REKEY_RETIRING_ALIAS_PREFIX).
  const role = new TemplateIdentities().role(KEY_ROTATION_FUNCTION, accountId, options.region);
  const handler = createHandler(
    createClients({
      region: options.region,
      endpoint: options.endpointUrl,
      credentials: functionCredentials(KEY_ROTATION_FUNCTION, accountId),
      access: { roleArn: role.roleArn, retiringAliasPrefix: LOCAL_RETIRING_ALIAS_PREFIX },
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
    substitutions: {
      KeyRotationFunctionArn: functionArn,
      EventBusName: options.eventBusName ?? LOCAL_EVENT_BUS,
    },
    tasks: { [functionArn]: handler },
    input,
    region: options.region,
    accountId,
    stateMachineName: 'rekey-key-rotation',
    ...(options.executionName ? { executionName: options.executionName } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
};
