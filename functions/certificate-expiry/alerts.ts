/**
 * Finding events: publishing them to the project's bus in batches, and the tags that remember on
 * each certificate what was last announced, so a daily sweep does not announce the same
 * certificate every day.
 */
import { AddTagsToCertificateCommand, type Tag } from '@aws-sdk/client-acm';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type BackoffOptions, withBackoff } from '../lib/retry.js';
import type { Clients } from './clients.js';
import { AlertDeliveryError } from './errors.js';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE, type Finding } from './schema.js';
import type { AlertedState } from './thresholds.js';

/** Tag holding the threshold (days) of the last alert; `none` for an alert before any threshold. */
export const ALERTED_THRESHOLD_TAG = 'rekey:alerted-threshold';
/** Tag holding the NotAfter (ISO 8601) the certificate had at its last alert; a renewal changes it. */
export const ALERTED_NOT_AFTER_TAG = 'rekey:alerted-not-after';

/** PutEvents accepts at most 10 entries per request. */
export const MAX_ENTRIES_PER_REQUEST = 10;
/** PutEvents accepts at most 256 KB per request, as EventBridge measures entry size. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** Reads what the tags say was last announced; undefined when never announced (or tags unreadable). */
export const readAlertedState = (tags: ReadonlyMap<string, string>): AlertedState | undefined => {
  const rawThreshold = tags.get(ALERTED_THRESHOLD_TAG);
  const notAfter = tags.get(ALERTED_NOT_AFTER_TAG);
  if (rawThreshold === undefined || notAfter === undefined) return undefined;
  if (rawThreshold === 'none') return { threshold: null, notAfter };
  const threshold = Number(rawThreshold);
  // A hand-edited, unreadable tag must not silence alerts: treat it as never announced.
  if (!Number.isInteger(threshold) || threshold < 0) return undefined;
  return { threshold, notAfter };
};

/** The tags that record an alert for `finding`. */
export const alertedTags = (finding: Finding): Tag[] => [
  { Key: ALERTED_THRESHOLD_TAG, Value: finding.threshold === null ? 'none' : String(finding.threshold) },
  // The NotAfter observed before any renewal: the renewed certificate's NotAfter differs from it,
  // so its next threshold crossing is announced again.
  { Key: ALERTED_NOT_AFTER_TAG, Value: finding.notAfter ?? 'none' },
];

/** Size of an entry as EventBridge counts it (UTF-8 bytes of its fields, 14 for Time). */
export const entrySize = (entry: PutEventsRequestEntry): number => {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
};

/** Splits entries into PutEvents requests of at most 10 entries and 256 KB. */
export const batchEntries = <T extends PutEventsRequestEntry>(entries: readonly T[]): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (
      current.length > 0 &&
      (current.length === MAX_ENTRIES_PER_REQUEST || bytes + size > MAX_REQUEST_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/** The PutEvents entry of one finding. */
export const toEntry = (finding: Finding, busName: string, time: Date): PutEventsRequestEntry => ({
  EventBusName: busName,
  Source: FINDING_SOURCE,
  DetailType: FINDING_DETAIL_TYPE,
  Detail: JSON.stringify(finding),
  Resources: [finding.certificateArn],
  Time: time,
});

export interface PublishResult {
  readonly delivered: Finding[];
  readonly failed: { finding: Finding; errorCode: string; errorMessage: string }[];
}

/**
 * Publishes findings, 10 (and at most 256 KB) per PutEvents request. PutEvents can succeed as a
 * call while refusing some entries (FailedEntryCount > 0, an ErrorCode per refused entry); those
 * entries are sent again with backoff, up to `attempts` times, and the ones still refused are
 * returned as `failed` rather than dropped.
 */
export const publishFindings = async (
  events: EventBridgeClient,
  busName: string,
  findings: readonly Finding[],
  options: { now: Date; attempts?: number; backoff?: BackoffOptions },
): Promise<PublishResult> => {
  const attempts = options.attempts ?? 5;
  const delivered: Finding[] = [];
  const failed: PublishResult['failed'] = [];
  const sleep = options.backoff?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.backoff?.random ?? Math.random;
  const baseMs = options.backoff?.baseMs ?? 100;
  type Pending = { finding: Finding; entry: PutEventsRequestEntry };
  for (const batch of batchEntries(
    findings.map((f) => ({ finding: f, ...toEntry(f, busName, options.now) })),
  )) {
    let pending: Pending[] = batch.map(({ finding, ...entry }) => ({ finding, entry }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      let results: { ErrorCode?: string; ErrorMessage?: string }[];
      try {
        const output = await withBackoff(
          () => events.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) })),
          options.backoff,
        );
        results = output.Entries ?? [];
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        results = pending.map(() => ({ ErrorCode: name, ErrorMessage: message }));
      }
      const retry: Pending[] = [];
      pending.forEach((p, i) => {
        // Results are positional: entry i of the response answers entry i of the request.
        const result = results[i];
        if (result && !result.ErrorCode) delivered.push(p.finding);
        else if (attempt >= attempts) {
          failed.push({
            finding: p.finding,
            errorCode: result?.ErrorCode ?? 'MissingResult',
            errorMessage: result?.ErrorMessage ?? 'PutEvents returned no result for this entry.',
          });
        } else retry.push(p);
      });
      pending = retry;
      if (pending.length > 0) await sleep(Math.floor(random() * baseMs * 2 ** attempt));
    }
  }
  return { delivered, failed };
};

/**
 * Tags each delivered finding's certificate with what was announced. Runs after PutEvents, so a
 * crash in between re-announces (at least once) rather than never announcing.
 */
export const recordAlerted = async (
  clients: Clients,
  findings: readonly Finding[],
  options: { backoff?: BackoffOptions; onAcmCall?: () => void } = {},
): Promise<void> => {
  for (const finding of findings) {
    await withBackoff(() => {
      options.onAcmCall?.();
      return clients.acm(finding.region).send(
        new AddTagsToCertificateCommand({
          CertificateArn: finding.certificateArn,
          Tags: alertedTags(finding),
        }),
      );
    }, options.backoff);
  }
};

/** Throws {@link AlertDeliveryError} when some findings could not be delivered. */
export const assertDelivered = (result: PublishResult): void => {
  if (result.failed.length === 0) return;
  const codes = [...new Set(result.failed.map((f) => f.errorCode))].join(', ');
  throw new AlertDeliveryError(
    `EventBridge refused ${result.failed.length} finding event(s) after retries (${codes}); they will be sent again on the next run.`,
    result.failed.map((f) => f.finding.certificateArn),
  );
};
