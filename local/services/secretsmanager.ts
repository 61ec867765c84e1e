/** Moved to `secretsmanager/`; this path stays for importers not yet moved (`admin-client.ts`). */
export * from './secretsmanager/index.js';
