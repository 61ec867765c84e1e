/**
 * `npm run bench`: measures what the issues set goals for and writes the results to
 * bench/results/latest.json and bench/RESULTS.md (both committed).
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { startLocalEndpoint } = await import('../local/endpoint.js');
const { benchBundles } = await import('./bundle.js');
const { benchRotation, registerColdFunction } = await import('./secret-rotation.js');
const { rotationCases } = await import('./rotation-cases.js');

const ROTATIONS = 10;
const endpoint = await startLocalEndpoint({ port: 0 });
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
};
try {
  registerColdFunction(endpoint);
  const rotation = [];
  for (const testCase of await rotationCases()) {
    for (const mode of ['warm', 'cold'] as const) {
      const r = await benchRotation(endpoint, testCase, mode, ROTATIONS);
      console.log(
        `${r.rotator} (${mode}): ${r.secretsManagerCallsPerRotation} Secrets Manager calls/rotation, ${r.msPerRotationMedian} ms/rotation`,
      );
      rotation.push(r);
    }
  }
  results.secretRotation = rotation;
  results.bundles = await benchBundles();
} finally {
  await endpoint.close();
}

await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const rows = (results.secretRotation as Awaited<ReturnType<typeof benchRotation>>[])
  .map((r) => `| ${r.rotator} | ${r.mode} | ${r.secretsManagerCallsPerRotation} | ${r.msPerRotationMedian} |`)
  .join('\n');
const bundleRows = (results.bundles as Awaited<ReturnType<typeof benchBundles>>)
  .map((b) => `| ${b.function} | ${b.bundleKiB} | ${b.coldImportMsMedian} |`)
  .join('\n');
await writeFile(
  new URL('./RESULTS.md', import.meta.url),
  `# Benchmark results

Written by \`npm run bench\` on ${results.date} (${process.version}, ${cpus().length} cores). Raw numbers: \`results/latest.json\`.

## Secret rotation: Secrets Manager calls per rotation (goal: at most 9; AWS's templates make 14)

Counted on the wire by the local endpoint while \`RotateSecret\` runs (the RotateSecret call itself excluded).
*warm*: the four steps reach one warm container (the usual case); *cold*: every step in a fresh container.

| rotator | container | calls per rotation | ms per rotation (median of ${ROTATIONS}) |
|---|---|---|---|
${rows}

## Function bundles (built exactly as \`sam build\` would from template.yaml)

| function | bundle KiB | cold import ms (median) |
|---|---|---|
${bundleRows}
`,
);
console.log('wrote bench/results/latest.json and bench/RESULTS.md');
