/**
 * What rekey's functions publish, read the way its consumers read it:
 * - the events on the EventBridge buses, as delivered to targets, each validated against its
 *   JSON Schema in docs/events/ (ajv, JSON Schema 2020-12, formats checked), and every event
 *   type rekey publishes both emitted here and documented there;
 * - the CloudWatch embedded-metric-format lines on standard output, each checked against the
 *   EMF specification, with the values an operator graphs: rotations started, succeeded and
 *   failed by rotator, step durations, certificates by finding, keys rotated, fleet counts.
 * The functions run as on Lambda against the local endpoint, through their real handlers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINDING_DETAIL_TYPE } from '../../../functions/certificate-expiry/schema.js';
import { DETAIL_TYPE as KEY_DETAIL_TYPE } from '../../../functions/key-rotation/events.js';
import { logger } from '../../../functions/lib/logger.js';
import { SUMMARY_DETAIL_TYPE } from '../../../functions/secret-fleet/summary.js';
import { captureEmf, type MetricValue, valuesOf } from '../../helpers/emf.js';
import {
  type DeliveredEvent,
  rotateFleet,
  rotateKeys,
  rotateSecrets,
  sweepCertificates,
} from './workflows.js';

const SCHEMAS = join(process.cwd(), 'docs/events');

let metrics: MetricValue[] = [];
let events: DeliveredEvent[] = [];
let keyAliases: string[] = [];

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  const emf = captureEmf();
  try {
    await rotateSecrets();
    const keys = await rotateKeys();
    keyAliases = keys.aliases;
    // The local endpoint records the bus beside each event; a target receives the event without it.
    events = [...keys.events, ...(await rotateFleet()), ...(await sweepCertificates())].map((recorded) => {
      const { 'event-bus-name': _bus, ...delivered } = recorded;
      return delivered;
    });
    metrics = emf.values();
  } finally {
    emf.stop();
    logger.setLogLevel('WARN');
  }
}, 180_000);

afterAll(() => {
  logger.setLogLevel('WARN');
});

describe('published events match their JSON Schemas in docs/events', () => {
  const schemaFiles = readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json'));
  const schemas = schemaFiles.map((f) => JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')));
  const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true }));
  const validators = new Map(
    schemas.map((s) => [s.properties['detail-type'].const as string, ajv.compile(s)] as const),
  );

  it('has one schema per detail-type, for every event type rekey publishes', () => {
    expect([...validators.keys()].sort()).toEqual([
      'Certificate Expiry Finding',
      'Key Rotation Awaiting Key Material',
      'Key Rotation Failed',
      'Key Rotation Succeeded',
      'Secret Fleet Rotation Summary',
    ]);
    // Every one of them was emitted by the runs above (so each schema is tested against real events).
    const emitted = new Set(events.filter((e) => e.source === 'rekey').map((e) => e['detail-type']));
    expect([...emitted].sort()).toEqual([...validators.keys()].sort());
  });

  it('knows every place that publishes: a new PutEvents call or detail-type needs its schema here', () => {
    const publishers = readdirSync('functions', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => readFileSync(join('functions', f), 'utf8').includes('PutEventsCommand'))
      .sort();
    expect(publishers).toEqual([
      'certificate-expiry/alerts.ts',
      'key-rotation/events.ts',
      'secret-fleet/summary.ts',
    ]);
    expect([FINDING_DETAIL_TYPE, ...Object.values(KEY_DETAIL_TYPE), SUMMARY_DETAIL_TYPE].sort()).toEqual(
      [...validators.keys()].sort(),
    );
  });

  it('validates every event the functions published', () => {
    const problems: string[] = [];
    for (const event of events) {
      const validate = validators.get(event['detail-type']);
      if (!validate) {
        problems.push(`no schema for '${event['detail-type']}' (source ${event.source})`);
        continue;
      }
      if (!validate(event))
        problems.push(`${event['detail-type']}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
    }
    expect(problems).toEqual([]);
    expect(events.length).toBeGreaterThanOrEqual(10);
  });

  it('covers the variants: each roll-back kind, failed and skipped fleet counts, a renewal, both triggers', () => {
    const details = (type: string) => events.filter((e) => e['detail-type'] === type).map((e) => e.detail);
    expect(
      details('Key Rotation Failed')
        .map((d) => (d.rollback as { action: string }).action)
        .sort(),
    ).toEqual(['alias-restored', 'successor-scheduled-for-deletion']);
    const summary = details('Secret Fleet Rotation Summary')[0] as
      | { counts: Record<string, number>; failures: { arn: string; error: string }[] }
      | undefined;
    // Counts only, whatever the fleet size, and the failures with their causes.
    expect(summary?.counts).toMatchObject({ rotated: 2, failed: 1, skipped: 1 });
    expect(summary?.failures).toHaveLength(1);
    const findings = details('Certificate Expiry Finding');
    expect(new Set(findings.map((f) => f.trigger))).toEqual(new Set(['SWEEP', 'ACM_EVENT']));
    expect(findings.some((f) => f.renewalResult === 'RENEWAL_REQUESTED')).toBe(true);
    expect(new Set(findings.map((f) => f.findingClass)).size).toBeGreaterThanOrEqual(4);
  });

  it('accepts the example event documented in docs/certificate-findings.md', () => {
    const doc = readFileSync(join(process.cwd(), 'docs/certificate-findings.md'), 'utf8');
    const example = /## Example\s+```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    if (!example) throw new Error('docs/certificate-findings.md has no ## Example json block');
    const validate = validators.get('Certificate Expiry Finding');
    expect(validate?.(JSON.parse(example))).toBe(true);
  });

  it('rejects an event that breaks its contract (the schemas are not vacuous)', () => {
    const finding = events.find((e) => e['detail-type'] === 'Certificate Expiry Finding');
    const validate = validators.get('Certificate Expiry Finding');
    if (!finding || !validate) throw new Error('no finding event to mutate');
    const broken = structuredClone(finding);
    broken.detail.findingClass = 'SOMETHING_ELSE';
    delete broken.detail.action;
    broken.detail.leakedValue = 'x';
    expect(validate(broken)).toBe(false);
    const messages = ajv.errorsText(validate.errors);
    expect(messages).toContain('findingClass');
    expect(messages).toContain("must have required property 'action'");
    expect(messages).toContain('must NOT have additional properties');
  });
});

describe('CloudWatch metrics in the embedded metric format', () => {
  const one = (name: string, dimensions: Record<string, string> = {}) => valuesOf(metrics, name, dimensions);
  const sum = (name: string, dimensions: Record<string, string> = {}) =>
    one(name, dimensions).reduce((n, v) => n + v.value, 0);

  it('every document is valid EMF in the rekey namespace with a service dimension', () => {
    expect(metrics.length).toBeGreaterThan(20);
    expect(new Set(metrics.map((m) => m.namespace))).toEqual(new Set(['rekey']));
    expect(metrics.every((m) => typeof m.dimensions.service === 'string')).toBe(true);
  });

  it('counts rotations started, succeeded and failed by rotator', () => {
    expect(sum('RotationsStarted', { rotator: 'generated' })).toBeGreaterThanOrEqual(1);
    expect(sum('RotationsSucceeded', { rotator: 'generated' })).toBeGreaterThanOrEqual(1);
    const failed = one('RotationsFailed', { step: 'setSecret' });
    expect(failed.length).toBeGreaterThanOrEqual(1);
    // The PostgreSQL rotator failed at its database, named as such; the generated one never failed.
    expect(failed.every((m) => m.dimensions.rotator?.startsWith('postgres'))).toBe(true);
    expect(one('RotationsFailed', { rotator: 'generated' })).toEqual([]);
    expect(one('RotationsStarted', { rotator: 'unknown' })).toEqual([]);
  });

  it('times every step, in milliseconds, by rotator and step or by task', () => {
    const steps = one('StepDuration').filter((m) => m.dimensions.step);
    expect(new Set(steps.map((m) => m.dimensions.step))).toEqual(
      new Set(['createSecret', 'setSecret', 'testSecret', 'finishSecret']),
    );
    const tasks = new Set(
      one('StepDuration')
        .map((m) => m.dimensions.task)
        .filter(Boolean),
    );
    for (const task of [
      'plan',
      'swapAlias',
      'publishSuccess',
      'batch',
      'summary',
      'sweepRegion',
      'acm-event',
    ])
      expect(tasks).toContain(task);
    const durations = one('StepDuration');
    expect(durations.every((m) => m.unit === 'Milliseconds' && m.value >= 0)).toBe(true);
    // A failed task is counted by its error name.
    expect(
      sum('StepsFailed', { task: 'checkKeyMaterialImport', error: 'KeyMaterialImportTimeoutError' }),
    ).toBe(1);
  });

  it('counts keys rotated, roll-backs and failures of key rotations', () => {
    expect(keyAliases).toHaveLength(3);
    // The ECC key and the one that crashed after its swap were swapped; the external one never was.
    expect(sum('KeysRotated', { keySpec: 'ECC_NIST_P256' })).toBe(1);
    expect(sum('KeysRotated', { keySpec: 'SYMMETRIC_DEFAULT' })).toBe(1);
    expect(sum('KeyRotationsCompleted')).toBe(1);
    expect(sum('KeyRotationsRolledBack', { stage: 'after-swap' })).toBe(1);
    expect(sum('KeyRotationsRolledBack', { stage: 'before-swap' })).toBe(1);
    expect(sum('KeyRotationsFailed')).toBe(2);
  });

  it('counts certificates by finding, alerts and renewals, and the fleet run', () => {
    const findings = events.filter((e) => e['detail-type'] === 'Certificate Expiry Finding');
    const byClass = new Map<string, number>();
    for (const f of findings)
      byClass.set(String(f.detail.findingClass), (byClass.get(String(f.detail.findingClass)) ?? 0) + 1);
    for (const [finding, n] of byClass) expect(sum('CertificatesByFinding', { finding })).toBe(n);
    expect(sum('CertificateAlertsPublished')).toBe(findings.length);
    expect(sum('CertificateRenewals', { result: 'RENEWAL_REQUESTED' })).toBe(1);
    expect(sum('CertificatesListed')).toBe(5);

    expect(sum('FleetSecretsMatched')).toBe(4);
    expect(sum('FleetSecretsRotated')).toBe(2);
    expect(sum('FleetSecretsFailed')).toBe(1);
    expect(sum('FleetSecretsSkipped')).toBe(1);
    expect(sum('FleetRotationsStarted')).toBe(3);
  });
});
