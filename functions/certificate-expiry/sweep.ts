/**
 * The work both paths share: look at a certificate (DescribeCertificate, its tags), triage it,
 * renew it where possible, and announce it once per threshold; and the sweep of a whole Region.
 */
import {
  DescribeCertificateCommand,
  type DescribeCertificateCommandOutput,
  ListTagsForCertificateCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-acm';
import { currentLogger } from '../lib/invocation.js';
import { type BackoffOptions, mapBounded, withBackoff } from '../lib/retry.js';
import type { AcmEvent } from './acm-events.js';
import { assertDelivered, publishFindings, readAlertedState, recordAlerted } from './alerts.js';
import type { Clients } from './clients.js';
import { listCandidates } from './list.js';
import { type RenewalOutcome, renewIfPossible } from './renew.js';
import { FINDING_SCHEMA_VERSION, type Finding, type FindingTrigger } from './schema.js';
import { isAlertDue } from './thresholds.js';
import { describeUse, type Triage, triage } from './triage.js';

export interface SweepOptions {
  readonly clients: Clients;
  /** The time expiry is measured against. */
  readonly now: Date;
  readonly thresholds: readonly number[];
  /** The bus findings go to. Without one, findings are returned but not announced or recorded. */
  readonly busName?: string | undefined;
  /** DescribeCertificate calls in flight at once (ACM allows 10 per second per Region). */
  readonly concurrency?: number;
  /** Look only: no renewal, no event, no tag. */
  readonly dryRun?: boolean;
  readonly backoff?: BackoffOptions;
}

/** One certificate looked at, with what happened to its alert. */
export interface Examined {
  readonly finding: Finding;
  /** Not announced yet at this threshold (or renewed since). */
  readonly alertDue: boolean;
  /** Announced by this run. */
  alerted: boolean;
}

export interface RegionSweep {
  readonly region: string;
  /** Certificates listed (all statuses and key types). */
  readonly listed: number;
  /** Certificates whose summary called for DescribeCertificate. */
  readonly candidates: number;
  /** ACM requests made, retries included. */
  readonly acmCalls: number;
  readonly examined: Examined[];
}

const DEFAULT_CONCURRENCY = 4;

/** The action once the automation has acted: a successful renewal changes what a human must do. */
const actionAfter = (t: Triage, renewal: RenewalOutcome): string => {
  if (renewal.result === 'REIMPORTED') {
    return `Re-imported automatically from its source secret under the same ARN; valid until ${renewal.renewedNotAfter}. No action needed.`;
  }
  if (renewal.result === 'RENEWAL_REQUESTED') {
    // Not the triage's "renew it now": that is what rekey just did. What is left is the redeploy.
    return `rekey asked ACM to renew it (RenewCertificate accepted); ACM issues the renewed private certificate within minutes. Then redeploy it wherever it was exported, before ${t.notAfter ?? 'its expiry'}. ${describeUse(t.inUseBy)}.`;
  }
  if (renewal.result === 'FAILED') return `Automatic renewal failed (${renewal.message}). ${t.action}`;
  return t.action;
};

const toFinding = (t: Triage, renewal: RenewalOutcome, trigger: FindingTrigger, now: Date): Finding => ({
  schemaVersion: FINDING_SCHEMA_VERSION,
  ...t,
  action: actionAfter(t, renewal),
  renewalAttempted: renewal.attempted,
  renewalResult: renewal.result,
  renewalMessage: renewal.message,
  renewedNotAfter: renewal.renewedNotAfter,
  trigger,
  observedAt: now.toISOString(),
});

const NO_RENEWAL: RenewalOutcome = { attempted: false, result: null, message: null, renewedNotAfter: null };

/**
 * Looks at one certificate: describe, triage, read its tags, renew if possible. Returns
 * `NOT_FOUND` when the certificate no longer exists, and `NOT_DUE` when it is not within any
 * threshold and `force` is off (e.g. a sweep candidate just outside the largest threshold).
 */
export const examineCertificate = async (
  certificateArn: string,
  region: string,
  trigger: FindingTrigger,
  options: SweepOptions & { force?: boolean; onAcmCall?: () => void },
): Promise<Examined | 'NOT_FOUND' | 'NOT_DUE'> => {
  const acm = options.clients.acm(region);
  const count = () => options.onAcmCall?.();
  let described: DescribeCertificateCommandOutput;
  try {
    described = await withBackoff(() => {
      count();
      return acm.send(new DescribeCertificateCommand({ CertificateArn: certificateArn }));
    }, options.backoff);
  } catch (error) {
    // Deleted between ListCertificates (or the ACM event) and now: nothing can expire any more.
    if (error instanceof ResourceNotFoundException) return 'NOT_FOUND';
    throw error;
  }
  if (!described.Certificate) return 'NOT_FOUND';
  const t = triage(described.Certificate, options.now, options.thresholds);
  if (t.threshold === null && !options.force) return 'NOT_DUE';
  const tagged = await withBackoff(() => {
    count();
    return acm.send(new ListTagsForCertificateCommand({ CertificateArn: certificateArn }));
  }, options.backoff);
  const tags = new Map((tagged.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const renewal = options.dryRun
    ? NO_RENEWAL
    : await renewIfPossible(t, tags, options.clients, {
        now: options.now,
        backoff: options.backoff,
        onAcmCall: count,
      });
  const finding = toFinding(t, renewal, trigger, options.now);
  const alertDue = isAlertDue(readAlertedState(tags), {
    threshold: finding.threshold,
    notAfter: finding.notAfter,
  });
  currentLogger().info('Certificate examined', {
    certificateArn,
    findingClass: finding.findingClass,
    daysToExpiry: finding.daysToExpiry,
    threshold: finding.threshold,
    alertDue,
    renewalResult: finding.renewalResult,
  });
  return { finding, alertDue, alerted: false };
};

/**
 * Announces the examined certificates that are due, then tags them. Certificates whose event was
 * refused stay untagged (so the next run tries again) and make this throw AlertDeliveryError.
 */
export const announce = async (
  examined: readonly Examined[],
  options: SweepOptions & { onAcmCall?: () => void },
): Promise<void> => {
  if (!options.busName || options.dryRun) return;
  const due = examined.filter((e) => e.alertDue);
  if (due.length === 0) return;
  const result = await publishFindings(
    options.clients.events(),
    options.busName,
    due.map((e) => e.finding),
    { now: options.now, backoff: options.backoff },
  );
  const delivered = new Set(result.delivered);
  for (const e of due) if (delivered.has(e.finding)) e.alerted = true;
  await recordAlerted(options.clients, result.delivered, {
    backoff: options.backoff,
    onAcmCall: options.onAcmCall,
  });
  assertDelivered(result);
};

/**
 * Sweeps one Region: lists every certificate, examines those whose summary needs attention (at
 * most `concurrency` at once), renews what it can, and announces what is due.
 */
export const sweepRegion = async (region: string, options: SweepOptions): Promise<RegionSweep> => {
  let acmCalls = 0;
  const onAcmCall = () => {
    acmCalls++;
  };
  const maxThresholdDays = Math.max(...options.thresholds);
  const listed = await listCandidates(options.clients.acm(region), {
    now: options.now,
    maxThresholdDays,
    backoff: options.backoff,
    onAcmCall,
  });
  const results = await mapBounded(listed.candidates, options.concurrency ?? DEFAULT_CONCURRENCY, (summary) =>
    examineCertificate(summary.CertificateArn ?? '', region, 'SWEEP', { ...options, onAcmCall }),
  );
  const examined = results.filter((e): e is Examined => typeof e !== 'string');
  await announce(examined, { ...options, onAcmCall });
  currentLogger().info('Region swept', {
    region,
    listed: listed.listed,
    candidates: listed.candidates.length,
    findings: examined.length,
    alerted: examined.filter((e) => e.alerted).length,
    acmCalls,
  });
  return { region, listed: listed.listed, candidates: listed.candidates.length, acmCalls, examined };
};

/** What the event path did. */
export interface EventOutcome {
  readonly outcome: 'ALERTED' | 'ALREADY_ALERTED' | 'NOT_DUE' | 'CERTIFICATE_NOT_FOUND' | 'NOT_PUBLISHED';
  readonly finding?: Finding;
}

/**
 * Handles one ACM event. An Approaching Expiration event for a certificate not yet within any
 * configured threshold is not announced (the account's ACM DaysBeforeExpiry may be larger than our
 * thresholds); Renewal Action Required and Expired always describe something to act on.
 */
export const handleAcmEvent = async (event: AcmEvent, options: SweepOptions): Promise<EventOutcome> => {
  const force = event.detailType !== 'ACM Certificate Approaching Expiration';
  const examined = await examineCertificate(event.certificateArn, event.region, 'ACM_EVENT', {
    ...options,
    force,
  });
  if (examined === 'NOT_FOUND') return { outcome: 'CERTIFICATE_NOT_FOUND' };
  if (examined === 'NOT_DUE') return { outcome: 'NOT_DUE' };
  if (!examined.alertDue) return { outcome: 'ALREADY_ALERTED', finding: examined.finding };
  await announce([examined], options);
  return { outcome: examined.alerted ? 'ALERTED' : 'NOT_PUBLISHED', finding: examined.finding };
};
