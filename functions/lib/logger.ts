import { Logger } from '@aws-lambda-powertools/logger';
import { installSourceMappedStacks } from './source-maps.js';

// The deployed bundles (scripts/build.ts defines REKEY_BUNDLED) map stack traces through the
// source maps beside their chunks when a stack is first read, instead of --enable-source-maps.
if (process.env.REKEY_BUNDLED === 'true') installSourceMappedStacks();

/**
 * The one logger of each function container. Service name and level come from the
 * Powertools environment (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`) set in template.yaml.
 * Never log a secret value, password, private key or plaintext: log ARNs, version ids, steps, causes.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rekey' });

export type { Logger };
