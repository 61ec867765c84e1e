/**
 * Where the functions' metric lines go: on Lambda to standard output (CloudWatch Logs extracts
 * them); in the CLI and `rekey local`, which run the same functions in-process, nowhere unless
 * asked, so a command's output (`--output json` piped to jq) never holds an EMF line.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../functions/lib/logger.js';
import { MetricUnit, measureStep, metricsEnabled, putMetric } from '../../../functions/lib/metrics.js';
import { captureEmf, parseEmf } from '../../helpers/emf.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the Powertools packages', () => {
  it('are pinned to one exact version, metrics the same as the logger', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const powertools = Object.entries(manifest.dependencies).filter(([name]) =>
      name.startsWith('@aws-lambda-powertools/'),
    );
    expect(powertools.map(([name]) => name).sort()).toEqual([
      '@aws-lambda-powertools/logger',
      '@aws-lambda-powertools/metrics',
    ]);
    expect(new Set(powertools.map(([, version]) => version)).size).toBe(1);
    expect(powertools[0]?.[1]).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('metricsEnabled', () => {
  it('is on on Lambda and off elsewhere, and POWERTOOLS_METRICS_DISABLED decides when set', () => {
    expect(metricsEnabled({})).toBe(false);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'rekey-secret-rotation' })).toBe(true);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_METRICS_DISABLED: 'true' })).toBe(
      false,
    );
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
  });
});

describe('putMetric and measureStep', () => {
  it('write nothing to standard output outside Lambda', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', undefined);
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', undefined);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    putMetric('KeysRotated', MetricUnit.Count, 1, { keySpec: 'RSA_2048' });
    await measureStep({ task: 'plan' }, async () => 'done');
    expect(written.join('')).not.toContain('_aws');
  });

  it('write one EMF document per value, with its own dimensions, on Lambda', async () => {
    const emf = captureEmf();
    try {
      await expect(
        measureStep({ task: 'swapAlias' }, async () => {
          throw Object.assign(new Error('no'), { name: 'AliasNotFoundError' });
        }),
      ).rejects.toThrow('no');
      putMetric('KeysRotated', MetricUnit.Count, 1, { keySpec: 'RSA_2048' });
    } finally {
      emf.stop();
    }
    const values = emf.lines.map(parseEmf);
    expect(values).toHaveLength(3);
    expect(values.flat().map((v) => [v.name, v.dimensions])).toEqual([
      ['StepsFailed', { service: expect.any(String), task: 'swapAlias', error: 'AliasNotFoundError' }],
      ['StepDuration', { service: expect.any(String), task: 'swapAlias' }],
      ['KeysRotated', { service: expect.any(String), keySpec: 'RSA_2048' }],
    ]);
  });

  it('never fails the step it describes: a metric CloudWatch could not take is left out', () => {
    const emf = captureEmf();
    logger.setLogLevel('SILENT');
    try {
      // EMF allows 30 dimensions per set; Powertools refuses more with a RangeError.
      const tooMany = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`d${i}`, 'x']));
      expect(() => putMetric('KeysRotated', MetricUnit.Count, 1, tooMany)).not.toThrow();
      putMetric('KeysRotated', MetricUnit.Count, 1, { keySpec: 'HMAC_256' });
    } finally {
      emf.stop();
      logger.setLogLevel('WARN');
    }
    expect(emf.lines.flatMap(parseEmf).map((v) => v.dimensions.keySpec)).toEqual(['HMAC_256']);
  });
});
