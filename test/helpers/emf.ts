/**
 * Reads what the functions write in the CloudWatch embedded metric format (EMF): captures the
 * JSON lines written to standard output while running as on Lambda, checks each document against
 * the rules of AWS's EMF specification (a document CloudWatch would reject fails the test, naming
 * the rule), and flattens them to one entry per metric value.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { vi } from 'vitest';

/** The units CloudWatch accepts (MetricDatum.Unit). */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

export interface MetricValue {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string | undefined;
  readonly value: number;
  /** Every dimension of the value's dimension set, `service` included. */
  readonly dimensions: Readonly<Record<string, string>>;
}

const fail = (rule: string, line: string): never => {
  throw new Error(`EMF document breaks the specification (${rule}): ${line.slice(0, 300)}`);
};

/** Checks one EMF document and returns its metric values, one per metric and dimension set. */
export const parseEmf = (line: string): MetricValue[] => {
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return fail('the log event must be one JSON object, nothing before or after it', line);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) fail('root is an object', line);
  const meta = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (typeof meta !== 'object' || meta === null) return fail('_aws is an object', line);
  if (typeof meta.Timestamp !== 'number' || !Number.isInteger(meta.Timestamp))
    fail('_aws.Timestamp is epoch milliseconds', line);
  if (!Array.isArray(meta.CloudWatchMetrics)) return fail('_aws.CloudWatchMetrics is an array', line);
  const values: MetricValue[] = [];
  for (const directive of meta.CloudWatchMetrics as Record<string, unknown>[]) {
    const namespace = directive.Namespace;
    if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255)
      fail('Namespace is a string of 1 to 255 characters', line);
    if (!Array.isArray(directive.Dimensions)) return fail('Dimensions is an array of dimension sets', line);
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length > 100)
      return fail('Metrics is an array of at most 100 metric definitions', line);
    const sets = directive.Dimensions as unknown[];
    for (const set of sets) {
      if (!Array.isArray(set) || set.length > 30)
        fail('a dimension set is an array of at most 30 names', line);
      for (const name of set as unknown[]) {
        if (typeof name !== 'string') fail('a dimension name is a string', line);
        const value = root[name as string];
        if (typeof value !== 'string' || value.length < 1 || value.length > 1024)
          fail(`dimension ${String(name)} is a root member holding a string of 1 to 1,024 characters`, line);
      }
    }
    for (const metric of directive.Metrics as Record<string, unknown>[]) {
      const name = metric.Name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 255)
        return fail('a metric Name is a string of 1 to 255 characters', line);
      if (metric.Unit !== undefined && !UNITS.has(String(metric.Unit)))
        fail(`unit ${String(metric.Unit)} is a CloudWatch unit`, line);
      const raw = root[name];
      const numbers = Array.isArray(raw) ? raw : [raw];
      if (numbers.length > 100 || numbers.some((n) => typeof n !== 'number' || !Number.isFinite(n)))
        fail(`metric ${name} is a root member holding a number or up to 100 numbers`, line);
      for (const set of sets as string[][]) {
        for (const value of numbers as number[]) {
          values.push({
            namespace: namespace as string,
            name,
            unit: metric.Unit as string | undefined,
            value,
            dimensions: Object.fromEntries(set.map((d) => [d, root[d] as string])),
          });
        }
      }
    }
  }
  return values;
};

/**
 * Captures the EMF documents written to standard output from now on, as on Lambda
 * (AWS_LAMBDA_FUNCTION_NAME set). Other output is dropped. `stop()` restores both.
 */
export const captureEmf = () => {
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'rekey-test');
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.includes('"_aws"')) lines.push(line);
    return true;
  });
  return {
    lines,
    /** Every metric value written so far, each document checked against the specification. */
    values: (): MetricValue[] => lines.flatMap(parseEmf),
    stop: () => {
      write.mockRestore();
      vi.unstubAllEnvs();
    },
  };
};

/** The values of one metric whose dimensions include `dimensions`. */
export const valuesOf = (
  values: readonly MetricValue[],
  name: string,
  dimensions: Readonly<Record<string, string>> = {},
): MetricValue[] =>
  values.filter(
    (v) => v.name === name && Object.entries(dimensions).every(([k, d]) => v.dimensions[k] === d),
  );
