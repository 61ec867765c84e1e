/**
 * The certificate-sweep ASL: validated with asl-validator as deployed (placeholders filled), then
 * run through the local harness with the real handler over mocked ACM and EventBridge, to check
 * the Map over Regions, the per-Region failure path and the summary.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/certificate-expiry/clients.js';
import { createHandler } from '../../../functions/certificate-expiry/handler.js';
import { loadDefinition } from '../../../local/workflows/run.js';
import { runStateMachine } from '../../helpers/state-machine.js';
import { FakeAcm, NOW } from './fake-acm.js';

type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: () => string };
// asl-validator ships CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const ASL = 'statemachines/certificate-sweep.asl.json';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:rekey-certificate-expiry';
const substitutions = { CertificateExpiryFunctionArn: FN };

const handlerFor = () =>
  createHandler({
    clients: createClients({
      homeRegion: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
    settings: () => ({
      busName: 'rekey-findings',
      regions: ['us-east-1', 'eu-west-1'],
      thresholds: [45, 30, 14, 7, 3, 1],
      concurrency: 4,
      homeRegion: 'us-east-1',
    }),
    now: () => NOW,
    backoff: { sleep: async () => {} },
  });

describe('certificate-sweep state machine definition', () => {
  it('is valid Amazon States Language with every ARN a placeholder', async () => {
    const text = await readFile(ASL, 'utf8');
    const definition = await loadDefinition(ASL, substitutions);

    const { isValid, errorsText } = aslValidator(definition, { checkArn: true, checkPaths: true });

    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
    expect(text).not.toMatch(/arn:aws/);
    expect(new Set([...text.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]))).toEqual(
      new Set(['CertificateExpiryFunctionArn']),
    );
  });

  it('retries throttling and Lambda errors with backoff and full jitter when sweeping a Region', async () => {
    const definition = JSON.parse(await readFile(ASL, 'utf8')) as {
      States: {
        'Sweep Each Region': { ItemProcessor: { States: { 'Sweep Region': { Retry: unknown[] } } } };
      };
    };
    const retry = definition.States['Sweep Each Region'].ItemProcessor.States['Sweep Region'].Retry[0];
    expect(retry).toMatchObject({
      ErrorEquals: expect.arrayContaining([
        'ThrottlingException',
        'AlertDeliveryError',
        'Lambda.TooManyRequestsException',
      ]),
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    });
  });
});

describe('certificate-sweep state machine run', () => {
  it('sweeps every Region (us-east-1 added), alerts, and outputs a summary', async () => {
    const acm = new FakeAcm();
    acm.add(200, {}, 'us-east-1');
    const imported = acm.add(5, { Type: 'IMPORTED', RenewalEligibility: 'INELIGIBLE' }, 'us-east-1');
    const expired = acm.add(-1, {}, 'eu-west-1');
    acm.add(300, {}, 'ap-southeast-2');
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: { [FN]: handlerFor() },
      input: { regions: ['eu-west-1', 'ap-southeast-2'] },
    });

    expect(run.error).toBeUndefined();
    expect(run.states.at(-1)).toBe('Sweep Complete');
    const output = run.output as Record<string, unknown>;
    expect(output.regions).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2']);
    expect(output.failedRegions).toEqual([]);
    expect(output).toMatchObject({
      listed: 4,
      candidates: 2,
      findings: 2,
      alerted: 2,
      byClass: { IMPORTED: 1, EXPIRED: 1 },
    });
    expect(
      acm
        .findings()
        .map((f) => [f.certificateArn, f.region])
        .sort(),
    ).toEqual(
      [
        [imported, 'us-east-1'],
        [expired, 'eu-west-1'],
      ].sort(),
    );
  });

  it('reports a Region that failed after its retries and fails the execution naming it', async () => {
    const acm = new FakeAcm();
    acm.add(5);
    const handler = handlerFor();
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: {
        [FN]: async (input) => {
          const task = input as { task: string; region?: string };
          if (task.task === 'sweepRegion' && task.region === 'eu-west-1') {
            const error = new Error('User is not authorized to perform acm:ListCertificates');
            error.name = 'AccessDeniedException';
            throw error;
          }
          return handler(input);
        },
      },
      input: {},
    });

    expect(run.states).toContain('Record Region Failure');
    expect(run.error?.Error).toBe('RegionSweepFailedError');
    expect(run.error?.Cause).toMatch(/Swept 1 of 2 Region\(s\).*failed: eu-west-1 \(AccessDeniedException\)/);
    // us-east-1 still did its work.
    expect(acm.published).toHaveLength(1);
  });

  it('keeps the state small at any size: 13 Regions with 100 findings each carry counts only', async () => {
    const acm = new FakeAcm();
    const regions = [
      'us-east-2',
      'us-west-1',
      'us-west-2',
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
      'eu-central-1',
      'eu-north-1',
      'ap-southeast-1',
      'ap-southeast-2',
      'ap-northeast-1',
      'sa-east-1',
    ];
    for (const region of ['us-east-1', ...regions]) {
      for (let i = 0; i < 100; i++) acm.add(-1, {}, region);
    }
    const handler = handlerFor();
    let summarizeInput = 0;
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: {
        [FN]: async (input) => {
          if ((input as { task: string }).task === 'summarize') summarizeInput = JSON.stringify(input).length;
          return handler(input);
        },
      },
      input: { regions },
    });

    expect(run.error).toBeUndefined();
    expect(run.output).toMatchObject({ findings: 1300, byClass: { EXPIRED: 1300 } });
    // Before: about 13 × 100 listed certificates, over Step Functions' 256 KB. Now a few KB.
    expect(summarizeInput).toBeLessThan(8 * 1024);
  });

  it('rejects malformed input before sweeping', async () => {
    new FakeAcm();
    const run = await runStateMachine({
      aslPath: ASL,
      substitutions,
      tasks: { [FN]: handlerFor() },
      input: { regions: ['moon-1'] },
    });
    expect(run.error?.Error).toBe('InvalidInputError');
    expect(run.error?.Cause).toMatch(/regions/);
    expect(run.states).not.toContain('Sweep Each Region');
  });
});
