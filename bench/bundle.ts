/**
 * Bundle size and cold import time of every function, built exactly as `sam build` would.
 * Cold import = a fresh Node process importing the bundle (what a Lambda cold start pays for
 * module loading), median of several runs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildAll } from '../scripts/build.js';
import { functionsOf, loadTemplate } from '../scripts/template.js';

const RUNS = 7;

export interface BundleResult {
  function: string;
  bundleKiB: number;
  coldImportMsMedian: number;
  coldImportMsRuns: number[];
}

export const benchBundles = async (): Promise<BundleResult[]> => {
  const built = await buildAll();
  const fns = functionsOf(await loadTemplate());
  const results: BundleResult[] = [];
  for (const b of built) {
    const fn = fns.find((f) => f.logicalId === b.logicalId);
    const file = join(b.outdir, `${fn?.handlerFile ?? 'handler'}.mjs`);
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // process.execPath is the Node the benchmark runs on (Node 22 from node_modules/.bin).
      const child = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`,
        ],
        { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } },
      );
      if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
      runs.push(Number(child.stdout.trim()));
    }
    const sorted = [...runs].sort((a, b) => a - b);
    results.push({
      function: b.logicalId,
      bundleKiB: Math.round(b.bytes / 1024),
      coldImportMsMedian: Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)),
      coldImportMsRuns: runs.map((r) => Number(r.toFixed(1))),
    });
  }
  return results;
};
