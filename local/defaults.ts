/**
 * The local endpoint's defaults, in a module of their own so that `rekey local --help` can show
 * them without loading the HTTP server (node:http costs a cold CLI start tens of milliseconds).
 */

/** Account used when the access key id is not a 12-digit account number. */
export const DEFAULT_ACCOUNT_ID = '123456789012';
export const DEFAULT_REGION = 'us-east-1';
