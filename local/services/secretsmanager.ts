/** Moved to `secretsmanager/`; this path stays for importers not yet moved (the admin client). */
export * from './secretsmanager/index.js';
