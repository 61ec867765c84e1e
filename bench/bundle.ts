/**
 * Artefact size and cold import time of every function, built exactly as `sam build` would (the
 * Makefile targets). Size: the handler and the chunks it imports statically, i.e. what a cold
 * start loads; the rest of the artefact (database drivers, credential providers) loads on use.
 * Cold import = a fresh Node process importing the handler, median of several runs; the
 * comparison with AWS's Python template and the peak RSS are in startup.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAll, listFiles } from '../scripts/build.js';
import { staticClosure } from './startup.js';

const RUNS = 7;
const PROBE = new URL('./startup-probe.mjs', import.meta.url).pathname;

export interface BundleResult {
  function: string;
  /** KiB loaded at a cold start: the handler and its static imports. */
  bundleKiB: number;
  /** KiB of the whole artefact's JavaScript (source maps excluded). */
  artefactKiB: number;
  coldImportMsMedian: number;
  coldImportMsRuns: number[];
}

const kib = (files: Iterable<string>): number => {
  let bytes = 0;
  for (const file of files) bytes += readFileSync(file).length;
  return Math.round(bytes / 1024);
};

export const benchBundles = async (): Promise<BundleResult[]> => {
  const results: BundleResult[] = [];
  for (const b of await buildAll()) {
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // process.execPath is the Node the benchmark runs on (Node 22 from node_modules/.bin).
      const child = spawnSync(process.execPath, [PROBE, b.handlerFile], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      });
      if (child.status !== 0) throw new Error(`importing ${b.handlerFile} failed: ${child.stderr}`);
      runs.push((JSON.parse(child.stdout) as { ms: number[] }).ms.at(-1) ?? Number.NaN);
    }
    const sorted = [...runs].sort((x, y) => x - y);
    const code = (await listFiles(b.outdir)).filter((f) => f.endsWith('.mjs'));
    results.push({
      function: b.logicalId,
      bundleKiB: kib(staticClosure(join(b.handlerFile))),
      artefactKiB: kib(code),
      coldImportMsMedian: Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)),
      coldImportMsRuns: runs.map((r) => Number(r.toFixed(1))),
    });
  }
  return results;
};
