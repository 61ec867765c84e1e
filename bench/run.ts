/**
 * `npm run bench`: measures what the issues set goals for and writes the results to
 * bench/results/latest.json and bench/RESULTS.md (both committed).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { startLocalEndpoint } = await import('../local/endpoint.js');
const { benchBundles } = await import('./bundle.js');
const { benchStartup, writeStartupResults } = await import('./startup.js');
const { benchRotation, registerColdFunction } = await import('./secret-rotation.js');
const { rotationCases } = await import('./rotation-cases.js');
const { benchKeyRotation } = await import('./kms.js');
const { benchCertificateSweep } = await import('./acm.js');

const ROTATIONS = 10;
const endpoint = await startLocalEndpoint({ port: 0 });
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
};
try {
  registerColdFunction(endpoint);
  const rotation = [];
  const { cases, close } = await rotationCases();
  for (const testCase of cases) {
    for (const mode of ['warm', 'cold'] as const) {
      const r = await benchRotation(endpoint, testCase, mode, ROTATIONS);
      console.log(
        `${r.rotator} (${mode}): ${r.secretsManagerCallsPerRotation} Secrets Manager calls/rotation, ${r.msPerRotationMedian} ms/rotation`,
      );
      rotation.push(r);
    }
  }
  await close();
  results.secretRotation = rotation;
  const keyRotation = await benchKeyRotation(endpoint);
  console.log(
    `key rotation: ${keyRotation.workflowKmsCalls} KMS calls, ${keyRotation.workflowMs} ms, zero-downtime loop ${keyRotation.zeroDowntime.failures} failures in ${keyRotation.zeroDowntime.operations} operations`,
  );
  results.keyRotation = keyRotation;
  const sweep = await benchCertificateSweep(endpoint);
  for (const r of sweep)
    console.log(
      `certificate sweep ${r.region}: ${r.certificates} certificates, ${r.acmCalls} ACM calls, ${r.sweepMs} ms`,
    );
  results.certificateSweep = sweep;
  results.bundles = await benchBundles();
} finally {
  await endpoint.close();
}

await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const rows = (results.secretRotation as Awaited<ReturnType<typeof benchRotation>>[])
  .map((r) => `| ${r.rotator} | ${r.mode} | ${r.secretsManagerCallsPerRotation} | ${r.msPerRotationMedian} |`)
  .join('\n');
const bundleRows = (results.bundles as Awaited<ReturnType<typeof benchBundles>>)
  .map((b) => `| ${b.function} | ${b.bundleKiB} | ${b.artefactKiB} | ${b.coldImportMsMedian} |`)
  .join('\n');
// The soak benchmark takes minutes and runs on its own (`npm run bench:soak`); its last
// committed results stay in RESULTS.md.
const { soakSection } = await import('./soak.js');
const soakResults = await readFile(new URL('./results/soak.json', import.meta.url), 'utf8').then(
  (text) => `\n${soakSection(JSON.parse(text))}`,
  () => '',
);
const kr = results.keyRotation as Awaited<ReturnType<typeof benchKeyRotation>>;
const sweepRows = (results.certificateSweep as Awaited<ReturnType<typeof benchCertificateSweep>>)
  .map(
    (r) =>
      `| ${r.region} | ${r.certificates} | ${r.acmCalls} | ${Object.entries(r.callsByOperation)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} | ${r.sweepMs} |`,
  )
  .join('\n');
await writeFile(
  new URL('./RESULTS.md', import.meta.url),
  `# Benchmark results

Written by \`npm run bench\` on ${results.date} (${process.version}, ${cpus().length} cores). Raw numbers: \`results/latest.json\`.

## Secret rotation: Secrets Manager calls per rotation (goal: at most 7 single-user, 8 alternating-users, 2 of them writes; AWS's templates make 14)

Counted on the wire by the local endpoint while \`RotateSecret\` runs (the RotateSecret call itself excluded).
*warm*: the first rotation of each secret starts with nothing cached (as on a fresh container), the
next ones reuse the container (the usual case: the four steps reach one warm container); *cold*:
every step in a fresh container. Fleet rotation against the write quota: [fleet-results.md](fleet-results.md).

| rotator | container | calls per rotation | ms per rotation (median of ${ROTATIONS}) |
|---|---|---|---|
${rows}

## KMS rotation by alias swap (symmetric key, grace 2 s, retention 0 s)

KMS calls made by the whole workflow (plan, successor, verify, swap, evidence, retire): ${kr.workflowKmsCalls}
(${Object.entries(kr.kmsCallsByOperation)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}); ${kr.workflowMs} ms end to end.

Zero-downtime loop (encrypt through the alias, decrypt everything produced so far, until the grace
period ends): **${kr.zeroDowntime.failures} failures** in ${kr.zeroDowntime.operations} operations (goal: 0).

## Certificate sweep: 2,500 certificates per Region, nothing due (goal: at most 3 ACM calls per Region)

| Region | certificates | ACM calls | calls by operation | ms |
|---|---|---|---|---|
${sweepRows}

## Function bundles (built exactly as \`sam build\` would from template.yaml: the Makefile targets)

| function | KiB loaded at a cold start | artefact KiB (all chunks) | cold import ms (median) |
|---|---|---|---|
${bundleRows}
${soakResults}`,
);
// Cold starts against AWS's Python template and the CLI against bare Node (bench/startup.ts).
await writeStartupResults(await benchStartup(), results.date as string);
console.log('wrote bench/results/latest.json, bench/results/startup.json and bench/RESULTS.md');
