#!/usr/bin/env node
// The `rekey` command: runs the TypeScript CLI through tsx (a runtime dependency), no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
// process.exitCode, never process.exit(): exit() drops output still queued for a pipe
// (`rekey status --output json | jq` would read a cut document).
process.exitCode = await main(process.argv.slice(2));
