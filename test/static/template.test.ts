/**
 * What `sam build` / `sam deploy` would prove, checked without sam: the template parses with
 * its short tags, every function bundles with exactly its esbuild metadata and exports the
 * handler the template names, and every role grants exactly the SDK calls its code makes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAsSam } from '../../scripts/build.js';
import { type FunctionDefinition, functionsOf, loadTemplate, type Template } from '../../scripts/template.js';

const root = new URL('../..', import.meta.url).pathname;
let template: Template;
let functions: FunctionDefinition[];
let outRoot: string;
const bundles = new Map<string, { file: string; inputs: string[] }>();

/** IAM service prefix of each SDK client package the functions may import. */
const IAM_PREFIX: Record<string, string> = {
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-kms': 'kms',
  '@aws-sdk/client-acm': 'acm',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-lambda': 'lambda',
};

/** SDK commands whose IAM permission has another name. */
const PERMISSIONS_OF: Record<string, string[]> = {
  'kms:ReEncrypt': ['kms:ReEncryptFrom', 'kms:ReEncryptTo'],
  // "You also need lambda:InvokeFunction permissions on the rotation function" (RotateSecret API reference).
  'secretsmanager:RotateSecret': ['secretsmanager:RotateSecret', 'lambda:InvokeFunction'],
};

/** The SDK commands a set of source files can send, as IAM actions (`kms:Encrypt`). */
const actionsSentBy = async (files: string[]): Promise<Set<string>> => {
  const actions = new Set<string>();
  for (const file of files) {
    const source = await readFile(join(root, file), 'utf8');
    for (const match of source.matchAll(
      /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g,
    )) {
      const prefix = IAM_PREFIX[match[2] ?? ''];
      if (!prefix || match[0].includes('import type')) continue;
      for (const name of (match[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/)[0] ?? '')) {
        if (!name.endsWith('Command') || name.startsWith('type ')) continue;
        const action = `${prefix}:${name.slice(0, -7)}`;
        for (const permission of PERMISSIONS_OF[action] ?? [action]) actions.add(permission);
      }
    }
  }
  return actions;
};

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of a function's inline policies, through `!If` branches. */
const statementsOf = (fn: FunctionDefinition): Statement[] => {
  const out: Statement[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (Array.isArray(record.Statement)) out.push(...(record.Statement as Statement[]));
      else if (Array.isArray(record['Fn::If'])) (record['Fn::If'] as unknown[]).slice(1).forEach(visit);
    }
  };
  visit(fn.properties.Policies ?? []);
  return out;
};

const VPC_ACTIONS = new Set([
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
]);
/** Actions AWS allows no resource scoping for. */
const UNSCOPABLE = new Set([
  'secretsmanager:GetRandomPassword',
  'secretsmanager:ListSecrets',
  'kms:ListKeys',
  'kms:ListAliases',
  'kms:CreateKey',
  'acm:ListCertificates',
  'acm:GetAccountConfiguration',
  ...VPC_ACTIONS,
]);

beforeAll(async () => {
  template = await loadTemplate();
  functions = functionsOf(template);
  outRoot = await mkdtemp(join(tmpdir(), 'rekey-bundles-'));
  for (const fn of functions) {
    const method = template.Resources[fn.logicalId]?.Metadata?.BuildMethod;
    const built = await buildAsSam(fn, method, join(outRoot, fn.logicalId));
    bundles.set(fn.logicalId, { file: built.handlerFile, inputs: built.inputs });
  }
});

afterAll(async () => {
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

describe('template.yaml', () => {
  it('parses with its short intrinsic tags and builds every function through a Makefile target', async () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(functions.length).toBeGreaterThan(0);
    const makefile = await readFile(join(root, 'Makefile'), 'utf8');
    for (const fn of functions) {
      expect(template.Resources[fn.logicalId]?.Metadata?.BuildMethod, fn.logicalId).toBe('makefile');
      // sam build looks for the Makefile in CodeUri and runs the target build-<LogicalId>.
      expect(fn.codeUri, fn.logicalId).toBe('./');
      expect(makefile, fn.logicalId).toMatch(new RegExp(`^build-${fn.logicalId}:`, 'm'));
    }
  });

  it('deploys on a current Lambda Node runtime, the same major the tests run on', () => {
    const runtime = String(template.Globals?.Function?.Runtime);
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(Number(process.versions.node.split('.')[0])).toBe(major);
  });

  it('gives every function an explicit log group with retention', () => {
    for (const fn of functions) {
      const logGroupRef = (fn.properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)
        ?.LogGroup?.Ref;
      expect(logGroupRef, `${fn.logicalId} LoggingConfig.LogGroup`).toBeTypeOf('string');
      const group = template.Resources[logGroupRef ?? ''];
      expect(group?.Type).toBe('AWS::Logs::LogGroup');
      expect(group?.Properties?.RetentionInDays).toBeDefined();
    }
  });

  it('builds every function as sam build would and the artefact exports the named handler', async () => {
    for (const fn of functions) {
      const bundle = bundles.get(fn.logicalId);
      expect(bundle && existsSync(bundle.file), `${fn.logicalId} bundle`).toBe(true);
      const mod = (await import(bundle?.file ?? '')) as Record<string, unknown>;
      expect(typeof mod[fn.handlerExport], `${fn.logicalId} exports ${fn.handlerExport}`).toBe('function');
    }
  });
});

describe('IAM coverage: each role grants exactly what its code sends', () => {
  it('grants every SDK command the bundled code can send, and nothing the code does not use', async () => {
    for (const fn of functions) {
      const sent = await actionsSentBy(bundles.get(fn.logicalId)?.inputs ?? []);
      const granted = new Set(
        statementsOf(fn).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
      );
      const missing = [...sent].filter((a) => !granted.has(a));
      const unused = [...granted].filter((a) => !sent.has(a) && !VPC_ACTIONS.has(a));
      expect(missing, `${fn.logicalId} is missing grants`).toEqual([]);
      expect(unused, `${fn.logicalId} grants actions no code sends`).toEqual([]);
    }
  });

  it('uses no wildcard action and scopes resources except where AWS allows no scoping', () => {
    for (const fn of functions) {
      for (const statement of statementsOf(fn)) {
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        for (const action of actions) expect(action, fn.logicalId).not.toContain('*');
        if (statement.Resource === '*') {
          for (const action of actions)
            expect(UNSCOPABLE.has(action), `${fn.logicalId} ${action} on *`).toBe(true);
        }
      }
    }
  });
});
