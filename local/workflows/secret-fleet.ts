import { createClients } from '../../functions/secret-fleet/clients.js';
import { createHandler } from '../../functions/secret-fleet/handler.js';
import { parseFleetInput } from '../../functions/secret-fleet/options.js';
import type { FleetOptions, FleetPlan, FleetProgress } from '../../functions/secret-fleet/types.js';
import { functionCredentials } from '../core/iam/identities.js';
import { SECRET_FLEET_ASL } from '../statemachines.js';
import { LOCAL_EVENT_BUS } from './key-rotation.js';
import { runWorkflow, type WorkflowRun } from './run.js';

export interface LocalFleetOptions {
  region: string;
  accountId: string;
  /** The endpoint every call of the fleet function goes to. */
  endpoint: string;
  /** The workflow's input (filter, limits), as StartExecution would get it. */
  input: Record<string, unknown>;
  /** The bus the summary event goes to (default the stack's, the only one the function's role may publish to). */
  eventBusName?: string;
  /** The plan, once made (not called for a dry run, whose plan is the result). */
  onPlan?: (plan: FleetPlan) => void;
  /** Progress within a batch and at its end. */
  onProgress?: (progress: FleetProgress) => void;
}

/** The fleet input as the function will read it (defaults filled in); a bad input throws its error. */
export const fleetOptionsOf = (input: Record<string, unknown>): FleetOptions => parseFleetInput(input);

/** The fleet function's logical id in template.yaml: the role its steps run under. */
export const SECRET_FLEET_FUNCTION = 'SecretFleetFunction';

/**
 * Runs `statemachines/secret-fleet-rotation.asl.json` in this process: every Task goes to the
 * real fleet handler, whose clients point at `endpoint` and sign as the function's role (the
 * endpoint enforces its policies, e.g. only secrets tagged `rekey:fleet`), as deployed.
 */
export const runFleetLocally = async (options: LocalFleetOptions): Promise<WorkflowRun> => {
  const dryRun = fleetOptionsOf(options.input).dryRun;
  const functionArn = `arn:aws:lambda:${options.region}:${options.accountId}:function:rekey-secret-fleet`;
  const handler = createHandler(
    createClients({
      region: options.region,
      endpoint: options.endpoint,
      credentials: functionCredentials(SECRET_FLEET_FUNCTION, options.accountId),
    }),
    { ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  return runWorkflow({
    aslPath: SECRET_FLEET_ASL,
    substitutions: {
      SecretFleetFunctionArn: functionArn,
      EventBusName: options.eventBusName ?? LOCAL_EVENT_BUS,
    },
    tasks: {
      [functionArn]: async (event) => {
        const result = await handler(event);
        const task = (event as { task?: string }).task;
        if (task === 'plan' && !dryRun) options.onPlan?.((result as { plan: FleetPlan }).plan);
        if (task === 'batch') options.onProgress?.(result as FleetProgress);
        return result;
      },
    },
    input: options.input,
    region: options.region,
    accountId: options.accountId,
    stateMachineName: 'rekey-secret-fleet-rotation',
  });
};
