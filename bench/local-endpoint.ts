/**
 * `npx tsx bench/local-endpoint.ts`: what `rekey local` costs, measured against peers in the same run.
 *
 * 1. `--state` against memory: 10,000 secrets × 4 versions, then 30,000 PutSecretValue calls
 *    (8 concurrent SDK callers), each mode in its own process. Goals: time within 1.3× of the
 *    in-memory run, peak RSS within 1.5×.
 * 2. Requests per second with 8 concurrent SDK callers (PutSecretValue, GetSecretValue,
 *    DescribeSecret in turn), quotas off, against moto's server. Goal: at least 5× moto.
 *
 * Writes bench/results/local-endpoint.json and bench/LOCAL-ENDPOINT.md.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const SECRETS = 10_000;
const VERSIONS = 4;
const PUTS = 30_000;
const CALLERS = 8;
const THROUGHPUT_SECONDS = 10;
const SECRETS_PER_CALLER = 100;

const clientFor = (url: string) =>
  new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' },
    maxAttempts: 1,
  });

/** Runs `count` jobs over `CALLERS` callers, each with its own SDK client. */
const fanOut = async (
  url: string,
  count: number,
  job: (sm: SecretsManagerClient, i: number) => Promise<unknown>,
) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      const sm = clientFor(url);
      try {
        while (next < count) await job(sm, next++);
      } finally {
        sm.destroy();
      }
    }),
  );
};

/** Child mode: one endpoint, in memory or with `--state`, seeded and then written to. */
const child = async (mode: 'memory' | 'state') => {
  const { startLocalEndpoint } = await import('../local/endpoint.js');
  const dir = await mkdtemp(join(tmpdir(), 'rekey-bench-state-'));
  const endpoint = await startLocalEndpoint({
    port: 0,
    registerDefaultFunctions: false,
    quotas: false,
    stateFile: mode === 'state' ? join(dir, 'state') : undefined,
  });
  try {
    const seedStarted = performance.now();
    await fanOut(endpoint.url, SECRETS, async (sm, i) => {
      await sm.send(new CreateSecretCommand({ Name: `bench/secret-${i}`, SecretString: `v0-${i}` }));
      for (let v = 1; v < VERSIONS; v++) {
        await sm.send(
          new PutSecretValueCommand({ SecretId: `bench/secret-${i}`, SecretString: `v${v}-${i}` }),
        );
      }
    });
    const seedMs = performance.now() - seedStarted;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await fanOut(endpoint.url, PUTS, (sm, i) =>
      sm.send(
        new PutSecretValueCommand({ SecretId: `bench/secret-${i % SECRETS}`, SecretString: `put-${i}` }),
      ),
    );
    const putMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    process.stdout.write(
      `${JSON.stringify({ mode, seedMs: Math.round(seedMs), putMs: Math.round(putMs), putCpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
    );
  } finally {
    await endpoint.close();
    await rm(dir, { recursive: true, force: true });
  }
};

const runChild = async (mode: 'memory' | 'state') => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, new URL(import.meta.url).pathname, '--child', mode],
    { maxBuffer: 1 << 20, env: process.env },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    mode: string;
    seedMs: number;
    putMs: number;
    putCpuMs: number;
    maxRssMiB: number;
  };
};

/**
 * Requests per second over `THROUGHPUT_SECONDS` with `CALLERS` SDK callers. Each caller cycles
 * over its own `SECRETS_PER_CALLER` secrets, so no secret nears the 100-version quota (versions
 * younger than 24 hours are kept).
 */
const throughput = async (url: string, prefix: string) => {
  await fanOut(url, CALLERS * SECRETS_PER_CALLER, (sm, i) =>
    sm.send(new CreateSecretCommand({ Name: `${prefix}-${i}`, SecretString: 'start' })),
  );
  let requests = 0;
  const until = performance.now() + THROUGHPUT_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      const c = clientFor(url);
      try {
        for (let n = 0; performance.now() < until; n++) {
          const id = `${prefix}-${caller * SECRETS_PER_CALLER + (n % SECRETS_PER_CALLER)}`;
          await c.send(new PutSecretValueCommand({ SecretId: id, SecretString: `value-${n}` }));
          await c.send(new GetSecretValueCommand({ SecretId: id }));
          await c.send(new DescribeSecretCommand({ SecretId: id }));
          requests += 3;
        }
      } finally {
        c.destroy();
      }
    }),
  );
  return Math.round(requests / ((performance.now() - started) / 1000));
};

const startMoto = async (): Promise<{ url: string; process: ChildProcess }> => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const moto = spawn('python3', ['-m', 'moto.server', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}/moto-api/`).then(
        () => true,
        () => false,
      )
    )
      return { url, process: moto };
    await new Promise((r) => setTimeout(r, 200));
  }
  moto.kill();
  throw new Error('moto.server did not start (python3 -m moto.server)');
};

/** Starts `rekey local` as its own process (as moto's server is), quotas off; returns its URL. */
const startRekeyLocal = async (): Promise<{ url: string; process: ChildProcess }> => {
  const bin = new URL('../bin/rekey.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'local', '--port', '0', '--quotas', 'off'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /export AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error('rekey local exited before printing its URL')));
  });
  return { url, process: child };
};

const main = async () => {
  // Interleaved, twice each, fastest kept: the machine is shared, and drift hits both modes alike.
  const runs: Awaited<ReturnType<typeof runChild>>[] = [];
  for (const mode of ['memory', 'state', 'memory', 'state'] as const) {
    const r = await runChild(mode);
    console.log(
      `${mode}: ${r.putMs} ms (${r.putCpuMs} ms CPU) for ${PUTS} PutSecretValue, peak RSS ${r.maxRssMiB} MiB`,
    );
    runs.push(r);
  }
  const best = (mode: string) =>
    runs.filter((r) => r.mode === mode).reduce((a, b) => (b.putMs < a.putMs ? b : a));
  const memory = best('memory');
  const state = best('state');

  // Each endpoint in its own process, the callers in this one.
  const rekey = await startRekeyLocal();
  const rekeyRps = await throughput(rekey.url, 'throughput').finally(() => rekey.process.kill());
  const moto = await startMoto();
  const motoRps = await throughput(moto.url, 'throughput').finally(() => moto.process.kill());
  console.log(`requests/s with ${CALLERS} SDK callers: rekey local ${rekeyRps}, moto ${motoRps}`);

  const results = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
    state: {
      runs,
      secrets: SECRETS,
      versionsEach: VERSIONS,
      puts: PUTS,
      callers: CALLERS,
      memory,
      state,
      timeRatio: Number((state.putMs / memory.putMs).toFixed(2)),
      cpuRatio: Number((state.putCpuMs / memory.putCpuMs).toFixed(2)),
      rssRatio: Number((state.maxRssMiB / memory.maxRssMiB).toFixed(2)),
    },
    throughput: {
      callers: CALLERS,
      seconds: THROUGHPUT_SECONDS,
      rekeyRps,
      motoRps,
      ratio: Number((rekeyRps / motoRps).toFixed(1)),
    },
  };
  await writeFile(
    new URL('./results/local-endpoint.json', import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  await writeFile(
    new URL('./LOCAL-ENDPOINT.md', import.meta.url),
    `# The local endpoint: benchmark results

Written by \`npx tsx bench/local-endpoint.ts\` on ${results.date} (${process.version}, ${cpus().length} cores). Raw numbers: \`results/local-endpoint.json\`.

## \`--state\` against memory (goals: time within 1.3×, peak RSS within 1.5×)

${SECRETS} secrets × ${VERSIONS} versions, then ${PUTS} PutSecretValue calls from ${CALLERS} concurrent SDK callers; each mode in its own process, quotas off; run twice each, interleaved, the faster run kept (all runs in the JSON).

| mode | seed (ms) | ${PUTS} PutSecretValue (ms) | of which CPU (ms) | peak RSS (MiB) |
|---|---|---|---|---|
| in memory | ${memory.seedMs} | ${memory.putMs} | ${memory.putCpuMs} | ${memory.maxRssMiB} |
| \`--state\` (journal fsync'd before each answer) | ${state.seedMs} | ${state.putMs} | ${state.putCpuMs} | ${state.maxRssMiB} |
| ratio | | **${results.state.timeRatio}×** | **${results.state.cpuRatio}×** | **${results.state.rssRatio}×** |

On a machine shared with other work, wall time can vary between runs (every run is in
\`results/local-endpoint.json\`); the CPU time of the process (endpoint and callers) is the
steadier measure of what the journal costs.

## Requests per second, ${CALLERS} concurrent SDK callers (goal: at least 5× moto)

Each caller repeats PutSecretValue, GetSecretValue, DescribeSecret over its own ${SECRETS_PER_CALLER} secrets for ${THROUGHPUT_SECONDS} s; quotas off.

| endpoint | requests/s |
|---|---|
| rekey local (\`rekey local --quotas off\`, its own process) | ${rekeyRps} |
| moto 5.2 (\`python3 -m moto.server\`, its own process) | ${motoRps} |
| ratio | **${results.throughput.ratio}×** |
`,
  );
};

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await child(process.argv[childAt + 1] === 'state' ? 'state' : 'memory');
else if (process.argv.includes('--throughput-only')) {
  // A quick look at the second measurement alone; writes no results.
  const rekey = await startRekeyLocal();
  const rekeyRps = await throughput(rekey.url, 'throughput').finally(() => rekey.process.kill());
  const moto = await startMoto();
  const motoRps = await throughput(moto.url, 'throughput').finally(() => moto.process.kill());
  console.log(`requests/s with ${CALLERS} SDK callers: rekey local ${rekeyRps}, moto ${motoRps}`);
} else await main();
