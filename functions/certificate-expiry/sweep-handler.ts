/**
 * The tasks of the certificate-sweep state machine (statemachines/certificate-sweep.asl.json):
 * `plan` (which Regions, which thresholds), `sweepRegion` (one Region), `summarize` (all Regions).
 * Thin: checks the task input, calls the domain, and returns a payload small enough for Step
 * Functions (256 KB per state): full findings go to the bus, the state machine gets counts.
 */
import type { BackoffOptions } from '../lib/retry.js';
import type { Clients } from './clients.js';
import { parseRegion, parseRegions, type Settings } from './config.js';
import { InvalidInputError } from './errors.js';
import type { FindingClass, RenewalResult } from './schema.js';
import { type RegionSweep, sweepRegion } from './sweep.js';
import { parseThresholds } from './thresholds.js';

/** Certificates listed by name in a Region result; the rest are counted. */
export const MAX_LISTED_CERTIFICATES = 100;

export interface RegionSummary {
  readonly region: string;
  readonly listed: number;
  readonly candidates: number;
  readonly findings: number;
  readonly alerted: number;
  readonly acmCalls: number;
  readonly byClass: Partial<Record<FindingClass, number>>;
  readonly renewals: Partial<Record<RenewalResult, number>>;
  readonly certificates: {
    certificateArn: string;
    findingClass: FindingClass;
    daysToExpiry: number | null;
    threshold: number | null;
    alerted: boolean;
    renewalResult: RenewalResult | null;
  }[];
  /** Findings not listed in `certificates` because of MAX_LISTED_CERTIFICATES. */
  readonly certificatesNotListed: number;
}

export interface SweepSummary {
  readonly regions: string[];
  readonly failedRegions: { region: string; error: string; cause: string }[];
  readonly listed: number;
  readonly candidates: number;
  readonly findings: number;
  readonly alerted: number;
  readonly acmCalls: number;
  readonly byClass: Partial<Record<FindingClass, number>>;
  readonly renewals: Partial<Record<RenewalResult, number>>;
  /** One line for people and for the Fail state's cause. */
  readonly message: string;
}

const count = <K extends string>(keys: readonly (K | null)[]): Partial<Record<K, number>> => {
  const counts: Partial<Record<K, number>> = {};
  for (const key of keys) if (key !== null) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
};

/** The compact, state-machine-sized view of a Region sweep. */
export const summarizeRegion = (sweep: RegionSweep): RegionSummary => ({
  region: sweep.region,
  listed: sweep.listed,
  candidates: sweep.candidates,
  findings: sweep.examined.length,
  alerted: sweep.examined.filter((e) => e.alerted).length,
  acmCalls: sweep.acmCalls,
  byClass: count(sweep.examined.map((e) => e.finding.findingClass)),
  renewals: count(sweep.examined.map((e) => e.finding.renewalResult)),
  certificates: sweep.examined.slice(0, MAX_LISTED_CERTIFICATES).map((e) => ({
    certificateArn: e.finding.certificateArn,
    findingClass: e.finding.findingClass,
    daysToExpiry: e.finding.daysToExpiry,
    threshold: e.finding.threshold,
    alerted: e.alerted,
    renewalResult: e.finding.renewalResult,
  })),
  certificatesNotListed: Math.max(0, sweep.examined.length - MAX_LISTED_CERTIFICATES),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const rejectUnknown = (input: Record<string, unknown>, allowed: readonly string[], what: string) => {
  const unknown = Object.keys(input).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `${what} has unknown field(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}.`,
    );
  }
};

const addCounts = <K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>) => {
  for (const [key, value] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + value;
};

/** Adds up Region results; entries with `error` are Regions whose task failed after its retries. */
export const summarize = (results: unknown[]): SweepSummary => {
  const regions: string[] = [];
  const failedRegions: SweepSummary['failedRegions'] = [];
  const totals = { listed: 0, candidates: 0, findings: 0, alerted: 0, acmCalls: 0 };
  const byClass: Partial<Record<FindingClass, number>> = {};
  const renewals: Partial<Record<RenewalResult, number>> = {};
  results.forEach((result, i) => {
    if (!isRecord(result) || typeof result.region !== 'string') {
      throw new InvalidInputError(`results[${i}] must be a Region result with a region field.`);
    }
    regions.push(result.region);
    if (typeof result.error === 'string') {
      failedRegions.push({ region: result.region, error: result.error, cause: String(result.cause ?? '') });
      return;
    }
    const r = result as unknown as RegionSummary;
    totals.listed += r.listed;
    totals.candidates += r.candidates;
    totals.findings += r.findings;
    totals.alerted += r.alerted;
    totals.acmCalls += r.acmCalls;
    addCounts(byClass, r.byClass ?? {});
    addCounts(renewals, r.renewals ?? {});
  });
  const failed = failedRegions.map((f) => `${f.region} (${f.error})`).join(', ');
  const message =
    `Swept ${regions.length - failedRegions.length} of ${regions.length} Region(s): ${totals.listed} certificate(s), ` +
    `${totals.findings} finding(s), ${totals.alerted} alert(s) published${failed ? `; failed: ${failed}` : ''}.`;
  return { regions, failedRegions, ...totals, byClass, renewals, message };
};

export interface TaskDependencies {
  readonly clients: Clients;
  readonly settings: Settings;
  readonly now: () => Date;
  readonly backoff?: BackoffOptions;
}

/**
 * Runs one state-machine task.
 * @throws InvalidInputError for an unknown task or a malformed task input.
 */
export const runSweepTask = async (
  input: Record<string, unknown>,
  deps: TaskDependencies,
): Promise<unknown> => {
  switch (input.task) {
    case 'plan': {
      rejectUnknown(input, ['task', 'request'], 'The plan task input');
      const request = input.request ?? {};
      if (!isRecord(request)) throw new InvalidInputError('The sweep input must be a JSON object.');
      rejectUnknown(request, ['regions', 'thresholds'], 'The sweep input');
      return {
        regions: parseRegions(request.regions, 'Input field regions', deps.settings.regions),
        thresholds:
          request.thresholds === undefined
            ? [...deps.settings.thresholds]
            : parseThresholds(request.thresholds, 'Input field thresholds'),
      };
    }
    case 'sweepRegion': {
      rejectUnknown(input, ['task', 'region', 'thresholds'], 'The sweepRegion task input');
      const region = parseRegion(input.region, 'Input field region');
      const sweep = await sweepRegion(region, {
        clients: deps.clients,
        now: deps.now(),
        thresholds: parseThresholds(input.thresholds, 'Input field thresholds'),
        busName: deps.settings.busName,
        concurrency: deps.settings.concurrency,
        backoff: deps.backoff,
      });
      return summarizeRegion(sweep);
    }
    case 'summarize': {
      rejectUnknown(input, ['task', 'results'], 'The summarize task input');
      if (!Array.isArray(input.results)) throw new InvalidInputError('Input field results must be an array.');
      return summarize(input.results);
    }
    default:
      throw new InvalidInputError(
        `Field task must be one of 'plan', 'sweepRegion', 'summarize'; got ${JSON.stringify(input.task)}.`,
      );
  }
};
