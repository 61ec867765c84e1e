import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { FleetClients } from './clients.js';
import { SummaryPublishError } from './errors.js';
import type { FleetFailure, FleetFilter, FleetOptions, FleetPlan, FleetProgress } from './types.js';

export const SUMMARY_SOURCE = 'rekey';
export const SUMMARY_DETAIL_TYPE = 'Secret Fleet Rotation Summary';
const MAX_REASON = 400;

/** The `detail` of the summary event, and the output of the state machine: bounded at any fleet size. */
export interface FleetSummary {
  executionId: string;
  filter: FleetFilter;
  /** Every selected rotation was started and seen to its end. */
  complete: boolean;
  /** Why the run stopped early (a batch failed after its retries), if it did. */
  stoppedBy?: { error: string; reason: string };
  counts: {
    matched: number;
    /** Secrets that needed a rotation (due, overdue, stuck, failed). */
    candidates: number;
    /** Candidates this run took on: at most maxRotations, oldest due first. */
    selected: number;
    /** Candidates over maxRotations: the next run takes them. */
    deferred: number;
    rotated: number;
    failed: number;
    /** Matched secrets that needed nothing (healthy, rotating, disabled, empty). */
    skipped: number;
    /** Selected but not started (the run stopped early). */
    remaining: number;
    /** Valueless AWSPENDING labels removed before rotating. */
    cleared: number;
    /** Failed rotations finished with their own pending version. */
    resumed: number;
    byClassification: Record<string, number>;
  };
  pacing: {
    /** Writes caused (2 per rotation, 1 per repair) and the seconds the batches took. */
    writes: number;
    seconds: number;
    writesPerSecond: number;
    writeQuotaPerSecond: number;
    writeQuotaPercent: number;
    batches: number;
  };
  /** The failed secrets with their causes: at most MAX_FAILURES; the rest are counted here and logged. */
  failures: FleetFailure[];
  failuresOmitted: number;
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

/** Builds the summary from the plan and the last progress (counts and bounded failures only). */
export const buildSummary = (
  options: FleetOptions,
  plan: FleetPlan,
  progress: FleetProgress,
  executionId: string,
  stoppedBy?: { Error?: string; Cause?: string },
): FleetSummary => {
  const byClassification: Record<string, number> = {};
  for (const [key, value] of Object.entries(plan.counts)) if (value) byClassification[key] = value;
  const inFlight = progress.inFlight.length;
  const seconds = Number(progress.busySeconds.toFixed(1));
  const summary: FleetSummary = {
    executionId,
    filter: options.filter,
    complete: progress.done && !stoppedBy,
    counts: {
      matched: plan.matched,
      candidates: plan.candidates,
      selected: plan.selected,
      deferred: plan.deferred,
      rotated: progress.rotated,
      failed: progress.failed,
      skipped: plan.matched - plan.candidates,
      remaining: progress.remaining + inFlight,
      cleared: progress.cleared,
      resumed: progress.resumed,
      byClassification,
    },
    pacing: {
      writes: progress.writes,
      seconds,
      writesPerSecond: seconds > 0 ? Number((progress.writes / seconds).toFixed(1)) : 0,
      writeQuotaPerSecond: options.writeQuotaPerSecond,
      writeQuotaPercent: options.writeQuotaPercent,
      batches: progress.batches,
    },
    failures: progress.failures,
    failuresOmitted: progress.failuresOmitted,
  };
  if (stoppedBy) {
    summary.stoppedBy = {
      error: stoppedBy.Error ?? 'Error',
      reason: causeMessage(stoppedBy.Cause) ?? 'The batch failed.',
    };
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
