/**
 * Kept only for the CLI's imports (cli/report/*), which move to functions/lib/retry.ts with the
 * shared CLI layer; functions import functions/lib/retry.ts directly.
 */
export { type BackoffOptions, isRetryable, mapBounded, withBackoff } from '../lib/retry.js';
