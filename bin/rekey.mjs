#!/usr/bin/env node
// The `rekey` command. Runs the precompiled CLI (dist/rekey-cli.mjs, built by `npm ci` through the `prepare`
// script, split so a command loads only its own code); in a dev checkout without that build, or
// with sources newer than it, it runs the TypeScript through tsx and says so on stderr.
import { existsSync, readFileSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const built = new URL('dist/rekey-cli.mjs', root);

/** Why the build cannot be used (missing, or a source changed after it), or undefined. */
const staleReason = () => {
  if (!existsSync(built)) return 'no build in dist/';
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('dist/rekey-cli.json', root), 'utf8'));
    const changed = inputs.find((file) => {
      const url = new URL(file, root);
      return existsSync(url) && statSync(url).mtimeMs > builtAt;
    });
    return changed && `${changed} changed after the build`;
  } catch {
    return 'dist/rekey-cli.json is unreadable';
  }
};

const reason = staleReason();
let main;
if (reason === undefined) {
  ({ main } = await import(built.href));
} else {
  process.stderr.write(
    `rekey: running the TypeScript sources through tsx (${reason}; 'npm run build' makes it start faster)\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exit(await main(process.argv.slice(2)));
