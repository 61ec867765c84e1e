/**
 * The deployed artefacts, built the way `sam build` builds them and run the way Lambda runs them.
 *
 * Build: template.yaml says `BuildMethod: makefile`, so sam build runs aws-lambda-builders'
 * CustomMake workflow: it copies the source (CodeUri) to a scratch folder, skipping .git and
 * .aws-sam, and runs `make --makefile <CodeUri>/Makefile build-<LogicalId>` there with
 * ARTIFACTS_DIR set. This test does the same (node_modules linked into the copy rather than
 * copied, to save half a gigabyte), then runs each step of a rotation in a fresh Node process,
 * as a cold Lambda container: import `handler.mjs`, call the export `Handler` names with an
 * events/ sample aimed at the local endpoint, and record which chunk files the process loaded.
 * Values of secrets are compared, never printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, runMakeTarget } from '../../../scripts/build.js';
import {
  type FunctionDefinition,
  functionsOf,
  loadTemplate,
  type Template,
} from '../../../scripts/template.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import {
  type PrivatePostgres,
  pgCanLogin,
  pgDropRoles,
  randomSuffix,
  startPrivatePostgres,
} from '../helpers/databases.js';

const root = new URL('../../..', import.meta.url).pathname;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CRASH = 'rekey-artefact-test-crash';
const STEPS = ['create', 'set', 'test', 'finish'] as const;

let template: Template;
let functions: FunctionDefinition[];
let scratch: string;
let artefacts: string;
let endpoint: TestEndpoint;
let sm: SecretsManagerClient;
let postgres: PrivatePostgres | undefined;
let admin: pg.Client | undefined;
const created: string[] = [];
const roles: string[] = [];

/** Driver chunks of the rotation artefact by engine: the chunks whose maps list the driver's files. */
const driverChunks = new Map<string, Set<string>>();
const DRIVERS: Record<string, RegExp> = {
  postgres: /(^|\/)node_modules\/pg(-[a-z-]+)?\//,
  mysql: /(^|\/)node_modules\/mysql2\//,
  redis: /(^|\/)node_modules\/@redis\//,
};

beforeAll(async () => {
  template = await loadTemplate();
  functions = functionsOf(template);
  // The scratch copy CustomMake makes (CopySourceAction, excluding .aws-sam and .git).
  scratch = await mkdtemp(join(tmpdir(), 'rekey-sam-scratch-'));
  await cp(root, scratch, {
    recursive: true,
    filter: (source) => !/\/(\.git|\.aws-sam|node_modules|dist|tmp)$/.test(source.slice(root.length - 1)),
  });
  await symlink(join(root, 'node_modules'), join(scratch, 'node_modules'));
  artefacts = await mkdtemp(join(tmpdir(), 'rekey-sam-build-'));
  for (const fn of functions) {
    if (template.Resources[fn.logicalId]?.Metadata?.BuildMethod !== 'makefile') continue;
    // CustomMake: cwd the scratch copy, the Makefile of the source, ARTIFACTS_DIR per function.
    await runMakeTarget(fn.logicalId, join(artefacts, fn.logicalId), scratch);
  }
  for (const [engine, pattern] of Object.entries(DRIVERS)) {
    const chunks = new Set<string>();
    for (const file of await listFiles(join(artefacts, 'SecretRotationFunction'))) {
      if (!file.endsWith('.mjs.map')) continue;
      const map = JSON.parse(await readFile(file, 'utf8')) as { sources: string[] };
      if (map.sources.some((s) => pattern.test(s))) chunks.add(file.slice(0, -'.map'.length));
    }
    driverChunks.set(engine, chunks);
  }

  endpoint = await startTestEndpoint();
  sm = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
  });
  // A rotation function that dies at once: RotateSecret still leaves the empty AWSPENDING
  // placeholder, and the test then invokes the built artefact for each step itself.
  endpoint.lambdas.register(CRASH, async () => {
    throw new Error('simulated crash before any step');
  });
}, 120_000);

afterAll(async () => {
  for (const arn of created) {
    await sm
      ?.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }))
      .catch(() => {});
  }
  sm?.destroy();
  await endpoint?.close();
  if (admin) {
    await pgDropRoles(admin, roles);
    await admin.end();
  }
  await postgres?.stop();
  for (const dir of [scratch, artefacts]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs in the child: import the handler, invoke it once, report loaded files and any error. */
const INVOKE = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const [handlerUrl, exportName, eventJson, reportFile] = process.argv.slice(1);
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
let error;
try {
  const mod = await import(handlerUrl);
  await mod[exportName](JSON.parse(eventJson), {});
} catch (e) {
  error = { name: e?.name, stack: String(e?.stack) };
}
writeFileSync(reportFile, JSON.stringify({ loaded, error }));
`;

interface Invocation {
  loaded: string[];
  error?: { name: string; stack: string };
  /** What the function printed (its JSON log lines; Powertools writes errors to stderr). */
  output: string;
}

/** One cold invocation of a built function, in a fresh process, as Lambda's Node runtime does it. */
const invoke = async (logicalId: string, event: unknown): Promise<Invocation> => {
  const fn = functions.find((f) => f.logicalId === logicalId);
  if (!fn) throw new Error(`${logicalId} is not in template.yaml`);
  const handlerFile = join(artefacts, logicalId, `${fn.handlerFile}.mjs`);
  const report = join(artefacts, `report-${randomUUID()}.json`);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      INVOKE,
      `file://${handlerFile}`,
      fn.handlerExport,
      JSON.stringify(event),
      report,
    ],
    {
      // What Lambda sets (no NODE_OPTIONS: template.yaml deploys none), pointed at the endpoint.
      env: {
        PATH: process.env.PATH,
        AWS_REGION: REGION,
        AWS_ENDPOINT_URL: endpoint.url,
        AWS_ACCESS_KEY_ID: ACCOUNT,
        AWS_SECRET_ACCESS_KEY: 'x',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, `${logicalId} process exit`).toBe(0);
  const result = JSON.parse(await readFile(report, 'utf8')) as Omit<Invocation, 'output'>;
  await rm(report);
  return { ...result, output };
};

/** An events/ sample aimed at this test's secret and rotation. */
const sampleEvent = async (step: (typeof STEPS)[number], secretId: string, token: string) => {
  const sample = JSON.parse(
    await readFile(join(root, 'events', `secret-rotation-${step}.json`), 'utf8'),
  ) as Record<string, unknown>;
  return { ...structuredClone(sample), SecretId: secretId, ClientRequestToken: token };
};

const createSecret = async (value: string): Promise<string> => {
  const response = await sm.send(
    new CreateSecretCommand({ Name: `test/artefact-${randomSuffix()}`, SecretString: value }),
  );
  created.push(response.ARN ?? '');
  return response.ARN ?? '';
};

/** RotateSecret with the crashing function: returns the token of the empty AWSPENDING version. */
const startRotation = async (secretId: string): Promise<string> => {
  const token = randomUUID();
  await sm.send(
    new RotateSecretCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${CRASH}`,
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  // As against AWS, RotateSecret may answer before its placeholder is visible: wait for it.
  for (let i = 0; i < 100; i++) {
    const stages =
      (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
    if (stages[token]?.includes('AWSPENDING')) return token;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('RotateSecret left no AWSPENDING placeholder within 5 s');
};

/** The four steps, each in a cold process; returns every file the processes loaded. */
const rotateThroughArtefact = async (secretId: string, token: string): Promise<Set<string>> => {
  const loaded = new Set<string>();
  for (const step of STEPS) {
    const result = await invoke('SecretRotationFunction', await sampleEvent(step, secretId, token));
    expect(result.error, `${step}Secret failed`).toBeUndefined();
    for (const url of result.loaded) loaded.add(url.replace(/^file:\/\//, ''));
  }
  return loaded;
};

const loadedDrivers = (loaded: Set<string>): string[] =>
  [...driverChunks].filter(([, chunks]) => [...chunks].some((c) => loaded.has(c))).map(([engine]) => engine);

const expectRotated = async (secretId: string, token: string, before: string) => {
  const current = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
  expect(current.VersionId).toBe(token);
  expect(current.SecretString !== before, 'AWSCURRENT holds a new value').toBe(true);
  const previous = await sm.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }),
  );
  expect(previous.SecretString === before, 'AWSPREVIOUS holds the old value').toBe(true);
  // AWSPENDING is gone, or stays on the new AWSCURRENT version (the AWS docs allow both).
  const stages = (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
  for (const [version, labels] of Object.entries(stages)) {
    if (labels.includes('AWSPENDING')) expect(version).toBe(token);
  }
};

describe('artefacts built by the Makefile targets, as sam build runs them', () => {
  it('give every function an ES module handler with its chunks, each beside a source map without sources', async () => {
    const built = functions.filter(
      (fn) => template.Resources[fn.logicalId]?.Metadata?.BuildMethod === 'makefile',
    );
    expect(built.map((fn) => fn.logicalId).sort()).toEqual(functions.map((fn) => fn.logicalId).sort());
    for (const fn of built) {
      const dir = join(artefacts, fn.logicalId);
      expect(existsSync(join(dir, `${fn.handlerFile}.mjs`)), `${fn.logicalId} handler`).toBe(true);
      const files = await listFiles(dir);
      const code = files.filter((f) => f.endsWith('.mjs'));
      expect(code.length, `${fn.logicalId} is split into chunks`).toBeGreaterThan(1);
      for (const file of code) {
        expect(existsSync(`${file}.map`), `${file} has its map`).toBe(true);
        const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sourcesContent?: unknown };
        expect(map.sourcesContent, `${file}.map carries no sources`).toBeUndefined();
      }
    }
    // The rotation artefact holds each engine's driver in chunks of its own.
    for (const engine of Object.keys(DRIVERS)) {
      expect(driverChunks.get(engine)?.size, `${engine} driver chunks`).toBeGreaterThan(0);
    }
  });

  it('rotate a generated secret from the events/ samples, in cold processes, loading no database driver', async () => {
    const before = 'initial-api-key-for-the-artefact-test';
    const arn = await createSecret(before);
    const token = await startRotation(arn);

    const loaded = await rotateThroughArtefact(arn, token);

    await expectRotated(arn, token, before);
    expect(loadedDrivers(loaded)).toEqual([]);
  });

  it('rotate a PostgreSQL single-user secret loading the pg chunk only: the new password logs in, the old one no longer does', async () => {
    postgres = await startPrivatePostgres();
    admin = await postgres.admin();
    const user = `artefact_${randomSuffix()}`;
    const password = `old-${randomUUID()}`;
    await admin.query(
      `CREATE ROLE ${admin.escapeIdentifier(user)} LOGIN PASSWORD ${admin.escapeLiteral(password)}`,
    );
    roles.push(user);
    const before = JSON.stringify({
      engine: 'postgres',
      host: postgres.host,
      port: postgres.port,
      username: user,
      password,
      dbname: 'postgres',
      ssl: false,
    });
    const arn = await createSecret(before);
    const token = await startRotation(arn);

    const loaded = await rotateThroughArtefact(arn, token);

    await expectRotated(arn, token, before);
    expect(loadedDrivers(loaded)).toEqual(['postgres']);
    const current = JSON.parse(
      (await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '{}',
    ) as { password?: string };
    expect(await pgCanLogin(postgres, user, current.password ?? '')).toBe(true);
    expect(await pgCanLogin(postgres, user, password)).toBe(false);
  }, 60_000);

  it('log a failure with a stack mapped to the TypeScript sources, without --enable-source-maps', async () => {
    expect(JSON.stringify(template.Globals?.Function ?? {})).not.toContain('enable-source-maps');
    const event = {
      ...(await sampleEvent('create', 'rekey/no-such-secret', randomUUID())),
      Step: 'rotateEverything',
    };

    const result = await invoke('SecretRotationFunction', event);

    expect(result.error?.name).toBe('InvalidInputError');
    const logged = result.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level?: string; error?: { stack?: string; location?: string } })
      .find((entry) => entry.level === 'ERROR');
    expect(logged?.error?.location).toMatch(/^functions\/secret-rotation\/event\.ts:\d+$/);
    expect(logged?.error?.stack).toMatch(
      /at parseRotationEvent \(functions\/secret-rotation\/event\.ts:\d+:\d+\)/,
    );
    expect(logged?.error?.stack).not.toContain('handler.mjs');
  });
});
