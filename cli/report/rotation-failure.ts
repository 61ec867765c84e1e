/**
 * What the tools know about a rotation beyond DescribeSecret: whether its rotation function
 * already failed (and in which step, with which error), and how long a rotation can honestly
 * run before AWSPENDING left behind means "stuck".
 *
 * Secrets Manager reports a failed rotation only out of band: AWSPENDING simply stays where it
 * is. The cause is in the rotation function's own log. Against the rekey local endpoint it is
 * read from the endpoint's rotation log (`POST /_rekey/secretsmanager/rotations`); against AWS
 * from the function's CloudWatch Logs (FilterLogEvents on the token the function's logger puts
 * on every line). Neither source holds a secret value: the rotation function never logs one.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { messageOf } from '../../functions/lib/errors.js';
import { DEFAULTS } from '../../functions/secret-fleet/options.js';
import { AdminRouteError, readRotationLog } from '../../local/core/admin-client.js';
import { SECRET_ROTATION_FUNCTION } from '../../local/functions.js';

/** A rotation step that failed, as its function reported it. Never holds a secret value. */
export interface RotationFailure {
  readonly token: string;
  /** `createSecret`, `setSecret`, `testSecret` or `finishSecret`. */
  readonly step: string;
  /** The error's name (`DatabaseLoginError`, ...). */
  readonly errorType: string;
  readonly message: string;
  /** When the step failed (ISO 8601), when the source says. */
  readonly at?: string;
  /** Where it was read. */
  readonly source: 'rotation-log' | 'cloudwatch-logs';
}

/** The rotation function's timeout, and where it came from. */
export interface FunctionTimeout {
  readonly seconds: number;
  /** `lambda` (GetFunctionConfiguration), `template` (template.yaml, for the local endpoint). */
  readonly source: 'lambda' | 'template';
  /** The function's log group (LoggingConfig.LogGroup, else `/aws/lambda/NAME`). */
  readonly logGroup?: string;
}

/**
 * How long AWSPENDING may sit unchanged before the rotation is stuck, for a function with this
 * timeout: Secrets Manager runs four steps one after the other, each for up to the function's
 * timeout, and may invoke a step once more when an invocation fails; 8 × Timeout covers that.
 * Past it nobody is still working on the rotation.
 */
export const stuckAfterForTimeout = (timeoutSeconds: number): number => 8 * timeoutSeconds;

/** Rotation functions are named by ARN or name; the name is the part after `function:`. */
export const functionNameOf = (arnOrName: string): string => {
  const match = /:function:([^:]+)/.exec(arnOrName);
  return match?.[1] ?? arnOrName;
};

/**
 * template.yaml of this project: two folders up from this module's source (cli/report/), one up
 * from the precompiled CLI's chunks (dist/); the first of those that exists.
 */
const projectTemplate = (): URL => {
  const candidates = ['../../', '../'].map((up) => new URL(`${up}template.yaml`, import.meta.url));
  return candidates.find((url) => existsSync(url)) ?? (candidates[0] as URL);
};

/**
 * `Timeout` of the secret rotation function in template.yaml (the function `rekey local`
 * serves), read without a YAML library: the resource block `SecretRotationFunction:` and
 * its `Timeout: N` line, else `Globals.Function.Timeout`. Undefined when there is no template.
 */
export const templateRotationTimeout = async (
  path: URL | string = projectTemplate(),
): Promise<number | undefined> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const blockOf = (header: RegExp): string | undefined => {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => header.test(line));
    if (start < 0) return undefined;
    const indent = /^\s*/.exec(lines[start] ?? '')?.[0].length ?? 0;
    const body: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (
        line.trim() !== '' &&
        !line.trim().startsWith('#') &&
        (/^\s*/.exec(line)?.[0].length ?? 0) <= indent
      )
        break;
      body.push(line);
    }
    return body.join('\n');
  };
  const timeoutIn = (block: string | undefined) => {
    const value = block && /^\s+Timeout:\s*(\d+)\s*$/m.exec(block)?.[1];
    return value ? Number(value) : undefined;
  };
  return timeoutIn(blockOf(/^\s+SecretRotationFunction:\s*$/)) ?? timeoutIn(blockOf(/^Globals:\s*$/));
};

/** What the inspector reads with; one per Region. */
export interface InspectorSources {
  readonly region: string;
  /** The local endpoint (or another AWS-compatible one), when not AWS itself. */
  readonly endpoint: string | undefined;
  /** The account the endpoint's admin routes should read (a 12-digit access key id). */
  readonly accountId?: string;
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;
  /** Where the local timeout is read (default: the project's template.yaml). */
  readonly templatePath?: URL | string;
}

/** Reads rotation failures and function timeouts, caching per function and noting what it could not read. */
export interface RotationInspector {
  /** The rotation function's timeout, or undefined when it cannot be known. */
  functionTimeout(lambdaArn: string): Promise<FunctionTimeout | undefined>;
  /**
   * Seconds after which AWSPENDING on a secret rotated by `lambdaArn` is stuck: from the
   * function's timeout; the fleet's own default when the timeout cannot be read.
   */
  stuckAfter(lambdaArn: string | undefined): Promise<{ seconds: number; basis: string }>;
  /**
   * The failure of the rotation with this token, when its last step failed; undefined while it
   * runs, after it succeeded, or when no source can tell (see `notes`).
   */
  failureOf(input: {
    secretArn: string;
    token: string;
    lambdaArn?: string;
    /** Look no further back than this in the function's log (the secret's LastChangedDate, say). */
    since?: Date;
    /**
     * When this attempt of the rotation started: a failure logged before it belongs to an
     * earlier attempt with the same token (a retried rotation reuses its token) and is ignored.
     */
    startedAt?: Date;
  }): Promise<RotationFailure | undefined>;
  /** What could not be read, once per cause, for people. */
  readonly notes: string[];
}

interface LocalLogEntry {
  clientRequestToken?: string;
  step?: string;
  outcome?: string;
  errorType?: string;
  message?: string;
  time?: number;
}

/** The fields the rotation function's Powertools logger writes on each line (see its handler). */
interface FunctionLogLine {
  level?: string;
  message?: string;
  step?: string;
  token?: string;
  error?: { name?: string; message?: string };
}

/** How far before `since` log events are still read: clocks of caller and AWS differ. */
const SKEW_MS = 5 * 60_000;
/**
 * How far before an attempt's start its log lines still count. Small: a retry of a failed
 * rotation comes seconds to days after the failure it must not report again.
 */
const ATTEMPT_SKEW_MS = 2_000;

export const createRotationInspector = (sources: InspectorSources): RotationInspector => {
  const notes: string[] = [];
  const noted = new Set<string>();
  const note = (key: string, text: string) => {
    if (noted.has(key)) return;
    noted.add(key);
    notes.push(text);
  };
  const timeouts = new Map<string, Promise<FunctionTimeout | undefined>>();
  const unreadable = new Set<string>();
  let localLog: 'yes' | 'no' | undefined = sources.endpoint ? undefined : 'no';

  const functionTimeout = (lambdaArn: string): Promise<FunctionTimeout | undefined> => {
    let known = timeouts.get(lambdaArn);
    if (!known) {
      known = (async () => {
        try {
          const config = await sources.lambda.send(
            new GetFunctionConfigurationCommand({ FunctionName: lambdaArn }),
          );
          if (config.Timeout !== undefined) {
            return {
              seconds: config.Timeout,
              source: 'lambda' as const,
              logGroup:
                config.LoggingConfig?.LogGroup ??
                `/aws/lambda/${config.FunctionName ?? functionNameOf(lambdaArn)}`,
            };
          }
        } catch (error) {
          // The local endpoint serves its functions in-process and has no Lambda API: the
          // function it runs is template.yaml's, with template.yaml's timeout.
          if (sources.endpoint && functionNameOf(lambdaArn) === SECRET_ROTATION_FUNCTION) {
            const seconds = await templateRotationTimeout(sources.templatePath);
            if (seconds !== undefined) return { seconds, source: 'template' as const };
          }
          note(
            `timeout ${lambdaArn}`,
            `Could not read the timeout of rotation function ${lambdaArn} in ${sources.region} (lambda:GetFunctionConfiguration: ${messageOf(error)}); AWSPENDING older than ${DEFAULTS.stuckAfterSeconds} s counts as stuck.`,
          );
        }
        return undefined;
      })();
      timeouts.set(lambdaArn, known);
    }
    return known;
  };

  const stuckAfter = async (lambdaArn: string | undefined) => {
    const timeout = lambdaArn ? await functionTimeout(lambdaArn) : undefined;
    return timeout
      ? {
          seconds: stuckAfterForTimeout(timeout.seconds),
          basis: `8 × the rotation function's ${timeout.seconds} s timeout`,
        }
      : { seconds: DEFAULTS.stuckAfterSeconds, basis: 'the default (the function timeout is unknown)' };
  };

  /** The local endpoint's rotation log; undefined when the endpoint has none (not rekey's). */
  const fromRotationLog = async (secretArn: string, token: string, startedAt: Date | undefined) => {
    if (!sources.endpoint || localLog === 'no') return undefined;
    let entries: LocalLogEntry[];
    try {
      // The admin client sends the header admin routes of the rekey local endpoint require (one
      // a cross-site form cannot send); other endpoints ignore it.
      entries = (
        await readRotationLog(
          { endpointUrl: sources.endpoint, region: sources.region, account: sources.accountId },
          secretArn,
        )
      ).entries;
      localLog = 'yes';
    } catch (error) {
      // A secret the endpoint does not know is ResourceNotFoundException, another refusal an
      // error answer of rekey's endpoint; a missing route (404) or an answer that is not JSON
      // means the endpoint is not rekey's, and its log is never asked for again.
      const foreign =
        !(error instanceof AdminRouteError) ||
        error.status < 400 ||
        (error.status === 404 && error.type !== 'ResourceNotFoundException');
      if (foreign) localLog = 'no';
      return undefined;
    }
    const after = startedAt ? (startedAt.getTime() - ATTEMPT_SKEW_MS) / 1000 : Number.NEGATIVE_INFINITY;
    const last = entries.filter((e) => e.clientRequestToken === token && (e.time ?? 0) >= after).at(-1);
    if (last?.outcome !== 'failed') return { failure: undefined };
    return {
      failure: {
        token,
        step: last.step ?? 'unknown step',
        errorType: last.errorType ?? 'Error',
        message: last.message ?? '',
        ...(last.time ? { at: new Date(last.time * 1000).toISOString() } : {}),
        source: 'rotation-log' as const,
      },
    };
  };

  const fromCloudWatchLogs = async (
    token: string,
    lambdaArn: string,
    since: Date | undefined,
    startedAt: Date | undefined,
  ): Promise<RotationFailure | undefined> => {
    // A token with a quote cannot be put in a filter pattern safely; Secrets Manager's tokens
    // are version ids (UUIDs or 32-64 printable characters) and never need one.
    if (token.includes('"') || token.includes('\\')) return undefined;
    const fn = await functionTimeout(lambdaArn);
    const logGroupName = fn?.logGroup ?? `/aws/lambda/${functionNameOf(lambdaArn)}`;
    // A log that could not be read once (no permission, no such group) is not asked again.
    if (unreadable.has(logGroupName)) return undefined;
    const events: FilteredLogEvent[] = [];
    try {
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await sources.logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            // The function's logger puts the token and the step on every line; a step ends with
            // "Rotation step finished" (info) or "Rotation step failed" (error).
            filterPattern: `{ $.token = "${token}" && ($.level = "ERROR" || $.message = "Rotation step finished") }`,
            ...(startedAt
              ? { startTime: startedAt.getTime() - ATTEMPT_SKEW_MS }
              : since
                ? { startTime: since.getTime() - SKEW_MS }
                : {}),
            nextToken,
          }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
        pages++;
      } while (nextToken && pages < 20);
    } catch (error) {
      unreadable.add(logGroupName);
      note(
        `logs ${logGroupName}`,
        `Could not read the rotation function's log ${logGroupName} in ${sources.region} (logs:FilterLogEvents: ${messageOf(error)}): a failed rotation is recognised only once AWSPENDING is older than the stuck threshold.`,
      );
      return undefined;
    }
    events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
    const last = events.at(-1);
    if (!last?.message) return undefined;
    let line: FunctionLogLine;
    try {
      line = JSON.parse(last.message) as FunctionLogLine;
    } catch {
      return undefined;
    }
    if (line.level !== 'ERROR') return undefined;
    return {
      token,
      step: line.step ?? 'unknown step',
      errorType: line.error?.name ?? 'Error',
      message: line.error?.message ?? line.message ?? '',
      ...(last.timestamp ? { at: new Date(last.timestamp).toISOString() } : {}),
      source: 'cloudwatch-logs',
    };
  };

  const failureOf: RotationInspector['failureOf'] = async ({
    secretArn,
    token,
    lambdaArn,
    since,
    startedAt,
  }) => {
    const local = await fromRotationLog(secretArn, token, startedAt);
    if (local) return local.failure;
    if (!lambdaArn) return undefined;
    return fromCloudWatchLogs(token, lambdaArn, since, startedAt);
  };

  return { functionTimeout, stuckAfter, failureOf, notes };
};

/** One sentence naming the failed step and its error, for reports and the CLI. */
export const describeFailure = (failure: RotationFailure): string =>
  `the rotation function failed in ${failure.step}: ${failure.errorType}: ${failure.message}`.trim();
