import { MetricUnit, putMetric } from '../lib/metrics.js';
import type { EventResult } from './handler.js';
import type { RegionSummary } from './sweep-handler.js';

/**
 * Certificate metrics (each task's duration and failures are `StepDuration` and `StepsFailed`
 * by `task`; an ACM event is task `acm-event`):
 * - `CertificatesByFinding` (by `finding`: EXPIRED, IMPORTED, RENEWAL_FAILED, ...): per Region
 *   swept, the certificates with that finding; per ACM event, 1 for its certificate's finding;
 * - `CertificatesListed`: certificates a Region sweep listed;
 * - `CertificateAlertsPublished`: alert events published;
 * - `CertificateRenewals` (by `result`: RENEWAL_REQUESTED, REIMPORTED, FAILED, ...).
 */
export const recordCertificateMetrics = (task: string, result: unknown): void => {
  if (task === 'sweepRegion') {
    const region = result as RegionSummary | undefined;
    if (!region?.byClass) return;
    putMetric('CertificatesListed', MetricUnit.Count, region.listed);
    putMetric('CertificateAlertsPublished', MetricUnit.Count, region.alerted);
    for (const [finding, n] of Object.entries(region.byClass))
      putMetric('CertificatesByFinding', MetricUnit.Count, n ?? 0, { finding });
    for (const [renewal, n] of Object.entries(region.renewals ?? {}))
      putMetric('CertificateRenewals', MetricUnit.Count, n ?? 0, { result: renewal });
  } else if (task === 'acm-event') {
    const event = result as EventResult | undefined;
    if (!event) return;
    if (event.findingClass)
      putMetric('CertificatesByFinding', MetricUnit.Count, 1, { finding: event.findingClass });
    if (event.outcome === 'ALERTED') putMetric('CertificateAlertsPublished', MetricUnit.Count, 1);
    if (event.renewalResult)
      putMetric('CertificateRenewals', MetricUnit.Count, 1, { result: event.renewalResult });
  }
};
