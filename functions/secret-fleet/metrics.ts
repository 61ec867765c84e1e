import { MetricUnit, putMetric } from '../lib/metrics.js';
import type { FleetSummary } from './summary.js';
import type { FleetProgress } from './types.js';

/**
 * The fleet workflow's outcome metrics, after a task succeeded (each task's duration and
 * failures are `StepDuration` and `StepsFailed` by `task`, recorded around it):
 * - `FleetRotationsStarted`: rotations a batch started (the batch's `started` count minus the
 *   count it was handed, so a retried batch is not counted twice);
 * - at the summary, once per run: `FleetSecretsMatched`, `FleetRotationCandidates`,
 *   `FleetSecretsRotated`, `FleetSecretsFailed`, `FleetSecretsSkipped`, `FleetPendingCleared`.
 * The rotations themselves are counted by rotator by the rotation function (`RotationsStarted`,
 * `RotationsSucceeded`, `RotationsFailed`).
 */
export const recordFleetMetrics = (task: string, state: Record<string, unknown>, result: unknown): void => {
  if (task === 'batch') {
    const before = (state.progress as FleetProgress | undefined)?.started ?? 0;
    const after = (result as FleetProgress | undefined)?.started;
    if (typeof after === 'number' && after > before)
      putMetric('FleetRotationsStarted', MetricUnit.Count, after - before);
  } else if (task === 'summary') {
    const counts = (result as FleetSummary | undefined)?.counts;
    if (!counts) return;
    putMetric('FleetSecretsMatched', MetricUnit.Count, counts.matched);
    putMetric('FleetRotationCandidates', MetricUnit.Count, counts.candidates);
    putMetric('FleetSecretsRotated', MetricUnit.Count, counts.rotated);
    putMetric('FleetSecretsFailed', MetricUnit.Count, counts.failed);
    putMetric('FleetSecretsSkipped', MetricUnit.Count, counts.skipped);
    putMetric('FleetPendingCleared', MetricUnit.Count, counts.cleared);
  }
};
