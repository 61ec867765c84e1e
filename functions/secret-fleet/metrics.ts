import { MetricUnit, putMetric } from '../lib/metrics.js';
import type { RotationStarted } from './rotate.js';
import type { FleetSummary } from './summary.js';

/**
 * The fleet workflow's outcome metrics, after a task succeeded (each task's duration and
 * failures are `StepDuration` and `StepsFailed` by `task`, recorded around it):
 * - `FleetRotationsStarted`: the rotate task started a rotation (not a retry that found it finished);
 * - at the summary, once per run: `FleetSecretsMatched`, `FleetRotationCandidates`,
 *   `FleetSecretsRotated`, `FleetSecretsFailed`, `FleetSecretsSkipped`, `FleetPendingCleared`.
 * The rotations themselves are counted by rotator by the rotation function (`RotationsStarted`,
 * `RotationsSucceeded`, `RotationsFailed`).
 */
export const recordFleetMetrics = (task: string, result: unknown): void => {
  if (task === 'rotate') {
    if ((result as RotationStarted | undefined)?.alreadyFinished === false)
      putMetric('FleetRotationsStarted', MetricUnit.Count, 1);
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
