/**
 * What `sam build` / `sam deploy` would prove, checked without sam: the template parses with
 * its short tags, and every function bundles with exactly its esbuild metadata and exports the
 * handler the template names. The roles are checked on the SAM-transformed template in
 * iam.test.ts; SAM's own build command line in sam-build.test.ts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScheduleInput } from '../../functions/key-rotation/schedule.js';
import { parseFleetInput } from '../../functions/secret-fleet/options.js';
import { buildAsSam } from '../../scripts/build.js';
import { type FunctionDefinition, functionsOf, loadTemplate, type Template } from '../../scripts/template.js';

const root = new URL('../..', import.meta.url).pathname;
let template: Template;
let functions: FunctionDefinition[];
let outRoot: string;
const bundles = new Map<string, { file: string; inputs: string[] }>();

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

describe('schedules', () => {
  /** A schedule's Input as CloudFormation's Fn::Sub fills it with the parameter defaults. */
  const inputOf = (id: string): unknown => {
    const target = template.Resources[id]?.Properties?.Target as { Input: string | { 'Fn::Sub': string } };
    const raw = typeof target.Input === 'string' ? target.Input : target.Input['Fn::Sub'];
    return JSON.parse(
      raw.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, name: string) => String(template.Parameters?.[name]?.Default)),
    );
  };

  it("give each target an input its own parser accepts, with the parameters' defaults", () => {
    expect(parseScheduleInput(inputOf('KeyRotationTimer') as Record<string, unknown>)).toMatchObject({
      aliasPattern: template.Parameters?.ManagedKeyAliasPattern?.Default,
      periodDays: template.Parameters?.KeyRotationPeriodDays?.Default,
    });
    expect(parseFleetInput(inputOf('SecretFleetTimer')).maxConcurrency).toBe(
      template.Parameters?.FleetMaxConcurrency?.Default,
    );
    expect(inputOf('CertificateSweepTimer')).toEqual({});
  });
});
