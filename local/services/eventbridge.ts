/** Moved to `eventbridge/`; this path stays for importers not yet moved. */
export * from './eventbridge/index.js';
