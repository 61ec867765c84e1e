/**
 * Every alert reaches a person as a readable message: the events rekey's code really publishes
 * (and Secrets Manager's documented CloudTrail service event for a failed rotation) are matched
 * against the template's alert rules (EventBridge pattern semantics from moto, called with
 * python3), and each matching rule's InputTransformer is applied as EventBridge applies it. The
 * message must name what happened, the resource and what to do, with every placeholder filled.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients as certificateClients } from '../../functions/certificate-expiry/clients.js';
import { readSettings } from '../../functions/certificate-expiry/config.js';
import { createHandler as certificateHandler } from '../../functions/certificate-expiry/handler.js';
import { createClients as keyClients } from '../../functions/key-rotation/clients.js';
import { publishAwaitingKeyMaterial, publishFailure } from '../../functions/key-rotation/events.js';
import type { WorkflowState } from '../../functions/key-rotation/types.js';
import { createClients as fleetClients } from '../../functions/secret-fleet/clients.js';
import { parseFleetInput } from '../../functions/secret-fleet/options.js';
import { buildSummary, publishSummary } from '../../functions/secret-fleet/summary.js';
import { readEvents } from '../../local/core/admin-client.js';
import { loadTemplate, type Template } from '../../scripts/template.js';
import { createTestCertificate, importInput } from '../helpers/certificates.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUS = 'rekey';
const credentials = { accessKeyId: ACCOUNT, secretAccessKey: 'local' };
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SUCCESSOR_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/9999abcd-12ab-34cd-56ef-1234567890ab`;
const EXECUTION = { id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:rekey-key-rotation:x1`, name: 'x1' };

type Event = { source: string; 'detail-type': string; detail: Record<string, unknown> };
type Rule = {
  id: string;
  pattern: Record<string, unknown>;
  bus?: unknown;
  transformer: { InputPathsMap: Record<string, string>; InputTemplate: unknown };
};

let template: Template;
let endpoint: TestEndpoint;
const published: Record<string, Event> = {};

/** Events on the local bus, read through the local EventBridge's admin route. */
const eventsOnBus = async (): Promise<Event[]> =>
  (await readEvents({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT }, { eventBusName: BUS }))
    .events;

const alertRules = (): Rule[] =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .flatMap(([id, r]) => {
      const props = r.Properties as {
        EventPattern: Record<string, unknown>;
        EventBusName?: unknown;
        Targets: { Arn: unknown; InputTransformer?: Rule['transformer'] }[];
      };
      return props.Targets.filter((t) => JSON.stringify(t.Arn) === '{"Ref":"AlertTopic"}').map((t) => {
        if (!t.InputTransformer) throw new Error(`${id} sends raw events to the alert topic`);
        return { id, pattern: props.EventPattern, bus: props.EventBusName, transformer: t.InputTransformer };
      });
    });

const matches = async (pattern: Record<string, unknown>, events: Event[]): Promise<boolean[]> => {
  const child = run('python3', [join(root, 'test/static/helpers/event-pattern.py')]);
  child.child.stdin?.end(JSON.stringify(events.map((event) => ({ pattern, event }))));
  return JSON.parse((await child).stdout) as boolean[];
};

/** EventBridge's InputTransformer: each `<name>` takes the value at its path; a missing path is an error here. */
const render = (transformer: Rule['transformer'], event: Event): string => {
  const raw = transformer.InputTemplate as string | { 'Fn::Sub': string };
  // The stack name as CloudFormation's Fn::Sub fills it for a stack named rekey.
  const text = typeof raw === 'string' ? raw : raw['Fn::Sub'].replace(/\$\{AWS::StackName\}/g, 'rekey');
  const values: Record<string, string> = {};
  for (const [name, path] of Object.entries(transformer.InputPathsMap)) {
    let node: unknown = event;
    for (const part of path.replace(/^\$\./, '').split('.'))
      node = (node as Record<string, unknown> | undefined)?.[part];
    if (node === undefined || node === null) throw new Error(`path ${path} (<${name}>) is not in the event`);
    values[name] = typeof node === 'string' ? JSON.stringify(node).slice(1, -1) : JSON.stringify(node);
  }
  const filled = text.replace(/<([A-Za-z0-9_-]+)>/g, (whole, name: string) => values[name] ?? whole);
  return JSON.parse(filled) as string;
};

beforeAll(async () => {
  template = await loadTemplate();
  endpoint = await startTestEndpoint({ defaultFunctions: true });
  await new EventBridgeClient({ endpoint: endpoint.url, region: REGION, credentials }).send(
    new CreateEventBusCommand({ Name: BUS }),
  );
  // What the key-rotation function publishes when a rotation fails and when it waits for material.
  const keys = keyClients({ region: REGION, endpoint: endpoint.url, credentials });
  const state = {
    plan: { alias: 'alias/rekey/payments', keyArn: KEY_ARN },
    successor: {
      keyArn: SUCCESSOR_ARN,
      pendingImportRegions: [REGION],
      importDeadline: '2026-12-02T00:00:00.000Z',
      importInstructions: `Import key material into ${SUCCESSOR_ARN}: call GetParametersForImport, wrap your key material, then ImportKeyMaterial.`,
    },
    failure: { Error: 'SuccessorVerificationError', Cause: 'Sign with RSASSA_PSS_SHA_256 failed' },
  } as unknown as WorkflowState;
  await publishFailure(keys, state, EXECUTION, BUS);
  await publishAwaitingKeyMaterial(keys, state, EXECUTION, BUS);
  // What the fleet publishes after a run with a failure, and after a clean one.
  const fleet = fleetClients({ region: REGION, endpoint: endpoint.url, credentials });
  const options = parseFleetInput({ filter: { tag: { key: 'rekey:fleet', value: 'true' } } });
  const plan = {
    matched: 2,
    candidates: 1,
    selected: 1,
    deferred: 0,
    counts: { due: 1 },
    examples: {},
    preview: [],
  };
  const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/orders/db-AbCdEf`;
  const progress = {
    startedAt: new Date().toISOString(),
    cutoff: null,
    cursor: null,
    started: 1,
    rotated: 0,
    failed: 1,
    cleared: 0,
    resumed: 0,
    remaining: 0,
    writes: 2,
    busySeconds: 1,
    batches: 1,
    inFlight: [],
    failures: [
      {
        arn,
        name: 'prod/orders/db',
        classification: 'due',
        error: 'TestSecretFailedError',
        reason: 'login failed',
      },
    ],
    failuresOmitted: 0,
    done: true,
  };
  await publishSummary(
    fleet,
    BUS,
    buildSummary(
      options,
      plan,
      progress,
      'arn:aws:states:us-east-1:123456789012:execution:rekey-secret-fleet-rotation:failed-run',
    ),
  );
  await publishSummary(
    fleet,
    BUS,
    buildSummary(
      options,
      plan,
      { ...progress, rotated: 1, failed: 0, failures: [] },
      'arn:aws:states:us-east-1:123456789012:execution:rekey-secret-fleet-rotation:clean-run',
    ),
  );
  // What the certificate function publishes for a certificate 20 days from expiry.
  const acm = new ACMClient({ endpoint: endpoint.url, region: REGION, credentials });
  const certificate = createTestCertificate({
    domainName: 'shop.example',
    notAfter: new Date(Date.now() + 20 * 86_400_000),
  });
  const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(certificate)));
  const acmEvent = JSON.parse(
    await readFile(join(root, 'events/acm-certificate-approaching-expiration.json'), 'utf8'),
  );
  acmEvent.resources = [CertificateArn];
  await certificateHandler({
    clients: certificateClients({ endpoint: endpoint.url, credentials, homeRegion: REGION }),
    settings: () => readSettings({ EVENT_BUS_NAME: BUS, SWEEP_REGIONS: REGION, AWS_REGION: REGION }),
  })(acmEvent);

  for (const event of await eventsOnBus()) {
    const key =
      event['detail-type'] === 'Secret Fleet Rotation Summary'
        ? `${event['detail-type']} ${String(event.detail.executionId).split(':').pop()}`
        : event['detail-type'];
    published[key] = event;
  }
  // Secrets Manager's CloudTrail service events, in the shape AWS delivers them (fixtures).
  for (const [name, file] of [
    ['Secrets Manager RotationFailed', 'secretsmanager-rotation-failed.json'],
    ['Secrets Manager RotationAbandoned', 'secretsmanager-rotation-abandoned.json'],
  ] as const) {
    published[name] = JSON.parse(await readFile(join(root, 'test/static/fixtures', file), 'utf8'));
  }
}, 60_000);

afterAll(async () => {
  await endpoint?.close();
});

/** Which rule must catch which event, and what its message must say. */
const EXPECTED: Record<string, { rule: string; mentions: string[] }> = {
  'Secrets Manager RotationFailed': {
    rule: 'SecretRotationFailedRule',
    mentions: [
      'RotationFailed',
      'prod/orders/db-AbCdEf',
      'during createSecret step',
      '/aws/lambda/rekey-secret-rotation',
      'What to do',
    ],
  },
  'Secrets Manager RotationAbandoned': {
    rule: 'SecretRotationAbandonedRule',
    mentions: ['abandoned', 'prod/orders/db-AbCdEf', 'What to do'],
  },
  'Key Rotation Failed': {
    rule: 'KeyRotationFailedRule',
    mentions: [
      'alias/rekey/payments',
      KEY_ARN,
      'Verify Successor Key',
      'SuccessorVerificationError',
      'What to do',
    ],
  },
  'Key Rotation Awaiting Key Material': {
    rule: 'KeyMaterialAwaitedRule',
    mentions: [SUCCESSOR_ARN, '2026-12-02', 'GetParametersForImport'],
  },
  'Certificate Expiry Finding': {
    rule: 'CertificateFindingRule',
    mentions: ['shop.example', 'days: IMPORTED', 'What to do'],
  },
  'Secret Fleet Rotation Summary failed-run': {
    rule: 'FleetRotationFailedRule',
    mentions: ['failed-run', '1 of its', 'What to do'],
  },
};

describe('alerts', () => {
  it('published every kind of event the rules are for', () => {
    expect(Object.keys(published).sort()).toEqual(
      [...Object.keys(EXPECTED), 'Secret Fleet Rotation Summary clean-run'].sort(),
    );
  });

  it('routes each event to exactly its rule, and a clean fleet run to none', async () => {
    const rules = alertRules();
    const names = Object.keys(published);
    for (const rule of rules) {
      const hits = await matches(
        rule.pattern,
        names.map((n) => published[n] as Event),
      );
      const caught = names.filter((_, i) => hits[i]);
      const wanted = Object.entries(EXPECTED)
        .filter(([, e]) => e.rule === rule.id)
        .map(([n]) => n);
      expect(caught, rule.id).toEqual(wanted);
    }
    expect(rules.map((r) => r.id).sort()).toEqual(
      [...new Set(Object.values(EXPECTED).map((e) => e.rule))].sort(),
    );
  });

  it("listens for rekey events on rekey's bus and for Secrets Manager on the default bus, where CloudTrail delivers", () => {
    for (const rule of alertRules()) {
      const onRekeyBus = JSON.stringify(rule.bus) === '{"Ref":"EventBus"}';
      expect(onRekeyBus, rule.id).toBe(!rule.id.startsWith('SecretRotation'));
    }
  });

  it.each(Object.entries(EXPECTED))(
    'turns %s into a readable message naming the resource and what to do',
    (name, expected) => {
      const rule = alertRules().find((r) => r.id === expected.rule);
      const event = published[name];
      if (!rule) throw new Error(`no alert rule ${expected.rule} in template.yaml`);
      if (!event) throw new Error(`no ${name} event was published to render`);
      const message = render(rule.transformer, event);
      expect(message).toMatch(/^rekey/);
      expect(message).not.toMatch(/<[a-z]+>/);
      expect(message).not.toContain('{');
      for (const part of expected.mentions) expect(message, `${name} message`).toContain(part);
    },
  );

  it('gives every rule target and schedule a retry policy and a dead-letter queue', () => {
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type === 'AWS::Events::Rule') {
        for (const target of (r.Properties?.Targets as Record<string, unknown>[]) ?? []) {
          expect(target.RetryPolicy, `${id} retry`).toBeDefined();
          expect(JSON.stringify(target.DeadLetterConfig), `${id} DLQ`).toContain('AlertDeadLetterQueue');
        }
      }
      if (r.Type === 'AWS::Scheduler::Schedule') {
        const target = r.Properties?.Target as Record<string, unknown>;
        expect(target.RetryPolicy, `${id} retry`).toBeDefined();
        expect(JSON.stringify(target.DeadLetterConfig), `${id} DLQ`).toContain('AlertDeadLetterQueue');
      }
      if (r.Type === 'AWS::Serverless::Function') {
        for (const [name, source] of Object.entries(
          (r.Properties?.Events as Record<string, { Type: string; Properties: Record<string, unknown> }>) ??
            {},
        )) {
          expect(source.Properties.RetryPolicy, `${id} ${name} retry`).toBeDefined();
          expect(JSON.stringify(source.Properties.DeadLetterConfig), `${id} ${name} DLQ`).toContain(
            'AlertDeadLetterQueue',
          );
        }
      }
    }
  });

  it("alarms on every function's errors, every state machine's failures and undelivered alerts, to the alert topic", () => {
    const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const text = JSON.stringify(alarms);
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type === 'AWS::Serverless::Function' || r.Type === 'AWS::Serverless::StateMachine') {
        expect(text, `an alarm on ${id}`).toContain(`{"Ref":"${id}"}`);
      }
    }
    expect(text).toContain('AlertDeadLetterQueue');
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
  });
});
