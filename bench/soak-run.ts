/**
 * `npm run bench:soak`: the soak benchmark (see soak.ts) on PostgreSQL and MariaDB, alternating
 * users and single user. Writes bench/results/soak.json and the soak section of bench/RESULTS.md
 * (both committed); `npm run bench` keeps that section when it rewrites the file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { startLocalEndpoint } = await import('../local/endpoint.js');
const { rotationCases } = await import('./rotation-cases.js');
const { soak, soakSection, SOAK_DEFAULTS } = await import('./soak.js');

const CASES = [
  'postgres alternating-users',
  'postgres single-user',
  'mariadb alternating-users',
  'mariadb single-user',
];

const endpoint = await startLocalEndpoint({ port: 0 });
const { cases, close } = await rotationCases();
const results = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
  options: SOAK_DEFAULTS,
  soak: [] as Awaited<ReturnType<typeof soak>>[],
};
try {
  for (const name of CASES) {
    const testCase = cases.find((c) => c.name === name);
    if (!testCase) throw new Error(`No rotation case '${name}' in bench/rotation-cases.ts.`);
    const r = await soak(endpoint, testCase);
    console.log(
      `${r.case}: ${r.rotations.finished}/${r.rotations.started} rotations, ${r.queries.total} queries, ${r.queries.failedFirstTries} failed first tries, ${r.queries.recoveredAfterRefetch} recovered after one re-fetch, ${r.queries.failedAfterRefetch} failed after it (${r.seconds} s)`,
    );
    results.soak.push(r);
  }
} finally {
  await close();
  await endpoint.close();
}

await writeFile(new URL('./results/soak.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const resultsFile = new URL('./RESULTS.md', import.meta.url);
const current = await readFile(resultsFile, 'utf8').catch(() => '# Benchmark results\n');
const start = current.indexOf('## Soak:');
// The section ends where the next one begins: a heading, or another benchmark's marked block.
const ends = ['\n## ', '\n<!-- ']
  .map((mark) => (start < 0 ? -1 : current.indexOf(mark, start + 1)))
  .filter((at) => at >= 0);
const next = ends.length > 0 ? Math.min(...ends) : -1;
const before = start < 0 ? current : current.slice(0, start);
const after = next < 0 ? '' : current.slice(next + 1);
await writeFile(resultsFile, `${before.trimEnd()}\n\n${soakSection(results)}${after ? `\n${after}` : ''}`);
console.log('wrote bench/results/soak.json and the soak section of bench/RESULTS.md');
