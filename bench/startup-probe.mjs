// One cold module init, as Lambda's Node runtime does it. The runtime interface client
// (aws-lambda-nodejs-runtime-interface-client, src/index.mjs) is itself an ES module, and before it
// loads the handler it has required http (RAPIDClient's keep-alive Agent), net (ResponseStream),
// util and fs (LogPatch) and path (UserFunction): so does this probe, before the clock starts.
// Then it imports the handler file, and each further file given (the chunk a lazy `import()`
// would load). Prints JSON: wall ms and CPU ms (user + system, all of the process's threads) from
// the first import to the end of each step, the process's peak RSS (KiB) and the imports' time window. With no file: the
// runtime's own state, for the bare peak RSS.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
for (const builtin of ['http', 'net', 'util', 'fs', 'path']) require(builtin);

const files = process.argv.slice(2);
const startUs = Number(process.hrtime.bigint() / 1000n);
const start = performance.now();
const cpuStart = process.cpuUsage();
const ms = [];
const cpuMs = [];
for (const file of files) {
  await import(file);
  ms.push(performance.now() - start);
  const cpu = process.cpuUsage(cpuStart);
  cpuMs.push((cpu.user + cpu.system) / 1000);
}
// The imports' window on the monotonic clock, in µs, as a --cpu-prof profile's timestamps are.
const window = [startUs, Number(process.hrtime.bigint() / 1000n)];
process.stdout.write(`${JSON.stringify({ ms, cpuMs, maxRssKiB: process.resourceUsage().maxRSS, window })}\n`);
