/** Moved to `kms/`; this path stays for importers not yet moved. */
export * from './kms/index.js';
