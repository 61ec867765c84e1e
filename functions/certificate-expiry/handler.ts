/**
 * Lambda entry point of certificate-expiry. One function serves both paths:
 * - ACM EventBridge events (`source: aws.acm`, the three detail-types in acm-events.ts), routed
 *   here by the rules in template.yaml;
 * - the sweep state machine's tasks (`{"task": "plan" | "sweepRegion" | "summarize", ...}`).
 * Thin: parse the input, call the domain, map the result. Errors propagate with their `name`
 * (InvalidInputError, AlertDeliveryError, ThrottlingException...) for Step Functions to match.
 */
import { logger } from '../lib/logger.js';
import { measureStep } from '../lib/metrics.js';
import { parseAcmEvent } from './acm-events.js';
import type { BackoffOptions } from './backoff.js';
import { type Clients, defaultClients } from './clients.js';
import { readSettings, type Settings } from './config.js';
import { InvalidInputError } from './errors.js';
import { recordCertificateMetrics } from './metrics.js';
import { handleAcmEvent } from './sweep.js';
import { runSweepTask } from './sweep-handler.js';

export interface HandlerDependencies {
  clients?: Clients;
  /** Read lazily on the first invocation, so a missing variable fails the invocation, not the import. */
  settings?: () => Settings;
  now?: () => Date;
  backoff?: BackoffOptions;
}

/** What the event path returns (small: the full finding went to the bus). */
export interface EventResult {
  readonly outcome: string;
  readonly certificateArn: string;
  readonly findingClass: string | null;
  readonly threshold: number | null;
  readonly renewalResult: string | null;
}

/**
 * Builds the handler; tests and the local runner inject clients, settings and a clock.
 */
export const createHandler = (deps: HandlerDependencies = {}) => {
  let settings: Settings | undefined;
  return async (event: unknown): Promise<unknown> => {
    // Keys appended by the previous invocation of this container must not leak into this one.
    logger.resetKeys();
    settings ??= (deps.settings ?? readSettings)();
    // A const the closures below can rely on (the `let` is not narrowed inside them).
    const config = settings;
    const clients = deps.clients ?? defaultClients();
    const now = deps.now ?? (() => new Date());
    if (typeof event === 'object' && event !== null && 'task' in event) {
      const task = String((event as { task: unknown }).task);
      logger.appendKeys({ task });
      // The metric dimension takes only the task names there are: an unknown one is 'invalid'.
      const known = ['plan', 'sweepRegion', 'summarize'].includes(task) ? task : 'invalid';
      const result = await measureStep<unknown>({ task: known }, () =>
        runSweepTask(event as Record<string, unknown>, {
          clients,
          settings: config,
          now,
          backoff: deps.backoff,
        }),
      );
      recordCertificateMetrics(task, result);
      return result;
    }
    if (typeof event === 'object' && event !== null && !('detail-type' in event)) {
      throw new InvalidInputError(
        'The event is neither an ACM EventBridge event (no detail-type field) nor a sweep task (no task field).',
      );
    }
    const acmEvent = parseAcmEvent(event);
    logger.appendKeys({ certificateArn: acmEvent.certificateArn, detailType: acmEvent.detailType });
    const result = await measureStep({ task: 'acm-event' }, () =>
      handleAcmEvent(acmEvent, {
        clients,
        now: now(),
        thresholds: config.thresholds,
        busName: config.busName,
        backoff: deps.backoff,
      }),
    );
    logger.info('ACM event handled', { outcome: result.outcome });
    const handled: EventResult = {
      outcome: result.outcome,
      certificateArn: acmEvent.certificateArn,
      findingClass: result.finding?.findingClass ?? null,
      threshold: result.finding?.threshold ?? null,
      renewalResult: result.finding?.renewalResult ?? null,
    };
    recordCertificateMetrics('acm-event', handled);
    return handled;
  };
};

/** The deployed handler (template.yaml: `handler.handler`). */
export const handler = createHandler();
