// One cold module init, as Lambda's Node runtime does it: a fresh process whose ESM loader is
// already running (the runtime is itself an ES module) imports the handler file, then each
// further file given (the chunk a lazy `import()` would load). Prints JSON: ms per step from the
// first import, and the process's peak RSS (KiB). With no file: the bare process's peak RSS.
const files = process.argv.slice(2);
const start = performance.now();
const ms = [];
for (const file of files) {
  await import(file);
  ms.push(performance.now() - start);
}
process.stdout.write(`${JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
