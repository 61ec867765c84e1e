/**
 * Builds a function the way `sam build` does, derived from aws-lambda-builders' source (the
 * library `sam build` runs), not from this project's build script:
 *
 * - `BuildMethod: esbuild` is the `nodejs_npm_esbuild` workflow. SAM CLI turns each
 *   BuildProperties key from PascalCase to snake_case (`MainFields` -> `main_fields`); the
 *   workflow's EsbuildCommandBuilder then runs the esbuild binary from the project's
 *   `node_modules/.bin` in the build directory with: the entry points, then `--bundle
 *   --platform=node --outdir=<artifacts>` (plus `--target=es2020`, `--format=cjs`, `--minify`
 *   when those keys are absent), then one argument per property in template order, kebab-cased:
 *   `true` -> `--key`, `false` -> nothing, a string -> `--key=value`, a list -> `--key:item` per
 *   item; `bundle`, `platform`, `outdir`, `entry_points` and `use_npm_ci` are not passed. Any
 *   other value type fails the build. `External: ['./node_modules/*']` marks every package.json
 *   dependency external instead.
 * - `BuildMethod: makefile` is the `custom_make` workflow: `make --makefile <Makefile>
 *   build-<LogicalId>` with `ARTIFACTS_DIR` in the environment, in the build directory.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from '../../../scripts/template.js';

const run = promisify(execFile);
export const projectRoot = new URL('../../..', import.meta.url).pathname;

export interface BuildCommand {
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
}

const NON_CONFIGURABLE = new Set(['bundle', 'platform', 'outdir']);
const IGNORED = new Set(['use_npm_ci', 'entry_points']);
const snake = (key: string): string => key.replace(/(?<!^)(?=[A-Z])/g, '_').toLowerCase();
const kebab = (key: string): string => key.replaceAll('_', '-');

/** The command `sam build` runs for one function of the template. */
export const samBuildCommand = async (
  template: Template,
  logicalId: string,
  artifactsDir: string,
): Promise<BuildCommand> => {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`${logicalId} is not a resource of the template`);
  const metadata = resource.Metadata ?? {};
  const codeUri = String(resource.Properties?.CodeUri ?? '.');
  const sourceDir = join(projectRoot, codeUri);
  if (metadata.BuildMethod === 'makefile') {
    // SAM CLI: the Makefile sits in ContextPath (default: CodeUri); make runs in
    // ProjectRootDirectory when given, else in the source directory.
    const contextDir = join(projectRoot, String(metadata.ContextPath ?? codeUri));
    const workDir = metadata.ProjectRootDirectory
      ? join(projectRoot, String(metadata.ProjectRootDirectory))
      : sourceDir;
    return {
      command: 'make',
      args: ['--makefile', join(contextDir, 'Makefile'), `build-${logicalId}`],
      cwd: workDir,
      env: { ARTIFACTS_DIR: artifactsDir },
    };
  }
  if (metadata.BuildMethod !== 'esbuild') {
    throw new Error(
      `${logicalId}: BuildMethod ${String(metadata.BuildMethod)} is neither esbuild nor makefile`,
    );
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((metadata.BuildProperties ?? {}) as Record<string, unknown>)) {
    config[snake(key)] = value;
  }
  const entryPoints = config.entry_points;
  if (!Array.isArray(entryPoints) || entryPoints.length === 0) {
    throw new Error(`${logicalId}: EntryPoints must be a non-empty list`);
  }
  const entries: string[] = entryPoints.map((entry: string) => {
    if (extname(entry)) {
      if (!existsSync(join(sourceDir, entry))) throw new Error(`entry point ${entry} does not exist`);
      return entry;
    }
    const withExt = ['.ts', '.js'].map((ext) => entry + ext).find((e) => existsSync(join(sourceDir, e)));
    if (!withExt) throw new Error(`entry point ${entry} does not exist`);
    return withExt;
  });
  const external = Array.isArray(config.external) ? (config.external as string[]) : [];
  const externalDeps: string[] = [];
  if (external.includes('./node_modules/*')) {
    const manifest = JSON.parse(await readFile(join(sourceDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    externalDeps.push(...Object.keys(manifest.dependencies ?? {}).map((d) => `--external:${d}`));
    delete config.external;
  }
  // The builder appends the externals first, then the entry points, the defaults and the properties.
  const args = [...externalDeps, ...entries, '--bundle', '--platform=node', `--outdir=${artifactsDir}`];
  if (!('target' in config)) args.push('--target=es2020');
  if (!('format' in config)) args.push('--format=cjs');
  if (!('minify' in config)) args.push('--minify');
  for (const [key, value] of Object.entries(config)) {
    if (NON_CONFIGURABLE.has(key) || IGNORED.has(key)) continue;
    if (typeof value === 'boolean') {
      if (value) args.push(`--${kebab(key)}`);
    } else if (typeof value === 'string') args.push(`--${kebab(key)}=${value}`);
    else if (Array.isArray(value)) args.push(...value.map((item) => `--${kebab(key)}:${String(item)}`));
    else throw new Error(`${logicalId}: Failed to determine the type of the configuration: ${String(value)}`);
  }
  return { command: join(sourceDir, 'node_modules', '.bin', 'esbuild'), args, cwd: sourceDir };
};

/** Runs the build of one function into `artifactsDir`; rejects with the tool's stderr. */
export const samBuild = async (
  template: Template,
  logicalId: string,
  artifactsDir: string,
): Promise<BuildCommand> => {
  const step = await samBuildCommand(template, logicalId, artifactsDir);
  await mkdir(artifactsDir, { recursive: true });
  try {
    await run(step.command, step.args, { cwd: step.cwd, env: { ...process.env, ...step.env } });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${logicalId}: ${step.command} ${step.args.join(' ')} failed: ${stderr.trim()}`);
  }
  return step;
};
