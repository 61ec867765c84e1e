/**
 * `npx tsx bench/fleet.ts [1000,10000]`: the fleet workflow against the quota bound.
 *
 * For each size: a local endpoint with Secrets Manager's write quota enforced in front of it
 * (50 PutSecretValue + UpdateSecretVersionStage per second in any one-second window, HTTP 400
 * ThrottlingException over it, test/integration/secret-fleet/quota-proxy.ts), that many
 * generated secrets all due, and one run of statemachines/secret-fleet-rotation.asl.json through
 * aws-local-stepfunctions with every Task going to the real fleet handler and every rotation to
 * the real rotation function (warm container). Measured on the wire: run time against the quota
 * bound (2 writes per rotation at 50/s), writes and Secrets Manager calls per rotation, throttled
 * writes, the busiest second, the largest state and the execution's history size.
 *
 * Writes bench/results/fleet.json and bench/fleet-results.md (both committed).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { logger } = await import('../functions/lib/logger.js');
const { quotaBoundSeconds, SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND } = await import(
  '../functions/secret-fleet/quota.js'
);
const { runFleet, startFleetEndpoint } = await import('../test/integration/secret-fleet/helpers.js');
const { takeCalls } = await import('./calls.js');

logger.setLogLevel('SILENT');
const REGION = 'us-east-1';
const DAY_MS = 86_400_000;
/** Step Functions' limits the run must stay inside. */
const HISTORY_LIMIT = 25_000;
const PAYLOAD_LIMIT = 256 * 1024;

const benchFleet = async (size: number) => {
  const account = String(randomInt(100_000_000_000, 999_999_999_999));
  const fleet = await startFleetEndpoint({
    account,
    region: REGION,
    rotationFunction: 'rekey-bench-fleet-rotation',
    writeQuotaPerSecond: SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
  });
  const tag = `bench-${randomUUID().slice(0, 8)}`;
  try {
    // Prepare (quota off): `size` secrets, rotation on with a 1-day schedule, then 2 days pass.
    fleet.quota?.enforce(false);
    const setupStarted = performance.now();
    for (let start = 0; start < size; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, size - start) }, async (_, k) => {
          const { ARN } = await fleet.sm.send(
            new CreateSecretCommand({
              Name: `bench-fleet/${tag}/${String(start + k).padStart(5, '0')}`,
              SecretString: JSON.stringify({ username: 'app', password: `initial-${randomUUID()}` }),
              Tags: [
                { Key: 'rekey:fleet', Value: tag },
                { Key: 'rekey:rotator', Value: 'generated' },
              ],
            }),
          );
          await fleet.sm.send(
            new RotateSecretCommand({
              SecretId: ARN,
              RotationLambdaARN: `arn:aws:lambda:${REGION}:${account}:function:rekey-bench-fleet-rotation`,
              RotationRules: { AutomaticallyAfterDays: 1 },
              RotateImmediately: false,
            }),
          );
        }),
      );
    }
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    fleet.endpoint.clock.advance(2 * DAY_MS);

    // Act: one run, quota on, calls counted from here.
    fleet.quota?.reset();
    fleet.quota?.enforce(true);
    await takeCalls(fleet.endpoint, 'secretsmanager');
    const loadBefore = loadavg()[0] ?? 0;
    const started = performance.now();
    const { run, summary, largestState, historyEvents } = await runFleet(fleet, {
      filter: { tag: { key: 'rekey:fleet', value: tag } },
      maxRotations: size,
    });
    const seconds = (performance.now() - started) / 1000;
    if (run.error) throw new Error(`fleet run failed: ${run.error.Error}: ${run.error.Cause}`);
    if (historyEvents >= HISTORY_LIMIT / 10 || largestState >= PAYLOAD_LIMIT / 4) {
      throw new Error(
        `fleet of ${size}: ${historyEvents} history events, largest state ${largestState} B: not far below Step Functions' limits`,
      );
    }
    const calls = await takeCalls(fleet.endpoint, 'secretsmanager');
    const stats = fleet.quota?.stats() ?? { allowed: {}, throttled: {}, busiestSecond: 0 };
    const writes = Object.values(stats.allowed).reduce((a, b) => a + b, 0);
    const throttled = Object.values(stats.throttled).reduce((a, b) => a + b, 0);
    const rotated = summary.counts.rotated;
    const bound = quotaBoundSeconds(2 * size);
    const perRotation = (n: number) => Number((n / Math.max(1, rotated)).toFixed(2));
    return {
      secrets: size,
      setupSeconds: Number(setupSeconds.toFixed(1)),
      runSeconds: Number(seconds.toFixed(1)),
      quotaBoundSeconds: bound,
      ratioToBound: Number((seconds / bound).toFixed(3)),
      rotated,
      failed: summary.counts.failed,
      complete: summary.complete,
      batches: summary.pacing.batches,
      writesPerRotation: perRotation(writes),
      writesPerSecond: Number((writes / seconds).toFixed(1)),
      throttledWrites: throttled,
      busiestSecondWrites: stats.busiestSecond,
      secretsManagerCallsPerRotation: perRotation(Object.values(calls).reduce((a, b) => a + b, 0)),
      callsPerRotationByOperation: Object.fromEntries(
        Object.entries(calls)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([op, n]) => [op, perRotation(n)]),
      ),
      largestStateBytes: largestState,
      historyEvents,
      summaryEventBytes: Buffer.byteLength(JSON.stringify(summary)),
      // The machine is shared: the 1-minute load average before and after the run says how busy it was.
      loadAverage: [Number(loadBefore.toFixed(1)), Number((loadavg()[0] ?? 0).toFixed(1))] as
        | number[]
        | undefined,
    };
  } finally {
    await fleet.close();
  }
};

const sizes = (process.argv[2] ?? '1000,10000').split(',').map(Number);
const results: Awaited<ReturnType<typeof benchFleet>>[] = [];
for (const size of sizes) {
  console.log(`fleet of ${size}…`);
  const r = await benchFleet(size);
  console.log(
    `  ${r.rotated} rotated in ${r.runSeconds} s = ${r.ratioToBound}× the quota bound (${r.quotaBoundSeconds} s); ${r.writesPerRotation} writes and ${r.secretsManagerCallsPerRotation} calls per rotation; ${r.throttledWrites} writes throttled; ${r.batches} batches; ${r.historyEvents} history events; largest state ${r.largestStateBytes} B`,
  );
  results.push(r);
}

// Sizes not measured this time keep their last committed result (a 10,000 run takes minutes).
const resultsFile = new URL('./results/fleet.json', import.meta.url);
const previous = await readFile(resultsFile, 'utf8')
  .then((text) => (JSON.parse(text) as { fleet: typeof results }).fleet)
  .catch(() => [] as typeof results);
for (const old of previous) if (!sizes.includes(old.secrets)) results.push(old);
results.sort((a, b) => a.secrets - b.secrets);
const date = new Date().toISOString();
await writeFile(
  resultsFile,
  `${JSON.stringify({ date, machine: { node: process.version, cpus: cpus().length }, fleet: results }, null, 2)}\n`,
);
const row = (r: (typeof results)[number]) =>
  `| ${r.secrets} | ${r.loadAverage?.join(' → ') ?? 'not recorded'} | ${r.runSeconds} | ${r.quotaBoundSeconds} | **${r.ratioToBound}×** | ${r.rotated} / ${r.failed} | ${r.writesPerRotation} | ${r.secretsManagerCallsPerRotation} | ${r.throttledWrites} | ${r.busiestSecondWrites} | ${r.batches} | ${r.historyEvents} | ${r.largestStateBytes} | ${r.summaryEventBytes} |`;
await writeFile(
  new URL('./fleet-results.md', import.meta.url),
  `# Fleet rotation against the write quota

Written by \`npx tsx bench/fleet.ts\` on ${date} (${process.version}, ${cpus().length} cores, shared). Raw numbers: \`results/fleet.json\`.

Every secret is due; one run with \`maxRotations\` = the fleet size and the default pacing (90% of
the quota). The quota is enforced in front of the local endpoint: at most 50 PutSecretValue +
UpdateSecretVersionStage in any one-second window, ThrottlingException over it. The **quota
bound** is the shortest time the writes can take at the full quota: 2 writes per rotation at
50/s. Goal: at most 1.25× the bound, no rotation failed by throttling, Step Functions' limits
(256 KB per state, 25,000 history events) never approached.

| secrets | load avg (2 cores) | run s | quota bound s | ratio | rotated / failed | writes per rotation | SM calls per rotation | writes throttled (retried) | busiest second (writes) | batches | history events | largest state B | summary event B |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${results.map(row).join('\n')}

Secrets Manager calls per rotation, by operation (fleet and rotation function together; the
fleet's ListSecrets and DescribeSecret checks included):

${results
  .map(
    (r) =>
      `- ${r.secrets}: ${Object.entries(r.callsPerRotationByOperation)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')}`,
  )
  .join('\n')}

History events are counted as AWS records them (StateEntered/Exited for each state, plus
Scheduled, Started and Succeeded for each Lambda task); the local runner's states match the
deployed definition one to one.
`,
);
console.log('wrote bench/results/fleet.json and bench/fleet-results.md');
