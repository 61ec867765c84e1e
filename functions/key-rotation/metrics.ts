import { MetricUnit, putMetric } from '../lib/metrics.js';
import type { AliasMove } from './swap.js';
import type { WorkflowState } from './types.js';

/**
 * The key-rotation workflow's outcome metrics, after a task succeeded (each task's duration and
 * failures are `StepDuration` and `StepsFailed` by `task`, recorded around it):
 * - `KeysRotated` (by `keySpec`): swapAlias moved the alias to the successor (a retried swap
 *   that found the alias already moved does not count again);
 * - `KeyRotationsCompleted`: publishSuccess, the end of a rotation (after grace and retention);
 * - `KeyRotationsRolledBack` (by `stage`: before-swap, after-swap);
 * - `KeyRotationsFailed`: publishFailure, a rotation that ended in failure.
 */
export const recordKeyRotationMetrics = (task: string, state: WorkflowState, result: unknown): void => {
  if (task === 'swapAlias') {
    const moves = (result as { moves?: AliasMove[] } | undefined)?.moves ?? [];
    if (moves.some((m) => m.changed))
      putMetric('KeysRotated', MetricUnit.Count, 1, { keySpec: state.plan?.keySpec ?? 'unknown' });
  } else if (task === 'publishSuccess') {
    putMetric('KeyRotationsCompleted', MetricUnit.Count, 1);
  } else if (task === 'rollBackBeforeSwap' || task === 'rollBackAfterSwap') {
    putMetric('KeyRotationsRolledBack', MetricUnit.Count, 1, {
      stage: task === 'rollBackBeforeSwap' ? 'before-swap' : 'after-swap',
    });
  } else if (task === 'publishFailure') {
    putMetric('KeyRotationsFailed', MetricUnit.Count, 1);
  }
};
