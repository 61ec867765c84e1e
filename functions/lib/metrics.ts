import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import { logger } from './logger.js';

/**
 * The functions' CloudWatch metrics, in the embedded metric format (EMF): one JSON line per
 * value on standard output, which CloudWatch Logs turns into a metric (no PutMetricData call, so
 * no IAM permission and no latency). Namespace `POWERTOOLS_METRICS_NAMESPACE`, default `rekey`;
 * every metric carries the `service` dimension (`POWERTOOLS_SERVICE_NAME`: rekey-secret-rotation,
 * rekey-key-rotation, rekey-secret-fleet, rekey-certificate-expiry). docs/metrics.md lists them.
 */
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE || 'rekey';

export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'rekey',
});

export { MetricUnit };

/**
 * Whether metric lines are written now. On Lambda (AWS_LAMBDA_FUNCTION_NAME set) they are; the
 * CLI and `rekey local` run the same functions in-process, where EMF lines would land in a
 * command's output, so there they are off unless POWERTOOLS_METRICS_DISABLED=false asks for them.
 * POWERTOOLS_METRICS_DISABLED=true turns them off everywhere, as in Powertools.
 */
export const metricsEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => {
  const flag = env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase();
  if (flag === 'true' || flag === '1' || flag === 'yes') return false;
  if (flag === 'false' || flag === '0' || flag === 'no') return true;
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
};

/**
 * Writes one metric value as its own EMF document with its own dimensions (besides `service`).
 * One document per value, not a shared buffer: invocations running concurrently in one process
 * (the local endpoint runs rotations side by side) never mix their dimensions, and nothing is
 * lost when an invocation fails before a flush. Dimension values must be few (a rotator, a step,
 * a finding class): never an ARN or a name.
 */
export const putMetric = (
  name: string,
  unit: MetricUnitName,
  value: number,
  dimensions: Readonly<Record<string, string>> = {},
): void => {
  if (!metricsEnabled()) return;
  // A metric is worth less than the step it describes: it never fails one.
  try {
    const single = metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, unit, value);
  } catch (error) {
    logger.warn('Metric not written', { metric: name, error: error as Error });
  }
};

/**
 * Runs one step and records `StepDuration` (milliseconds) with `dimensions`, and on failure
 * `StepsFailed` with the error's name as the `error` dimension (the typed error names are the
 * contract Step Functions matches, so they are few). The error is rethrown unchanged.
 */
export const measureStep = async <T>(
  dimensions: Readonly<Record<string, string>>,
  step: () => Promise<T>,
): Promise<T> => {
  const started = performance.now();
  try {
    return await step();
  } catch (error) {
    putMetric('StepsFailed', MetricUnit.Count, 1, {
      ...dimensions,
      error: error instanceof Error ? error.name : 'Error',
    });
    throw error;
  } finally {
    putMetric('StepDuration', MetricUnit.Milliseconds, Math.round(performance.now() - started), dimensions);
  }
};
