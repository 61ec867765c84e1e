/**
 * Cold starts, measured side by side in one run on this machine:
 *
 * - module init of each function's artefact exactly as `sam build` makes it (the Makefile
 *   targets), against AWS's own Python PostgreSQL single-user rotation template
 *   (`import lambda_function`, which imports boto3 and PyGreSQL), and the peak RSS of each;
 * - the PostgreSQL rotation's init: the handler plus the chunk its lazy `import()` loads;
 * - the `rekey` CLI (`--help`, `status --help`, run by Node directly) against `node -e 0`,
 *   paired: each run of every command follows a bare run, and the medians are compared.
 *
 * The template is not part of this repository: it is read from REKEY_ROTATION_TEMPLATES (a
 * checkout of github.com/aws-samples/aws-secrets-manager-rotation-lambdas), else from
 * <tmpdir>/aws-secrets-manager-rotation-lambdas, cloned there when missing. Its driver, PyGreSQL
 * (`pg`, `pgdb`), must be importable by REKEY_PYTHON (default `python3`, which needs boto3);
 * when it is not, Debian's python3-pygresql files are put on PYTHONPATH if installed. Without
 * them the template is not measured, and the results say so.
 *
 * `npm run bench:startup` runs this alone and writes bench/results/startup.json and the
 * "Cold starts" section of bench/RESULTS.md; `npm run bench` runs it with the rest.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildAll, buildCli, esbuildOptionsFor, functionBuildOptions, listFiles } from '../scripts/build.js';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.REKEY_BENCH_RUNS ?? 15);
const PROBE = join(root, 'bench', 'startup-probe.mjs');
const TEMPLATE_REPOSITORY = 'https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas';
const TEMPLATE_FOLDER = 'SecretsManagerRDSPostgreSQLRotationSingleUser';
const PYTHON = process.env.REKEY_PYTHON ?? 'python3';

/** Goals of issue 15, as ratios to the template (init, RSS) or to bare Node (CLI). */
export const GOALS = { generatedInit: 0.15, postgresInit: 0.25, peakRss: 1, cli: 2 } as const;

interface Probe {
  /** Wall time to the end of each import step. */
  ms: number[];
  /** CPU time (user + system, every thread of the process) to the end of each import step. */
  cpuMs: number[];
  maxRssKiB: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** Files a module loads before it runs: itself and its static `import`s, transitively. */
export const staticClosure = (file: string, seen = new Set<string>()): Set<string> => {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  // Static imports only (`from"./x.mjs"`, `import"./x.mjs"`); `import("./x.mjs")` waits for use.
  for (const match of code.matchAll(/(?:from|import)\s*"(\.\.?\/[^"]+)"/g)) {
    staticClosure(join(dirname(file), match[1] ?? ''), seen);
  }
  return seen;
};

const kibOf = (files: Iterable<string>): number => {
  let bytes = 0;
  for (const f of files) bytes += readFileSync(f).length;
  return Math.round(bytes / 1024);
};

/** The chunk whose source map lists `source`: what the lazy `import()` of that module loads. */
export const chunkOf = async (outdir: string, source: string): Promise<string> => {
  for (const file of await listFiles(outdir)) {
    if (!file.endsWith('.mjs.map')) continue;
    const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[] };
    if (map.sources.includes(source)) return file.slice(0, -'.map'.length);
  }
  throw new Error(`No chunk of ${outdir} holds ${source}`);
};

const probeNode = (files: string[], nodeOptions: string[] = []): Probe => {
  const child = spawnSync(process.execPath, [...nodeOptions, PROBE, ...files], {
    encoding: 'utf8',
    // As on Lambda: a Region is set, nothing else; logs off so they do not cost the init.
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  if (child.status !== 0) throw new Error(`probe of ${files.join(' ')} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Probe;
};

interface PythonTemplate {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The template's module init, as Lambda's Python runtime does it: the runtime interface client
 * (aws-lambda-python-runtime-interface-client, awslambdaric/bootstrap.py and the modules it
 * imports) has imported these before it imports the handler module, so they are imported first.
 */
const PYTHON_PROBE = (importIt: boolean) => `
import importlib, json, logging, os, sys, time, traceback, decimal, math, enum
try:
    import simplejson
except ImportError:
    pass
import resource
start = time.perf_counter()
cpu = time.process_time()
${importIt ? 'import lambda_function' : ''}
ms = (time.perf_counter() - start) * 1000
cpu_ms = (time.process_time() - cpu) * 1000
print(json.dumps({"ms": [ms], "cpuMs": [cpu_ms], "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

const probePython = (template: PythonTemplate, importIt: boolean): Probe => {
  const child = spawnSync(PYTHON, ['-c', PYTHON_PROBE(importIt)], {
    encoding: 'utf8',
    cwd: template.dir,
    env: template.env,
  });
  if (child.status !== 0) throw new Error(`python probe failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Probe;
};

const canImport = (modules: string, env: NodeJS.ProcessEnv, cwd: string): boolean =>
  spawnSync(PYTHON, ['-c', `import ${modules}`], { env, cwd }).status === 0;

/** Finds or fetches the template and makes its imports work; or says why it cannot. */
const pythonTemplate = (): PythonTemplate | { unavailable: string } => {
  const repo = process.env.REKEY_ROTATION_TEMPLATES ?? join(tmpdir(), 'aws-secrets-manager-rotation-lambdas');
  const dir = join(repo, TEMPLATE_FOLDER);
  if (!existsSync(join(dir, 'lambda_function.py'))) {
    try {
      execFileSync('git', ['clone', '--depth', '1', TEMPLATE_REPOSITORY, repo], { stdio: 'ignore' });
    } catch {
      return {
        unavailable: `the template is not in ${repo} and cloning ${TEMPLATE_REPOSITORY} failed; set REKEY_ROTATION_TEMPLATES to a checkout`,
      };
    }
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_REGION: 'us-east-1' };
  if (!canImport('boto3', env, dir)) return { unavailable: `${PYTHON} cannot import boto3` };
  if (!canImport('pg, pgdb', env, dir)) {
    // Debian's python3-pygresql, alone on the path (not all of dist-packages, which would
    // shadow the interpreter's own boto3).
    const debian = '/usr/lib/python3/dist-packages';
    const files = existsSync(debian)
      ? readdirSync(debian).filter((f) => f === 'pg.py' || f === 'pgdb.py' || /^_pg\..*\.so$/.test(f))
      : [];
    if (files.length >= 3) {
      const only = mkdtempSync(join(tmpdir(), 'rekey-pygresql-'));
      for (const f of files) symlinkSync(join(debian, f), join(only, f));
      env.PYTHONPATH = only;
    }
    if (!canImport('pg, pgdb', env, dir)) {
      return {
        unavailable: `${PYTHON} cannot import the template's driver PyGreSQL (pg, pgdb): install it (pip install PyGreSQL, or Debian's python3-pygresql for the same Python version)`,
      };
    }
  }
  return { dir, env };
};

/**
 * What the rest of init is made of: each library the functions import at module scope, alone,
 * built the same way. The SDK client is the floor: every step calls Secrets Manager at once, so
 * deferring its load to the first invocation would move its cost, not cut it.
 */
const REFERENCES: { name: string; code: string }[] = [
  {
    name: 'reference: Secrets Manager SDK client alone',
    code: "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\nexport const client = new SecretsManagerClient({});\n",
  },
  {
    name: 'reference: Powertools Logger alone',
    code: "import { Logger } from '@aws-lambda-powertools/logger';\nexport const logger = new Logger({ serviceName: 'x' });\n",
  },
  {
    name: 'reference: middy alone',
    code: "import middy from '@middy/core';\nexport const handler = middy(async () => {});\n",
  },
];

/** template.yaml's esbuild metadata of the rotation function before the Makefile build. */
const BEFORE_PROPERTIES = {
  Format: 'esm',
  Minify: true,
  Target: 'es2022',
  Sourcemap: true,
  OutExtension: ['.js=.mjs'],
  MainFields: ['module', 'main'],
  Banner: ["js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"],
  EntryPoints: ['functions/secret-rotation/handler.ts'],
};

const buildReferences = async (): Promise<{
  dir: string;
  files: { name: string; file: string }[];
  before: string;
}> => {
  const dir = mkdtempSync(join(root, 'dist', 'bench-references-'));
  const files = [];
  for (const [i, reference] of REFERENCES.entries()) {
    const entry = join(dir, `entry-${i}.ts`);
    writeFileSync(entry, reference.code);
    await build(functionBuildOptions(relative(root, entry), join(dir, `out-${i}`)));
    files.push({ name: reference.name, file: join(dir, `out-${i}`, 'handler.mjs') });
  }
  await build(esbuildOptionsFor(BEFORE_PROPERTIES, './', join(dir, 'before')));
  return { dir, files, before: join(dir, 'before', 'handler.mjs') };
};

/** Medians of one measure, and its ratio to the template's (or bare Node's) median. */
export interface Timing {
  /** Wall time: what a user waits, inflated when other processes share the CPUs. */
  wallMs: number;
  /** CPU time (user + system, all threads): the work done, much less sensitive to a busy machine. */
  cpuMs: number;
  wallRatio?: number;
  cpuRatio?: number;
}

export interface InitResult {
  case: string;
  /** KiB of JavaScript loaded before the handler runs (handler and its static imports). */
  loadedKiB: number;
  init: Timing;
  peakRssMiB: number;
  rssVsTemplate?: number;
  /** Peak RSS above the bare runtime's, against the template's above bare python3. */
  addedRssMiB: number;
  addedRssVsTemplate?: number;
}

export interface StartupResults {
  runs: number;
  /** Load average when the run started (1 minute): a busy machine inflates wall times. */
  loadAverage: number;
  template: { init: Timing; peakRssMiB: number; bareRssMiB: number } | { unavailable: string };
  nodeBareRssMiB: number;
  functions: InitResult[];
  cli: { bare: Timing; commands: { command: string; start: Timing }[] };
  /** Where the generated-secret init spends its time, from \`--cpu-prof\` (sampled ms by kind). */
  initProfile: Record<string, number>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/**
 * One \`node --cpu-prof\` run of the probe, its samples' self time summed by kind: V8 compiling
 * the artefact's modules, Node loading its own built-in modules, garbage collection, the
 * artefact's code running (module evaluation), Node's module loader, and the rest.
 */
const profileInit = (files: string[]): Record<string, number> => {
  const dir = mkdtempSync(join(tmpdir(), 'rekey-cpu-prof-'));
  const child = spawnSync(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', PROBE, ...files],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    },
  );
  const [from, to] = (JSON.parse(child.stdout) as { window: [number, number] }).window;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file ?? ''), 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  rmSync(dir, { recursive: true, force: true });
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const kinds: Record<string, number> = {};
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    // Only the imports: not Node's own start before the probe, nor its exit.
    if (at < from || at > to) return;
    const frame = byId.get(id);
    const name = frame?.functionName ?? '';
    const url = frame?.url ?? '';
    const kind =
      name === 'compileSourceTextModule'
        ? 'V8 compiling the artefact'
        : name === '(garbage collector)'
          ? 'garbage collection'
          : url.startsWith('file://') && files.some((f) => url.includes(dirname(f)))
            ? 'artefact code running'
            : name === 'compileForInternalLoader' ||
                name === 'requireBuiltin' ||
                /^node:(?!internal\/modules)/.test(url)
              ? 'Node built-ins loading'
              : url.includes('internal/modules')
                ? "Node's module loader"
                : 'other (V8 and Node native work)';
    kinds[kind] = (kinds[kind] ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
  });
  return Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, round(v)]));
};

const timing = (probes: Probe[], base?: { wallMs: number; cpuMs: number }): Timing => {
  const wallMs = median(probes.map((p) => p.ms.at(-1) ?? Number.NaN));
  const cpuMs = median(probes.map((p) => p.cpuMs.at(-1) ?? Number.NaN));
  return {
    wallMs: round(wallMs),
    cpuMs: round(cpuMs),
    ...(base ? { wallRatio: round(wallMs / base.wallMs, 2), cpuRatio: round(cpuMs / base.cpuMs, 2) } : {}),
  };
};

export const benchStartup = async (): Promise<StartupResults> => {
  const loadAverage = round(loadavg()[0] ?? 0, 2);
  const built = await buildAll();
  await buildCli();
  const references = await buildReferences();
  const rotation = built.find((b) => b.logicalId === 'SecretRotationFunction');
  const cases: { name: string; files: string[]; nodeOptions?: string[] }[] = built.map((b) => ({
    name: b.logicalId === 'SecretRotationFunction' ? `${b.logicalId} (generated secret)` : b.logicalId,
    files: [b.handlerFile],
  }));
  if (rotation) {
    const postgres = await chunkOf(rotation.outdir, 'functions/secret-rotation/rotators/postgres.ts');
    cases.splice(1, 0, {
      name: 'SecretRotationFunction (PostgreSQL secret)',
      files: [rotation.handlerFile, postgres],
    });
  }
  for (const reference of references.files) cases.push({ name: reference.name, files: [reference.file] });
  // The rotation function as deployed before the Makefile build, for comparison.
  cases.push(
    {
      name: 'before: SAM esbuild (one file) with --enable-source-maps',
      files: [references.before],
      nodeOptions: ['--enable-source-maps'],
    },
    { name: 'before: SAM esbuild (one file), no --enable-source-maps', files: [references.before] },
  );

  const template = pythonTemplate();
  const samples = new Map<string, Probe[]>(cases.map((c) => [c.name, []]));
  const templateSamples: Probe[] = [];
  const templateBare: Probe[] = [];
  const nodeBare: Probe[] = [];
  for (let i = 0; i < RUNS; i++) {
    nodeBare.push(probeNode([]));
    for (const c of cases) samples.get(c.name)?.push(probeNode(c.files, c.nodeOptions));
    if ('dir' in template) {
      templateSamples.push(probePython(template, true));
      templateBare.push(probePython(template, false));
    }
  }
  const mib = (kib: number) => round(kib / 1024);
  const templateInit = templateSamples.length ? timing(templateSamples) : undefined;
  const templateRss = templateSamples.length ? median(templateSamples.map((s) => s.maxRssKiB)) : undefined;
  const nodeBareRss = median(nodeBare.map((s) => s.maxRssKiB));
  const templateAdded = templateRss ? templateRss - median(templateBare.map((s) => s.maxRssKiB)) : undefined;
  const functions = cases.map((c): InitResult => {
    const probes = samples.get(c.name) ?? [];
    const rss = median(probes.map((p) => p.maxRssKiB));
    const loaded = new Set<string>();
    for (const f of c.files) staticClosure(f, loaded);
    return {
      case: c.name,
      loadedKiB: kibOf(loaded),
      init: timing(probes, templateInit),
      peakRssMiB: mib(rss),
      ...(templateRss ? { rssVsTemplate: round(rss / templateRss, 2) } : {}),
      addedRssMiB: mib(rss - nodeBareRss),
      ...(templateAdded ? { addedRssVsTemplate: round((rss - nodeBareRss) / templateAdded, 2) } : {}),
    };
  });

  await rm(references.dir, { recursive: true, force: true });
  return {
    runs: RUNS,
    loadAverage,
    template:
      'dir' in template && templateInit && templateRss
        ? {
            init: templateInit,
            peakRssMiB: mib(templateRss),
            bareRssMiB: mib(median(templateBare.map((s) => s.maxRssKiB))),
          }
        : { unavailable: 'unavailable' in template ? template.unavailable : 'no samples' },
    nodeBareRssMiB: mib(nodeBareRss),
    functions,
    cli: benchCli(),
    initProfile: rotation ? profileInit([rotation.handlerFile]) : {},
  };
};

/** Writes the child's CPU time at exit; loaded with --require (CommonJS), so bare `node -e 0` stays bare. */
const CPU_HOOK = `process.on('exit', () => {
  const u = process.cpuUsage();
  require('node:fs').writeFileSync(process.env.REKEY_CPU_FILE, String((u.user + u.system) / 1000));
});
`;

/**
 * `rekey` as a user runs it (bin/rekey.mjs by Node, the build present), paired with `node -e 0`:
 * each run of a command follows a bare run. CPU time comes from a tiny CommonJS exit hook that
 * both the bare and the CLI processes load the same way.
 */
const benchCli = (): StartupResults['cli'] => {
  const bin = join(root, 'bin', 'rekey.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'rekey-cli-bench-'));
  const hook = join(dir, 'cpu-hook.cjs');
  const cpuFile = join(dir, 'cpu');
  writeFileSync(hook, CPU_HOOK);
  // The last one is the CLI before this build: every command through tsx.
  const commands = [
    { name: 'rekey --help', args: [bin, '--help'] },
    { name: 'rekey status --help', args: [bin, 'status', '--help'] },
    {
      name: 'before: rekey --help through tsx',
      args: ['--import', 'tsx', join(root, 'cli', 'main.ts'), '--help'],
    },
  ];
  const timed = (args: string[]): Probe => {
    const start = performance.now();
    const child = spawnSync(process.execPath, ['--require', hook, ...args], {
      encoding: 'utf8',
      env: { ...process.env, REKEY_CPU_FILE: cpuFile },
    });
    const ms = performance.now() - start;
    if (child.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${child.stderr}`);
    // The build must be what runs: bin/rekey.mjs says on stderr when it falls back to tsx.
    if (args[0] === bin && child.stderr !== '')
      throw new Error(`node ${args.join(' ')} did not run the build: ${child.stderr}`);
    return { ms: [ms], cpuMs: [Number(readFileSync(cpuFile, 'utf8'))], maxRssKiB: 0 };
  };
  const bare: Probe[] = [];
  const runs = commands.map(() => [] as Probe[]);
  for (let i = 0; i < RUNS * 2; i++) {
    commands.forEach((command, c) => {
      bare.push(timed(['-e', '0']));
      runs[c]?.push(timed(command.args));
    });
  }
  rmSync(dir, { recursive: true, force: true });
  const base = timing(bare);
  return {
    bare: base,
    commands: commands.map((command, c) => ({
      command: command.name,
      start: timing(runs[c] ?? [], base),
    })),
  };
};

const mark = (ok: boolean) => (ok ? 'met' : '**not met**');

const verdict = (ratio: number | undefined, goal: number): string =>
  ratio === undefined ? 'not measured' : `${ratio}×, ${mark(ratio <= goal)}`;

/** The "Cold starts" section of bench/RESULTS.md. */
export const startupMarkdown = (r: StartupResults): string => {
  const t = r.template;
  const templateLine =
    'unavailable' in t
      ? `AWS's Python PostgreSQL single-user template could not be measured: ${t.unavailable}. Ratios to it are missing.`
      : `AWS's Python PostgreSQL single-user template (\`import lambda_function\`: boto3 and PyGreSQL): **${t.init.cpuMs} ms CPU** (${t.init.wallMs} ms wall) module init, peak RSS ${t.peakRssMiB} MiB (bare \`python3\`: ${t.bareRssMiB} MiB; bare \`node\`: ${r.nodeBareRssMiB} MiB).`;
  const rows = r.functions
    .map(
      (f) =>
        `| ${f.case} | ${f.loadedKiB} | ${f.init.cpuMs} | ${f.init.cpuRatio ?? '–'} | ${f.init.wallMs} | ${f.init.wallRatio ?? '–'} | ${f.peakRssMiB} | ${f.rssVsTemplate ?? '–'} | ${f.addedRssMiB} | ${f.addedRssVsTemplate ?? '–'} |`,
    )
    .join('\n');
  const gen = r.functions.find((f) => f.case.includes('generated'));
  const pgr = r.functions.find((f) => f.case.includes('PostgreSQL'));
  const rssOk = (gen?.rssVsTemplate ?? 2) <= GOALS.peakRss && (pgr?.rssVsTemplate ?? 2) <= GOALS.peakRss;
  const goals =
    'unavailable' in t
      ? ''
      : `Goals, on CPU time: generated-secret init ≤ ${GOALS.generatedInit}× the template's: ${verdict(gen?.init.cpuRatio, GOALS.generatedInit)}; PostgreSQL init ≤ ${GOALS.postgresInit}×: ${verdict(pgr?.init.cpuRatio, GOALS.postgresInit)}; peak RSS ≤ the template's: ${gen?.rssVsTemplate}× and ${pgr?.rssVsTemplate}×, ${mark(rssOk)} (a bare \`node\` process alone is ${r.nodeBareRssMiB} MiB; what the artefacts add to it is ${gen?.addedRssVsTemplate}× and ${pgr?.addedRssVsTemplate}× what the template adds to bare \`python3\`).`;
  const ref = (name: string) => r.functions.find((f) => f.case.includes(name))?.init.cpuMs;
  const before = r.functions.find((f) => f.case.includes('with --enable-source-maps'));
  const floor = `What the generated-secret init is made of (CPU ms): the Secrets Manager SDK client alone ${ref('SDK client alone')}, Powertools' Logger alone ${ref('Powertools')}, middy alone ${ref('middy')}, of ${gen?.init.cpuMs} in all. The SDK client is the floor: every step calls Secrets Manager first thing, so loading it on first use would move its cost into the first invocation rather than cut it (and lose it from initializations Lambda runs ahead of invocations); it stays at module scope. Before this build (SAM's esbuild, one file, \`--enable-source-maps\`) the same init took ${before?.init.cpuMs} ms CPU (${before?.init.cpuRatio ?? '–'}× the template).`;
  const profileRows = Object.entries(r.initProfile)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, ms]) => `| ${kind} | ${ms} |`)
    .join('\n');
  const cliRows = r.cli.commands
    .map(
      (c) =>
        `| ${c.command.startsWith('before') ? c.command : `\`${c.command}\``} | ${c.start.cpuMs} | ${c.start.cpuRatio}× | ${c.start.wallMs} | ${c.start.wallRatio}× |`,
    )
    .join('\n');
  const cliOk = r.cli.commands
    .filter((c) => !c.command.startsWith('before'))
    .every((c) => (c.start.cpuRatio ?? 99) <= GOALS.cli);
  return `## Cold starts (\`npm run bench:startup\`; medians of ${r.runs} fresh processes per case, interleaved)

Module init = a fresh process in the state Lambda's runtime interface client leaves it in before it
loads the handler (Node: an ES module that has required http, net, util, fs and path; Python: the
modules awslambdaric imports) imports the artefact \`sam build\` makes (the Makefile targets: split
chunks, source maps beside them, no \`--enable-source-maps\`), or the template's \`lambda_function\`;
the PostgreSQL case also imports the chunk its rotator's lazy \`import()\` loads. CPU time is the
process's (user + system, every thread: Node's compiler and GC threads count against it, Python
has one thread); wall time is shown too, but the machine's load average was ${r.loadAverage} on
its CPUs, so wall times carry other processes' waits. Peak RSS is the whole process's.
${templateLine}

| case | KiB loaded at init | init CPU ms | × template | init wall ms | × template | peak RSS MiB | × template | RSS above bare runtime, MiB | × template's |
|---|---|---|---|---|---|---|---|---|---|
${rows}

${goals}

${floor}

Where the generated-secret init goes, from one \`node --cpu-prof\` run (sampled self time; the
profiler slows everything, so the shares matter, not the sums):

| kind | ms |
|---|---|
${profileRows}

The CLI, run by Node directly from the precompiled build (\`node bin/rekey.mjs …\`), against
\`node -e 0\` (${r.cli.bare.cpuMs} ms CPU, ${r.cli.bare.wallMs} ms wall), paired; goal ≤ ${GOALS.cli}× (CPU time): ${mark(cliOk)}.

| command | CPU ms | × bare node | wall ms | × bare node |
|---|---|---|---|---|
${cliRows}
`;
};

const BEGIN = '<!-- startup:begin -->';
const END = '<!-- startup:end -->';

/** Writes results/startup.json and replaces (or appends) the section in RESULTS.md. */
export const writeStartupResults = async (r: StartupResults, date = new Date().toISOString()) => {
  const { readFile, writeFile } = await import('node:fs/promises');
  await writeFile(
    new URL('./results/startup.json', import.meta.url),
    `${JSON.stringify({ date, node: process.version, ...r }, null, 2)}\n`,
  );
  const file = new URL('./RESULTS.md', import.meta.url);
  const current = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmark results\n';
  const section = `${BEGIN}\n${startupMarkdown(r)}\nMeasured ${date} on Node ${process.version}. Raw numbers: \`results/startup.json\`.\n${END}`;
  const at = current.indexOf(BEGIN);
  const next =
    at >= 0
      ? `${current.slice(0, at)}${section}${current.slice(current.indexOf(END) + END.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = await benchStartup();
  console.log(startupMarkdown(results));
  await writeStartupResults(results);
  console.log('wrote bench/results/startup.json and the Cold starts section of bench/RESULTS.md');
}
