import { MetricUnit, putMetric } from '../lib/metrics.js';
import type { RotationStep } from './event.js';
import type { StepOutcome } from './protocol.js';
import type { RotatorSelector } from './rotators/index.js';

/**
 * Runs one rotation step and records, by `rotator` (the rotator's name, `unknown` when the step
 * failed before one was chosen):
 * - `RotationsStarted`: createSecret made a new pending value (not a retry that found one);
 * - `RotationsSucceeded`: finishSecret moved AWSCURRENT (not a retry of a finished rotation);
 * - `RotationsFailed` (also by `step`): a step invocation failed. Secrets Manager retries a
 *   failed rotation, so one rotation that keeps failing counts once per attempt;
 * - `StepDuration` (milliseconds, by `rotator` and `step`).
 * `work` gets a selector that remembers which rotator the protocol chose.
 */
export const withRotationMetrics = async (
  step: RotationStep,
  select: RotatorSelector,
  work: (select: RotatorSelector) => Promise<StepOutcome>,
): Promise<StepOutcome> => {
  let rotator = 'unknown';
  const remembering: RotatorSelector = async (input) => {
    const chosen = await select(input);
    rotator = chosen.name;
    return chosen;
  };
  const started = performance.now();
  try {
    const outcome = await work(remembering);
    if (outcome === 'completed' && step === 'createSecret')
      putMetric('RotationsStarted', MetricUnit.Count, 1, { rotator });
    if (outcome === 'completed' && step === 'finishSecret')
      putMetric('RotationsSucceeded', MetricUnit.Count, 1, { rotator });
    return outcome;
  } catch (error) {
    putMetric('RotationsFailed', MetricUnit.Count, 1, { rotator, step });
    throw error;
  } finally {
    putMetric('StepDuration', MetricUnit.Milliseconds, Math.round(performance.now() - started), {
      rotator,
      step,
    });
  }
};
