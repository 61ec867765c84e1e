import { currentLogger } from '../lib/invocation.js';
import type { FleetClients } from './clients.js';
import { SecretNotFoundError, ThrottledError } from './errors.js';
import { remainingCandidates } from './plan.js';
import { fleetWriteRate, TokenBucket, WRITES_PER_REPAIR, WRITES_PER_ROTATION } from './quota.js';
import { repairStuckSecret } from './repair.js';
import { startRotation } from './rotate.js';
import { causeMessage } from './summary.js';
import type { Candidate, FleetFailure, FleetOptions, FleetProgress, InFlight, SortKey } from './types.js';
import { checkRotation } from './watch.js';

/** Failures carried by name in the state and the summary; the rest are counted (and logged). */
export const MAX_FAILURES = 50;
/** The failures list never takes more than this many bytes of the state, whatever the names. */
const MAX_FAILURE_BYTES = 64_000;
/** Checks of running rotations made at once. */
const CHECK_CONCURRENCY = 20;
/** Attempts to start one rotation when Secrets Manager keeps throttling beyond the SDK's own retries. */
const START_ATTEMPTS = 3;

export interface BatchHooks {
  /** Called about every `progressEveryMs` while the batch runs (the CLI's progress line). */
  onProgress?: (progress: FleetProgress) => void;
  progressEveryMs?: number;
  /** Monotonic milliseconds; injectable for tests. */
  monotonicMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Records a failure: counted always, carried by name while the list is short, logged in full. */
export const recordFailure = (progress: FleetProgress, failure: FleetFailure): void => {
  progress.failed++;
  const short = { ...failure, reason: causeMessage(failure.reason) ?? failure.reason };
  currentLogger().warn('Secret not rotated', short);
  const bytes = Buffer.byteLength(JSON.stringify(progress.failures));
  if (progress.failures.length < MAX_FAILURES && bytes < MAX_FAILURE_BYTES) {
    progress.failures.push(short);
  } else {
    progress.failuresOmitted++;
  }
};

interface Watched extends InFlight {
  nextCheckMs: number;
}

/**
 * One batch of the fleet run (one Lambda invocation): resumes watching the rotations the last
 * batch handed over, lists the candidates still in the window, and starts them in order as the
 * token bucket allows (2 writes per rotation, 1 more per repair) with at most `maxConcurrency`
 * running, for `batchSeconds`. Then it hands over: rotations still running are carried in the
 * progress (at most `maxConcurrency`), everything else is counts. Safe to retry: a retried batch
 * starts from the progress it was given, and a rotation started twice uses the same token.
 */
export const runBatch = async (
  clients: FleetClients,
  options: FleetOptions,
  previous: FleetProgress,
  executionId: string,
  hooks: BatchHooks = {},
): Promise<FleetProgress> => {
  const monotonic = hooks.monotonicMs ?? (() => performance.now());
  const sleep = hooks.sleep ?? defaultSleep;
  const began = monotonic();
  const startUntil = began + options.batchSeconds * 1000;
  const p: FleetProgress = structuredClone(previous);
  p.batches++;
  const bucket = new TokenBucket(fleetWriteRate(options.writeQuotaPerSecond, options.writeQuotaPercent), {
    now: monotonic,
  });
  const watching: Watched[] = p.inFlight.map((f) => ({ ...f, nextCheckMs: began }));
  p.inFlight = [];
  const queue = await remainingCandidates(clients, options, p);
  p.remaining = queue.length;
  const retries: { candidate: Candidate; key: SortKey; attempt: number; notBeforeMs: number }[] = [];
  let next = 0;
  let starting = 0;
  let lastProgress = began;

  const fail = (
    c: { arn: string; name: string; classification: string },
    error: unknown,
    versionId?: string,
  ) => {
    const e = error instanceof Error ? error : new Error(String(error));
    recordFailure(p, {
      arn: c.arn,
      name: c.name,
      classification: c.classification,
      error: e.name,
      reason: e.message,
      ...(versionId ? { versionId } : {}),
    });
  };

  const start = async (candidate: Candidate, key: SortKey, attempt: number, tokens: number) => {
    let unused = tokens;
    try {
      const repair =
        candidate.action === 'clear-then-rotate' ? await repairStuckSecret(clients, candidate) : undefined;
      if (repair) {
        if (repair.action === 'cleared') {
          p.cleared++;
          p.writes += WRITES_PER_REPAIR;
        } else bucket.refund(WRITES_PER_REPAIR);
        unused -= WRITES_PER_REPAIR;
      }
      const started = await startRotation(clients, candidate, repair, executionId);
      unused = 0;
      p.started++;
      p.writes += WRITES_PER_ROTATION;
      watching.push({
        arn: candidate.arn,
        name: candidate.name,
        classification: candidate.classification,
        token: started.token,
        startedAt: started.startedAt,
        resumed: started.resumed,
        ...(repair && repair.action !== 'none' ? { repair: repair.action } : {}),
        nextCheckMs: monotonic(),
      });
    } catch (error) {
      if (unused > 0) bucket.refund(unused);
      if (error instanceof ThrottledError && attempt < START_ATTEMPTS) {
        // Beyond the SDK's adaptive retries: try again later, with exponential backoff and jitter.
        const delay = Math.random() * 1000 * 2 ** attempt;
        retries.push({ candidate, key, attempt: attempt + 1, notBeforeMs: monotonic() + delay });
        return;
      }
      fail(candidate, error);
    }
  };

  const check = async (w: Watched) => {
    try {
      const state = await checkRotation(clients, {
        arn: w.arn,
        token: w.token,
        startedAt: w.startedAt,
        previous: w.watch ?? {},
        options,
      });
      w.watch = {
        checks: state.checks,
        ...(state.lastChangedDate ? { lastChangedDate: state.lastChangedDate } : {}),
        ...(state.progressAt ? { progressAt: state.progressAt } : {}),
      };
      if (state.status === 'finished') {
        p.rotated++;
        if (w.resumed) p.resumed++;
        return true;
      }
      if (state.status === 'failed') {
        fail(
          w,
          Object.assign(new Error(state.reason ?? 'The rotation failed.'), { name: 'RotationFailedError' }),
          w.token,
        );
        return true;
      }
    } catch (error) {
      if (error instanceof SecretNotFoundError) {
        fail(w, error, w.token);
        return true;
      }
      // Throttled or a network error: look again at the next poll.
    }
    w.nextCheckMs = monotonic() + options.pollSeconds * 1000;
    return false;
  };

  const writesFor = (c: Candidate) =>
    WRITES_PER_ROTATION + (c.action === 'clear-then-rotate' ? WRITES_PER_REPAIR : 0);

  for (;;) {
    const now = monotonic();
    const mayStart = now < startUntil;
    // Start what the bucket and the concurrency limit allow, retries first.
    while (mayStart && watching.length + starting < options.maxConcurrency) {
      const retryAt = retries.findIndex((r) => r.notBeforeMs <= now);
      const item =
        retryAt >= 0
          ? retries.splice(retryAt, 1)[0]
          : next < queue.length
            ? { ...(queue[next] as { candidate: Candidate; key: SortKey }), attempt: 1 }
            : undefined;
      if (!item) break;
      const tokens = writesFor(item.candidate);
      if (!bucket.tryTake(tokens)) {
        if (retryAt >= 0) retries.unshift({ ...item, notBeforeMs: now });
        break;
      }
      if (retryAt < 0) {
        next++;
        p.cursor = item.key;
      }
      starting++;
      void start(item.candidate, item.key, item.attempt, tokens).finally(() => {
        starting--;
      });
    }
    // Check the rotations whose time has come.
    const due = watching.filter((w) => w.nextCheckMs <= now).slice(0, CHECK_CONCURRENCY);
    if (due.length > 0) {
      const ended = await Promise.all(due.map(check));
      due.forEach((w, i) => {
        if (ended[i]) watching.splice(watching.indexOf(w), 1);
      });
    }
    p.remaining = queue.length - next + retries.length;
    if (hooks.onProgress && monotonic() - lastProgress >= (hooks.progressEveryMs ?? 2000)) {
      lastProgress = monotonic();
      hooks.onProgress({ ...p, busySeconds: p.busySeconds + (lastProgress - began) / 1000 });
    }
    const nothingToStart = p.remaining === 0 || !mayStart;
    if (nothingToStart && starting === 0 && (watching.length === 0 || !mayStart)) break;
    await sleep(due.length > 0 ? 0 : 10);
  }
  // Rotations never started (the batch ran out of time) wait for the next batch.
  for (const r of retries) if (compareBefore(r.key, p.cursor)) p.cursor = before(r.key);
  p.inFlight = watching.map(({ nextCheckMs: _, ...rest }) => rest);
  p.remaining = queue.length - next + retries.length;
  p.busySeconds += (monotonic() - began) / 1000;
  p.done = p.remaining === 0 && p.inFlight.length === 0;
  return p;
};

/** Whether `a` sorts before `b` (null: nothing started yet, so nothing is before it). */
const compareBefore = (a: SortKey, b: SortKey | null): boolean =>
  b !== null && (a.due < b.due || (a.due === b.due && a.arn <= b.arn));

/** A key just before `key`, so a window starting there includes `key` again. */
const before = (key: SortKey): SortKey => ({ due: key.due, arn: key.arn.slice(0, -1) });
