/**
 * Lambda entry point of certificate-expiry. One function serves both paths:
 * - ACM EventBridge events (`source: aws.acm`, the three detail-types in acm-events.ts), routed
 *   here by the rules in template.yaml;
 * - the sweep state machine's tasks (`{"task": "plan" | "sweepRegion" | "summarize", ...}`).
 * Thin: parse the input, call the domain, map the result. Errors propagate with their `name`
 * (InvalidInputError, AlertDeliveryError, ThrottlingException...) for Step Functions to match.
 */
import { withInvocationLogger } from '../lib/invocation.js';
import { measureStep } from '../lib/metrics.js';
import type { BackoffOptions } from '../lib/retry.js';
import { type AcmEvent, parseAcmEvent } from './acm-events.js';
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

/** What one invocation handles: a sweep task, or an ACM event. */
type CertificateInvocation =
  | { readonly kind: 'task'; readonly task: string; readonly event: Record<string, unknown> }
  | { readonly kind: 'acm'; readonly event: AcmEvent };

const parseInvocation = (event: unknown): CertificateInvocation => {
  if (typeof event === 'object' && event !== null && 'task' in event) {
    return {
      kind: 'task',
      task: String((event as { task: unknown }).task),
      event: event as Record<string, unknown>,
    };
  }
  if (typeof event === 'object' && event !== null && !('detail-type' in event)) {
    throw new InvalidInputError(
      'The event is neither an ACM EventBridge event (no detail-type field) nor a sweep task (no task field).',
    );
  }
  return { kind: 'acm', event: parseAcmEvent(event) };
};

/**
 * Builds the handler; tests and the local runner inject clients, settings and a clock. Every line
 * of an invocation carries its task, or the certificate and detail-type of its ACM event.
 */
export const createHandler = (deps: HandlerDependencies = {}) => {
  let settings: Settings | undefined;
  return withInvocationLogger<CertificateInvocation, unknown>(
    {
      parse: parseInvocation,
      keys: (invocation) =>
        invocation.kind === 'task'
          ? { task: invocation.task }
          : { certificateArn: invocation.event.certificateArn, detailType: invocation.event.detailType },
      failureMessage: 'Certificate expiry step failed',
    },
    async (invocation, log) => {
      settings ??= (deps.settings ?? readSettings)();
      // A const the closures below can rely on (the `let` is not narrowed inside them).
      const config = settings;
      const clients = deps.clients ?? defaultClients();
      const now = deps.now ?? (() => new Date());
      if (invocation.kind === 'task') {
        const { task } = invocation;
        // The metric dimension takes only the task names there are: an unknown one is 'invalid'.
        const known = ['plan', 'sweepRegion', 'summarize'].includes(task) ? task : 'invalid';
        const result = await measureStep<unknown>({ task: known }, () =>
          runSweepTask(invocation.event, { clients, settings: config, now, backoff: deps.backoff }),
        );
        recordCertificateMetrics(task, result);
        return result;
      }
      const acmEvent = invocation.event;
      const result = await measureStep({ task: 'acm-event' }, () =>
        handleAcmEvent(acmEvent, {
          clients,
          now: now(),
          thresholds: config.thresholds,
          busName: config.busName,
          backoff: deps.backoff,
        }),
      );
      log.info('ACM event handled', { outcome: result.outcome });
      const handled: EventResult = {
        outcome: result.outcome,
        certificateArn: acmEvent.certificateArn,
        findingClass: result.finding?.findingClass ?? null,
        threshold: result.finding?.threshold ?? null,
        renewalResult: result.finding?.renewalResult ?? null,
      };
      recordCertificateMetrics('acm-event', handled);
      return handled;
    },
  );
};

/** The deployed handler (template.yaml: `handler.handler`). */
export const handler = createHandler();
