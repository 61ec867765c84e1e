/**
 * Every function builds with the exact command `sam build` runs (derived from aws-lambda-builders'
 * source, see helpers/sam-build.ts; esbuild or a Makefile, whichever the function's BuildMethod
 * says), and each bundle then runs on the deployed Node major: the bundle's handler, loaded as
 * the Lambda runtime loads it, handles a sample from events/ against the local endpoint.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRotation } from '../../local/rotation-wait.js';
import { type FunctionDefinition, functionsOf, loadTemplate, type Template } from '../../scripts/template.js';
import { createTestCertificate, importInput } from '../helpers/certificates.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { projectRoot, samBuild, samBuildCommand } from './helpers/sam-build.js';

const runFile = promisify(execFile);
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const credentials = { accessKeyId: ACCOUNT, secretAccessKey: 'local' };
const nodeBinary = join(projectRoot, 'node_modules', '.bin', 'node');
const invoker = join(projectRoot, 'test', 'static', 'helpers', 'invoke-bundle.mjs');

let template: Template;
let functions: FunctionDefinition[];
let outRoot: string;
let endpoint: TestEndpoint;
let lambdaServer: Server;
const built = new Map<string, string>();

type Outcome = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

const sampleEvent = async (file: string): Promise<Record<string, unknown>> =>
  structuredClone(JSON.parse(await readFile(join(projectRoot, 'events', file), 'utf8')));

/** Resolves a template environment value with the parameters' defaults and the stack's names. */
const resolveValue = (value: unknown, logicalId: string): string => {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (typeof node.Ref === 'string') {
    if (node.Ref === 'EventBus') return 'rekey';
    const parameter = template.Parameters?.[node.Ref];
    if (parameter && 'Default' in parameter) return String(parameter.Default);
  }
  // ${AWS::...} as CloudFormation resolves them for a stack named rekey in the test's account and Region.
  const sub = node['Fn::Sub'];
  if (typeof sub === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::StackName': 'rekey',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
    };
    return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const value = pseudo[name];
      if (value === undefined) throw new Error(`${logicalId}: cannot resolve \${${name}} in ${sub}`);
      return value;
    });
  }
  // The ARN of a role SAM generates for a function (named after the stack and the role).
  const getAtt = node['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt?.[1] === 'Arn' && getAtt[0].endsWith('Role'))
    return `arn:aws:iam::${ACCOUNT}:role/rekey-${getAtt[0]}`;
  const join = node['Fn::Join'] as [string, unknown] | undefined;
  if (join && typeof (join[1] as { Ref?: unknown }).Ref === 'string') return resolveValue(join[1], logicalId);
  throw new Error(`${logicalId}: cannot resolve environment value ${JSON.stringify(value)}`);
};

/** The environment Lambda gives the function: Globals plus its own variables. */
const environmentOf = (fn: FunctionDefinition): Record<string, string> => {
  const vars = {
    ...((template.Globals?.Function?.Environment as { Variables?: object } | undefined)?.Variables ?? {}),
    ...((fn.properties.Environment as { Variables?: object } | undefined)?.Variables ?? {}),
  } as Record<string, unknown>;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolveValue(v, fn.logicalId)]));
};

/** Invokes a bundle's handler in a fresh Node process, as a cold Lambda container would. */
const invokeBundle = async (fn: FunctionDefinition, event: unknown): Promise<Outcome> => {
  const dir = built.get(fn.logicalId);
  if (!dir) throw new Error(`${fn.logicalId} was not built`);
  const bundle = ['.mjs', '.js', '.cjs'].map((e) => join(dir, fn.handlerFile + e)).find((f) => existsSync(f));
  if (!bundle) throw new Error(`${fn.logicalId}: no ${fn.handlerFile}.mjs/.js/.cjs in the build output`);
  const resultFile = join(outRoot, `${fn.logicalId}-${Date.now()}-${Math.random()}.json`);
  const child = spawn(nodeBinary, [invoker], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      ...environmentOf(fn),
      AWS_ENDPOINT_URL: endpoint.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_LAMBDA_FUNCTION_NAME: `rekey-${fn.logicalId}`,
      REKEY_BUNDLE: bundle,
      REKEY_HANDLER_EXPORT: fn.handlerExport,
      REKEY_RESULT_FILE: resultFile,
    },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(JSON.stringify(event));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${fn.logicalId}: the bundle's process exited ${code}: ${stderr}`);
  return JSON.parse(await readFile(resultFile, 'utf8')) as Outcome;
};

/** A Lambda Invoke endpoint (as `sam local start-lambda` serves) that runs the built bundles. */
const startLambdaServer = async (): Promise<string> => {
  lambdaServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', async () => {
      const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')?.[1] ?? '');
      const fn = functions.find((f) => name.endsWith(`:function:rekey-${f.logicalId}`));
      if (!fn) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      const outcome = await invokeBundle(fn, JSON.parse(body)).catch(
        (error: Error): Outcome => ({
          ok: false,
          errorType: 'Runtime.ExitError',
          errorMessage: error.message,
        }),
      );
      invocations.push({ logicalId: fn.logicalId, event: JSON.parse(body) });
      if (outcome.ok) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(outcome.result));
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        res.end(JSON.stringify({ errorType: outcome.errorType, errorMessage: outcome.errorMessage }));
      }
    });
  });
  await new Promise<void>((resolve) => lambdaServer.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(lambdaServer.address() as AddressInfo).port}`;
};
const invocations: { logicalId: string; event: Record<string, unknown> }[] = [];

/** Each function's run: a sample from events/, what the endpoint must hold first, what must follow. */
const scenarios: Record<string, (fn: FunctionDefinition) => Promise<void>> = {
  // Secrets Manager itself invokes the bundle: RotateSecret on the endpoint calls the four steps
  // through the Lambda Invoke endpoint above, with events shaped like events/secret-rotation-*.json.
  SecretRotationFunction: async (fn) => {
    const sample = await sampleEvent('secret-rotation-create.json');
    const secrets = new SecretsManagerClient({ endpoint: endpoint.url, region: REGION, credentials });
    const { ARN } = await secrets.send(
      new CreateSecretCommand({
        Name: `rekey/example-api-key-${Date.now()}`,
        SecretString: 'initial-api-key-value',
      }),
    );
    const token = String(sample.ClientRequestToken);
    await secrets.send(
      new RotateSecretCommand({
        SecretId: ARN,
        ClientRequestToken: token,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-${fn.logicalId}`,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    // RotateSecret answers before the steps run (as AWS does): wait, bounded, until the steps
    // have ended (AWSCURRENT moves inside finishSecret, before its invocation returns).
    const outcome = await waitForRotation({
      sm: secrets,
      secretId: ARN ?? '',
      token,
      local: { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT },
      timeoutMs: 60_000,
    });
    expect(outcome.status, 'the rotation completed through the bundle').toBe('succeeded');
    const current = await secrets.send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(current.VersionId).toBe(token);
    expect(current.SecretString).not.toBe('initial-api-key-value');
    const steps = invocations.filter((i) => i.logicalId === fn.logicalId).map((i) => i.event.Step);
    expect(steps).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    for (const invocation of invocations.filter((i) => i.logicalId === fn.logicalId)) {
      expect(
        Object.keys(invocation.event).sort(),
        'events/ samples have the shape Secrets Manager sends',
      ).toEqual(Object.keys(sample).sort());
    }
  },
  KeyRotationFunction: async (fn) => {
    const event = await sampleEvent('key-rotation-plan-task.json');
    const kms = new KMSClient({ endpoint: endpoint.url, region: REGION, credentials });
    const key = await kms.send(new CreateKeyCommand({ Description: 'payments signing' }));
    const alias = String((event.state as { alias: string }).alias);
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata?.KeyId }));
    const outcome = await invokeBundle(fn, event);
    expect(outcome).toMatchObject({ ok: true, result: { due: true } });
    expect(JSON.stringify(outcome)).toContain(String(key.KeyMetadata?.KeyId));
  },
  CertificateExpiryFunction: async (fn) => {
    const event = await sampleEvent('acm-certificate-approaching-expiration.json');
    const acm = new ACMClient({ endpoint: endpoint.url, region: REGION, credentials });
    const certificate = createTestCertificate({
      domainName: 'example.com',
      notAfter: new Date(Date.now() + 20 * 24 * 3600 * 1000),
    });
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(certificate)));
    event.resources = [CertificateArn];
    const outcome = await invokeBundle(fn, event);
    // An imported certificate ACM cannot renew, 20 days from expiry: the IMPORTED finding.
    expect(outcome).toMatchObject({
      ok: true,
      result: { certificateArn: CertificateArn, findingClass: 'IMPORTED' },
    });
  },
  SecretFleetFunction: async (fn) => {
    const event = await sampleEvent('secret-fleet-plan.json');
    const secrets = new SecretsManagerClient({ endpoint: endpoint.url, region: REGION, credentials });
    const tag = (event.state as { filter: { tag: { key: string; value: string } } }).filter.tag;
    const name = `fleet-sample-${Date.now()}`;
    await secrets.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v1', Tags: [{ Key: tag.key, Value: tag.value }] }),
    );
    const outcome = await invokeBundle(fn, event);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    // The plan lists and classifies the secret (rotation off: left alone, named as an example).
    expect(
      (outcome as { result: { plan: { examples: { disabled?: string[] } } } }).result.plan.examples.disabled,
    ).toContain(name);
  },
};

beforeAll(async () => {
  template = await loadTemplate();
  functions = functionsOf(template);
  outRoot = await mkdtemp(join(tmpdir(), 'rekey-sam-build-'));
  await Promise.all(
    functions.map(async (fn) => {
      const dir = join(outRoot, fn.logicalId);
      await samBuild(template, fn.logicalId, dir);
      built.set(fn.logicalId, dir);
    }),
  );
  endpoint = await startTestEndpoint({
    lambdaEndpoint: await startLambdaServer(),
  });
  const events = new EventBridgeClient({ endpoint: endpoint.url, region: REGION, credentials });
  await events.send(new CreateEventBusCommand({ Name: 'rekey' }));
}, 120_000);

afterAll(async () => {
  await endpoint?.close();
  await new Promise((resolve) => (lambdaServer ? lambdaServer.close(resolve) : resolve(undefined)));
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

describe('sam build', () => {
  it('runs the bundles on the Node major the template deploys', async () => {
    const runtime = String(template.Globals?.Function?.Runtime);
    const { stdout } = await runFile(nodeBinary, ['--version']);
    expect(`nodejs${stdout.trim().slice(1).split('.')[0]}.x`).toBe(runtime);
  });

  it('has a run from events/ for every function of the template', () => {
    expect(functions.map((f) => f.logicalId).sort()).toEqual(Object.keys(scenarios).sort());
  });

  it.each([
    'SecretRotationFunction',
    'KeyRotationFunction',
    'CertificateExpiryFunction',
    'SecretFleetFunction',
  ])(
    '%s: its bundle handles a sample event against the local endpoint',
    async (logicalId) => {
      const fn = functions.find((f) => f.logicalId === logicalId);
      const scenario = scenarios[logicalId];
      if (!fn || !scenario) throw new Error(`${logicalId}: no function in template.yaml or no scenario here`);
      await scenario(fn);
    },
    90_000,
  );
});

describe("SAM's build command line", () => {
  const synthetic = (metadata: Record<string, unknown>): Template => ({
    Resources: {
      Fn: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: './' }, Metadata: metadata },
    },
  });

  it('follows EsbuildCommandBuilder: entries, the fixed flags, absent defaults, then each property in order', async () => {
    const step = await samBuildCommand(
      synthetic({
        BuildMethod: 'esbuild',
        BuildProperties: {
          Sourcemap: true,
          KeepNames: false,
          MainFields: 'module,main',
          OutExtension: ['.js=.mjs'],
          EntryPoints: ['functions/key-rotation/handler'],
        },
      }),
      'Fn',
      '/out',
    );
    expect(step.args).toEqual([
      'functions/key-rotation/handler.ts',
      '--bundle',
      '--platform=node',
      '--outdir=/out',
      '--target=es2020',
      '--format=cjs',
      '--minify',
      '--sourcemap',
      '--main-fields=module,main',
      '--out-extension:.js=.mjs',
    ]);
    expect(step.command).toMatch(/node_modules\/\.bin\/esbuild$/);
  });

  it('marks every package.json dependency external for ./node_modules/*, and refuses a value of another type', async () => {
    const step = await samBuildCommand(
      synthetic({
        BuildMethod: 'esbuild',
        BuildProperties: {
          External: ['./node_modules/*'],
          EntryPoints: ['functions/key-rotation/handler.ts'],
        },
      }),
      'Fn',
      '/out',
    );
    expect(step.args[0]).toBe('--external:@aws-lambda-powertools/logger');
    expect(step.args.some((a) => a.startsWith('--external:./node_modules'))).toBe(false);
    await expect(
      samBuildCommand(
        synthetic({
          BuildMethod: 'esbuild',
          BuildProperties: { Target: 2022, EntryPoints: ['functions/key-rotation/handler.ts'] },
        }),
        'Fn',
        '/out',
      ),
    ).rejects.toThrow(/Failed to determine the type/);
  });

  it('runs make build-<LogicalId> with ARTIFACTS_DIR for BuildMethod makefile', async () => {
    const step = await samBuildCommand(synthetic({ BuildMethod: 'makefile' }), 'Fn', '/out');
    expect(step).toEqual({
      command: 'make',
      args: ['--makefile', join(projectRoot, 'Makefile'), 'build-Fn'],
      cwd: join(projectRoot, './'),
      env: { ARTIFACTS_DIR: '/out' },
    });
  });
});
