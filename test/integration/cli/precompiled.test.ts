/**
 * The `rekey` bin as an installed checkout runs it: `npm ci` runs `prepare`, which builds the
 * CLI into dist/rekey-cli*.mjs; bin/rekey.mjs then runs that build with Node alone, each command loading
 * only its own chunks. Without a build, or with a source newer than the build, it runs the
 * TypeScript through tsx and says so. Checked in a copy of the project (bin, cli and what it
 * imports; node_modules linked), so the test never touches this checkout's own build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../scripts/build.js';

const root = new URL('../../..', import.meta.url).pathname;
let project: string;

/** Records every module file the process loads, into the file named by REKEY_TEST_LOADED. */
const RECORDER = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.REKEY_TEST_LOADED, JSON.stringify(loaded)));
`;

const rekey = (args: string[]) => {
  const loadedFile = join(project, `loaded-${Math.random().toString(36).slice(2)}.json`);
  const child = spawnSync(
    process.execPath,
    ['--import', join(project, 'recorder.mjs'), join(project, 'bin', 'rekey.mjs'), ...args],
    { encoding: 'utf8', env: { ...process.env, REKEY_TEST_LOADED: loadedFile } },
  );
  return { ...child, loadedFile };
};

const loadedFiles = async (file: string): Promise<string[]> =>
  (JSON.parse(await readFile(file, 'utf8')) as string[])
    .filter((url) => url.startsWith(`file://${project}/`))
    .map((url) => url.slice(`file://${project}/`.length));

/** The CLI build as `prepare` makes it, into the copy's dist/. */
const buildCopy = () => buildCli(project);

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'rekey-cli-copy-'));
  for (const dir of ['bin', 'cli', 'functions', 'local', 'statemachines', 'types']) {
    await cp(join(root, dir), join(project, dir), { recursive: true });
  }
  for (const file of ['package.json', 'template.yaml', 'tsconfig.json']) {
    await cp(join(root, file), join(project, file));
  }
  await symlink(join(root, 'node_modules'), join(project, 'node_modules'));
  await writeFile(join(project, 'recorder.mjs'), RECORDER);
  // Sources older than the build, as after a fresh clone and `npm ci`.
  const past = new Date(Date.now() - 3_600_000);
  for (const file of ['cli/status.ts', 'cli/main.ts']) await utimes(join(project, file), past, past);
  await buildCopy();
}, 60_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('rekey from the precompiled build', () => {
  it('prints the help with Node alone, loading the build and no TypeScript', async () => {
    const run = rekey(['--help']);

    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: rekey <command>/);
    const loaded = await loadedFiles(run.loadedFile);
    expect(loaded).toContain('dist/rekey-cli.mjs');
    expect(loaded.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(loaded.filter((f) => f.startsWith('node_modules/tsx/'))).toEqual([]);
  });

  it("loads only the chunks of the command it runs: 'status --help' loads neither the local endpoint nor another command", async () => {
    const run = rekey(['status', '--help']);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: rekey status/);
    const loaded = await loadedFiles(run.loadedFile);
    const chunks = loaded.filter((f) => f.startsWith('dist/rekey-cli-'));
    expect(chunks.some((f) => /^dist\/rekey-cli-status-[A-Z0-9]+\.mjs$/.test(f))).toBe(true);
    for (const other of [
      'local',
      'doctor',
      'rotate-key',
      'rotate-secret',
      'rotate-fleet',
      'sweep-certificates',
      'endpoint',
    ]) {
      expect(
        chunks.filter((f) => new RegExp(`^dist/rekey-cli-${other}-[A-Z0-9]+\\.mjs$`).test(f)),
        other,
      ).toEqual([]);
    }
    // Nothing from node_modules (the AWS SDK) is needed to print a command's help.
    expect(loaded.filter((f) => f.startsWith('node_modules/'))).toEqual([]);
  });

  it("finds the files modules read beside their sources ('../statemachines/...' from import.meta.url)", async () => {
    const chunks = (await readdir(join(project, 'dist'))).filter((f) => f.endsWith('.mjs'));
    const targets: string[] = [];
    for (const chunk of chunks) {
      const code = await readFile(join(project, 'dist', chunk), 'utf8');
      for (const match of code.matchAll(/new URL\(\s*["'](\.\.?\/[^"']+)["'],\s*import\.meta\.url\s*\)/g)) {
        targets.push(new URL(match[1] ?? '', `file://${project}/dist/${chunk}`).pathname);
      }
    }
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(existsSync(target), target).toBe(true);
  });

  it('runs the TypeScript through tsx, and says so, when a source changed after the build', async () => {
    await utimes(join(project, 'cli', 'status.ts'), new Date(), new Date());

    const run = rekey(['status', '--help']);

    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      'running the TypeScript sources through tsx (cli/status.ts changed after the build',
    );
    expect(run.stdout).toMatch(/^Usage: rekey status/);
    expect((await loadedFiles(run.loadedFile)).filter((f) => f.startsWith('dist/rekey-cli'))).toEqual([]);

    await buildCopy();
    const rebuilt = rekey(['status', '--help']);
    expect(rebuilt.stderr).toBe('');
  });

  it('runs the TypeScript through tsx, and says so, in a checkout without the build', async () => {
    await rm(join(project, 'dist'), { recursive: true });

    const run = rekey(['--help']);

    expect(run.status).toBe(0);
    expect(run.stderr).toContain('running the TypeScript sources through tsx (no build in dist/');
    expect(run.stdout).toMatch(/^Usage: rekey <command>/);
  });
});
