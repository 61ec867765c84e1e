/** Moved to `acm/`; this path stays for importers not yet moved. */
export * from './acm/index.js';
