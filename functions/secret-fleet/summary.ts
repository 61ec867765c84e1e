import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { FleetClients } from './clients.js';
import { SummaryPublishError } from './errors.js';
import type { FleetFilter, FleetPlan, ItemResult } from './types.js';

export const SUMMARY_SOURCE = 'rekey';
export const SUMMARY_DETAIL_TYPE = 'Secret Fleet Rotation Summary';
/** PutEvents takes at most 256 KB per entry; the detail stays well below, dropping skipped secrets first. */
const MAX_DETAIL_BYTES = 200_000;
const MAX_REASON = 400;

/** One secret in the summary: what was found and what happened. Never a value. */
export interface SecretOutcome {
  name: string;
  arn: string;
  classification: string;
  outcome: 'rotated' | 'failed' | 'skipped';
  repair?: string;
  versionId?: string;
  error?: string;
  reason?: string;
}

/** The `detail` of the summary event, and the output of the state machine. */
export interface FleetSummary {
  executionId: string;
  filter: FleetFilter;
  matched: number;
  /** More secrets matched than the run's maxSecrets; the rest wait for the next run. */
  truncated: boolean;
  counts: {
    matched: number;
    candidates: number;
    rotated: number;
    failed: number;
    skipped: number;
    /** Valueless AWSPENDING labels removed before rotating. */
    cleared: number;
    /** Failed rotations finished with their own pending version. */
    resumed: number;
    byClassification: Record<string, number>;
  };
  /** Skipped (not acted on) secrets were left out of `secrets` to keep the event within its size limit. */
  secretsTruncated?: boolean;
  secrets: SecretOutcome[];
}

/**
 * The message of a Task failure's Cause: Lambda wraps it as JSON `{errorType, errorMessage,
 * trace}`; only the message is kept (no stack trace), shortened.
 */
export const causeMessage = (cause: string | undefined): string | undefined => {
  if (cause === undefined || cause === '') return undefined;
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message itself.
  }
  return message.length > MAX_REASON ? `${message.slice(0, MAX_REASON - 1)}…` : message;
};

/** Builds the summary from the plan and the Map's results. */
export const buildSummary = (plan: FleetPlan, results: ItemResult[], executionId: string): FleetSummary => {
  const acted: SecretOutcome[] = results.map((r) => {
    const reason = r.reason ?? causeMessage(r.cause);
    return {
      name: r.name,
      arn: r.arn,
      classification: r.classification,
      outcome: r.outcome,
      ...(r.repair && r.repair !== 'none' ? { repair: r.repair } : {}),
      ...(r.versionId ? { versionId: r.versionId } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(r.outcome === 'failed' && reason ? { reason } : {}),
    };
  });
  const skipped: SecretOutcome[] = plan.skipped.map((s) => ({
    name: s.name,
    arn: s.arn,
    classification: s.classification,
    outcome: 'skipped',
    reason: s.reason,
  }));
  const byClassification: Record<string, number> = {};
  for (const [key, value] of Object.entries(plan.counts)) if (value) byClassification[key] = value;
  const summary: FleetSummary = {
    executionId,
    filter: plan.options.filter,
    matched: plan.matched,
    truncated: plan.truncated,
    counts: {
      matched: plan.matched,
      candidates: plan.candidates.length,
      rotated: acted.filter((a) => a.outcome === 'rotated').length,
      failed: acted.filter((a) => a.outcome === 'failed').length,
      skipped: skipped.length,
      cleared: results.filter((r) => r.repair === 'cleared').length,
      resumed: results.filter(
        (r) => r.outcome === 'rotated' && (r.classification === 'failed' || r.repair === 'resume'),
      ).length,
      byClassification,
    },
    secrets: [...acted, ...skipped],
  };
  if (Buffer.byteLength(JSON.stringify(summary)) > MAX_DETAIL_BYTES) {
    summary.secrets = acted;
    summary.secretsTruncated = true;
  }
  return summary;
};

/** Publishes the summary as one event (source `rekey`, detail-type `Secret Fleet Rotation Summary`). */
export const publishSummary = async (
  clients: FleetClients,
  eventBusName: string,
  summary: FleetSummary,
): Promise<string | undefined> => {
  const result = await clients.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: eventBusName,
          Source: SUMMARY_SOURCE,
          DetailType: SUMMARY_DETAIL_TYPE,
          Resources: [summary.executionId],
          Detail: JSON.stringify(summary),
        },
      ],
    }),
  );
  const entry = result.Entries?.[0];
  if ((result.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new SummaryPublishError(
      `EventBridge refused the summary event on bus ${eventBusName}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
    );
  }
  return entry.EventId;
};
