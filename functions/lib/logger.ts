import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of each function container. Service name and level come from the
 * Powertools environment (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`) set in template.yaml.
 * Never log a secret value, password, private key or plaintext: log ARNs, version ids, steps, causes.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rekey' });

export type { Logger };
