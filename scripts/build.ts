/**
 * The project's own build, for the Lambda functions and the `rekey` CLI.
 *
 * Functions: template.yaml builds every function with `BuildMethod: makefile`; `sam build` runs
 * the Makefile's `build-<LogicalId>` target (aws-lambda-builders' CustomMake workflow: cwd the
 * source copy, `ARTIFACTS_DIR` the function's artefact folder), which runs
 * `node --import tsx scripts/build.ts function <entry> "$(ARTIFACTS_DIR)"`. SAM's own esbuild
 * workflow has no code splitting, so it would inline every database driver into the one handler
 * file; this build splits, so each engine's driver is a chunk loaded by the `import()` that
 * needs it. Source maps are written beside the chunks (no sources, only mappings) and read only
 * when a stack trace is formatted (functions/lib/source-maps.ts), instead of
 * `--enable-source-maps` on every cold start.
 *
 * CLI: `npm ci` runs `prepare`, which builds cli/main.ts to dist/rekey-cli*.mjs with splitting;
 * bin/rekey.mjs runs that build, so each command loads only its own chunks and Node runs no
 * TypeScript.
 *
 * Usage: `tsx scripts/build.ts` (all functions into dist/functions/<LogicalId>/ through the
 * Makefile, as sam build would, and the CLI), `tsx scripts/build.ts cli`,
 * `tsx scripts/build.ts function <entry.ts> <outdir>`.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { type FunctionDefinition, functionsOf, loadTemplate } from './template.js';

const root = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

/** CommonJS dependencies (pg, mysql2, redis) call `require` for Node built-ins inside ESM chunks. */
const REQUIRE_BANNER =
  "import { createRequire as __rekeyCreateRequire } from 'node:module'; const require = __rekeyCreateRequire(import.meta.url);";

/**
 * esbuild options of one function: ESM, minified, split into chunks (`import()` targets become
 * chunks of their own), linked source maps without sources content, Node 22 (the runtime).
 * The entry file is named `handler.mjs` so template.yaml's `Handler: handler.handler` finds it.
 */
export const functionBuildOptions = (entry: string, outdir: string, workingDir = root): BuildOptions => ({
  absWorkingDir: workingDir,
  entryPoints: { handler: entry },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: REQUIRE_BANNER },
  // Turns on functions/lib/source-maps.ts in the bundle only (tests run the sources).
  define: { 'process.env.REKEY_BUNDLED': '"true"' },
  outdir,
  logLevel: 'warning',
  metafile: true,
});

/**
 * Makes each source map's `sources` relative to the build's working directory
 * (`functions/secret-rotation/protocol.ts`, `node_modules/pg/lib/client.js`), with a `sourceRoot`
 * leading from the map back to that directory, so the map stays valid for any reader while a
 * resolved stack trace (functions/lib/source-maps.ts reads `sources` without the root) names
 * project files wherever the artefact was built (sam build's scratch copy, dist/).
 */
const rootRelativeSources = async (outdir: string, workingDir: string): Promise<void> => {
  for (const file of await listFiles(outdir)) {
    if (!file.endsWith('.map')) continue;
    const map = JSON.parse(await readFile(file, 'utf8')) as { sources: string[]; sourceRoot?: string };
    map.sources = map.sources.map((s) =>
      relative(workingDir, resolve(dirname(file), map.sourceRoot ?? '', s)),
    );
    map.sourceRoot = `${relative(dirname(file), workingDir)}/`;
    await writeFile(file, JSON.stringify(map));
  }
};

/**
 * Translates SAM's esbuild `BuildProperties` into esbuild options: what `sam build` would run for
 * a function with `BuildMethod: esbuild` (no splitting: SAM's esbuild workflow has no option for it).
 */
export const esbuildOptionsFor = (
  props: Record<string, unknown>,
  codeUri: string,
  outdir: string,
): BuildOptions => {
  const list = (key: string): string[] => (Array.isArray(props[key]) ? (props[key] as string[]) : []);
  const pairs = (key: string): Record<string, string> =>
    Object.fromEntries(
      list(key).map((entry) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  return {
    absWorkingDir: join(root, codeUri),
    entryPoints: list('EntryPoints'),
    bundle: true,
    platform: 'node',
    format: props.Format === 'esm' ? 'esm' : 'cjs',
    minify: props.Minify === true,
    sourcemap: props.Sourcemap === true,
    target: typeof props.Target === 'string' ? props.Target : 'es2020',
    // SAM passes a string as `--main-fields=module,main` (a YAML list would become `--main-fields:module`, which esbuild refuses).
    mainFields: typeof props.MainFields === 'string' ? props.MainFields.split(',') : undefined,
    outExtension: pairs('OutExtension'),
    banner: pairs('Banner'),
    external: list('External'),
    outdir,
    logLevel: 'silent',
    metafile: true,
  };
};

/** Every file under a folder (recursive). */
export const listFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
};

/** Builds one function's artefact folder; what the Makefile's `build-<LogicalId>` targets run. */
export const buildFunction = async (entry: string, outdir: string, workingDir = process.cwd()) => {
  await mkdir(outdir, { recursive: true });
  // A rebuild into the same folder must not leave chunks of an older build beside the new ones.
  for (const name of await readdir(outdir)) {
    if (name === 'chunks' || /^handler\.mjs(\.map)?$/.test(name))
      await rm(join(outdir, name), { recursive: true });
  }
  const result = await build(functionBuildOptions(entry, outdir, workingDir));
  await rootRelativeSources(outdir, workingDir);
  return result;
};

/**
 * The CLI build: cli/main.ts split per command; dependencies stay in node_modules. The chunks sit
 * directly in dist/, one folder below the project like the sources they come from, so a module's
 * `new URL('../statemachines/x.asl.json', import.meta.url)` finds the same file built or not.
 */
export const cliBuildOptions = (workingDir = root): BuildOptions => ({
  absWorkingDir: workingDir,
  entryPoints: { [CLI_NAME]: 'cli/main.ts' },
  bundle: true,
  splitting: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: 'linked',
  outExtension: { '.js': '.mjs' },
  chunkNames: `${CLI_NAME}-[name]-[hash]`,
  outdir: join(workingDir, 'dist'),
  logLevel: 'warning',
  metafile: true,
});

/** Name of the CLI's entry file (dist/rekey-cli.mjs), prefix of its chunks, name of its inputs list. */
export const CLI_NAME = 'rekey-cli';

/**
 * Builds the CLI into dist/ and records its project source files in dist/rekey-cli.json, which
 * bin/rekey.mjs compares with the sources' modification times to notice a stale build.
 */
export const buildCli = async (workingDir = root) => {
  const outdir = join(workingDir, 'dist');
  await mkdir(outdir, { recursive: true });
  for (const name of await readdir(outdir)) {
    if (name.startsWith(CLI_NAME)) await rm(join(outdir, name), { force: true });
  }
  const result = await build(cliBuildOptions(workingDir));
  const inputs = Object.keys(result.metafile?.inputs ?? {}).filter((p) => !p.startsWith('node_modules/'));
  await writeFile(join(outdir, `${CLI_NAME}.json`), `${JSON.stringify({ builtAt: Date.now(), inputs })}\n`);
  return { outdir, main: join(outdir, `${CLI_NAME}.mjs`), inputs };
};

/** Runs a makefile function's target the way aws-lambda-builders' CustomMake workflow does. */
export const runMakeTarget = async (logicalId: string, artifactsDir: string, workingDir = root) => {
  await mkdir(artifactsDir, { recursive: true });
  await run('make', ['--makefile', join(workingDir, 'Makefile'), `build-${logicalId}`], {
    cwd: workingDir,
    env: { ...process.env, ARTIFACTS_DIR: artifactsDir },
  });
};

/** Project files an artefact folder was built from, read from the source maps beside its chunks. */
export const artefactInputs = async (outdir: string): Promise<string[]> => {
  const inputs = new Set<string>();
  for (const file of await listFiles(outdir)) {
    if (!file.endsWith('.map')) continue;
    for (const source of (JSON.parse(await readFile(file, 'utf8')) as { sources: string[] }).sources) {
      if (!source.includes('node_modules/')) inputs.add(source);
    }
  }
  return [...inputs].sort();
};

/**
 * Builds one function the way `sam build` would from its template metadata: `BuildMethod:
 * makefile` through the Makefile target, `BuildMethod: esbuild` with its BuildProperties.
 * Returns the handler file and the project files bundled into the artefact.
 */
export const buildAsSam = async (fn: FunctionDefinition, method: unknown, artifactsDir: string) => {
  const handlerFile = join(artifactsDir, `${fn.handlerFile}.mjs`);
  if (method === 'makefile') {
    await runMakeTarget(fn.logicalId, artifactsDir);
    return { handlerFile, inputs: await artefactInputs(artifactsDir) };
  }
  if (method === 'esbuild') {
    const result = await build(esbuildOptionsFor(fn.buildProperties, fn.codeUri, artifactsDir));
    const inputs = Object.keys(result.metafile?.inputs ?? {})
      .map((p) => relative(root, join(root, fn.codeUri, p)))
      .filter((p) => !p.includes('node_modules'));
    return { handlerFile, inputs };
  }
  throw new Error(`${fn.logicalId}: BuildMethod ${String(method)} is neither makefile nor esbuild`);
};

/** Builds every function into dist/functions/<LogicalId>/ as `sam build` would. */
export const buildAll = async (outRoot = join(root, 'dist', 'functions')) => {
  const results: {
    logicalId: string;
    outdir: string;
    handlerFile: string;
    bytes: number;
    fn: FunctionDefinition;
  }[] = [];
  for (const fn of functionsOf(await loadTemplate())) {
    const outdir = join(outRoot, fn.logicalId);
    await rm(outdir, { recursive: true, force: true });
    await runMakeTarget(fn.logicalId, outdir);
    const handlerFile = join(outdir, `${fn.handlerFile}.mjs`);
    results.push({ logicalId: fn.logicalId, outdir, handlerFile, bytes: (await stat(handlerFile)).size, fn });
  }
  return results;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [what, entry, outdir] = process.argv.slice(2);
  if (what === 'function') {
    if (!entry || !outdir) {
      console.error(
        'Usage: tsx scripts/build.ts function <entry.ts> <outdir> (outdir: $(ARTIFACTS_DIR) under sam build)',
      );
      process.exit(2);
    }
    await buildFunction(entry, resolve(outdir));
  } else if (what === 'cli') {
    const cli = await buildCli();
    console.log(`rekey CLI -> ${relative(root, cli.main)}`);
  } else if (what === undefined) {
    for (const r of await buildAll()) {
      console.log(
        `${r.logicalId}: handler ${(r.bytes / 1024).toFixed(0)} KiB -> ${relative(root, r.outdir)}`,
      );
    }
    const cli = await buildCli();
    console.log(`rekey CLI -> ${relative(root, cli.main)}`);
  } else {
    console.error(
      `Unknown build '${what}': use no argument (everything), 'cli', or 'function <entry.ts> <outdir>'.`,
    );
    process.exit(2);
  }
}
