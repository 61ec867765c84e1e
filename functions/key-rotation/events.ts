import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { currentLogger } from '../lib/invocation.js';
import type { KeyRotationClients } from './clients.js';
import { EventPublishError } from './errors.js';
import { failedStep } from './rollback.js';
import type { ExecutionRef, FailureInfo, WorkflowState } from './types.js';

export const EVENT_SOURCE = 'rekey';
export const DETAIL_TYPE = {
  succeeded: 'Key Rotation Succeeded',
  failed: 'Key Rotation Failed',
  awaitingKeyMaterial: 'Key Rotation Awaiting Key Material',
} as const;

const MAX_CAUSE = 1000;

/**
 * The human part of a Step Functions error cause. For a Lambda task on AWS the cause is the
 * JSON `{"errorType","errorMessage","trace"}`; the stack trace is dropped, only the message is kept.
 */
export const causeMessage = (failure: FailureInfo | undefined): string => {
  const raw = failure?.Cause ?? '';
  let message = raw;
  try {
    const parsed = JSON.parse(raw) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message itself.
  }
  return message.length > MAX_CAUSE ? `${message.slice(0, MAX_CAUSE)}…` : message;
};

const publish = async (
  clients: KeyRotationClients,
  eventBusName: string,
  detailType: string,
  resources: string[],
  detail: Record<string, unknown>,
): Promise<{ eventId: string; detailType: string }> => {
  const out = await clients.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: eventBusName,
          Source: EVENT_SOURCE,
          DetailType: detailType,
          Resources: resources.filter((r) => r.startsWith('arn:')),
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  const entry = out.Entries?.[0];
  // PutEvents reports a rejected entry in the response, not as an exception.
  if ((out.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new EventPublishError(
      `EventBridge bus ${eventBusName} rejected the '${detailType}' event: ${entry?.ErrorCode ?? 'no event id'} ${entry?.ErrorMessage ?? ''}`.trim(),
    );
  }
  currentLogger().info('Published event', { detailType, eventId: entry.EventId, eventBusName });
  return { eventId: entry.EventId, detailType };
};

/** Publishes `Key Rotation Succeeded` with the chain of keys and what retirement did. */
export const publishSuccess = async (
  clients: KeyRotationClients,
  state: WorkflowState,
  execution: ExecutionRef,
  eventBusName: string,
) => {
  const plan = state.plan;
  const successor = state.successor;
  const check = state.retirementCheck as { grants?: unknown[] } | undefined;
  return publish(
    clients,
    eventBusName,
    DETAIL_TYPE.succeeded,
    [plan?.keyArn ?? '', successor?.keyArn ?? ''],
    {
      alias: plan?.alias,
      predecessorKeyArn: plan?.keyArn,
      successorKeyArn: successor?.keyArn,
      regions: plan?.aliasRegions,
      rotatedAt: state.swap?.swappedAt,
      execution: execution.id,
      reason: plan?.reason,
      warnings: plan?.warnings ?? [],
      predecessorGrants: check?.grants ?? [],
      predecessorDeletion: state.predecessorDeletion,
      reencrypted: (state.reencryption as { count?: number } | undefined)?.count ?? 0,
    },
  );
};

/**
 * Publishes `Key Rotation Failed`: which step failed, why (the error name and message, never a
 * payload), and what the roll-back did. A failure during retirement has no roll-back: the
 * successor is verified and in service, and swapping back to a key being retired would break it.
 */
export const publishFailure = async (
  clients: KeyRotationClients,
  state: WorkflowState,
  execution: ExecutionRef,
  eventBusName: string,
) => {
  const plan = state.plan;
  const step = failedStep(state);
  const rollback =
    state.rollback ??
    (state.rollbackFailure
      ? {
          action: 'roll-back-failed',
          error: state.rollbackFailure.Error,
          cause: causeMessage(state.rollbackFailure),
        }
      : state.swap && step !== 'Swap Alias'
        ? {
            action: 'none',
            note: `The alias uses the verified successor; retirement of the predecessor stopped at '${step}'. Fix the cause and finish it by hand (DisableKey, then ScheduleKeyDeletion).`,
          }
        : { action: 'none', note: 'The rotation stopped before it changed anything.' });
  const alias = plan?.alias ?? (typeof state.alias === 'string' ? state.alias : undefined);
  return publish(
    clients,
    eventBusName,
    DETAIL_TYPE.failed,
    [plan?.keyArn ?? '', state.successor?.keyArn ?? ''],
    {
      alias,
      keyArn: plan?.keyArn,
      successorKeyArn: state.successor?.keyArn,
      step,
      error: state.failure?.Error ?? 'Unknown',
      cause: causeMessage(state.failure),
      rollback,
      execution: execution.id,
    },
  );
};

/** Publishes `Key Rotation Awaiting Key Material` with the import instructions. */
export const publishAwaitingKeyMaterial = async (
  clients: KeyRotationClients,
  state: WorkflowState,
  execution: ExecutionRef,
  eventBusName: string,
) =>
  publish(clients, eventBusName, DETAIL_TYPE.awaitingKeyMaterial, [state.successor?.keyArn ?? ''], {
    alias: state.plan?.alias,
    keyArn: state.plan?.keyArn,
    successorKeyArn: state.successor?.keyArn,
    regions: state.successor?.pendingImportRegions,
    importDeadline: state.successor?.importDeadline,
    message: state.successor?.importInstructions,
    execution: execution.id,
  });
