#!/usr/bin/env node
// The `rekey` command. Runs the precompiled CLI (dist/rekey-cli.mjs, built by `npm ci` through the
// `prepare` script, split so a command loads only its own code); in a dev checkout without that
// build, or with a source newer than it, it runs the TypeScript through tsx and says so on stderr.
import { readFileSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Why the build cannot be used (missing, or a source changed after it), or undefined. */
const staleReason = () => {
  let built;
  try {
    built = JSON.parse(readFileSync(`${root}dist/rekey-cli.json`, 'utf8'));
  } catch {
    return 'no build in dist/';
  }
  // One stat per source the build holds; a source deleted since is no reason to rebuild.
  const changed = built.inputs.find(
    (file) => (statSync(root + file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > built.builtAt,
  );
  return changed && `${changed} changed after the build`;
};

const reason = staleReason();
// V8's code cache for the chunks (Node's compile cache, in the OS temp folder by default): a
// command's modules are compiled once, not on every start.
enableCompileCache?.();
let main;
if (reason === undefined) {
  ({ main } = await import('../dist/rekey-cli.mjs'));
} else {
  process.stderr.write(
    `rekey: running the TypeScript sources through tsx (${reason}; 'npm run build' makes it start faster)\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
// process.exitCode, never process.exit(): exit() drops output still queued for a pipe
// (`rekey status --output json | jq` would read a cut document).
process.exitCode = await main(process.argv.slice(2));
